package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/store"
)

// insertRestrictionSQL stores one restriction row, unless its id is stored
// already.
const insertRestrictionSQL = `INSERT INTO restrictions
    (id, time, party, denied, delay_ns, lon, lat, classification, rel_to, submitter, received_at, body, leaf)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`

// restrictionRow is a restriction ready to insert: its columns, its
// canonical bytes and their leaf hash, computed on the caller's goroutine
// so that the writer only writes.
type restrictionRow struct {
	r        restriction.Restriction
	class    string
	relTo    string
	body     []byte
	leafHash []byte // ledger.RecordHash of body
}

// checkRestriction returns what keeps the store from keeping r, if
// anything. The rest of what makes a restriction valid is
// restriction.Check's, under the deployment's scheme.
func checkRestriction(r restriction.Restriction) error {
	switch {
	case r.ID == "":
		return errors.New("empty id")
	case r.Time.IsZero() || !unixNanos(r.Time):
		return fmt.Errorf("time %v is not a time the store can keep", r.Time)
	case r.Party != "" && !restriction.IsPartyCode(r.Party):
		return fmt.Errorf("party %q is not a party code", r.Party)
	case r.Label.Classification == "":
		return errors.New("label without a classification")
	}
	for i, n := range r.Label.RelTo {
		if !label.IsNationCode(n) {
			return fmt.Errorf("label rel_to[%d] %q is not an ISO 3166-1 alpha-3 code", i, n)
		}
	}
	return nil
}

// AddRestrictions implements store.Restrictions. Every restriction is
// checked and marshalled before anything is written: one the store cannot
// keep writes none. An added restriction is appended to the log in the
// savepoint that inserts it, so a duplicate leaves no gap.
func (db *DB) AddRestrictions(ctx context.Context, submitter string, rs []restriction.Restriction) ([]store.Outcome, error) {
	rows := make([]restrictionRow, len(rs))
	for i, r := range rs {
		if err := checkRestriction(r); err != nil {
			return nil, fmt.Errorf("add restriction %q (#%d): %w", r.ID, i, err)
		}
		body, err := restriction.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("add restriction %q (#%d): %w", r.ID, i, err)
		}
		l := r.Label.Normalize()
		rows[i] = restrictionRow{r: r, class: string(l.Classification), relTo: strings.Join(l.RelTo, ","),
			body: body, leafHash: ledger.RecordHash(store.KindRestriction, body)}
	}
	out := make([]store.Outcome, len(rs))
	if len(rows) == 0 {
		return out, nil
	}
	err := db.write(ctx, len(rows), func(tx *sql.Tx, lg *logAppender) error {
		stmt, err := tx.Prepare(insertRestrictionSQL)
		if err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
		defer stmt.Close()
		received := db.now().UnixNano()
		for i, row := range rows {
			r := row.r
			// The row takes the next leaf index; the leaf is appended only
			// if the row was inserted.
			next := int64(lg.tree.Size)
			res, err := stmt.Exec(r.ID, r.Time.UnixNano(), r.Party, r.Denied, int64(r.Delay), r.Position.Lon, r.Position.Lat,
				row.class, row.relTo, submitter, received, row.body, next)
			if err != nil {
				return fmt.Errorf("insert restriction %s: %w", r.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("insert restriction %s: %w", r.ID, err)
			}
			out[i] = store.Duplicate
			if n == 1 {
				out[i] = store.Added
				if _, err := lg.append(store.KindRestriction, r.ID, row.leafHash); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add restrictions: %w", err)
	}
	return out, nil
}

// restrictionColumns are the columns scanRestriction reads, in order.
const restrictionColumns = `seq, received_at, submitter, leaf, classification, rel_to, body`

// scanRestriction reads the restrictionColumns of a row, and the
// restriction from its canonical bytes.
func scanRestriction(scan func(...any) error) (store.RestrictionRecord, error) {
	var r store.RestrictionRecord
	var received, leaf int64
	var class, relTo string
	if err := scan(&r.Seq, &received, &r.Submitter, &leaf, &class, &relTo, &r.Feature); err != nil {
		return store.RestrictionRecord{}, err
	}
	rs, err := restriction.Decode(r.Feature)
	if err != nil {
		return store.RestrictionRecord{}, fmt.Errorf("restriction of seq %d: stored feature: %w", r.Seq, err)
	}
	r.ReceivedAt, r.Leaf, r.Label, r.Restriction = time.Unix(0, received).UTC(), uint64(leaf), labelOf(class, relTo), rs
	return r, nil
}

// Restriction implements store.Restrictions. A restriction vis does not
// allow is reported exactly as a missing one.
func (db *DB) Restriction(ctx context.Context, id string, vis *label.Visibility) (store.RestrictionRecord, error) {
	return byID(ctx, db, "restrictions", restrictionColumns, "restriction", scanRestriction, id, vis)
}

// restrictionWhere returns the conditions, and their arguments, of the
// time window and the reader's visibility; ok is false when the reader
// may see nothing.
func restrictionWhere(from, to time.Time, vis *label.Visibility) (where []string, args []any, ok bool) {
	if !from.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, from.UnixNano())
	}
	if !to.IsZero() {
		where = append(where, "time < ?")
		args = append(args, to.UnixNano())
	}
	if vis != nil {
		conds, vargs, ok := visibleSQL(*vis)
		if !ok {
			return nil, nil, false
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	return where, args, true
}

// QueryRestrictions implements store.Restrictions. It walks the time
// index newest first, or a party's index when the query names one, from
// the cursor or from the start, and filters in the index entries.
func (db *DB) QueryRestrictions(ctx context.Context, q store.RestrictionQuery) (store.RestrictionPage, error) {
	if q.Limit <= 0 {
		return store.RestrictionPage{}, fmt.Errorf("query restrictions: limit must be positive, got %d", q.Limit)
	}
	where, args, ok := restrictionWhere(q.From, q.To, q.Visible)
	if !ok {
		return store.RestrictionPage{}, nil // the reader may see nothing
	}
	index := "restrictions_time"
	switch q.Party {
	case "":
	case "none":
		index = "restrictions_party"
		where = append(where, "party = ''")
	default:
		index = "restrictions_party"
		where = append(where, "party = ?")
		args = append(args, q.Party)
	}
	if q.BBox != nil {
		b := *q.BBox
		where = append(where, "lat BETWEEN ? AND ?")
		args = append(args, b[1], b[3])
		if b[0] <= b[2] {
			where = append(where, "lon BETWEEN ? AND ?")
		} else {
			where = append(where, "(lon >= ? OR lon <= ?)")
		}
		args = append(args, b[0], b[2])
	}
	if q.After != nil {
		// After the cursor in the order (time DESC, id DESC).
		where = append(where, "(time, id) < (?, ?)")
		args = append(args, q.After.Time.UnixNano(), q.After.ID)
	}
	sqlText := `SELECT time, id, ` + restrictionColumns + ` FROM restrictions INDEXED BY ` + index
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	sqlText += ` ORDER BY time DESC, id DESC LIMIT ?`
	args = append(args, q.Limit+1)

	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.RestrictionPage{}, fmt.Errorf("query restrictions: %w", err)
	}
	defer rows.Close()
	var page store.RestrictionPage
	var last store.RestrictionCursor
	for rows.Next() {
		if len(page.Restrictions) == q.Limit {
			page.Next = &last
			break
		}
		var at int64
		var id string
		r, err := scanRestriction(func(dest ...any) error { return rows.Scan(append([]any{&at, &id}, dest...)...) })
		if err != nil {
			return store.RestrictionPage{}, fmt.Errorf("query restrictions: %w", err)
		}
		page.Restrictions = append(page.Restrictions, r)
		last = store.RestrictionCursor{Time: time.Unix(0, at).UTC(), ID: id}
	}
	if err := rows.Err(); err != nil {
		return store.RestrictionPage{}, fmt.Errorf("query restrictions: %w", err)
	}
	return page, nil
}

// CountRestrictions implements store.Restrictions. It counts in the time
// index alone, which holds every column the count needs.
func (db *DB) CountRestrictions(ctx context.Context, from, to time.Time, vis *label.Visibility) ([]restriction.PartyCount, error) {
	where, args, ok := restrictionWhere(from, to, vis)
	if !ok {
		return nil, nil // the reader may see nothing
	}
	sqlText := `SELECT party, sum(denied), count(*), sum(delay_ns) FROM restrictions INDEXED BY restrictions_time`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	// party is TEXT in the BINARY collation: the byte order of
	// restriction.Count.
	sqlText += ` GROUP BY party ORDER BY party`
	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("count restrictions: %w", err)
	}
	defer rows.Close()
	var out []restriction.PartyCount
	for rows.Next() {
		var c restriction.PartyCount
		var delay int64
		if err := rows.Scan(&c.Party, &c.Denied, &c.Total, &delay); err != nil {
			return nil, fmt.Errorf("count restrictions: %w", err)
		}
		c.Delayed, c.TotalDelay = c.Total-c.Denied, time.Duration(delay)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count restrictions: %w", err)
	}
	return out, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// InsertObservationSQL stores one observation row, unless its id is stored
// already. It is exported for the benchmarks that insert rows without the store.
const InsertObservationSQL = `INSERT INTO observations
    (id, kind, source_id, observed_at, minute, lon, lat, cell, classification, rel_to, received_at, body, leaf, submitter)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`

// row is an observation ready to insert: its columns, computed on the
// caller's goroutine so that the writer only writes.
type row struct {
	id, kind, source, class, relTo string
	observedAt, minute             int64
	lon, lat                       float64
	cell                           int64
	body                           []byte
	leafHash                       []byte // ledger.RecordHash of body
}

// AddObservations implements store.Observations.
func (db *DB) AddObservations(ctx context.Context, submitter string, obs []observe.Observation) ([]store.Outcome, error) {
	rows := make([]row, len(obs))
	for i, o := range obs {
		body, err := observe.Marshal(o)
		if err != nil {
			return nil, err
		}
		rows[i] = row{
			id: o.ID, kind: string(o.Kind), source: o.Source.ID,
			class: string(o.Releasability.Classification), relTo: strings.Join(o.Releasability.RelTo, ","),
			observedAt: o.ObservedAt.UnixNano(), minute: minuteOf(o.ObservedAt), lon: o.Location.Lon, lat: o.Location.Lat,
			cell: cellOf(o.Location.Lon, o.Location.Lat), body: body,
			leafHash: ledger.RecordHash(store.KindObservation, body),
		}
	}
	out := make([]store.Outcome, len(obs))
	err := db.write(ctx, len(rows), func(tx *sql.Tx, lg *logAppender) error {
		stmt, err := tx.Prepare(InsertObservationSQL)
		if err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
		defer stmt.Close()
		received := db.now().UnixNano()
		for i, r := range rows {
			// The row takes the next leaf index; the leaf is appended only
			// if the row was inserted, so a duplicate leaves no gap.
			next := int64(lg.tree.Size)
			res, err := stmt.Exec(r.id, r.kind, r.source, r.observedAt, r.minute, r.lon, r.lat, r.cell, r.class, r.relTo, received, r.body, next, submitter)
			if err != nil {
				return fmt.Errorf("insert observation %s: %w", r.id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("insert observation %s: %w", r.id, err)
			}
			out[i] = store.Duplicate
			if n == 1 {
				out[i] = store.Added
				if _, err := lg.append(store.KindObservation, r.id, r.leafHash); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add observations: %w", err)
	}
	return out, nil
}

// Submitters implements store.Observations.
func (db *DB) Submitters(ctx context.Context, ids []string) ([]string, error) {
	seen := map[string]bool{}
	for chunk := range slices.Chunk(ids, 500) {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT submitter FROM observations WHERE submitter != '' AND id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read submitters: %w", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read submitters: %w", err)
			}
			seen[s] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read submitters: %w", err)
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// Observation implements store.Observations.
func (db *DB) Observation(ctx context.Context, id string) (store.StoredObservation, error) {
	var o store.StoredObservation
	var received, leaf int64
	var class, relTo string
	err := db.r.QueryRowContext(ctx, `SELECT seq, received_at, body, leaf, classification, rel_to FROM observations WHERE id = ?`, id).Scan(&o.Seq, &received, &o.Feature, &leaf, &class, &relTo)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("observation %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read observation %q: %w", id, err)
	}
	o.ReceivedAt, o.Leaf, o.Label = time.Unix(0, received).UTC(), uint64(leaf), labelOf(class, relTo)
	return o, nil
}

// QueryObservations implements store.Observations. It picks the index by
// what the query constrains (see index.go): the minutes of the window and the
// cells of a small box, or else time, with the source read from the index.
func (db *DB) QueryObservations(ctx context.Context, q store.Query) (store.Page, error) {
	if q.Limit <= 0 {
		return store.Page{}, fmt.Errorf("query observations: limit must be positive, got %d", q.Limit)
	}
	var where []string
	var args []any
	in := func(column string, values []int64) {
		where = append(where, column+" IN ("+placeholders(len(values))+")")
		for _, v := range values {
			args = append(args, v)
		}
	}
	index := "observations_time"
	minutes, timed := minutesOf(q.From, q.To)
	if q.BBox != nil {
		b := *q.BBox
		if cells, ok := cellsOf(b); ok && timed {
			index = "observations_minute_cell"
			if len(minutes)*len(cells) <= maxSeeks {
				in("minute", minutes)
			} else {
				where = append(where, "minute BETWEEN ? AND ?")
				args = append(args, minutes[0], minutes[len(minutes)-1])
			}
			in("cell", cells)
		}
		where = append(where, "lat BETWEEN ? AND ?")
		args = append(args, b[1], b[3])
		if b[0] <= b[2] {
			where = append(where, "lon BETWEEN ? AND ?")
			args = append(args, b[0], b[2])
		} else {
			where = append(where, "(lon >= ? OR lon <= ?)")
			args = append(args, b[0], b[2])
		}
	}
	if q.SourceID != "" {
		where = append(where, "source_id = ?")
		args = append(args, q.SourceID)
	}
	if q.Kind != "" {
		where = append(where, "kind = ?")
		args = append(args, string(q.Kind))
	}
	if q.Unassociated {
		where = append(where, "seq IN (SELECT seq FROM unassociated)")
	}
	if !q.From.IsZero() {
		where = append(where, "observed_at >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "observed_at < ?")
		args = append(args, q.To.UnixNano())
	}
	if q.After != nil {
		where = append(where, "(observed_at, seq) > (?, ?)")
		args = append(args, q.After.ObservedAt.UnixNano(), q.After.Seq)
	}
	if v := q.Visible; v != nil {
		conds, vargs, ok := visibleSQL(*v)
		if !ok {
			return store.Page{}, nil // the reader may see nothing
		}
		where = append(where, conds...)
		args = append(args, vargs...)
	}
	sqlText := "SELECT seq, observed_at, received_at, body, leaf, classification, rel_to FROM observations INDEXED BY " + index
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY observed_at, seq LIMIT ?"
	args = append(args, q.Limit+1)

	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.Page{}, fmt.Errorf("query observations: %w", err)
	}
	defer rows.Close()
	var page store.Page
	var last store.Cursor
	for rows.Next() {
		if len(page.Observations) == q.Limit {
			page.Next = &last
			break
		}
		var o store.StoredObservation
		var observed, received, leaf int64
		var class, relTo string
		if err := rows.Scan(&o.Seq, &observed, &received, &o.Feature, &leaf, &class, &relTo); err != nil {
			return store.Page{}, fmt.Errorf("query observations: %w", err)
		}
		o.ReceivedAt, o.Leaf, o.Label = time.Unix(0, received).UTC(), uint64(leaf), labelOf(class, relTo)
		page.Observations = append(page.Observations, o)
		last = store.Cursor{ObservedAt: time.Unix(0, observed).UTC(), Seq: o.Seq}
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("query observations: %w", err)
	}
	return page, nil
}

// SetUnassociated implements store.Observations.
func (db *DB) SetUnassociated(ctx context.Context, add, remove []string) error {
	if len(add)+len(remove) == 0 {
		return nil
	}
	err := db.write(ctx, len(add)+len(remove), func(tx *sql.Tx, _ *logAppender) error {
		for _, op := range []struct {
			sql string
			ids []string
		}{
			{`INSERT OR IGNORE INTO unassociated (seq) SELECT seq FROM observations WHERE id = ?`, add},
			{`DELETE FROM unassociated WHERE seq = (SELECT seq FROM observations WHERE id = ?)`, remove},
		} {
			if len(op.ids) == 0 {
				continue
			}
			stmt, err := tx.Prepare(op.sql)
			if err != nil {
				return err
			}
			for _, id := range op.ids {
				if _, err := stmt.Exec(id); err != nil {
					stmt.Close()
					return fmt.Errorf("observation %q: %w", id, err)
				}
			}
			stmt.Close()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set unassociated: %w", err)
	}
	return nil
}

// ObservationsSince implements store.Observations.
func (db *DB) ObservationsSince(ctx context.Context, after int64, limit int) ([]store.StoredObservation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("observations since %d: limit must be positive, got %d", after, limit)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT seq, received_at, body, leaf, classification, rel_to FROM observations WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("observations since %d: %w", after, err)
	}
	defer rows.Close()
	var out []store.StoredObservation
	for rows.Next() {
		var o store.StoredObservation
		var received, leaf int64
		var class, relTo string
		if err := rows.Scan(&o.Seq, &received, &o.Feature, &leaf, &class, &relTo); err != nil {
			return nil, fmt.Errorf("observations since %d: %w", after, err)
		}
		o.ReceivedAt, o.Leaf, o.Label = time.Unix(0, received).UTC(), uint64(leaf), labelOf(class, relTo)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("observations since %d: %w", after, err)
	}
	return out, nil
}

// visibleSQL returns the conditions, and their arguments, that keep only
// the rows whose classification and rel_to columns v allows: the rule of
// label.Visibility.Allows, in SQL. It reports false when v allows nothing,
// so the caller need not query at all.
func visibleSQL(v label.Visibility) (conds []string, args []any, ok bool) {
	if len(v.Classifications) == 0 {
		return nil, nil, false
	}
	in := "classification IN (" + placeholders(len(v.Classifications)) + ")"
	for _, c := range v.Classifications {
		args = append(args, string(c))
	}
	var either []string
	if v.Public != "" {
		either = append(either, "classification = ?")
		args = append(args, string(v.Public))
	}
	// Only a nation code is looked for in rel_to: "" would match the ",,"
	// of an empty list, and "FRA,GBR" two nations at once.
	if label.IsNationCode(v.Nation) {
		// rel_to is a comma-separated list: match ",FRA," in ",FRA,GBR,".
		either = append(either, "instr(',' || rel_to || ',', ?) > 0")
		args = append(args, ","+v.Nation+",")
	}
	if len(either) == 0 {
		return nil, nil, false
	}
	return []string{in, "(" + strings.Join(either, " OR ") + ")"}, args, true
}

// labelOf rebuilds a label from its columns.
func labelOf(class, relTo string) label.Label {
	l := label.Label{Classification: label.Classification(class)}
	if relTo != "" {
		l.RelTo = strings.Split(relTo, ",")
	}
	return l
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

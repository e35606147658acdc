package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// severityRanks orders severities in the analysts' queue: the graver, the
// higher.
var severityRanks = map[string]int{"minor": 0, "serious": 1, "major": 2}

// candidateRow is a candidate ready to write: its columns, computed and
// checked on the caller's goroutine so that the writer only writes.
type candidateRow struct {
	r     store.CandidateRecord
	rank  int
	relTo string
}

// checkCandidate returns what is wrong with a candidate, if anything.
func checkCandidate(r store.CandidateRecord) error {
	switch {
	case r.ID == "":
		return errors.New("empty id")
	case r.Type == "":
		return errors.New("empty type")
	case r.Incident == "":
		return errors.New("empty incident")
	case !unixNanos(r.Time):
		return fmt.Errorf("time %v is not a time the store can keep", r.Time)
	case r.Label.Classification == "":
		return errors.New("label without a classification")
	case !json.Valid(r.Feature):
		return errors.New("feature is not JSON")
	}
	if _, ok := severityRanks[r.Severity]; !ok {
		return fmt.Errorf("severity %q, want minor, serious or major", r.Severity)
	}
	for i, n := range r.Label.RelTo {
		if !label.IsNationCode(n) {
			return fmt.Errorf("label rel_to[%d] %q is not an ISO 3166-1 alpha-3 code", i, n)
		}
	}
	return nil
}

// PutCandidates implements store.Candidates. Candidates are derived data
// and are not appended to the log. Every candidate is checked before
// anything is written: one bad candidate writes none.
func (db *DB) PutCandidates(ctx context.Context, incidents []string, candidates []store.CandidateRecord) error {
	rows := make([]candidateRow, len(candidates))
	for i, r := range candidates {
		if err := checkCandidate(r); err != nil {
			return fmt.Errorf("put candidate %q (#%d): %w", r.ID, i, err)
		}
		rows[i] = candidateRow{r: r, rank: severityRanks[r.Severity], relTo: strings.Join(r.Label.RelTo, ",")}
	}
	if len(rows) == 0 && len(incidents) == 0 {
		return nil
	}
	err := db.write(ctx, len(rows)+len(incidents), func(tx *sql.Tx, _ *logAppender) error {
		var seq int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM candidates`).Scan(&seq); err != nil {
			return fmt.Errorf("read last seq: %w", err)
		}
		// A candidate replaces the stored one only if its feature differs
		// or it was withdrawn, so that finding the same candidate again
		// writes nothing. Both features are BLOBs, compared byte for byte.
		// The state is the workflow's: a new candidate is open, and a
		// found-again one keeps its state.
		stmt, err := tx.Prepare(`INSERT INTO candidates
			(id, seq, type, party, severity, severity_rank, incident, time, classification, rel_to, feature, split_from)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				seq = excluded.seq, type = excluded.type, party = excluded.party,
				severity = excluded.severity, severity_rank = excluded.severity_rank,
				incident = excluded.incident, time = excluded.time,
				classification = excluded.classification, rel_to = excluded.rel_to, feature = excluded.feature,
				withdrawn = 0
			WHERE excluded.feature IS NOT candidates.feature OR candidates.withdrawn`)
		if err != nil {
			return fmt.Errorf("prepare put candidate: %w", err)
		}
		defer stmt.Close()
		current := make(map[string]bool, len(rows))
		for _, row := range rows {
			r := row.r
			current[r.ID] = true
			res, err := stmt.Exec(r.ID, seq+1, r.Type, r.Party, r.Severity, row.rank, r.Incident, r.Time.UnixNano(),
				string(r.Label.Classification), row.relTo, []byte(r.Feature), r.SplitFrom)
			if err != nil {
				return fmt.Errorf("put candidate %q: %w", r.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("put candidate %q: %w", r.ID, err)
			}
			if n == 1 {
				seq++
			}
		}
		return withdrawCandidates(tx, incidents, current, &seq)
	})
	if err != nil {
		return fmt.Errorf("put candidates: %w", err)
	}
	return nil
}

// withdrawableSQL selects the candidates of an incident that the rules may
// withdraw: current, and not a part an analyst split off.
const withdrawableSQL = `SELECT id FROM candidates WHERE incident = ? AND NOT withdrawn AND split_from = ''`

// withdrawCandidates withdraws the current candidates of the incidents
// that are not in keep, giving each the next seq.
func withdrawCandidates(tx *sql.Tx, incidents []string, keep map[string]bool, seq *int64) error {
	if len(incidents) == 0 {
		return nil
	}
	find, err := tx.Prepare(withdrawableSQL)
	if err != nil {
		return fmt.Errorf("prepare withdraw candidates: %w", err)
	}
	defer find.Close()
	var stale []string
	for _, inc := range incidents {
		rows, err := find.Query(inc)
		if err != nil {
			return fmt.Errorf("candidates of incident %q: %w", inc, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("candidates of incident %q: %w", inc, err)
			}
			if !keep[id] {
				stale = append(stale, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("candidates of incident %q: %w", inc, err)
		}
	}
	for _, id := range stale {
		*seq++
		if _, err := tx.Exec(`UPDATE candidates SET withdrawn = 1, seq = ? WHERE id = ?`, *seq, id); err != nil {
			return fmt.Errorf("withdraw candidate %q: %w", id, err)
		}
	}
	return nil
}

// candidateColumns are the columns scanCandidate reads, in order.
const candidateColumns = `id, seq, type, party, severity, incident, time, classification, rel_to, feature, state, withdrawn, split_from`

// scanCandidate reads the candidateColumns of a row.
func scanCandidate(scan func(...any) error) (store.CandidateRecord, error) {
	var r store.CandidateRecord
	var at int64
	var class, relTo string
	if err := scan(&r.ID, &r.Seq, &r.Type, &r.Party, &r.Severity, &r.Incident, &at, &class, &relTo, &r.Feature, &r.State, &r.Withdrawn, &r.SplitFrom); err != nil {
		return store.CandidateRecord{}, err
	}
	r.Time = time.Unix(0, at).UTC()
	r.Label = labelOf(class, relTo)
	return r, nil
}

// Candidate implements store.Candidates. A candidate vis does not allow is
// reported exactly as a missing one.
func (db *DB) Candidate(ctx context.Context, id string, vis *label.Visibility) (store.CandidateRecord, error) {
	return byID(ctx, db, "candidates", candidateColumns, "candidate", scanCandidate, id, vis)
}

// QueryCandidates implements store.Candidates. It walks the queue index
// (or that of one state, or of one incident), gravest first and then
// oldest first, from the cursor or from its start, and filters in the
// index entries.
func (db *DB) QueryCandidates(ctx context.Context, q store.CandidateQuery) (store.CandidatePage, error) {
	sqlText, args, ok, err := candidateQuerySQL(q)
	if err != nil {
		return store.CandidatePage{}, fmt.Errorf("query candidates: %w", err)
	}
	if !ok {
		return store.CandidatePage{}, nil // the reader may see nothing
	}
	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.CandidatePage{}, fmt.Errorf("query candidates: %w", err)
	}
	defer rows.Close()
	var page store.CandidatePage
	for rows.Next() {
		if len(page.Candidates) == q.Limit {
			last := page.Candidates[len(page.Candidates)-1]
			page.Next = &store.CandidateCursor{Severity: last.Severity, Time: last.Time, ID: last.ID}
			break
		}
		r, err := scanCandidate(rows.Scan)
		if err != nil {
			return store.CandidatePage{}, fmt.Errorf("query candidates: %w", err)
		}
		page.Candidates = append(page.Candidates, r)
	}
	if err := rows.Err(); err != nil {
		return store.CandidatePage{}, fmt.Errorf("query candidates: %w", err)
	}
	return page, nil
}

// candidateQuerySQL returns the SELECT of QueryCandidates for q, which
// reads one row more than a page to know whether another follows, and its
// arguments; ok is false when the reader may see nothing.
func candidateQuerySQL(q store.CandidateQuery) (sqlText string, args []any, ok bool, err error) {
	if q.Limit <= 0 {
		return "", nil, false, fmt.Errorf("limit must be positive, got %d", q.Limit)
	}
	var where []string
	if !q.Withdrawn {
		where = append(where, "NOT withdrawn")
	}
	if q.After != nil {
		rank, known := severityRanks[q.After.Severity]
		if !known {
			return "", nil, false, fmt.Errorf("cursor severity %q, want minor, serious or major", q.After.Severity)
		}
		// After the cursor in the order (severity_rank DESC, time, id): a
		// lower rank, or the same rank and a later (time, id). The first
		// condition bounds the scan of the index.
		where = append(where, "severity_rank <= ?", "(severity_rank < ? OR (time, id) > (?, ?))")
		args = append(args, rank, rank, q.After.Time.UnixNano(), q.After.ID)
	}
	if q.Severity != "" {
		rank, known := severityRanks[q.Severity]
		if !known {
			return "", nil, false, fmt.Errorf("severity %q, want minor, serious or major", q.Severity)
		}
		where = append(where, "severity_rank = ?")
		args = append(args, rank)
	}
	if !q.From.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "time < ?")
		args = append(args, q.To.UnixNano())
	}
	if q.Type != "" {
		where = append(where, "type = ?")
		args = append(args, q.Type)
	}
	// The index that starts with the most selective filter given: an
	// incident has a few candidates, a state many.
	index := "candidates_queue"
	if q.State != "" {
		where = append(where, "state = ?")
		args = append(args, q.State)
		index = "candidates_state"
	}
	if q.Incident != "" {
		where = append(where, "incident = ?")
		args = append(args, q.Incident)
		index = "candidates_incident"
	}
	switch q.Party {
	case "":
	case "none":
		where = append(where, "party = ''")
	default:
		where = append(where, "party = ?")
		args = append(args, q.Party)
	}
	if v := q.Visible; v != nil {
		conds, vargs, seesSome := visibleSQL(*v)
		if !seesSome {
			return "", nil, false, nil
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	if len(where) == 0 {
		where = []string{"1"} // every candidate, withdrawn ones too
	}
	sqlText = `SELECT ` + candidateColumns + ` FROM candidates INDEXED BY ` + index + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY severity_rank DESC, time, id LIMIT ?`
	return sqlText, append(args, q.Limit+1), true, nil
}

// CandidatesSince implements store.Candidates.
func (db *DB) CandidatesSince(ctx context.Context, after int64, vis *label.Visibility, limit int) ([]store.CandidateRecord, error) {
	return since(ctx, db, "candidates", candidateColumns, scanCandidate, after, vis, limit)
}

// LastCandidateSeq implements store.Candidates.
func (db *DB) LastCandidateSeq(ctx context.Context) (int64, error) {
	return lastSeq(ctx, db, "candidates")
}

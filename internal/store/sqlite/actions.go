package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// AddAction implements store.Actions. The action is checked against the
// stored history inside the write transaction: the (candidate, n) index
// refuses a second action at the same place, so two analysts acting at once
// cannot both act on the same history.
func (db *DB) AddAction(ctx context.Context, a store.ActionRecord, state string) (store.ActionRecord, error) {
	switch {
	case a.ID == "":
		return a, errors.New("add action: empty id")
	case a.Candidate == "":
		return a, fmt.Errorf("add action %q: empty candidate", a.ID)
	case a.N < 1:
		return a, fmt.Errorf("add action %q: place %d in the history, want 1 or more", a.ID, a.N)
	case !unixNanos(a.Action.At):
		return a, fmt.Errorf("add action %q: time %v is not a time the store can keep", a.ID, a.Action.At)
	case state == "":
		return a, fmt.Errorf("add action %q: empty state", a.ID)
	}
	a.Action.At = a.Action.At.UTC()
	body, err := a.Canonical()
	if err != nil {
		return a, fmt.Errorf("add action %q: %w", a.ID, err)
	}
	hash := ledger.RecordHash(store.KindAction, body)
	err = db.write(ctx, 1, func(tx *sql.Tx, lg *logAppender) error {
		var have int
		if err := tx.QueryRow(`SELECT count(*) FROM actions WHERE id = ?`, a.ID).Scan(&have); err != nil {
			return err
		}
		if have > 0 {
			return store.ErrExists
		}
		if err := tx.QueryRow(`SELECT count(*) FROM actions WHERE candidate = ?`, a.Candidate).Scan(&have); err != nil {
			return err
		}
		if have != a.N-1 {
			return fmt.Errorf("%w: the history holds %d actions, not %d", store.ErrConflict, have, a.N-1)
		}
		var seq int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM candidates`).Scan(&seq); err != nil {
			return fmt.Errorf("read last candidate seq: %w", err)
		}
		res, err := tx.Exec(`UPDATE candidates SET state = ?, seq = ? WHERE id = ?`, state, seq+1, a.Candidate)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, fmt.Errorf("candidate %q: %w", a.Candidate, store.ErrNotFound))
		}
		leaf, err := lg.append(store.KindAction, a.ID, hash)
		if err != nil {
			return err
		}
		res, err = tx.Exec(`INSERT INTO actions (id, candidate, n, kind, analyst, nation, at, body, leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Candidate, a.N, string(a.Action.Kind), a.Action.Analyst.Name, a.Action.Analyst.Nation, a.Action.At.UnixNano(), body, int64(leaf))
		if err != nil {
			return err
		}
		a.Leaf = leaf
		a.Seq, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return a, fmt.Errorf("add action %q on %q: %w", a.ID, a.Candidate, err)
	}
	return a, nil
}

// actionColumns are the columns scanAction reads, in order.
const actionColumns = `seq, leaf, body`

// scanAction reads the actionColumns of a row.
func scanAction(scan func(...any) error) (store.ActionRecord, error) {
	var seq, leaf int64
	var body []byte
	if err := scan(&seq, &leaf, &body); err != nil {
		return store.ActionRecord{}, err
	}
	a, err := store.ParseAction(body)
	a.Seq, a.Leaf = seq, uint64(leaf)
	return a, err
}

// Action implements store.Actions.
func (db *DB) Action(ctx context.Context, id string) (store.ActionRecord, error) {
	a, err := scanAction(db.r.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("action %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read action %q: %w", id, err)
	}
	return a, nil
}

// Actions implements store.Actions.
func (db *DB) Actions(ctx context.Context, candidate string) ([]store.ActionRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE candidate = ? ORDER BY n`, candidate)
	if err != nil {
		return nil, fmt.Errorf("read actions on %q: %w", candidate, err)
	}
	defer rows.Close()
	var out []store.ActionRecord
	for rows.Next() {
		a, err := scanAction(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read actions on %q: %w", candidate, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read actions on %q: %w", candidate, err)
	}
	return out, nil
}

// QueryActions implements store.Actions. Actions are joined to their
// candidates for the label, which the reader's visibility filters.
func (db *DB) QueryActions(ctx context.Context, q store.ActionQuery) (store.ActionPage, error) {
	if q.Limit <= 0 {
		return store.ActionPage{}, fmt.Errorf("query actions: limit must be positive, got %d", q.Limit)
	}
	var where []string
	var args []any
	for _, f := range []struct{ column, value string }{
		{"a.candidate", q.Candidate}, {"a.analyst", q.Analyst}, {"a.nation", q.Nation}, {"a.kind", q.Kind},
	} {
		if f.value != "" {
			where = append(where, f.column+" = ?")
			args = append(args, f.value)
		}
	}
	if !q.From.IsZero() {
		where = append(where, "a.at >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "a.at < ?")
		args = append(args, q.To.UnixNano())
	}
	if q.After > 0 {
		where = append(where, "a.seq < ?")
		args = append(args, q.After)
	}
	if v := q.Visible; v != nil {
		conds, vargs, ok := visibleSQL(*v)
		if !ok {
			return store.ActionPage{}, nil
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	sqlText := `SELECT a.seq, a.leaf, a.body FROM actions a JOIN candidates c ON c.id = a.candidate`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	sqlText += ` ORDER BY a.seq DESC LIMIT ?`
	rows, err := db.r.QueryContext(ctx, sqlText, append(args, q.Limit+1)...)
	if err != nil {
		return store.ActionPage{}, fmt.Errorf("query actions: %w", err)
	}
	defer rows.Close()
	var page store.ActionPage
	for rows.Next() {
		if len(page.Actions) == q.Limit {
			page.Next = page.Actions[len(page.Actions)-1].Seq
			break
		}
		a, err := scanAction(rows.Scan)
		if err != nil {
			return store.ActionPage{}, fmt.Errorf("query actions: %w", err)
		}
		page.Actions = append(page.Actions, a)
	}
	if err := rows.Err(); err != nil {
		return store.ActionPage{}, fmt.Errorf("query actions: %w", err)
	}
	return page, nil
}

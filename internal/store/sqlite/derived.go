package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// Incidents and candidates are derived records: each write gives a row a
// new seq, and streams follow the seq. The readers below serve both.

// since reads up to limit rows of a derived table with seq greater than
// after, in seq order, that vis allows, through the table's seq index.
func since[T any](ctx context.Context, db *DB, table, columns string, scan func(func(...any) error) (T, error),
	after int64, vis *label.Visibility, limit int) ([]T, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%s since %d: limit must be positive, got %d", table, after, limit)
	}
	where, args := []string{"seq > ?"}, []any{after}
	if vis != nil {
		conds, vargs, ok := visibleSQL(*vis)
		if !ok {
			return nil, nil
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+columns+` FROM `+table+` INDEXED BY `+table+`_seq WHERE `+
		strings.Join(where, " AND ")+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("%s since %d: %w", table, after, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		r, err := scan(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("%s since %d: %w", table, after, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s since %d: %w", table, after, err)
	}
	return out, nil
}

// lastSeq returns the seq of the last row written to a derived table, 0
// when none was.
func lastSeq(ctx context.Context, db *DB, table string) (int64, error) {
	var seq int64
	if err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM `+table).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last %s seq: %w", table, err)
	}
	return seq, nil
}

// byID reads one row of a derived table by id. A row vis does not allow is
// reported exactly as a missing one: store.ErrNotFound, naming what and id.
func byID[T any](ctx context.Context, db *DB, table, columns, what string, scan func(func(...any) error) (T, error),
	id string, vis *label.Visibility) (T, error) {
	var zero T
	notFound := fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
	where, args := []string{"id = ?"}, []any{id}
	if vis != nil {
		conds, vargs, ok := visibleSQL(*vis)
		if !ok {
			return zero, notFound
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	r, err := scan(db.r.QueryRowContext(ctx, `SELECT `+columns+` FROM `+table+` WHERE `+strings.Join(where, " AND "), args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return zero, notFound
	}
	if err != nil {
		return zero, fmt.Errorf("read %s %q: %w", what, id, err)
	}
	return r, nil
}

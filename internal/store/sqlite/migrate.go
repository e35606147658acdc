package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	store.Migration
	sql string
}

// migrations returns the embedded migrations in version order. File names
// are NNNN_name.sql.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{Migration: store.Migration{Version: v, Name: name}, sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: versions must run 1, 2, 3… without gaps", m.Version, m.Name)
		}
	}
	return out, nil
}

// migrationHook returns the Go code that completes a migration in its
// transaction, after its SQL, for the changes SQL alone cannot make.
func migrationHook(version int) func(context.Context, *sql.Tx) error {
	switch version {
	case 2:
		return logExisting // hash the records stored before the log existed
	}
	return nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)`

// migrationStatus lists every known migration with the time it was
// applied. It only reads: a database with no schema_migrations table has
// every migration pending.
func migrationStatus(ctx context.Context, db *sql.DB) ([]store.Migration, error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	if n == 0 {
		out := make([]store.Migration, len(all))
		for i, m := range all {
			out[i] = m.Migration
		}
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = time.Unix(0, at).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := make([]store.Migration, len(all))
	for i, m := range all {
		out[i] = m.Migration
		out[i].AppliedAt = applied[m.Version]
		delete(applied, m.Version)
	}
	for v := range applied {
		return nil, fmt.Errorf("database has migration %d, which this binary does not know: it was written by a newer guarantor", v)
	}
	return out, nil
}

// migrate applies every pending migration, each in its own transaction, and
// returns the ones it applied. Each transaction takes the write lock first
// and checks again that its migration is pending, so two processes that
// migrate one file at once apply each migration once.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) ([]store.Migration, error) {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	status, err := migrationStatus(ctx, db)
	if err != nil {
		return nil, err
	}
	all, _ := migrations()
	var done []store.Migration
	for i, m := range all {
		if !status[i].AppliedAt.IsZero() {
			continue
		}
		tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see dsn
		if err != nil {
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		var applied int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&applied); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if applied > 0 {
			tx.Rollback()
			continue
		}
		at := now().UTC()
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if hook := migrationHook(m.Version); hook != nil {
			if err := hook(ctx, tx); err != nil {
				tx.Rollback()
				return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, at.UnixNano()); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("migration %04d_%s: record: %w", m.Version, m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return done, fmt.Errorf("migration %04d_%s: commit: %w", m.Version, m.Name, err)
		}
		m.AppliedAt = at
		done = append(done, m.Migration)
	}
	return done, nil
}

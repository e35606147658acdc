// Package sqlite is guarantor's embedded store: one SQLite database file in
// WAL mode, with schema migrations embedded in the binary. All writes go
// through one writer goroutine that commits concurrent requests together in
// batched transactions (group commit); reads use a separate pool of
// read-only connections and never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/guarantor-project/guarantor/internal/store"
)

// Options tune a store. The zero value is a sensible default.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBatch is the most observations the writer commits in one
	// transaction; 0 means 5,000.
	MaxBatch int
	// NoMigrate leaves the schema as it is instead of applying pending
	// migrations when the store opens. Used by `guarantor migrate`.
	NoMigrate bool
}

// DB is the SQLite store. It implements store.Store.
type DB struct {
	path   string
	w      *sql.DB // the one writer connection
	r      *sql.DB // read-only connections
	now    func() time.Time
	writes chan *writeReq
	done   chan struct{}
	batch  int

	mu     sync.RWMutex // guards closed and the closing of writes
	closed bool
}

var _ store.Store = (*DB)(nil)

// dsn builds a connection string with the pragmas every connection needs.
// synchronous=FULL makes every commit durable before it returns, which is
// what lets the server acknowledge a request after its commit.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_txlock", "immediate")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and, unless
// opts.NoMigrate is set, applies pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open sqlite store: empty path")
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	db := &DB{
		path:   path,
		w:      w,
		r:      r,
		now:    opts.Now,
		writes: make(chan *writeReq, 64),
		done:   make(chan struct{}),
		batch:  opts.MaxBatch,
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.batch <= 0 {
		db.batch = 5000
	}
	if !opts.NoMigrate {
		if _, err := migrate(ctx, w, db.now); err != nil {
			db.closeDBs()
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
	}
	go db.writer()
	return db, nil
}

// Migrations lists the schema migrations known to this binary and when each
// was applied to this database (zero when pending).
func (db *DB) Migrations(ctx context.Context) ([]store.Migration, error) {
	return migrationStatus(ctx, db.w)
}

// Migrate applies the pending migrations and returns them.
func (db *DB) Migrate(ctx context.Context) ([]store.Migration, error) {
	return migrate(ctx, db.w, db.now)
}

// Close waits for queued writes to commit and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return errClosed
	}
	db.closed = true
	close(db.writes)
	db.mu.Unlock()
	<-db.done
	return db.closeDBs()
}

func (db *DB) closeDBs() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

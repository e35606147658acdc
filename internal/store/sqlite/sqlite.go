// Package sqlite is guarantor's embedded store: one SQLite database file in
// WAL mode, with schema migrations embedded in the binary. All writes go
// through one writer goroutine that commits concurrent requests together in
// batched transactions (group commit); reads use a separate pool of
// read-only connections and never wait for the writer.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/guarantor-project/guarantor/internal/store"
)

// Options tune a store. The zero value is a sensible default.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBatch is the most observations the writer gathers into one
	// transaction; 0 means 1,000 (see docs/benchmarks.md).
	MaxBatch int
	// Logger receives errors of background work (checkpoints); nil discards them.
	Logger *slog.Logger
	// NoMigrate leaves the schema as it is instead of applying pending
	// migrations when the store opens. Used by `guarantor migrate`.
	NoMigrate bool

	// checkpointEvery and walRestartFrames override the constants of the
	// same names, for tests.
	checkpointEvery  time.Duration
	walRestartFrames int
}

// DB is the SQLite store. It implements store.Store.
type DB struct {
	path   string
	w      *sql.DB // the one writer connection
	r      *sql.DB // read-only connections
	c      *sql.DB // the checkpointer's connection
	now    func() time.Time
	writes chan *writeReq
	done   chan struct{}
	batch  int

	mu     sync.RWMutex // guards closed and the closing of writes
	closed bool

	stopCP chan struct{} // closed to stop the checkpointer
	cpDone chan struct{} // closed when the checkpointer has stopped
	log    *slog.Logger
	// restartWAL asks the writer for a RESTART checkpoint.
	restartWAL    atomic.Bool
	restartFrames int // walRestartFrames, or the test's override
	// logger appends to the tamper-evident log; only the writer uses it.
	logger logAppender
}

var _ store.Store = (*DB)(nil)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (a command-line tool writing to the same file) before it fails.
const busyTimeoutMS = 10_000

// Roles of connections, each with its own pragmas.
type role int

const (
	writer       role = iota // the one connection that writes
	reader                   // read-only connections for queries
	checkpointer             // copies the WAL into the database file
)

// dsn builds a connection string with the pragmas a connection of a role
// needs. synchronous=FULL makes every commit durable before it returns, which
// is what lets the server acknowledge a request after its commit. The writer
// does not checkpoint: a background connection does (see checkpoint), so
// that a commit never waits for the WAL to be copied back.
func dsn(path string, r role) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_txlock", "immediate")
	switch r {
	case writer:
		q.Add("_pragma", "wal_autocheckpoint(0)")
	case reader:
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
	w, err := sql.Open("sqlite", dsn(path, writer))
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
	r, err := sql.Open("sqlite", dsn(path, reader))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	c, err := sql.Open("sqlite", dsn(path, checkpointer))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite store %s for checkpoints: %w", path, err)
	}
	c.SetMaxOpenConns(1)
	db := &DB{
		path:   path,
		w:      w,
		r:      r,
		c:      c,
		stopCP: make(chan struct{}),
		cpDone: make(chan struct{}),
		now:    opts.Now,
		writes: make(chan *writeReq, 64),
		done:   make(chan struct{}),
		batch:  opts.MaxBatch,
		log:    opts.Logger,
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.batch <= 0 {
		db.batch = 1000
	}
	if !opts.NoMigrate {
		if _, err := migrate(ctx, w, db.now); err != nil {
			db.closeDBs()
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
	}
	db.restartFrames = cmp.Or(opts.walRestartFrames, walRestartFrames)
	go db.writer()
	go db.checkpoint(cmp.Or(opts.checkpointEvery, checkpointEvery))
	return db, nil
}

// checkpointEvery is how often the WAL is copied back into the database file.
const checkpointEvery = 250 * time.Millisecond

// walRestartFrames is the WAL size, in pages, past which the checkpointer
// makes the WAL start over: 65,536 pages of 4 KiB are 256 MiB.
const walRestartFrames = 65536

// checkpoint copies committed pages from the WAL into the database file every
// interval, on its own connection, until Close. PASSIVE checkpoints never
// block the writer or the readers, but under a steady stream of commits the
// WAL is never idle long enough to start over. So once it passes
// walRestartFrames, the checkpointer asks the writer to run a RESTART
// checkpoint between two transactions (see writer): it copies the little
// the last PASSIVE one left, and the next commit writes the WAL from its
// beginning. Only the writer can do that; another connection would wait for
// the write lock and never get it while commits follow one another.
func (db *DB) checkpoint(interval time.Duration) {
	defer close(db.cpDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-db.stopCP:
			return
		case <-t.C:
		}
		var busy, frames, copied int
		err := db.c.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		if err != nil {
			db.log.Error("sqlite checkpoint failed", "db", db.path, "err", err)
		}
		if frames > db.restartFrames {
			db.restartWAL.Store(true)
		}
	}
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
	close(db.stopCP)
	<-db.cpDone
	// Leave a clean database file behind: everything in it, the WAL empty.
	_, err := db.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return errors.Join(err, db.closeDBs())
}

func (db *DB) closeDBs() error {
	return errors.Join(db.r.Close(), db.w.Close(), db.c.Close())
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// writeReq is a unit of work for the writer: a function that runs inside the
// shared transaction, and where to send its result once the transaction has
// committed.
type writeReq struct {
	ctx  context.Context
	size int // how many rows it writes, for batching
	fn   func(tx *sql.Tx, lg *logAppender) error
	err  chan error
}

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("store is closed")

// write queues fn to run in the writer's next transaction and waits until
// that transaction has committed. If fn fails, only its own work is undone
// (through a savepoint); the other requests of the batch still commit. fn
// appends the records it stores to the log through lg.
func (db *DB) write(ctx context.Context, size int, fn func(tx *sql.Tx, lg *logAppender) error) error {
	req := &writeReq{ctx: ctx, size: size, fn: fn, err: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return errClosed
	}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed, and the caller must not be told otherwise.
	return <-req.err
}

// writer is the only goroutine that writes. It takes one request, gathers
// whatever else is already waiting (up to db.batch rows), runs them all in one
// transaction and answers each after the commit.
func (db *DB) writer() {
	defer close(db.done)
	for req := range db.writes {
		batch := []*writeReq{req}
		rows := req.size
	gather:
		for rows < db.batch {
			select {
			case r, ok := <-db.writes:
				if !ok {
					break gather
				}
				batch = append(batch, r)
				rows += r.size
			default:
				break gather
			}
		}
		db.commit(batch)
		if db.restartWAL.CompareAndSwap(true, false) {
			db.restart()
		}
	}
}

func (db *DB) commit(batch []*writeReq) {
	results := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.err <- err
		}
	}
	tx, err := db.w.Begin()
	if err != nil {
		fail(fmt.Errorf("begin write transaction: %w", err))
		return
	}
	lg := &db.logger
	if err := lg.begin(tx); err != nil {
		tx.Rollback()
		lg.loaded = false // reload the tree from the store next time
		fail(err)
		return
	}
	defer lg.end()
	before := lg.tree
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		mark := lg.tree
		results[i] = runInSavepoint(tx, func(tx *sql.Tx) error { return r.fn(tx, lg) })
		if results[i] != nil {
			lg.tree = mark // its leaves were rolled back with it
		}
	}
	if err := tx.Commit(); err != nil {
		lg.tree = before
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for i, r := range batch {
		r.err <- results[i]
	}
}

func runInSavepoint(tx *sql.Tx, fn func(*sql.Tx) error) error {
	if _, err := tx.Exec(`SAVEPOINT req`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.Exec(`ROLLBACK TO req`); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		tx.Exec(`RELEASE req`)
		return err
	}
	if _, err := tx.Exec(`RELEASE req`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// restartWaitMS bounds how long the writer waits for readers to leave the
// WAL before a RESTART checkpoint gives up, to try again after the next
// PASSIVE one: ingest must not stall behind a slow query.
const restartWaitMS = 200

// restart runs a RESTART checkpoint on the writer's connection, so that the
// next transaction writes the WAL from its beginning.
func (db *DB) restart() {
	if _, err := db.w.Exec(fmt.Sprintf(`PRAGMA busy_timeout = %d`, restartWaitMS)); err != nil {
		db.log.Error("sqlite checkpoint: set busy timeout", "db", db.path, "err", err)
		return
	}
	defer func() {
		if _, err := db.w.Exec(fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyTimeoutMS)); err != nil {
			db.log.Error("sqlite checkpoint: restore busy timeout", "db", db.path, "err", err)
		}
	}()
	var busy, frames, copied int
	if err := db.w.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied); err != nil {
		db.log.Warn("sqlite checkpoint could not restart the WAL; will try again", "db", db.path, "err", err)
	}
}

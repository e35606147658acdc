package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/guarantor-project/guarantor/internal/audit"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// LogSnapshot is a read-only view of the log and of the records it logs,
// for an audit. All its methods read the same state of the database,
// whatever is written meanwhile, so an audit can run beside the server.
// Its readers stream rows to a callback, in the order the audit needs them,
// and never hold more than a few hundred rows.
type LogSnapshot struct {
	ctx context.Context
	tx  *sql.Tx
}

// ReadLog calls fn with a snapshot of the log, valid until fn returns.
func (db *DB) ReadLog(ctx context.Context, fn func(*LogSnapshot) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer tx.Rollback()
	return fn(&LogSnapshot{ctx: ctx, tx: tx})
}

// NodeStride says which levels of the tree the store keeps every node of:
// the multiples of NodeStride above the leaves.
func (s *LogSnapshot) NodeStride() uint { return nodeStride }

// Counts returns the number of stored leaves and of logged records.
func (s *LogSnapshot) Counts() (leaves, records uint64, err error) {
	var n int64
	if err := s.tx.QueryRowContext(s.ctx, `SELECT count(*) FROM log_leaves`).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("count log leaves: %w", err)
	}
	leaves = uint64(n)
	for _, lt := range loggedTables {
		if err := s.tx.QueryRowContext(s.ctx, `SELECT count(*) FROM `+lt.table).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("count %s records: %w", lt.kind, err)
		}
		records += uint64(n)
	}
	return leaves, records, nil
}

// Leaves calls fn for every stored leaf, in index order. The entry's
// LeafHash is valid only until fn returns.
func (s *LogSnapshot) Leaves(fn func(store.LogEntry) error) error {
	rows, err := s.tx.QueryContext(s.ctx, `SELECT idx, kind, record, hash FROM log_leaves ORDER BY idx`)
	if err != nil {
		return fmt.Errorf("read log leaves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var kind, record string
		var hash sql.RawBytes
		if err := rows.Scan(&idx, &kind, &record, &hash); err != nil {
			return fmt.Errorf("read log leaves: %w", err)
		}
		if idx < 0 {
			return fmt.Errorf("read log leaves: negative leaf index %d", idx)
		}
		if err := fn(store.LogEntry{Index: uint64(idx), Kind: kind, Record: record, LeafHash: hash}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read log leaves: %w", err)
	}
	return nil
}

// Leaf returns the stored leaf at index.
func (s *LogSnapshot) Leaf(index uint64) (store.LogEntry, error) {
	e := store.LogEntry{Index: index}
	err := s.tx.QueryRowContext(s.ctx, `SELECT kind, record, hash FROM log_leaves WHERE idx = ?`, int64(index)).Scan(&e.Kind, &e.Record, &e.LeafHash)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("log leaf %d: %w", index, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read log leaf %d: %w", index, err)
	}
	return e, nil
}

// Nodes calls fn for every kept interior node, by level and then index.
// The node's Hash is valid only until fn returns.
func (s *LogSnapshot) Nodes(fn func(ledger.Node) error) error {
	rows, err := s.tx.QueryContext(s.ctx, `SELECT level, idx, hash FROM log_nodes ORDER BY level, idx`)
	if err != nil {
		return fmt.Errorf("read log nodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level, idx int64
		var hash sql.RawBytes
		if err := rows.Scan(&level, &idx, &hash); err != nil {
			return fmt.Errorf("read log nodes: %w", err)
		}
		if level < 0 || level >= 64 || idx < 0 {
			return fmt.Errorf("read log nodes: node (%d, %d) cannot be in a tree", level, idx)
		}
		if err := fn(ledger.Node{Level: uint(level), Index: uint64(idx), Hash: hash}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read log nodes: %w", err)
	}
	return nil
}

// Checkpoints returns every kept checkpoint, oldest first.
func (s *LogSnapshot) Checkpoints() ([]store.StoredCheckpoint, error) {
	return readCheckpoints(s.ctx, s.tx, `ORDER BY seq`)
}

// Keys returns the verifier keys recorded in the database, oldest first.
func (s *LogSnapshot) Keys() ([]string, error) {
	return readLogKeys(s.ctx, s.tx)
}

// LoggedRecord is one logged record as stored.
type LoggedRecord struct {
	// Kind is the kind it is logged under, ID its id within the kind.
	Kind, ID string
	// Row is its rowid in its table.
	Row int64
	// Leaf is the leaf index in its leaf column, valid when HasLeaf.
	Leaf    uint64
	HasLeaf bool
	// Hash is ledger.RecordHash(Kind, its body column).
	Hash []byte
}

// recordBatch is a run of records read together and hashed by one worker.
type recordBatch struct {
	kind   string
	recs   []LoggedRecord
	bodies []byte // the bodies, one after the other
	ends   []int  // where each body ends in bodies
	hashes []byte // the records' hashes, 32 bytes each
	done   chan struct{}
}

// recordBatchSize is how many records a batch holds.
const recordBatchSize = 256

// Records calls fn for every logged record of every kind, table by table in
// rowid order, with its leaf hash. Bodies are read on this goroutine and
// hashed on one goroutine per processor; fn is called on the caller's
// goroutine, in order. A record's Hash is valid only until fn returns.
func (s *LogSnapshot) Records(fn func(LoggedRecord) error) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *recordBatch, workers)
	ordered := make(chan *recordBatch, 2*workers+2)
	free := make(chan *recordBatch, 3*workers+4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				start := 0
				for i, end := range b.ends {
					copy(b.hashes[i*ledger.HashSize:], ledger.RecordHash(b.kind, b.bodies[start:end]))
					b.recs[i].Hash = b.hashes[i*ledger.HashSize : (i+1)*ledger.HashSize]
					start = end
				}
				close(b.done)
			}
		}()
	}
	var readErr error
	go func() {
		defer close(ordered)
		defer close(work)
		readErr = s.readRecords(ctx, free, func(b *recordBatch) {
			work <- b
			ordered <- b
		})
	}()
	var err error
	for b := range ordered {
		<-b.done
		for _, r := range b.recs {
			if err != nil {
				break
			}
			if err = fn(r); err != nil {
				cancel()
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	return readErr
}

// readRecords reads every logged table in rowid order into batches, taken
// from free when it has one, and hands each full batch to send.
func (s *LogSnapshot) readRecords(ctx context.Context, free chan *recordBatch, send func(*recordBatch)) error {
	for _, lt := range loggedTables {
		rows, err := s.tx.QueryContext(ctx, fmt.Sprintf(`SELECT rowid, %s, leaf, %s FROM %s ORDER BY rowid`, lt.idColumn, lt.bodyColumn, lt.table))
		if err != nil {
			return fmt.Errorf("read %s records: %w", lt.kind, err)
		}
		var b *recordBatch
		for rows.Next() {
			if b == nil {
				select {
				case b = <-free:
					b.recs, b.bodies, b.ends = b.recs[:0], b.bodies[:0], b.ends[:0]
				default:
					b = &recordBatch{hashes: make([]byte, recordBatchSize*ledger.HashSize)}
				}
				b.kind, b.done = lt.kind, make(chan struct{})
			}
			var r LoggedRecord
			var leaf sql.NullInt64
			var body sql.RawBytes
			if err := rows.Scan(&r.Row, &r.ID, &leaf, &body); err != nil {
				rows.Close()
				return fmt.Errorf("read %s records: %w", lt.kind, err)
			}
			r.Kind = lt.kind
			if leaf.Valid && leaf.Int64 >= 0 {
				r.Leaf, r.HasLeaf = uint64(leaf.Int64), true
			}
			b.recs = append(b.recs, r)
			b.bodies = append(b.bodies, body...)
			b.ends = append(b.ends, len(b.bodies))
			if len(b.recs) == recordBatchSize {
				send(b)
				b = nil
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read %s records: %w", lt.kind, err)
		}
		if b != nil {
			send(b)
		}
	}
	return nil
}

// AuditOptions say what Audit checks the log against.
type AuditOptions struct {
	// Keys are the verifier keys (note.NewVerifier format) the checkpoints
	// must verify with; nil means the keys recorded in the database.
	Keys []string
	// Kept are signed checkpoints kept outside the database, checked like
	// the stored ones.
	Kept [][]byte
}

// Audit recomputes the log from the records in one snapshot of the
// database and checks it against the stored leaves, the kept nodes and
// every checkpoint (see package audit).
func (db *DB) Audit(ctx context.Context, opts AuditOptions) (audit.Report, error) {
	var rep audit.Report
	err := db.ReadLog(ctx, func(s *LogSnapshot) error {
		leaves, records, err := s.Counts()
		if err != nil {
			return err
		}
		a := audit.New(audit.Options{Leaves: leaves, Records: records, NodeStride: s.NodeStride()})
		if err := s.Leaves(a.AddLeaf); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if err := s.Nodes(a.AddNode); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		err = s.Records(func(r LoggedRecord) error {
			return a.AddRecord(audit.Record{Kind: r.Kind, ID: r.ID, Row: r.Row, Leaf: r.Leaf, HasLeaf: r.HasLeaf, Hash: r.Hash})
		})
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		cps, err := s.Checkpoints()
		if err != nil {
			return err
		}
		for _, k := range opts.Kept {
			cps = append(cps, store.StoredCheckpoint{Note: k})
		}
		keys := opts.Keys
		if keys == nil {
			if keys, err = s.Keys(); err != nil {
				return err
			}
		}
		rep, err = a.Finish(cps, keys, s.Leaf)
		return err
	})
	return rep, err
}

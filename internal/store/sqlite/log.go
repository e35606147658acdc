package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// loggedTable is a table whose rows are logged: the kind under which they
// are logged, the column that names a row in log_leaves.record, and the
// column that holds the canonical bytes the leaf commits to.
type loggedTable struct {
	kind, table, idColumn, bodyColumn string
}

// loggedTables lists every kind of logged record. Audit walks them all.
var loggedTables = []loggedTable{
	{kind: store.KindTerms, table: "terms_versions", idColumn: "seq", bodyColumn: "body"},
	{kind: store.KindObservation, table: "observations", idColumn: "id", bodyColumn: "body"},
	{kind: store.KindAction, table: "actions", idColumn: "id", bodyColumn: "body"},
	{kind: store.KindGuaranteeStep, table: "guarantee_steps", idColumn: "id", bodyColumn: "body"},
	{kind: store.KindRestriction, table: "restrictions", idColumn: "id", bodyColumn: "body"},
}

// logAppender appends records to the log inside the writer's transaction.
// It holds the tree's state between transactions; the writer is its only
// user, so it needs no lock.
type logAppender struct {
	tree   ledger.Tree
	loaded bool
	// Statements prepared on the current transaction.
	leafStmt, nodeStmt *sql.Stmt
}

// begin prepares the appender for a transaction. It reloads the tree when
// another process (a command-line tool on the same file) has appended since
// this one last did.
func (a *logAppender) begin(tx *sql.Tx) error {
	size, err := logSize(tx)
	if err != nil {
		return err
	}
	if !a.loaded || size != a.tree.Size {
		t, err := ledger.Restore(size, nodeFunc(context.Background(), tx))
		if err != nil {
			return fmt.Errorf("load log: %w", err)
		}
		a.tree, a.loaded = t, true
	}
	if a.leafStmt, err = tx.Prepare(`INSERT INTO log_leaves (idx, kind, record, hash) VALUES (?, ?, ?, ?)`); err != nil {
		return fmt.Errorf("prepare log insert: %w", err)
	}
	if a.nodeStmt, err = tx.Prepare(`INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)`); err != nil {
		a.leafStmt.Close()
		return fmt.Errorf("prepare log insert: %w", err)
	}
	return nil
}

// end closes the statements of the transaction.
func (a *logAppender) end() {
	if a.leafStmt != nil {
		a.leafStmt.Close()
		a.nodeStmt.Close()
	}
	a.leafStmt, a.nodeStmt = nil, nil
}

// append logs one record under its leaf hash (ledger.RecordHash) and returns
// its leaf index. If the transaction or its savepoint is rolled back, the
// caller restores the tree it held before.
func (a *logAppender) append(kind, record string, leafHash []byte) (uint64, error) {
	t := a.tree
	index, nodes, err := t.Append(leafHash)
	if err != nil {
		return 0, fmt.Errorf("log %s %s: %w", kind, record, err)
	}
	if _, err := a.leafStmt.Exec(int64(index), kind, record, leafHash); err != nil {
		return 0, fmt.Errorf("log %s %s: %w", kind, record, err)
	}
	for _, n := range nodes {
		if n.Level == 0 || n.Level%nodeStride != 0 {
			continue // the leaf hash is in log_leaves; other levels are computed
		}
		if _, err := a.nodeStmt.Exec(int64(n.Level), int64(n.Index), n.Hash); err != nil {
			return 0, fmt.Errorf("log %s %s: node (%d, %d): %w", kind, record, n.Level, n.Index, err)
		}
	}
	a.tree = t
	return index, nil
}

// queryer is what reads the log: a connection pool or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// logSize is the number of leaves in the log.
func logSize(q queryer) (uint64, error) {
	var size int64
	if err := q.QueryRowContext(context.Background(), `SELECT coalesce(max(idx) + 1, 0) FROM log_leaves`).Scan(&size); err != nil {
		return 0, fmt.Errorf("read log size: %w", err)
	}
	return uint64(size), nil
}

// nodeStride says which levels of the tree log_nodes keeps: every
// nodeStride-th (4, 8, 12, ...; the leaves, level 0, are in log_leaves).
// A node between two kept levels is computed from at most
// 2^(nodeStride-1) nodes of the kept level below it. Keeping every level
// would add about one row per leaf to every write; keeping every fourth adds
// one per sixteen, and a proof still reads only a few dozen rows (see
// BenchmarkInclusionProof).
const nodeStride = 4

// nodeFunc reads node hashes: leaves from log_leaves, the nodes of kept
// levels from log_nodes, and the others computed from the kept level below.
func nodeFunc(ctx context.Context, q queryer) ledger.NodeFunc {
	return func(level uint, index uint64) ([]byte, error) {
		if level%nodeStride == 0 {
			var h []byte
			var err error
			if level == 0 {
				err = q.QueryRowContext(ctx, `SELECT hash FROM log_leaves WHERE idx = ?`, int64(index)).Scan(&h)
			} else {
				err = q.QueryRowContext(ctx, `SELECT hash FROM log_nodes WHERE level = ? AND idx = ?`, int64(level), int64(index)).Scan(&h)
			}
			if errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("log node (%d, %d) is not stored", level, index)
			}
			return h, err
		}
		base := level - level%nodeStride
		span := uint64(1) << (level - base)
		first := index * span
		var rows *sql.Rows
		var err error
		if base == 0 {
			rows, err = q.QueryContext(ctx, `SELECT hash FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(first), int64(first+span))
		} else {
			rows, err = q.QueryContext(ctx, `SELECT hash FROM log_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx`, int64(base), int64(first), int64(first+span))
		}
		if err != nil {
			return nil, fmt.Errorf("read log nodes under (%d, %d): %w", level, index, err)
		}
		defer rows.Close()
		hashes := make([][]byte, 0, span)
		for rows.Next() {
			var h []byte
			if err := rows.Scan(&h); err != nil {
				return nil, fmt.Errorf("read log nodes under (%d, %d): %w", level, index, err)
			}
			hashes = append(hashes, h)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read log nodes under (%d, %d): %w", level, index, err)
		}
		if uint64(len(hashes)) != span {
			return nil, fmt.Errorf("log node (%d, %d): %d of the %d nodes of level %d under it are stored", level, index, len(hashes), span, base)
		}
		return ledger.PerfectRoot(hashes)
	}
}

// logExisting logs, in a migration's transaction, the records that were
// stored before the log existed: each logged table's rows in the order they
// were stored. It is the hook of the migration that creates the log.
func logExisting(ctx context.Context, tx *sql.Tx) error {
	var a logAppender
	if err := a.begin(tx); err != nil {
		return err
	}
	defer a.end()
	for _, lt := range loggedTables {
		// Tables made by later migrations do not exist yet; their rows are
		// logged as they are stored.
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, lt.table).Scan(&exists); err != nil {
			return fmt.Errorf("log existing %s records: %w", lt.kind, err)
		}
		if exists == 0 {
			continue
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT rowid, %s, %s FROM %s WHERE leaf IS NULL ORDER BY rowid`, lt.idColumn, lt.bodyColumn, lt.table))
		if err != nil {
			return fmt.Errorf("log existing %s records: %w", lt.kind, err)
		}
		type pending struct {
			rowid int64
			id    string
			hash  []byte
		}
		var unlogged []pending
		for rows.Next() {
			var p pending
			var body []byte
			if err := rows.Scan(&p.rowid, &p.id, &body); err != nil {
				rows.Close()
				return fmt.Errorf("log existing %s records: %w", lt.kind, err)
			}
			p.hash = ledger.RecordHash(lt.kind, body)
			unlogged = append(unlogged, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("log existing %s records: %w", lt.kind, err)
		}
		for _, p := range unlogged {
			leaf, err := a.append(lt.kind, p.id, p.hash)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET leaf = ? WHERE rowid = ?`, lt.table), int64(leaf), p.rowid); err != nil {
				return fmt.Errorf("log existing %s %s: %w", lt.kind, p.id, err)
			}
		}
	}
	return nil
}

// LogHead implements store.Log.
func (db *DB) LogHead(ctx context.Context) (store.LogHead, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.LogHead{}, fmt.Errorf("read log head: %w", err)
	}
	defer tx.Rollback()
	size, err := logSize(tx)
	if err != nil {
		return store.LogHead{}, err
	}
	root, err := ledger.RootAt(size, nodeFunc(ctx, tx))
	if err != nil {
		return store.LogHead{}, fmt.Errorf("read log head: %w", err)
	}
	return store.LogHead{Size: size, Root: root}, nil
}

// LogEntry implements store.Log.
func (db *DB) LogEntry(ctx context.Context, index uint64) (store.LogEntry, error) {
	e := store.LogEntry{Index: index}
	err := db.r.QueryRowContext(ctx, `SELECT kind, record, hash FROM log_leaves WHERE idx = ?`, int64(index)).Scan(&e.Kind, &e.Record, &e.LeafHash)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("log leaf %d: %w", index, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read log leaf %d: %w", index, err)
	}
	return e, nil
}

// InclusionProof implements store.Log.
func (db *DB) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if err := db.checkSize(ctx, size); err != nil {
		return nil, err
	}
	if index >= size {
		return nil, fmt.Errorf("%w: leaf %d is not in a tree of size %d", store.ErrBadProofRequest, index, size)
	}
	return ledger.InclusionProof(index, size, nodeFunc(ctx, db.r))
}

// ConsistencyProof implements store.Log.
func (db *DB) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	if err := db.checkSize(ctx, to); err != nil {
		return nil, err
	}
	if from > to {
		return nil, fmt.Errorf("%w: from (%d) is larger than to (%d)", store.ErrBadProofRequest, from, to)
	}
	return ledger.ConsistencyProof(from, to, nodeFunc(ctx, db.r))
}

func (db *DB) checkSize(ctx context.Context, size uint64) error {
	have, err := logSize(db.r)
	if err != nil {
		return err
	}
	if size > have {
		return fmt.Errorf("%w: the log has %d leaves, not %d", store.ErrBadProofRequest, have, size)
	}
	return nil
}

// AddCheckpoint implements store.Log.
func (db *DB) AddCheckpoint(ctx context.Context, cp store.StoredCheckpoint) error {
	return db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		_, err := tx.Exec(`INSERT INTO log_checkpoints (size, root, issued_at, note) VALUES (?, ?, ?, ?)`,
			int64(cp.Size), cp.Root, cp.IssuedAt.UnixNano(), cp.Note)
		if err != nil {
			return fmt.Errorf("store checkpoint of size %d: %w", cp.Size, err)
		}
		return nil
	})
}

// Checkpoints implements store.Log.
func (db *DB) Checkpoints(ctx context.Context) ([]store.StoredCheckpoint, error) {
	return readCheckpoints(ctx, db.r, `ORDER BY seq`)
}

// LatestCheckpoint implements store.Log.
func (db *DB) LatestCheckpoint(ctx context.Context) (store.StoredCheckpoint, error) {
	cps, err := readCheckpoints(ctx, db.r, `ORDER BY seq DESC LIMIT 1`)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	if len(cps) == 0 {
		return store.StoredCheckpoint{}, fmt.Errorf("checkpoint: %w", store.ErrNotFound)
	}
	return cps[0], nil
}

// readCheckpoints reads the kept checkpoints in the given order.
func readCheckpoints(ctx context.Context, q queryer, order string) ([]store.StoredCheckpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, size, root, issued_at, note FROM log_checkpoints `+order)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []store.StoredCheckpoint
	for rows.Next() {
		var cp store.StoredCheckpoint
		var size, issued int64
		if err := rows.Scan(&cp.Seq, &size, &cp.Root, &issued, &cp.Note); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		cp.Size, cp.IssuedAt = uint64(size), time.Unix(0, issued).UTC()
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}

// AddLogKey implements store.Log.
func (db *DB) AddLogKey(ctx context.Context, vkey string) error {
	return db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		_, err := tx.Exec(`INSERT INTO log_keys (vkey, added_at) VALUES (?, ?) ON CONFLICT (vkey) DO NOTHING`, vkey, db.now().UnixNano())
		if err != nil {
			return fmt.Errorf("store log key: %w", err)
		}
		return nil
	})
}

// LogKeys implements store.Log.
func (db *DB) LogKeys(ctx context.Context) ([]string, error) {
	return readLogKeys(ctx, db.r)
}

// readLogKeys reads the recorded verifier keys, oldest first.
func readLogKeys(ctx context.Context, q queryer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT vkey FROM log_keys ORDER BY added_at, vkey`)
	if err != nil {
		return nil, fmt.Errorf("read log keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read log keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log keys: %w", err)
	}
	return out, nil
}

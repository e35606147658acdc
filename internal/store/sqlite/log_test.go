package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// TestLogRollsBackWithItsRequest runs, in shared transactions, requests
// that append and then fail beside requests that succeed: the failed ones
// leave no leaf, and the tree held in memory stays the tree in the file.
func TestLogRollsBackWithItsRequest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var want [][]byte // leaf hashes of the requests that succeeded, by index
	got := map[uint64][]byte{}
	for i := range 200 {
		wg.Go(func() {
			h := ledger.RecordHash("test", []byte{byte(i), byte(i >> 8)})
			var index uint64
			err := db.write(ctx, 1, func(tx *sql.Tx, lg *logAppender) error {
				var err error
				index, err = lg.append("test", "r", h)
				if err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
			if i%3 == 0 {
				if !errors.Is(err, errBoom) {
					t.Errorf("request %d: error %v, want boom", i, err)
				}
				return
			}
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			mu.Lock()
			got[index] = h
			mu.Unlock()
		})
	}
	wg.Wait()
	for i := range uint64(len(got)) {
		h, ok := got[i]
		if !ok {
			t.Fatalf("no successful request has leaf %d: the failed ones left gaps", i)
		}
		want = append(want, h)
	}
	head, err := db.LogHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tree := ledger.Tree{}
	for _, h := range want {
		if _, _, err := tree.Append(h); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tree.Root()
	if head.Size != uint64(len(want)) || !bytes.Equal(head.Root, root) {
		t.Fatalf("log head %d %x, want %d %x", head.Size, head.Root, len(want), root)
	}
	db.Close()
}

// TestLogSharedWithOtherProcess appends from two stores on one file, as the
// server and a command-line tool do: each picks up the other's leaves.
func TestLogSharedWithOtherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	a, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 10 {
		s := []*DB{a, b}[i%2]
		if _, err := s.AddObservations(ctx, "", []observe.Observation{storetest.Obs(string(rune('a'+i)), 37, 48, time.Duration(i)*time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	var leaves [][]byte
	for i := range uint64(10) {
		e, err := a.LogEntry(ctx, i)
		if err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		o, err := a.Observation(ctx, e.Record)
		if err != nil || o.Leaf != i {
			t.Fatalf("observation %s: leaf %d, %v; want %d", e.Record, o.Leaf, err, i)
		}
		leaves = append(leaves, e.LeafHash)
	}
	tree := ledger.Tree{}
	for _, h := range leaves {
		tree.Append(h)
	}
	root, _ := tree.Root()
	head, err := b.LogHead(ctx)
	if err != nil || head.Size != 10 || !bytes.Equal(head.Root, root) {
		t.Fatalf("head %+v %v, want 10 leaves with root %x", head, err, root)
	}
}

// TestMigrationLogsExistingRecords opens a database made before the log
// existed: the migration logs its terms and observations in arrival order.
func TestMigrationLogsExistingRecords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Apply migration 1 only, as an older binary did, and store rows the
	// way it did.
	if _, err := db.w.Exec(createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(all[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, ?, 0)`, all[0].Name); err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for i, id := range []string{"old-b", "old-a", "old-c"} {
		body, _ := observe.Marshal(storetest.Obs(id, 37, 48, time.Duration(i)*time.Second))
		bodies = append(bodies, body)
		if _, err := db.w.Exec(`INSERT INTO observations (id, kind, source_id, observed_at, minute, lon, lat, cell, classification, rel_to, received_at, body)
			VALUES (?, 'acoustic', 's', 0, 0, 37, 48, 0, 'PUBLIC', '', 0, ?)`, id, body); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.Exec(`INSERT INTO terms_versions (terms_id, version, effective_from, loaded_at, body) VALUES ('t', '1', 0, 0, '{"id":"t"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	wantLeaves := [][]byte{ledger.RecordHash(store.KindTerms, []byte(`{"id":"t"}`))}
	for _, b := range bodies {
		wantLeaves = append(wantLeaves, ledger.RecordHash(store.KindObservation, b))
	}
	for i, want := range wantLeaves {
		e, err := db.LogEntry(ctx, uint64(i))
		if err != nil || !bytes.Equal(e.LeafHash, want) {
			t.Fatalf("leaf %d = %+v, %v; want hash %x", i, e, err, want)
		}
	}
	for i, id := range []string{"old-b", "old-a", "old-c"} {
		o, err := db.Observation(ctx, id)
		if err != nil || o.Leaf != uint64(i+1) {
			t.Errorf("observation %s: leaf %d, %v; want %d", id, o.Leaf, err, i+1)
		}
	}
	db.Close()
}

package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/audit"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// auditStore opens a store with a terms version, n synthetic observations
// and a signed checkpoint of the log, and returns it with its verifier key.
func auditStore(t testing.TB, n int) (*DB, string) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, vkey, err := ledger.NewKey(rand.Reader, "sqlite.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddLogKey(ctx, vkey); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddTerms(ctx, terms.Terms{ID: "t", Version: "1", EffectiveFrom: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w * 1000; i < n; i += 4 * 1000 {
				if _, err := db.AddObservations(ctx, "", storetest.Synthetic(1, i, min(1000, n-i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	head, err := db.LogHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: signer.Name(), Size: head.Size, Root: head.Root}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddCheckpoint(ctx, store.StoredCheckpoint{Size: head.Size, Root: head.Root, IssuedAt: time.Now(), Note: msg}); err != nil {
		t.Fatal(err)
	}
	return db, vkey
}

func TestLogSnapshot(t *testing.T) {
	ctx := context.Background()
	const n = 2000
	db, vkey := auditStore(t, n)
	err := db.ReadLog(ctx, func(s *LogSnapshot) error {
		leaves, records, err := s.Counts()
		if err != nil || leaves != n+1 || records != n+1 {
			t.Errorf("Counts = %d, %d, %v; want %d leaves and records", leaves, records, err, n+1)
		}
		var entries []store.LogEntry
		err = s.Leaves(func(e store.LogEntry) error {
			e.LeafHash = bytes.Clone(e.LeafHash)
			entries = append(entries, e)
			return nil
		})
		if err != nil || len(entries) != n+1 {
			t.Fatalf("Leaves: %d, %v", len(entries), err)
		}
		for i, e := range entries {
			stored, err := db.LogEntry(ctx, uint64(i))
			if err != nil || e.Index != uint64(i) || e.Kind != stored.Kind || e.Record != stored.Record || !bytes.Equal(e.LeafHash, stored.LeafHash) {
				t.Fatalf("leaf %d: %+v, the store says %+v (%v)", i, e, stored, err)
			}
			if one, err := s.Leaf(uint64(i)); err != nil || one.Record != e.Record {
				t.Fatalf("Leaf(%d) = %+v, %v", i, one, err)
			}
		}
		if _, err := s.Leaf(n + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Leaf beyond the log: %v", err)
		}
		var nodes []ledger.Node
		if err := s.Nodes(func(nd ledger.Node) error { nodes = append(nodes, nd); return nil }); err != nil {
			t.Fatal(err)
		}
		// Every node of levels 4 and 8 over the first 2001 leaves.
		if len(nodes) != (n+1)/16+(n+1)/256 || nodes[0].Level != 4 || nodes[len(nodes)-1].Level != 8 || s.NodeStride() != 4 {
			t.Errorf("%d nodes from level %d to %d", len(nodes), nodes[0].Level, nodes[len(nodes)-1].Level)
		}
		var recs []LoggedRecord
		err = s.Records(func(r LoggedRecord) error {
			r.Hash = bytes.Clone(r.Hash)
			recs = append(recs, r)
			return nil
		})
		if err != nil || len(recs) != n+1 {
			t.Fatalf("Records: %d, %v", len(recs), err)
		}
		if recs[0].Kind != store.KindTerms || recs[0].ID != "1" || !recs[0].HasLeaf || !bytes.Equal(recs[0].Hash, entries[recs[0].Leaf].LeafHash) {
			t.Errorf("first record %+v, want terms version 1 at its leaf", recs[0])
		}
		for _, r := range recs[1:] {
			o, err := db.Observation(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != store.KindObservation || r.Row != o.Seq || r.Leaf != o.Leaf || !r.HasLeaf ||
				!bytes.Equal(r.Hash, ledger.RecordHash(store.KindObservation, o.Feature)) || entries[r.Leaf].Record != r.ID {
				t.Fatalf("record %+v, stored %d at leaf %d", r, o.Seq, o.Leaf)
			}
		}
		if !slices.IsSortedFunc(recs[1:], func(a, b LoggedRecord) int { return int(a.Row - b.Row) }) {
			t.Error("records are not in row order")
		}
		cps, err := s.Checkpoints()
		if err != nil || len(cps) != 1 || cps[0].Size != n+1 {
			t.Errorf("Checkpoints = %+v, %v", cps, err)
		}
		keys, err := s.Keys()
		if err != nil || len(keys) != 1 || keys[0] != vkey {
			t.Errorf("Keys = %q, %v", keys, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecordsStopsOnError(t *testing.T) {
	db, _ := auditStore(t, 3000)
	errStop := errors.New("stop")
	for _, stopAt := range []int{0, 1, 700, 2999} {
		seen := 0
		err := db.ReadLog(context.Background(), func(s *LogSnapshot) error {
			return s.Records(func(LoggedRecord) error {
				seen++
				if seen > stopAt {
					return errStop
				}
				return nil
			})
		})
		if !errors.Is(err, errStop) || seen != stopAt+1 {
			t.Errorf("stop after %d: %v after %d records", stopAt, err, seen)
		}
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	db, vkey := auditStore(t, 500)
	rep, err := db.Audit(ctx, AuditOptions{})
	if err != nil || !rep.OK() || rep.Size != 501 || len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Verified {
		t.Fatalf("audit of an untouched store: %+v, %v", rep, err)
	}
	// Pinning another key fails the checkpoint; pinning the right one does not.
	_, other, err := ledger.NewKey(rand.Reader, "sqlite.example/log")
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Audit(ctx, AuditOptions{Keys: []string{other}}); err != nil || rep.Counts[audit.BadSignature] != 1 {
		t.Errorf("audit with another key: %v, %v", rep.Findings, err)
	}
	if rep, err := db.Audit(ctx, AuditOptions{Keys: []string{vkey}}); err != nil || !rep.OK() {
		t.Errorf("audit with the key: %v, %v", rep.Findings, err)
	}

	// Change one observation behind the store's back.
	o, err := db.Observation(ctx, "bench-1-000000123")
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(o.Feature)
	changed[len(changed)-3] ^= 1
	if _, err := db.w.Exec(`UPDATE observations SET body = ? WHERE id = ?`, changed, "bench-1-000000123"); err != nil {
		t.Fatal(err)
	}
	rep, err = db.Audit(ctx, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[audit.Changed] != 1 || rep.Findings[0].Record != "bench-1-000000123" || rep.Findings[0].Leaf != int64(o.Leaf) || rep.Checkpoints[0].Verified {
		t.Errorf("audit after a change: %v", rep.Findings)
	}
}

// TestAuditWhileWriting audits a store that is being written to: each
// audit reads one state of the database and finds it whole.
func TestAuditWhileWriting(t *testing.T) {
	ctx := context.Background()
	db, _ := auditStore(t, 1000)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1000; !stop.Load(); i += 50 {
			if _, err := db.AddObservations(ctx, "", storetest.Synthetic(1, i, 50)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	defer wg.Wait()
	defer stop.Store(true)
	for range 5 {
		rep, err := db.Audit(ctx, AuditOptions{})
		if err != nil || !rep.OK() {
			t.Fatalf("audit while writing: %v, %v", rep.Findings, err)
		}
	}
}

// BenchmarkAudit audits a store of 100,000 observations.
func BenchmarkAudit(b *testing.B) {
	const n = 100_000
	db, _ := auditStore(b, n)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		rep, err := db.Audit(ctx, AuditOptions{})
		if err != nil || !rep.OK() {
			b.Fatal(rep.Findings, err)
		}
	}
	b.ReportMetric(float64(n+1)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// testLog checks that every stored record is logged once, in the order the
// log reports, under the hash of its canonical bytes; that proofs from the
// store verify; and that checkpoints and keys are kept across a reopen.
func testLog(t *testing.T, h Harness) {
	s := h.Store
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatalf("LogHead: %v", err)
	}
	if head.Size != 0 || !bytes.Equal(head.Root, ledger.EmptyRoot()) {
		t.Fatalf("empty store: head = %d %x, want the empty tree", head.Size, head.Root)
	}

	// Concurrent adds with duplicates, so that batches mix added and
	// duplicate rows and requests share transactions.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("log-%d-%d", w, i)
				dup := fmt.Sprintf("log-%d-%d", w, i/2) // every other one repeats
				if _, err := s.AddObservations(ctx(t), "", pair(id, dup, i)); err != nil {
					t.Errorf("AddObservations: %v", err)
				}
			}
		})
	}
	wg.Wait()
	head, err = s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != 100 {
		t.Fatalf("log size = %d after 100 distinct observations, want 100", head.Size)
	}
	var leaves [][]byte
	seen := map[string]bool{}
	for i := range head.Size {
		e, err := s.LogEntry(ctx(t), i)
		if err != nil {
			t.Fatalf("LogEntry(%d): %v", i, err)
		}
		if e.Index != i || e.Kind != store.KindObservation || seen[e.Record] {
			t.Fatalf("LogEntry(%d) = %+v: wrong index or kind, or a record logged twice", i, e)
		}
		seen[e.Record] = true
		o, err := s.Observation(ctx(t), e.Record)
		if err != nil {
			t.Fatalf("Observation(%s): %v", e.Record, err)
		}
		if o.Leaf != i {
			t.Errorf("observation %s has leaf %d, the log has it at %d", e.Record, o.Leaf, i)
		}
		if want := ledger.RecordHash(store.KindObservation, o.Feature); !bytes.Equal(e.LeafHash, want) {
			t.Errorf("leaf %d hash %x is not the hash of the stored feature (%x)", i, e.LeafHash, want)
		}
		leaves = append(leaves, e.LeafHash)
	}
	if _, err := s.LogEntry(ctx(t), head.Size); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LogEntry past the end: error %v, want ErrNotFound", err)
	}
	if want := rootOf(leaves); !bytes.Equal(head.Root, want) {
		t.Fatalf("log root %x is not the Merkle root of its leaves %x", head.Root, want)
	}

	// Proofs against the roots of every prefix.
	roots := make([][]byte, len(leaves)+1)
	for n := range roots {
		roots[n] = rootOf(leaves[:n])
	}
	for _, size := range []uint64{1, 2, 7, 64, 99, 100} {
		for _, idx := range []uint64{0, size / 2, size - 1} {
			p, err := s.InclusionProof(ctx(t), idx, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", idx, size, err)
			}
			if err := ledger.VerifyInclusion(idx, size, leaves[idx], p, roots[size]); err != nil {
				t.Errorf("inclusion proof of %d in %d does not verify: %v", idx, size, err)
			}
		}
		for _, from := range []uint64{0, 1, size / 3, size} {
			p, err := s.ConsistencyProof(ctx(t), from, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", from, size, err)
			}
			if err := ledger.VerifyConsistency(from, size, p, roots[from], roots[size]); err != nil {
				t.Errorf("consistency proof %d→%d does not verify: %v", from, size, err)
			}
		}
	}
	for _, bad := range [][2]uint64{{100, 100}, {0, 101}, {5, 3}} {
		if _, err := s.InclusionProof(ctx(t), bad[0], bad[1]); !errors.Is(err, store.ErrBadProofRequest) {
			t.Errorf("InclusionProof(%d, %d): error %v, want ErrBadProofRequest", bad[0], bad[1], err)
		}
	}
	for _, bad := range [][2]uint64{{5, 3}, {0, 101}} {
		if _, err := s.ConsistencyProof(ctx(t), bad[0], bad[1]); !errors.Is(err, store.ErrBadProofRequest) {
			t.Errorf("ConsistencyProof(%d, %d): error %v, want ErrBadProofRequest", bad[0], bad[1], err)
		}
	}

	// Checkpoints and keys are kept, in order, across a reopen.
	if _, err := s.LatestCheckpoint(ctx(t)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestCheckpoint of a store without one: error %v, want ErrNotFound", err)
	}
	at := base.Add(time.Hour)
	cps := []store.StoredCheckpoint{
		{Size: 50, Root: roots[50], IssuedAt: at, Note: []byte("note 50\n")},
		{Size: 100, Root: roots[100], IssuedAt: at.Add(time.Minute), Note: []byte("note 100\n")},
	}
	for _, cp := range cps {
		if err := s.AddCheckpoint(ctx(t), cp); err != nil {
			t.Fatalf("AddCheckpoint: %v", err)
		}
	}
	if err := s.AddLogKey(ctx(t), "test+01234567+key"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLogKey(ctx(t), "test+01234567+key"); err != nil {
		t.Fatalf("AddLogKey twice: %v", err)
	}
	s = h.Reopen()
	got, err := s.Checkpoints(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d checkpoints kept, want 2", len(got))
	}
	for i, cp := range got {
		if cp.Size != cps[i].Size || !bytes.Equal(cp.Root, cps[i].Root) || !cp.IssuedAt.Equal(cps[i].IssuedAt) || !bytes.Equal(cp.Note, cps[i].Note) {
			t.Errorf("checkpoint %d = %+v, want %+v", i, cp, cps[i])
		}
	}
	latest, err := s.LatestCheckpoint(ctx(t))
	if err != nil || latest.Size != 100 {
		t.Errorf("LatestCheckpoint = %+v, %v; want size 100", latest, err)
	}
	keys, err := s.LogKeys(ctx(t))
	if err != nil || len(keys) != 1 || keys[0] != "test+01234567+key" {
		t.Errorf("LogKeys = %v, %v; want the one key", keys, err)
	}
	// The reopened store appends where the log ended.
	mustAdd(t, s, Obs("after-reopen", 37, 48, time.Hour))
	head, err = s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Observation(ctx(t), "after-reopen")
	if err != nil {
		t.Fatal(err)
	}
	leaves = append(leaves, ledger.RecordHash(store.KindObservation, o.Feature))
	if head.Size != 101 || o.Leaf != 100 || !bytes.Equal(head.Root, rootOf(leaves)) {
		t.Errorf("after reopen: size %d, leaf %d, root %x; want 101, 100, %x", head.Size, o.Leaf, head.Root, rootOf(leaves))
	}
}

// pair returns two observations: id, and dup (which may repeat an earlier
// id), i seconds into the test day.
func pair(id, dup string, i int) []observe.Observation {
	return []observe.Observation{Obs(id, 37, 48, time.Duration(i)*time.Second), Obs(dup, 37, 48, time.Duration(i/2)*time.Second)}
}

// rootOf is the Merkle tree hash of leaf hashes, from the definition in RFC
// 6962 section 2.1.
func rootOf(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return ledger.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(rootOf(leaves[:k]))
	h.Write(rootOf(leaves[k:]))
	return h.Sum(nil)
}

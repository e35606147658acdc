package audit

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// fixture is what a store holds: its leaves, kept nodes (every fourth
// level, as the SQLite store keeps them), records and checkpoints.
type fixture struct {
	leaves  []store.LogEntry
	nodes   []ledger.Node
	records []Record
	cps     []store.StoredCheckpoint
	keys    []string
	signer  note.Signer
}

// body is the canonical bytes of record i of the fixture.
func body(i int) []byte { return fmt.Appendf(nil, `{"id":"obs-%02d","n":%d}`, i, i) }

// newFixture logs a terms version and then n-1 observations, keeps
// checkpoints at the given sizes, signed by a fresh key, and the key.
func newFixture(t testing.TB, n int, cpSizes ...uint64) *fixture {
	t.Helper()
	skey, vkey, err := ledger.NewKey(rand.Reader, "audit.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{keys: []string{vkey}, signer: signer}
	var tr ledger.Tree
	for i := range n {
		kind, id := store.KindObservation, fmt.Sprintf("obs-%02d", i)
		if i == 0 {
			kind, id = store.KindTerms, "1"
		}
		h := ledger.RecordHash(kind, body(i))
		idx, nodes, err := tr.Append(h)
		if err != nil {
			t.Fatal(err)
		}
		row := int64(i)
		if i == 0 {
			row = 1
		}
		f.leaves = append(f.leaves, store.LogEntry{Index: idx, Kind: kind, Record: id, LeafHash: h})
		f.records = append(f.records, Record{Kind: kind, ID: id, Row: row, Leaf: idx, HasLeaf: true, Hash: h})
		for _, nd := range nodes {
			if nd.Level > 0 && nd.Level%4 == 0 {
				f.nodes = append(f.nodes, nd)
			}
		}
		for _, s := range cpSizes {
			if s == tr.Size {
				f.sign(t, tr)
			}
		}
	}
	slices.SortFunc(f.nodes, func(a, b ledger.Node) int {
		if a.Level != b.Level {
			return int(a.Level) - int(b.Level)
		}
		return int(a.Index) - int(b.Index)
	})
	return f
}

func (f *fixture) sign(t testing.TB, tr ledger.Tree) {
	root, err := tr.Root()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: f.signer.Name(), Size: tr.Size, Root: root}, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	f.cps = append(f.cps, store.StoredCheckpoint{Seq: int64(len(f.cps) + 1), Size: tr.Size, Root: root, Note: msg})
}

// audit runs an Auditor over the fixture.
func (f *fixture) audit(t testing.TB, opts Options) Report {
	t.Helper()
	a := New(opts)
	for _, e := range f.leaves {
		if err := a.AddLeaf(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range f.nodes {
		if err := a.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range f.records {
		if err := a.AddRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := a.Finish(f.cps, f.keys, func(i uint64) (store.LogEntry, error) {
		for _, e := range f.leaves {
			if e.Index == i {
				return e, nil
			}
		}
		return store.LogEntry{}, fmt.Errorf("leaf %d: %w", i, store.ErrNotFound)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (f *fixture) record(id string) *Record {
	for i := range f.records {
		if f.records[i].ID == id {
			return &f.records[i]
		}
	}
	panic("no record " + id)
}

func (f *fixture) leaf(i uint64) *store.LogEntry {
	for x := range f.leaves {
		if f.leaves[x].Index == i {
			return &f.leaves[x]
		}
	}
	panic(fmt.Sprintf("no leaf %d", i))
}

func (f *fixture) dropLeaf(i uint64) {
	f.leaves = slices.DeleteFunc(f.leaves, func(e store.LogEntry) bool { return e.Index == i })
}

func (f *fixture) dropRecord(id string) {
	f.records = slices.DeleteFunc(f.records, func(r Record) bool { return r.ID == id })
}

// swapLeaves swaps the contents of two leaf rows.
func (f *fixture) swapLeaves(i, j uint64) {
	a, b := f.leaf(i), f.leaf(j)
	a.Kind, b.Kind = b.Kind, a.Kind
	a.Record, b.Record = b.Record, a.Record
	a.LeafHash, b.LeafHash = b.LeafHash, a.LeafHash
}

// swapRows swaps the ids and bytes of two records, keeping their rows and
// leaves.
func (f *fixture) swapRows(x, y string) {
	a, b := f.record(x), f.record(y)
	a.ID, b.ID = b.ID, a.ID
	a.Hash, b.Hash = b.Hash, a.Hash
}

func flip(h []byte) []byte {
	h = bytes.Clone(h)
	h[3] ^= 0x40
	return h
}

// want is a finding a test expects: its kind, leaf (-1 for none), record
// id ("" for any) and a piece of its detail.
type want struct {
	kind   Kind
	leaf   int64
	record string
	detail string
}

func TestAudit(t *testing.T) {
	const n = 44 // kept nodes over leaves 0–15 and 16–31; checkpoints at 10, 25, 40
	tests := []struct {
		name   string
		opts   Options
		mutate func(f *fixture)
		want   []want
		// kinds counts every finding expected, by kind.
		kinds map[Kind]int
	}{
		{name: "untouched", mutate: func(*fixture) {}},
		{
			name: "record changed",
			mutate: func(f *fixture) {
				f.record("obs-17").Hash = ledger.RecordHash(store.KindObservation, []byte(`{"id":"obs-17","n":71}`))
			},
			want: []want{
				{Changed, 17, "obs-17", "the kept node over leaves 16–31 still matches the stored leaf, so the record was changed"},
				{CheckpointMismatch, -1, "", "checkpoint 2 (size 25): the records give the root"},
				{CheckpointMismatch, -1, "", "checkpoint 1 (size 10) still matches, so the change lies in leaves 10–24"},
			},
			kinds: map[Kind]int{Changed: 1, CheckpointMismatch: 2},
		},
		{
			name:   "terms record changed",
			mutate: func(f *fixture) { f.record("1").Hash = flip(f.record("1").Hash) },
			want:   []want{{Changed, 0, "1", "record was changed"}},
			kinds:  map[Kind]int{Changed: 1, CheckpointMismatch: 3},
		},
		{
			name:   "record changed after the last checkpoint",
			mutate: func(f *fixture) { f.record("obs-42").Hash = flip(f.record("obs-42").Hash) },
			want:   []want{{Changed, 42, "obs-42", "no kept node or checkpoint tells"}},
			kinds:  map[Kind]int{Changed: 1},
		},
		{
			name:   "leaf altered under a kept node",
			mutate: func(f *fixture) { f.leaf(5).LeafHash = flip(f.leaf(5).LeafHash) },
			want:   []want{{LeafAltered, 5, "obs-05", "the stored hash of leaf 5 was changed: the record still matches the kept node over leaves 0–15"}},
			kinds:  map[Kind]int{LeafAltered: 1},
		},
		{
			name:   "leaf altered under a checkpoint only",
			mutate: func(f *fixture) { f.leaf(35).LeafHash = flip(f.leaf(35).LeafHash) },
			want:   []want{{LeafAltered, 35, "obs-35", "the record still matches checkpoint 3 (size 40)"}},
			kinds:  map[Kind]int{LeafAltered: 1},
		},
		{
			name:   "record deleted",
			mutate: func(f *fixture) { f.dropRecord("obs-12") },
			want:   []want{{Removed, 12, "obs-12", "no such record is stored"}},
			kinds:  map[Kind]int{Removed: 1},
		},
		{
			name: "record inserted without a leaf",
			mutate: func(f *fixture) {
				f.records = append(f.records, Record{Kind: store.KindObservation, ID: "forged", Row: 99, Hash: ledger.RecordHash(store.KindObservation, []byte("forged"))})
			},
			want:  []want{{Inserted, -1, "forged", "in no leaf of the log"}},
			kinds: map[Kind]int{Inserted: 1},
		},
		{
			name: "record inserted on another's leaf",
			mutate: func(f *fixture) {
				f.records = append(f.records, Record{Kind: store.KindObservation, ID: "forged", Row: 99, Leaf: 7, HasLeaf: true, Hash: ledger.RecordHash(store.KindObservation, []byte("forged"))})
			},
			want:  []want{{Inserted, 7, "forged", "it claims leaf 7, which commits to observation obs-07"}},
			kinds: map[Kind]int{Inserted: 1},
		},
		{
			name:   "record beyond the log",
			mutate: func(f *fixture) { f.record("obs-30").Leaf = 1 << 50 },
			want:   []want{{Reordered, 30, "obs-30", "it claims leaf 1125899906842624, beyond the log's 44 leaves, but its bytes are those of leaf 30, which names it"}},
			kinds:  map[Kind]int{Reordered: 1},
		},
		{
			name: "record inserted beyond the log",
			mutate: func(f *fixture) {
				f.records = append(f.records, Record{Kind: store.KindObservation, ID: "forged", Row: 99, Leaf: 45, HasLeaf: true, Hash: ledger.RecordHash(store.KindObservation, []byte("forged"))})
			},
			want:  []want{{LeafMissing, 45, "forged", "the leaf has no stored row; this record claims it"}},
			kinds: map[Kind]int{LeafMissing: 2},
		},
		{
			name:   "two rows swapped",
			mutate: func(f *fixture) { f.swapRows("obs-05", "obs-06") },
			want: []want{
				{Reordered, 5, "obs-06", "it claims leaf 5 (which names observation obs-05), but its bytes are those of leaf 6, which names it"},
				{Reordered, 6, "obs-05", "its bytes are those of leaf 5"},
			},
			kinds: map[Kind]int{Reordered: 2, CheckpointMismatch: 3},
		},
		{
			name: "two rows and their leaves swapped",
			mutate: func(f *fixture) {
				f.swapRows("obs-05", "obs-06")
				f.swapLeaves(5, 6)
			},
			want: []want{
				{Reordered, 5, "obs-06", "leaves 5 and 6 are in each other's place: leaf 5 holds observation obs-06 and leaf 6 holds observation obs-05, but the kept node (level 4, index 0)"},
				{CheckpointMismatch, -1, "", "the stored leaves do not give it either"},
			},
			kinds: map[Kind]int{Reordered: 1, CheckpointMismatch: 3},
		},
		{
			name: "two leaves swapped across kept nodes",
			mutate: func(f *fixture) {
				f.swapRows("obs-15", "obs-16")
				f.swapLeaves(15, 16)
			},
			want:  []want{{Reordered, 15, "obs-16", "the kept nodes (level 4, index 0) and (level 4, index 1) recompute"}},
			kinds: map[Kind]int{Reordered: 1, CheckpointMismatch: 2},
		},
		{
			name: "leaf columns and leaves swapped",
			mutate: func(f *fixture) {
				f.record("obs-05").Leaf, f.record("obs-06").Leaf = 6, 5
				f.swapLeaves(5, 6)
			},
			want:  []want{{Reordered, 5, "obs-06", "in each other's place"}},
			kinds: map[Kind]int{Reordered: 1, CheckpointMismatch: 3},
		},
		{
			name: "leaves swapped after the kept nodes",
			mutate: func(f *fixture) {
				f.record("obs-33").Leaf, f.record("obs-34").Leaf = 34, 33
				f.swapLeaves(33, 34)
			},
			want:  []want{{Reordered, 33, "obs-34", "before observation obs-33 at leaf 34, which was stored before it"}},
			kinds: map[Kind]int{Reordered: 1, CheckpointMismatch: 1},
		},
		{
			name:   "leaf column cleared",
			mutate: func(f *fixture) { f.record("obs-09").HasLeaf = false },
			want:   []want{{Reordered, 9, "obs-09", "its leaf column is empty, but its bytes are those of leaf 9, which names it"}},
			kinds:  map[Kind]int{Reordered: 1},
		},
		{
			name:   "record id changed",
			mutate: func(f *fixture) { f.record("obs-08").ID = "obs-80" },
			want:   []want{{Changed, 8, "obs-80", "its bytes match leaf 8, but the leaf names observation obs-08"}},
			kinds:  map[Kind]int{Changed: 1},
		},
		{
			name:   "leaf row deleted",
			mutate: func(f *fixture) { f.dropLeaf(20) },
			want:   []want{{LeafMissing, 20, "obs-20", "the leaf has no stored row; this record claims it"}},
			kinds:  map[Kind]int{LeafMissing: 1},
		},
		{
			name: "leaf row and record deleted",
			mutate: func(f *fixture) {
				f.dropLeaf(20)
				f.dropLeaf(21)
				f.dropRecord("obs-20")
				f.dropRecord("obs-21")
			},
			want: []want{
				{LeafMissing, 20, "", "leaves 20–21 have no stored row, and no record claims them"},
				{CheckpointMismatch, -1, "", "checkpoint 2 (size 25) cannot be recomputed: leaf 20, which it covers, has neither a stored row nor a record"},
			},
			kinds: map[Kind]int{LeafMissing: 1, CheckpointMismatch: 2},
		},
		{
			name: "log truncated",
			mutate: func(f *fixture) {
				for i := range uint64(12) {
					f.dropLeaf(32 + i)
					f.dropRecord(fmt.Sprintf("obs-%02d", 32+i))
				}
			},
			want:  []want{{Truncated, -1, "", "checkpoint 3 (size 40) commits to 40 leaves, but the log has 32: leaves 32–39 were removed"}},
			kinds: map[Kind]int{Truncated: 1},
		},
		{
			name: "log truncated below a kept node",
			mutate: func(f *fixture) {
				for i := range uint64(14) {
					f.dropLeaf(30 + i)
					f.dropRecord(fmt.Sprintf("obs-%02d", 30+i))
				}
			},
			want:  []want{{Truncated, -1, "", "a kept node covers leaves up to 31, but the log has 30 leaves"}},
			kinds: map[Kind]int{Truncated: 2},
		},
		{
			name:   "kept node altered",
			mutate: func(f *fixture) { f.nodes[1].Hash = flip(f.nodes[1].Hash) },
			want:   []want{{NodeMismatch, -1, "", "the kept node (level 4, index 1) over leaves 16–31 differs from the one recomputed from them; the leaves under it still match checkpoint 3 (size 40), so the node itself was altered"}},
			kinds:  map[Kind]int{NodeMismatch: 1},
		},
		{
			name:   "kept node missing",
			opts:   Options{NodeStride: 4},
			mutate: func(f *fixture) { f.nodes = f.nodes[1:] },
			want:   []want{{NodeMismatch, -1, "", "the kept node (level 4, index 0) over leaves 0–15 is missing"}},
			kinds:  map[Kind]int{NodeMismatch: 1},
		},
		{
			name:   "checkpoint root column changed",
			mutate: func(f *fixture) { f.cps[1].Root = flip(f.cps[1].Root) },
			want:   []want{{CheckpointMismatch, -1, "", "checkpoint 2 (size 25): the stored size and root"}},
			kinds:  map[Kind]int{CheckpointMismatch: 1},
		},
		{
			name: "checkpoint note changed",
			mutate: func(f *fixture) {
				f.cps[2].Note = bytes.Replace(f.cps[2].Note, []byte("\n40\n"), []byte("\n41\n"), 1)
			},
			want:  []want{{BadSignature, -1, "", "checkpoint 3 (size 40) does not verify"}},
			kinds: map[Kind]int{BadSignature: 1},
		},
		{
			name: "checkpoint signed by another key",
			mutate: func(f *fixture) {
				_, vkey, err := ledger.NewKey(rand.Reader, "audit.example/log")
				if err != nil {
					panic(err)
				}
				f.keys = []string{vkey}
			},
			kinds: map[Kind]int{BadSignature: 3},
		},
		{
			name:   "no key",
			mutate: func(f *fixture) { f.keys = nil },
			want:   []want{{BadSignature, -1, "", "no log key is known"}},
			kinds:  map[Kind]int{BadSignature: 3},
		},
		{
			name:   "bad key",
			mutate: func(f *fixture) { f.keys = append(f.keys, "nonsense") },
			want:   []want{{BadSignature, -1, "", `the log key "nonsense" cannot be read`}},
			kinds:  map[Kind]int{BadSignature: 1},
		},
		{
			name: "stray leaf",
			opts: Options{Leaves: n + 1, Records: n},
			mutate: func(f *fixture) {
				f.leaves = append(f.leaves, store.LogEntry{Index: 1 << 40, Kind: store.KindObservation, Record: "far", LeafHash: make([]byte, 32)})
			},
			want:  []want{{Inserted, 1 << 40, "far", "beyond any index"}},
			kinds: map[Kind]int{Inserted: 1},
		},
		{
			name:   "findings capped",
			opts:   Options{MaxPerKind: 2},
			mutate: func(f *fixture) { f.records = f.records[:1] },
			kinds:  map[Kind]int{Removed: n - 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, n, 10, 25, 40)
			tt.mutate(f)
			rep := f.audit(t, tt.opts)
			var lines []string
			for _, x := range rep.Findings {
				lines = append(lines, x.String())
			}
			got := strings.Join(lines, "\n")
			for k, c := range rep.Counts {
				if c != tt.kinds[k] {
					t.Errorf("%d %s findings, want %d:\n%s", c, k, tt.kinds[k], got)
				}
			}
			for k, c := range tt.kinds {
				if rep.Counts[k] != c {
					t.Errorf("%d %s findings, want %d:\n%s", rep.Counts[k], k, c, got)
				}
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(rep.Findings, func(x Finding) bool {
					return x.Kind == w.kind && x.Leaf == w.leaf && (w.record == "" || x.Record == w.record) && strings.Contains(x.Detail, w.detail)
				}) {
					t.Errorf("no %s finding at leaf %d for %q with %q in:\n%s", w.kind, w.leaf, w.record, w.detail, got)
				}
			}
			if rep.OK() != (len(tt.kinds) == 0) {
				t.Errorf("OK() = %v with %d findings", rep.OK(), rep.Total())
			}
			if max := cmpOr(tt.opts.MaxPerKind, 1000); len(rep.Findings) > max*len(Kinds()) {
				t.Errorf("%d findings detailed, want at most %d of each kind", len(rep.Findings), max)
			}
		})
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestAuditCheckpoints(t *testing.T) {
	f := newFixture(t, 44, 0, 10, 25, 40, 44)
	rep := f.audit(t, Options{NodeStride: 4})
	if !rep.OK() {
		t.Fatalf("findings: %v", rep.Findings)
	}
	if rep.Size != 44 || rep.LeafRows != 44 || rep.Records[store.KindObservation] != 43 || rep.Records[store.KindTerms] != 1 || rep.Nodes != 2 {
		t.Errorf("report %+v", rep)
	}
	var sizes []string
	for _, c := range rep.Checkpoints {
		if !c.Signed || !c.Verified || c.Origin != "audit.example/log" {
			t.Errorf("checkpoint %+v not verified", c)
		}
		sizes = append(sizes, strconv.FormatUint(c.Size, 10))
	}
	if got := strings.Join(sizes, ","); got != "10,25,40,44" {
		t.Errorf("checkpoints of sizes %s", got)
	}
}

// TestAuditLarge checks a log with kept nodes on two levels, a node of
// the upper level altered, and a record changed far from it.
func TestAuditLarge(t *testing.T) {
	const n = 5000
	f := newFixture(t, n, 1000, 4097, n)
	clean := f.audit(t, Options{NodeStride: 4, Leaves: n, Records: n})
	if !clean.OK() {
		t.Fatalf("findings on a clean log: %v", clean.Findings)
	}
	for i := range f.nodes {
		if f.nodes[i].Level == 8 && f.nodes[i].Index == 3 {
			f.nodes[i].Hash = flip(f.nodes[i].Hash)
		}
	}
	f.record("obs-4500").Hash = flip(f.record("obs-4500").Hash)
	rep := f.audit(t, Options{NodeStride: 4, Leaves: n, Records: n})
	got := fmt.Sprint(rep.Findings)
	if rep.Counts[NodeMismatch] != 1 || !strings.Contains(got, "(level 8, index 3) over leaves 768–1023 differs from the one recomputed from them; the kept node (level 12, index 0) above it still matches the leaves, so this node itself was altered") {
		t.Errorf("node finding missing: %s", got)
	}
	if rep.Counts[Changed] != 1 || !strings.Contains(got, "changed: observation obs-4500 at leaf 4500") {
		t.Errorf("changed finding missing: %s", got)
	}
}

func TestAuditOrder(t *testing.T) {
	a := New(Options{})
	h := ledger.RecordHash("observation", nil)
	if err := a.AddLeaf(store.LogEntry{Index: 3, LeafHash: h}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddLeaf(store.LogEntry{Index: 3, LeafHash: h}); !errors.Is(err, errOrder) {
		t.Errorf("a leaf fed twice: %v", err)
	}
	if err := a.AddRecord(Record{Kind: "observation", ID: "x", Hash: h}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddLeaf(store.LogEntry{Index: 4, LeafHash: h}); !errors.Is(err, errOrder) {
		t.Errorf("a leaf after a record: %v", err)
	}
	if err := a.AddNode(ledger.Node{Level: 4, Hash: h}); !errors.Is(err, errOrder) {
		t.Errorf("a node after a record: %v", err)
	}
	if err := a.AddRecord(Record{Kind: "observation", ID: "y", Hash: h[:5]}); err == nil {
		t.Error("a record with a short hash was accepted")
	}
	leaf := func(i uint64) (store.LogEntry, error) { return store.LogEntry{Index: i}, nil }
	if _, err := a.Finish(nil, nil, leaf); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Finish(nil, nil, leaf); !errors.Is(err, errOrder) {
		t.Errorf("Finish twice: %v", err)
	}
}

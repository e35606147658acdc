package ledger

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
)

// mth is the Merkle Tree Hash of RFC 6962 section 2.1, written from the
// definition as an independent reference: MTH({}) = SHA-256(),
// MTH({d0}) = HashLeaf(d0), MTH(D[n]) = HashChildren(MTH(D[0:k]), MTH(D[k:n]))
// with k the largest power of two smaller than n.
func mth(leaves [][]byte) []byte {
	h := rfc6962.DefaultHasher
	switch n := len(leaves); n {
	case 0:
		return h.EmptyRoot()
	case 1:
		return h.HashLeaf(leaves[0])
	default:
		k := splitPoint(n)
		return h.HashChildren(mth(leaves[:k]), mth(leaves[k:]))
	}
}

// splitPoint returns the largest power of two smaller than n (n > 1).
func splitPoint(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// memStore keeps every node hash reported by Tree.Append, as the store will.
type memStore map[[2]uint64][]byte

func (m memStore) put(nodes []Node) {
	for _, n := range nodes {
		m[[2]uint64{uint64(n.Level), n.Index}] = n.Hash
	}
}

func (m memStore) node(level uint, index uint64) ([]byte, error) {
	h, ok := m[[2]uint64{uint64(level), index}]
	if !ok {
		return nil, fmt.Errorf("no node (%d, %d)", level, index)
	}
	return append([]byte(nil), h...), nil
}

func leafData(i int) []byte { return fmt.Appendf(nil, `{"record":%d}`, i) }

// buildTree appends n leaves and returns the tree, the stored nodes and the
// leaf data.
func buildTree(t testing.TB, n int) (Tree, memStore, [][]byte) {
	t.Helper()
	var tree Tree
	store := memStore{}
	var data [][]byte
	for i := range n {
		d := leafData(i)
		data = append(data, d)
		idx, nodes, err := tree.Append(LeafHash(d))
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("append %d: index %d", i, idx)
		}
		store.put(nodes)
	}
	return tree, store, data
}

func TestLeafHash(t *testing.T) {
	// RFC 6962 leaf hash of the empty string: SHA-256(0x00).
	const want = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
	if got := fmt.Sprintf("%x", LeafHash(nil)); got != want {
		t.Errorf("LeafHash(nil) = %s, want %s", got, want)
	}
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := fmt.Sprintf("%x", EmptyRoot()); got != empty {
		t.Errorf("EmptyRoot() = %s, want %s", got, empty)
	}
}

func TestAppendRootMatchesMTH(t *testing.T) {
	var tree Tree
	store := memStore{}
	var data [][]byte
	for n := 0; n <= 130; n++ {
		root, err := tree.Root()
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if want := mth(data); !bytes.Equal(root, want) {
			t.Fatalf("size %d: root %x, want %x", n, root, want)
		}
		if len(tree.Border) != len(BorderNodes(tree.Size)) {
			t.Fatalf("size %d: %d border hashes, BorderNodes says %d", n, len(tree.Border), len(BorderNodes(tree.Size)))
		}
		// Restore from stored nodes gives the same tree and root.
		restored, err := Restore(tree.Size, store.node)
		if err != nil {
			t.Fatalf("size %d: restore: %v", n, err)
		}
		rroot, err := restored.Root()
		if err != nil || !bytes.Equal(rroot, root) {
			t.Fatalf("size %d: restored root %x (%v), want %x", n, rroot, err, root)
		}
		at, err := RootAt(tree.Size, store.node)
		if err != nil || !bytes.Equal(at, root) {
			t.Fatalf("size %d: RootAt %x (%v), want %x", n, at, err, root)
		}

		d := leafData(n)
		data = append(data, d)
		_, nodes, err := tree.Append(LeafHash(d))
		if err != nil {
			t.Fatal(err)
		}
		// Every reported node is the MTH of the perfect subtree it roots.
		for _, nd := range nodes {
			lo, hi := nd.Index<<nd.Level, (nd.Index+1)<<nd.Level
			if want := mth(data[lo:hi]); !bytes.Equal(nd.Hash, want) {
				t.Fatalf("append %d: node (%d,%d) = %x, want %x", n, nd.Level, nd.Index, nd.Hash, want)
			}
		}
		store.put(nodes)
	}
}

func TestAppendDoesNotAlias(t *testing.T) {
	tree, _, _ := buildTree(t, 5) // border: level 2 and level 0
	saved := tree                 // a copy sharing Border's backing array
	savedRoot, _ := saved.Root()
	if _, _, err := tree.Append(LeafHash([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := saved.Root(); !bytes.Equal(got, savedRoot) {
		t.Fatal("Append modified the border of a copied tree")
	}
}

func TestAppendRejectsBadLeaf(t *testing.T) {
	tree, _, _ := buildTree(t, 3)
	before := tree
	if _, _, err := tree.Append([]byte("short")); err == nil {
		t.Fatal("Append accepted a 5-byte leaf hash")
	}
	if tree.Size != before.Size || len(tree.Border) != len(before.Border) {
		t.Fatal("failed Append changed the tree")
	}
}

func TestNewTreeValidates(t *testing.T) {
	h := LeafHash(nil)
	tests := []struct {
		name   string
		size   uint64
		border [][]byte
		ok     bool
	}{
		{"empty", 0, nil, true},
		{"one", 1, [][]byte{h}, true},
		{"three", 3, [][]byte{h, h}, true},
		{"too few", 3, [][]byte{h}, false},
		{"too many", 4, [][]byte{h, h}, false},
		{"empty with hash", 0, [][]byte{h}, false},
		{"short hash", 1, [][]byte{h[:31]}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := NewTree(tc.size, tc.border)
			if (err == nil) != tc.ok {
				t.Fatalf("NewTree(%d, %d hashes) error = %v, want ok=%v", tc.size, len(tc.border), err, tc.ok)
			}
			// Root of a hand-made tree reports the same problem instead of panicking.
			_, rerr := Tree{Size: tc.size, Border: tc.border}.Root()
			if (rerr == nil) != tc.ok {
				t.Fatalf("Root error = %v, want ok=%v", rerr, tc.ok)
			}
			if tc.ok && tree.Size != tc.size {
				t.Fatalf("size %d, want %d", tree.Size, tc.size)
			}
		})
	}
}

func TestRestoreMissingNode(t *testing.T) {
	_, store, _ := buildTree(t, 7)
	delete(store, [2]uint64{2, 0})
	if _, err := Restore(7, store.node); err == nil {
		t.Fatal("Restore succeeded with a missing node")
	}
}

func BenchmarkAppend(b *testing.B) {
	var tree Tree
	leaf := LeafHash([]byte("record"))
	for b.Loop() {
		if _, _, err := tree.Append(leaf); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRecordHash(t *testing.T) {
	body := []byte(`{"id":"a"}`)
	want := LeafHash([]byte("observation\n" + string(body)))
	if got := RecordHash("observation", body); !bytes.Equal(got, want) {
		t.Errorf("RecordHash = %x, want %x", got, want)
	}
	if bytes.Equal(RecordHash("observation", body), RecordHash("decision", body)) {
		t.Error("records of two kinds with the same bytes have the same leaf hash")
	}
}

func TestPerfectRoot(t *testing.T) {
	for _, n := range []int{1, 2, 4, 8, 64} {
		leaves := make([][]byte, n)
		var data [][]byte
		for i := range n {
			data = append(data, leafData(i))
			leaves[i] = LeafHash(leafData(i))
		}
		got, err := PerfectRoot(leaves)
		if err != nil {
			t.Fatalf("PerfectRoot(%d): %v", n, err)
		}
		if want := mth(data); !bytes.Equal(got, want) {
			t.Errorf("PerfectRoot(%d) = %x, want %x", n, got, want)
		}
	}
	for _, n := range []int{0, 3, 6} {
		if _, err := PerfectRoot(make([][]byte, n)); err == nil {
			t.Errorf("PerfectRoot of %d hashes: no error", n)
		}
	}
	if _, err := PerfectRoot([][]byte{{1, 2}}); err == nil {
		t.Error("PerfectRoot of a short hash: no error")
	}
}

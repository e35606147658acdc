package ledgertest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

// nodeStore keeps every node hash reported by ledger.Tree.Append, as the
// server's store does, and serves them as a ledger.NodeFunc.
type nodeStore map[[2]uint64][]byte

func (s nodeStore) node(level uint, index uint64) ([]byte, error) {
	h, ok := s[[2]uint64{uint64(level), index}]
	if !ok {
		return nil, fmt.Errorf("no node (%d, %d)", level, index)
	}
	return append([]byte(nil), h...), nil
}

// ledgerLog is a log of n records built with package ledger: its node store,
// the leaf hashes computed here, and the ledger's root for every size.
type ledgerLog struct {
	store  nodeStore
	leaves [][]byte // LeafHash of each record, computed by this package
	roots  [][]byte // roots[n] is the ledger's root of the first n leaves
	data   [][]byte // the records
	tree   ledger.Tree
}

// buildLog appends n records to a ledger tree, checking on the way that the
// ledger's leaf hashes and roots agree with LeafHash and RootOf.
func buildLog(t testing.TB, n int) *ledgerLog {
	t.Helper()
	l := &ledgerLog{store: nodeStore{}}
	root, err := l.tree.Root()
	if err != nil {
		t.Fatal(err)
	}
	l.roots = append(l.roots, root)
	for i := range n {
		d := fmt.Appendf(nil, `{"record":%d}`, i)
		lh := LeafHash(d)
		if !bytes.Equal(lh, ledger.LeafHash(d)) {
			t.Fatalf("record %d: LeafHash %x, ledger.LeafHash %x", i, lh, ledger.LeafHash(d))
		}
		idx, nodes, err := l.tree.Append(ledger.LeafHash(d))
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("append %d: index %d", i, idx)
		}
		for _, nd := range nodes {
			l.store[[2]uint64{uint64(nd.Level), nd.Index}] = nd.Hash
		}
		root, err := l.tree.Root()
		if err != nil {
			t.Fatal(err)
		}
		l.data = append(l.data, d)
		l.leaves = append(l.leaves, lh)
		l.roots = append(l.roots, root)
	}
	return l
}

// flipBit returns a deep copy of p with bit (bit mod 8*len) of element i
// inverted.
func flipBit(p [][]byte, i, bit int) [][]byte {
	q := make([][]byte, len(p))
	for j := range p {
		q[j] = append([]byte(nil), p[j]...)
	}
	bit %= 8 * len(q[i])
	q[i][bit/8] ^= 1 << (bit % 8)
	return q
}

// flip returns a copy of h with one bit inverted.
func flip(h []byte, bit int) []byte {
	return flipBit([][]byte{h}, 0, bit)[0]
}

func equalProofs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

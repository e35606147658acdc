package ledger

import (
	"bytes"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// refPath is PATH(m, D[n]) of RFC 6962 section 2.1.1, from the definition.
func refPath(m int, leaves [][]byte) [][]byte {
	n := len(leaves)
	if n <= 1 {
		return nil
	}
	k := splitPoint(n)
	if m < k {
		return append(refPath(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(refPath(m-k, leaves[k:]), mth(leaves[:k]))
}

// refSubproof is SUBPROOF(m, D[n], b) of RFC 6962 section 2.1.2.
func refSubproof(m int, leaves [][]byte, b bool) [][]byte {
	n := len(leaves)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{mth(leaves)}
	}
	k := splitPoint(n)
	if m <= k {
		return append(refSubproof(m, leaves[:k], b), mth(leaves[k:]))
	}
	return append(refSubproof(m-k, leaves[k:], false), mth(leaves[:k]))
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

// tamper returns a copy of p with one byte of element i flipped.
func tamper(p [][]byte, i int) [][]byte {
	q := make([][]byte, len(p))
	for j := range p {
		q[j] = append([]byte(nil), p[j]...)
	}
	q[i][0] ^= 1
	return q
}

const maxProofSize = 40

func TestInclusionProofs(t *testing.T) {
	_, store, data := buildTree(t, maxProofSize)
	h := rfc6962.DefaultHasher
	for size := 1; size <= maxProofSize; size++ {
		root := mth(data[:size])
		for index := range size {
			p, err := InclusionProof(uint64(index), uint64(size), store.node)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			if want := refPath(index, data[:size]); !equalProofs(p, want) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", index, size)
			}
			leaf := LeafHash(data[index])
			if err := proof.VerifyInclusion(h, uint64(index), uint64(size), leaf, p, root); err != nil {
				t.Fatalf("proof.VerifyInclusion(%d, %d): %v", index, size, err)
			}
			if err := VerifyInclusion(uint64(index), uint64(size), leaf, p, root); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", index, size, err)
			}
			// A changed record fails.
			bad := LeafHash(append(append([]byte(nil), data[index]...), ' '))
			if VerifyInclusion(uint64(index), uint64(size), bad, p, root) == nil {
				t.Fatalf("(%d, %d): tampered leaf verified", index, size)
			}
			// A changed proof node fails.
			for i := range p {
				if VerifyInclusion(uint64(index), uint64(size), leaf, tamper(p, i), root) == nil {
					t.Fatalf("(%d, %d): tampered proof node %d verified", index, size, i)
				}
			}
			// The leaf at another index fails (reordering).
			if size > 1 {
				other := (index + 1) % size
				if VerifyInclusion(uint64(other), uint64(size), leaf, p, root) == nil {
					t.Fatalf("(%d, %d): proof verified at index %d", index, size, other)
				}
			}
		}
	}
}

func TestInclusionProofErrors(t *testing.T) {
	_, store, _ := buildTree(t, 8)
	if _, err := InclusionProof(8, 8, store.node); err == nil {
		t.Error("InclusionProof accepted index == size")
	}
	delete(store, [2]uint64{0, 1})
	if _, err := InclusionProof(0, 8, store.node); err == nil {
		t.Error("InclusionProof succeeded with a missing node")
	}
	store[[2]uint64{0, 1}] = []byte("short")
	if _, err := InclusionProof(0, 8, store.node); err == nil {
		t.Error("InclusionProof accepted a short stored hash")
	}
}

func TestConsistencyProofs(t *testing.T) {
	_, store, data := buildTree(t, maxProofSize)
	h := rfc6962.DefaultHasher
	for to := 0; to <= maxProofSize; to++ {
		root2 := mth(data[:to])
		for from := 0; from <= to; from++ {
			root1 := mth(data[:from])
			p, err := ConsistencyProof(uint64(from), uint64(to), store.node)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", from, to, err)
			}
			if from > 0 {
				if want := refSubproof(from, data[:to], true); !equalProofs(p, want) {
					t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", from, to)
				}
			}
			if err := proof.VerifyConsistency(h, uint64(from), uint64(to), p, root1, root2); err != nil {
				t.Fatalf("proof.VerifyConsistency(%d, %d): %v", from, to, err)
			}
			if err := VerifyConsistency(uint64(from), uint64(to), p, root1, root2); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", from, to, err)
			}
			if from == 0 {
				continue // every tree is consistent with the empty tree
			}
			// A history rewritten before size from fails: change leaf 0.
			alt := append([][]byte{[]byte("rewritten")}, data[1:to]...)
			if VerifyConsistency(uint64(from), uint64(to), p, mth(alt[:from]), root2) == nil {
				t.Fatalf("(%d, %d): tampered old root verified", from, to)
			}
			if from < to && VerifyConsistency(uint64(from), uint64(to), p, root1, mth(alt)) == nil {
				t.Fatalf("(%d, %d): tampered new root verified", from, to)
			}
			for i := range p {
				if VerifyConsistency(uint64(from), uint64(to), tamper(p, i), root1, root2) == nil {
					t.Fatalf("(%d, %d): tampered proof node %d verified", from, to, i)
				}
			}
		}
	}
}

func TestConsistencyProofErrors(t *testing.T) {
	_, store, _ := buildTree(t, 8)
	if _, err := ConsistencyProof(5, 4, store.node); err == nil {
		t.Error("ConsistencyProof accepted from > to")
	}
	delete(store, [2]uint64{2, 1})
	if _, err := ConsistencyProof(3, 8, store.node); err == nil {
		t.Error("ConsistencyProof succeeded with a missing node")
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	const n = 1 << 16
	_, store, _ := buildTree(b, n)
	for b.Loop() {
		if _, err := InclusionProof(12345, n, store.node); err != nil {
			b.Fatal(err)
		}
	}
}

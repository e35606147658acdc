package ledger

import (
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// InclusionProof returns the RFC 6962 inclusion proof (audit path) of the
// leaf at index in the tree of the given size, built from stored node hashes.
// It requires index < size.
func InclusionProof(index, size uint64, node NodeFunc) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	p, err := rehash(nodes, node)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of leaf %d in tree of size %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of sizes from and to, built from stored node hashes. It requires
// from <= to; the proof is empty when from is 0 or from equals to.
func ConsistencyProof(from, to uint64, node NodeFunc) ([][]byte, error) {
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	p, err := rehash(nodes, node)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from size %d to %d: %w", from, to, err)
	}
	return p, nil
}

func rehash(nodes proof.Nodes, node NodeFunc) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := fetch(node, id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, hashChildren)
}

// VerifyInclusion checks that leafHash is the leaf at index in the tree of
// the given size whose root hash is root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, p, root); err != nil {
		return fmt.Errorf("verify inclusion of leaf %d in tree of size %d: %w", index, size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of size from with root hash root1 is
// a prefix of the tree of size to with root hash root2.
func VerifyConsistency(from, to uint64, p [][]byte, root1, root2 []byte) error {
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, from, to, p, root1, root2); err != nil {
		return fmt.Errorf("verify consistency from size %d to %d: %w", from, to, err)
	}
	return nil
}

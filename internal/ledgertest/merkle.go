package ledgertest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// hashSize is the size of every leaf, node and root hash (SHA-256).
const hashSize = sha256.Size

// LeafHash returns the RFC 6962 leaf hash of data: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(data)
	return h.Sum(nil)
}

// nodeHash returns the RFC 6962 interior node hash SHA-256(0x01 || l || r).
func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0x01})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// emptyRoot returns the root hash of the empty tree, SHA-256 of no bytes.
func emptyRoot() []byte {
	sum := sha256.Sum256(nil)
	return sum[:]
}

// RootOf returns the RFC 6962 Merkle Tree Hash of the tree whose leaves have
// the given leaf hashes (see LeafHash), computed recursively from the
// definition in RFC 6962 section 2.1: the empty tree hashes to SHA-256 of no
// bytes, a single leaf to its leaf hash, and n > 1 leaves to
// nodeHash(MTH(first k), MTH(rest)) where k is the largest power of two
// smaller than n. It is meant for tests: it takes time linear in n and
// recursion depth logarithmic in n.
func RootOf(leafHashes [][]byte) []byte {
	switch n := len(leafHashes); n {
	case 0:
		return emptyRoot()
	case 1:
		return append([]byte(nil), leafHashes[0]...)
	default:
		k := 1
		for k<<1 < n {
			k <<= 1
		}
		return nodeHash(RootOf(leafHashes[:k]), RootOf(leafHashes[k:]))
	}
}

// checkHash reports an error unless h has the size of a SHA-256 hash.
func checkHash(what string, h []byte) error {
	if len(h) != hashSize {
		return fmt.Errorf("%s has %d bytes, want %d", what, len(h), hashSize)
	}
	return nil
}

// checkProofHashes reports an error unless every proof element has the size
// of a SHA-256 hash.
func checkProofHashes(proof [][]byte) error {
	for i, p := range proof {
		if err := checkHash(fmt.Sprintf("proof hash %d", i), p); err != nil {
			return err
		}
	}
	return nil
}

// VerifyInclusion checks that leafHash is the leaf at index in the tree of
// the given size whose root hash is root, given the inclusion proof (audit
// path) proof. It follows the verification algorithm of RFC 9162 section
// 2.1.3.2 step by step. It returns an error if index >= size, if any hash is
// not 32 bytes long, if the proof has too many or too few elements for index
// and size, or if the root computed from the proof differs from root.
func VerifyInclusion(index, size uint64, leafHash []byte, proof [][]byte, root []byte) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("inclusion of leaf %d in tree of size %d: %s", index, size, fmt.Sprintf(format, args...))
	}
	// 1. Compare leaf_index against tree_size.
	if index >= size {
		return fail("index is not smaller than the tree size")
	}
	if err := checkHash("leaf hash", leafHash); err != nil {
		return fail("%v", err)
	}
	if err := checkHash("root", root); err != nil {
		return fail("%v", err)
	}
	if err := checkProofHashes(proof); err != nil {
		return fail("%v", err)
	}
	// 2. Set fn to leaf_index and sn to tree_size - 1.
	fn, sn := index, size-1
	// 3. Set r to hash.
	r := leafHash
	// 4. For each value p in the inclusion_path array:
	for _, p := range proof {
		// a. If sn is 0, stop the iteration and fail the proof verification.
		if sn == 0 {
			return fail("proof has %d hashes, too many", len(proof))
		}
		// b. If LSB(fn) is set, or if fn is equal to sn, then:
		if fn&1 == 1 || fn == sn {
			// i. Set r to HASH(0x01 || p || r).
			r = nodeHash(p, r)
			// ii. If LSB(fn) is not set, then right-shift both fn and sn
			// equally until either LSB(fn) is set or fn is 0.
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			// Otherwise: Set r to HASH(0x01 || r || p).
			r = nodeHash(r, p)
		}
		// c. Finally, right-shift both fn and sn one time.
		fn >>= 1
		sn >>= 1
	}
	// 5. Compare sn to 0. Compare r against the root_hash.
	if sn != 0 {
		return fail("proof has %d hashes, too few", len(proof))
	}
	if !bytes.Equal(r, root) {
		return fail("computed root %x does not match root %x", r, root)
	}
	return nil
}

// VerifyConsistency checks that the tree of size1 leaves with root hash root1
// is a prefix of the tree of size2 leaves with root hash root2, given the
// consistency proof proof. For 0 < size1 < size2 it follows the verification
// algorithm of RFC 9162 section 2.1.4.2 step by step. The edge cases, which
// that algorithm leaves out, are: size1 > size2 is an error; size1 == size2
// requires an empty proof and equal roots; size1 == 0 requires an empty
// proof (every tree extends the empty tree). In every case both roots must
// be 32 bytes long, and a root claimed for size 0 must be the empty-tree
// hash, SHA-256 of no bytes.
func VerifyConsistency(size1, size2 uint64, proof [][]byte, root1, root2 []byte) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("consistency from size %d to size %d: %s", size1, size2, fmt.Sprintf(format, args...))
	}
	if err := checkHash("first root", root1); err != nil {
		return fail("%v", err)
	}
	if err := checkHash("second root", root2); err != nil {
		return fail("%v", err)
	}
	if err := checkProofHashes(proof); err != nil {
		return fail("%v", err)
	}
	if size1 == 0 && !bytes.Equal(root1, emptyRoot()) {
		return fail("first root %x is not the empty-tree hash", root1)
	}
	switch {
	case size1 > size2:
		return fail("first size is larger than second size")
	case size1 == size2:
		if len(proof) != 0 {
			return fail("proof between equal sizes has %d hashes, want none", len(proof))
		}
		if !bytes.Equal(root1, root2) {
			return fail("roots %x and %x differ for equal sizes", root1, root2)
		}
		return nil
	case size1 == 0:
		if len(proof) != 0 {
			return fail("proof from the empty tree has %d hashes, want none", len(proof))
		}
		return nil
	}
	// 1. If consistency_path is an empty array, stop and fail the proof
	// verification.
	if len(proof) == 0 {
		return fail("proof is empty")
	}
	// 2. If first is an exact power of 2, then prepend first_hash to the
	// consistency_path array.
	path := proof
	if size1&(size1-1) == 0 {
		path = append([][]byte{root1}, proof...)
	}
	// 3. Set fn to first - 1 and sn to second - 1.
	fn, sn := size1-1, size2-1
	// 4. If LSB(fn) is set, then right-shift both fn and sn equally until
	// LSB(fn) is not set.
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	// 5. Set both fr and sr to the first value in the consistency_path array.
	fr, sr := path[0], path[0]
	// 6. For each subsequent value c in the consistency_path array:
	for _, c := range path[1:] {
		// a. If sn is 0, then stop the iteration and fail the proof
		// verification.
		if sn == 0 {
			return fail("proof has %d hashes, too many", len(proof))
		}
		// b. If LSB(fn) is set, or if fn is equal to sn, then:
		if fn&1 == 1 || fn == sn {
			// i. Set fr to HASH(0x01 || c || fr).
			//    Set sr to HASH(0x01 || c || sr).
			fr = nodeHash(c, fr)
			sr = nodeHash(c, sr)
			// ii. If LSB(fn) is not set, then right-shift both fn and sn
			// equally until either LSB(fn) is set or fn is 0.
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			// Otherwise: Set sr to HASH(0x01 || sr || c).
			sr = nodeHash(sr, c)
		}
		// c. Finally, right-shift both fn and sn one time.
		fn >>= 1
		sn >>= 1
	}
	// 7. Verify that fr equals first_hash, that sr equals second_hash, and
	// that sn is 0.
	if sn != 0 {
		return fail("proof has %d hashes, too few", len(proof))
	}
	if !bytes.Equal(fr, root1) {
		return fail("computed first root %x does not match %x", fr, root1)
	}
	if !bytes.Equal(sr, root2) {
		return fail("computed second root %x does not match %x", sr, root2)
	}
	return nil
}

// Package ledger is the functional core of guarantor's tamper-evident log.
//
// It hashes records into an RFC 6962 / RFC 9162 Merkle tree, keeps the
// tree's state as plain values that the store persists, builds and verifies
// inclusion and consistency proofs from stored node hashes, and formats,
// parses, signs and opens checkpoints in the C2SP tlog-checkpoint format.
//
// The package does no I/O and holds no mutable global state: callers pass in
// values (and, for proofs, a function that looks up stored node hashes) and
// get values back. Merkle hashing and proofs come from
// github.com/transparency-dev/merkle; signed notes from
// golang.org/x/mod/sumdb/note.
package ledger

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size in bytes of every leaf, node and root hash (SHA-256).
const HashSize = 32

// LeafHash returns the RFC 6962 leaf hash, SHA-256(0x00 || canonical), of a
// record's canonical bytes.
func LeafHash(canonical []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(canonical)
}

// RecordHash returns the leaf hash under which a record of the given kind
// ("observation", and the kinds later features add) is logged: the RFC 6962
// leaf hash of the kind, a newline, and the record's canonical bytes. The
// kind is part of the leaf so that a record cannot be passed off as one of
// another kind with the same bytes.
func RecordHash(kind string, canonical []byte) []byte {
	data := make([]byte, 0, len(kind)+1+len(canonical))
	data = append(data, kind...)
	data = append(data, '\n')
	data = append(data, canonical...)
	return LeafHash(data)
}

// EmptyRoot returns the root hash of the empty tree, SHA-256 of no bytes.
func EmptyRoot() []byte {
	return rfc6962.DefaultHasher.EmptyRoot()
}

// hashChildren is the RFC 6962 interior node hash, SHA-256(0x01 || l || r).
func hashChildren(l, r []byte) []byte {
	return rfc6962.DefaultHasher.HashChildren(l, r)
}

// Node is one node hash of the tree, addressed by its level (0 for leaves)
// and its index within that level. Only nodes that root perfect subtrees are
// ever reported, so a node's hash never changes once it has been produced.
type Node struct {
	Level uint
	Index uint64
	Hash  []byte
}

// NodeFunc looks up the stored hash of the perfect-subtree node at
// (level, index). It returns an error if the node is not stored.
type NodeFunc func(level uint, index uint64) ([]byte, error)

// Tree is the state of an append-only Merkle tree as plain values: the number
// of leaves and the compact-range border, that is the hashes of the roots of
// the perfect subtrees that cover leaves [0, Size), left to right (one per set
// bit of Size, largest first). The zero Tree is the empty tree.
//
// A Tree is a value: store Size and Border, and restore them later with
// NewTree or Restore.
type Tree struct {
	// Size is the number of leaves.
	Size uint64
	// Border holds the perfect-subtree root hashes covering [0, Size).
	Border [][]byte
}

// NewTree returns the tree of the given size with the given border hashes,
// checking that the number and length of the hashes fit the size.
func NewTree(size uint64, border [][]byte) (Tree, error) {
	t := Tree{Size: size, Border: border}
	if _, err := t.compactRange(); err != nil {
		return Tree{}, err
	}
	return t, nil
}

// Restore rebuilds the tree of the given size from stored node hashes,
// fetching exactly the border nodes that cover leaves [0, size).
func Restore(size uint64, node NodeFunc) (Tree, error) {
	ids := compact.RangeNodes(0, size, nil)
	border := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := fetch(node, id)
		if err != nil {
			return Tree{}, fmt.Errorf("restore tree of size %d: %w", size, err)
		}
		border[i] = h
	}
	return NewTree(size, border)
}

// BorderNodes returns the (level, index) addresses of the border nodes of a
// tree of the given size, in the order of Tree.Border.
func BorderNodes(size uint64) []Node {
	ids := compact.RangeNodes(0, size, nil)
	nodes := make([]Node, len(ids))
	for i, id := range ids {
		nodes[i] = Node{Level: id.Level, Index: id.Index}
	}
	return nodes
}

// compactRange returns a compact range over a copy of the border, so that
// appending never writes into t.Border's backing array.
func (t Tree) compactRange() (*compact.Range, error) {
	for i, h := range t.Border {
		if len(h) != HashSize {
			return nil, fmt.Errorf("tree of size %d: border hash %d has %d bytes, want %d", t.Size, i, len(h), HashSize)
		}
	}
	f := &compact.RangeFactory{Hash: hashChildren}
	border := make([][]byte, len(t.Border))
	copy(border, t.Border)
	r, err := f.NewRange(0, t.Size, border)
	if err != nil {
		return nil, fmt.Errorf("tree of size %d: %w", t.Size, err)
	}
	return r, nil
}

// Append adds a leaf hash (see LeafHash) to the tree and returns the leaf's
// index together with every node hash the append produced: the leaf itself
// at level 0 and each perfect subtree it completes. The store keeps all of
// them so that proofs can be built later. The receiver is updated in place;
// on error it is unchanged.
func (t *Tree) Append(leafHash []byte) (index uint64, newNodes []Node, err error) {
	if len(leafHash) != HashSize {
		return 0, nil, fmt.Errorf("append to tree of size %d: leaf hash has %d bytes, want %d", t.Size, len(leafHash), HashSize)
	}
	r, err := t.compactRange()
	if err != nil {
		return 0, nil, fmt.Errorf("append: %w", err)
	}
	index = t.Size
	leaf := append([]byte(nil), leafHash...)
	err = r.Append(leaf, func(id compact.NodeID, hash []byte) {
		newNodes = append(newNodes, Node{Level: id.Level, Index: id.Index, Hash: hash})
	})
	if err != nil {
		return 0, nil, fmt.Errorf("append to tree of size %d: %w", t.Size, err)
	}
	t.Size, t.Border = r.End(), r.Hashes()
	return index, newNodes, nil
}

// Root returns the tree's root hash (EmptyRoot for the empty tree), or an
// error if Size and Border do not fit together.
func (t Tree) Root() ([]byte, error) {
	if t.Size == 0 && len(t.Border) == 0 {
		return EmptyRoot(), nil
	}
	r, err := t.compactRange()
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("root of tree of size %d: %w", t.Size, err)
	}
	return root, nil
}

// PerfectRoot returns the root hash of the perfect subtree whose 2^k
// children, left to right, have the given hashes (leaf hashes, or the nodes
// of any one level). It is how a node that the store does not keep is
// computed from the level below that it does.
func PerfectRoot(hashes [][]byte) ([]byte, error) {
	n := len(hashes)
	if n == 0 || n&(n-1) != 0 {
		return nil, fmt.Errorf("perfect subtree root: %d hashes is not a power of two", n)
	}
	level := make([][]byte, n)
	for i, h := range hashes {
		if len(h) != HashSize {
			return nil, fmt.Errorf("perfect subtree root: hash %d has %d bytes, want %d", i, len(h), HashSize)
		}
		level[i] = h
	}
	for len(level) > 1 {
		for i := range len(level) / 2 {
			level[i] = hashChildren(level[2*i], level[2*i+1])
		}
		level = level[:len(level)/2]
	}
	return level[0], nil
}

// RootAt returns the root hash of the tree's first size leaves, computed
// from stored node hashes. It is how the root of an earlier checkpoint is
// recomputed.
func RootAt(size uint64, node NodeFunc) ([]byte, error) {
	t, err := Restore(size, node)
	if err != nil {
		return nil, err
	}
	return t.Root()
}

func fetch(node NodeFunc, id compact.NodeID) ([]byte, error) {
	h, err := node(id.Level, id.Index)
	if err != nil {
		return nil, fmt.Errorf("node (level %d, index %d): %w", id.Level, id.Index, err)
	}
	if len(h) != HashSize {
		return nil, fmt.Errorf("node (level %d, index %d): hash has %d bytes, want %d", id.Level, id.Index, len(h), HashSize)
	}
	return h, nil
}

package audit

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

// stride is how many levels apart the recomputed tree keeps its nodes, as
// the SQLite store does: a node of another level is computed from at most
// 2^(stride-1) nodes of the kept level below it.
const stride = 4

// tree is a Merkle tree recomputed in memory: the leaf hashes, every
// complete node of every stride-th level above them, and an overlay of
// hashes that replace some of those nodes (the tree of the records where
// they differ from the stored leaves).
type tree struct {
	n      uint64
	levels [][]byte            // levels[k]: the complete nodes of level k*stride, 32 bytes each
	over   []map[uint64][]byte // over[k]: hashes that replace nodes of levels[k]
}

// newTree recomputes the kept levels above n leaf hashes (32 bytes each,
// flat). It shares leaves rather than copying them, and spreads the hashing
// of the large lower levels over the processors.
func newTree(leaves []byte, n uint64) (*tree, error) {
	t := &tree{n: n, levels: [][]byte{leaves[:n*ledger.HashSize]}}
	for k := 1; n>>(stride*k) > 0; k++ {
		below := t.levels[k-1]
		count := n >> (stride * k)
		level := make([]byte, count*ledger.HashSize)
		err := parallel(count, func(lo, hi uint64) error {
			children := make([][]byte, 1<<stride)
			for j := lo; j < hi; j++ {
				for c := range children {
					at := (j<<stride + uint64(c)) * ledger.HashSize
					children[c] = below[at : at+ledger.HashSize]
				}
				h, err := ledger.PerfectRoot(children)
				if err != nil {
					return err
				}
				copy(level[j*ledger.HashSize:], h)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("recompute level %d of the tree: %w", k*stride, err)
		}
		t.levels = append(t.levels, level)
	}
	return t, nil
}

// parallel calls fn over [0, n) split into one range per processor (a
// single call when n is small).
func parallel(n uint64, fn func(lo, hi uint64) error) error {
	workers := uint64(runtime.GOMAXPROCS(0))
	if n < 4096 || workers < 2 {
		return fn(0, n)
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = fn(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// withLeaves returns the tree with some leaf hashes replaced: it shares the
// kept levels and recomputes only the nodes above the replaced leaves.
func (t *tree) withLeaves(replace map[uint64][]byte) (*tree, error) {
	if len(replace) == 0 {
		return t, nil
	}
	o := &tree{n: t.n, levels: t.levels, over: make([]map[uint64][]byte, len(t.levels))}
	o.over[0] = replace
	for k := 1; k < len(t.levels); k++ {
		count := t.n >> (stride * k)
		o.over[k] = map[uint64][]byte{}
		for i := range o.over[k-1] {
			j := i >> stride
			if j >= count {
				continue
			}
			if _, done := o.over[k][j]; done {
				continue
			}
			h, err := o.perfect(k-1, j<<stride, 1<<stride)
			if err != nil {
				return nil, err
			}
			o.over[k][j] = h
		}
	}
	return o, nil
}

// get returns node i of kept level k, from the overlay if it is replaced.
func (t *tree) get(k int, i uint64) []byte {
	if t.over != nil {
		if h, ok := t.over[k][i]; ok {
			return h
		}
	}
	return t.levels[k][i*ledger.HashSize : (i+1)*ledger.HashSize]
}

// perfect returns the root of the count nodes of kept level k from first.
func (t *tree) perfect(k int, first, count uint64) ([]byte, error) {
	children := make([][]byte, count)
	for c := range children {
		children[c] = t.get(k, first+uint64(c))
	}
	return ledger.PerfectRoot(children)
}

// node is the tree's ledger.NodeFunc: the hash of the perfect subtree at
// (level, index), which must lie within the tree.
func (t *tree) node(level uint, index uint64) ([]byte, error) {
	if level >= 64 || (index+1)<<level > t.n || (index+1)<<level>>level != index+1 {
		return nil, fmt.Errorf("node (%d, %d) is not in a tree of %d leaves", level, index, t.n)
	}
	base := level - level%stride
	k := int(base / stride)
	if base == level {
		return t.get(k, index), nil
	}
	span := uint64(1) << (level - base)
	return t.perfect(k, index*span, span)
}

// root returns the root hash of the tree's first size leaves.
func (t *tree) root(size uint64) ([]byte, error) {
	return ledger.RootAt(size, t.node)
}

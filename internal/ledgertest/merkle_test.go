package ledgertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The RFC 6962 test data of certificate-transparency (merkle_tree_test.cc),
// also used by github.com/transparency-dev/merkle: eight leaves, the roots
// of their prefixes, and some inclusion and consistency proofs.
var (
	rfcLeaves = [][]byte{
		unhex(""),
		unhex("00"),
		unhex("10"),
		unhex("2021"),
		unhex("3031"),
		unhex("40414243"),
		unhex("5051525354555657"),
		unhex("606162636465666768696a6b6c6d6e6f"),
	}
	// rfcRoots[n] is the root of the first n leaves.
	rfcRoots = [][]byte{
		unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
		unhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
		unhex("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
		unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		unhex("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
		unhex("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
		unhex("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
		unhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
	}
	rfcInclusion = []struct {
		index, size uint64
		proof       [][]byte
	}{
		{0, 1, nil},
		{0, 8, [][]byte{
			unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
			unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
		}},
		{5, 8, [][]byte{
			unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
			unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
			unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
		{2, 3, [][]byte{
			unhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
		}},
		{1, 5, [][]byte{
			unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
			unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		}},
	}
	rfcConsistency = []struct {
		size1, size2 uint64
		proof        [][]byte
	}{
		{1, 1, nil},
		{1, 8, [][]byte{
			unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
			unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
		}},
		{6, 8, [][]byte{
			unhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
			unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
			unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
		{2, 5, [][]byte{
			unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		}},
		{6, 7, [][]byte{
			unhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
			unhex("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
			unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
	}
)

func rfcLeafHashes() [][]byte {
	var hs [][]byte
	for _, d := range rfcLeaves {
		hs = append(hs, LeafHash(d))
	}
	return hs
}

func TestHashes(t *testing.T) {
	empty := sha256.Sum256(nil)
	if got := RootOf(nil); !bytes.Equal(got, empty[:]) {
		t.Errorf("RootOf(nil) = %x, want SHA-256 of no bytes %x", got, empty)
	}
	if got, want := RootOf(nil), ledger.EmptyRoot(); !bytes.Equal(got, want) {
		t.Errorf("RootOf(nil) = %x, ledger.EmptyRoot() = %x", got, want)
	}
	// SHA-256(0x00) and SHA-256(0x00 || "abc").
	if got := hex.EncodeToString(LeafHash(nil)); got != "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" {
		t.Errorf("LeafHash(nil) = %s", got)
	}
	if got, want := LeafHash([]byte("abc")), sha256.Sum256([]byte("\x00abc")); !bytes.Equal(got, want[:]) {
		t.Errorf("LeafHash(abc) = %x, want %x", got, want)
	}
	l, r := LeafHash([]byte("l")), LeafHash([]byte("r"))
	want := sha256.Sum256(append(append([]byte{1}, l...), r...))
	if got := nodeHash(l, r); !bytes.Equal(got, want[:]) {
		t.Errorf("nodeHash = %x, want %x", got, want)
	}
	if got := RootOf([][]byte{l, r}); !bytes.Equal(got, want[:]) {
		t.Errorf("RootOf(2 leaves) = %x, want %x", got, want)
	}
	// RootOf of one leaf is a copy of its hash.
	one := RootOf([][]byte{l})
	one[0] ^= 1
	if bytes.Equal(one, l) {
		t.Error("RootOf of one leaf aliases the leaf hash")
	}
}

func TestRFC6962Vectors(t *testing.T) {
	hs := rfcLeafHashes()
	const anchor = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
	if got := hex.EncodeToString(RootOf(hs)); got != anchor {
		t.Fatalf("root of the 8 RFC 6962 test leaves = %s, want %s", got, anchor)
	}
	for n := range rfcRoots {
		if got := RootOf(hs[:n]); !bytes.Equal(got, rfcRoots[n]) {
			t.Errorf("RootOf(first %d leaves) = %x, want %x", n, got, rfcRoots[n])
		}
	}
	for _, v := range rfcInclusion {
		if err := VerifyInclusion(v.index, v.size, hs[v.index], v.proof, rfcRoots[v.size]); err != nil {
			t.Errorf("inclusion vector (%d, %d): %v", v.index, v.size, err)
		}
		for i := range v.proof {
			if VerifyInclusion(v.index, v.size, hs[v.index], flipBit(v.proof, i, 3*i+1), rfcRoots[v.size]) == nil {
				t.Errorf("inclusion vector (%d, %d): tampered hash %d verified", v.index, v.size, i)
			}
		}
	}
	for _, v := range rfcConsistency {
		if err := VerifyConsistency(v.size1, v.size2, v.proof, rfcRoots[v.size1], rfcRoots[v.size2]); err != nil {
			t.Errorf("consistency vector (%d, %d): %v", v.size1, v.size2, err)
		}
		for i := range v.proof {
			if VerifyConsistency(v.size1, v.size2, flipBit(v.proof, i, 5*i+2), rfcRoots[v.size1], rfcRoots[v.size2]) == nil {
				t.Errorf("consistency vector (%d, %d): tampered hash %d verified", v.size1, v.size2, i)
			}
		}
	}

	// The ledger builds the same tree and the same proofs from these leaves.
	var tree ledger.Tree
	store := nodeStore{}
	for _, d := range rfcLeaves {
		_, nodes, err := tree.Append(ledger.LeafHash(d))
		if err != nil {
			t.Fatal(err)
		}
		for _, nd := range nodes {
			store[[2]uint64{uint64(nd.Level), nd.Index}] = nd.Hash
		}
	}
	if root, err := tree.Root(); err != nil || hex.EncodeToString(root) != anchor {
		t.Fatalf("ledger root of the RFC 6962 test leaves = %x (%v), want %s", root, err, anchor)
	}
	for _, v := range rfcInclusion {
		p, err := ledger.InclusionProof(v.index, v.size, store.node)
		if err != nil || !equalProofs(p, v.proof) {
			t.Errorf("ledger.InclusionProof(%d, %d) = %x (%v), want the test vector", v.index, v.size, p, err)
		}
	}
	for _, v := range rfcConsistency {
		p, err := ledger.ConsistencyProof(v.size1, v.size2, store.node)
		if err != nil || !equalProofs(p, v.proof) {
			t.Errorf("ledger.ConsistencyProof(%d, %d) = %x (%v), want the test vector", v.size1, v.size2, p, err)
		}
	}
}

// Sizes checked exhaustively, and the larger log the random sizes come from.
const (
	maxSmall = 70
	maxLarge = 3000
)

// largeSizes returns the larger tree sizes checked: some fixed awkward ones
// and some drawn with a fixed seed, so that runs are reproducible.
func largeSizes(r *rand.Rand) []uint64 {
	sizes := []uint64{127, 128, 129, 1023, 1024, 1025, maxLarge}
	for range 6 {
		sizes = append(sizes, maxSmall+1+r.Uint64N(maxLarge-maxSmall))
	}
	return sizes
}

func TestRootOfMatchesLedger(t *testing.T) {
	l := buildLog(t, maxLarge)
	r := rand.New(rand.NewPCG(1, 2))
	sizes := largeSizes(r)
	for n := range 300 {
		sizes = append(sizes, uint64(n))
	}
	for _, n := range sizes {
		if got := RootOf(l.leaves[:n]); !bytes.Equal(got, l.roots[n]) {
			t.Fatalf("size %d: RootOf = %x, ledger root = %x", n, got, l.roots[n])
		}
	}
}

// checkInclusion checks the ledger's inclusion proof of leaf index in the
// tree of size n, and that tampering with any part of the claim fails.
// allIndices says to try every other index of the tree as a wrong index.
func checkInclusion(t *testing.T, l *ledgerLog, index, n uint64, allIndices bool) {
	t.Helper()
	p, err := ledger.InclusionProof(index, n, l.store.node)
	if err != nil {
		t.Fatalf("ledger.InclusionProof(%d, %d): %v", index, n, err)
	}
	leaf, root := l.leaves[index], l.roots[n]
	if err := VerifyInclusion(index, n, leaf, p, root); err != nil {
		t.Fatalf("ledger's proof does not verify: %v", err)
	}
	seed := int(index*31 + n)
	reject := func(what string, i, size uint64, leaf []byte, p [][]byte, root []byte) {
		t.Helper()
		if VerifyInclusion(i, size, leaf, p, root) == nil {
			t.Fatalf("(%d, %d): %s verified", index, n, what)
		}
		if ledger.VerifyInclusion(i, size, leaf, p, root) == nil {
			t.Fatalf("(%d, %d): %s: verifies with the ledger but not here", index, n, what)
		}
	}
	// Flip one bit in each proof hash in turn, then in the leaf and root.
	for i := range p {
		reject(fmt.Sprintf("proof with hash %d changed", i), index, n, leaf, flipBit(p, i, seed+7*i), root)
	}
	reject("changed leaf hash", index, n, flip(leaf, seed), p, root)
	reject("changed root", index, n, leaf, p, flip(root, seed))
	reject("another leaf", index, n, l.leaves[(index+1)%uint64(len(l.leaves))], p, root)
	if len(p) > 0 {
		reject("truncated proof", index, n, leaf, p[:len(p)-1], root)
		reject("proof without its first hash", index, n, leaf, p[1:], root)
	}
	reject("extended proof", index, n, leaf, append(p[:len(p):len(p)], root), root)
	// Wrong indices.
	var wrong []uint64
	if allIndices {
		for j := range n {
			wrong = append(wrong, j)
		}
	} else {
		wrong = []uint64{index ^ 1, index + 1, index - 1, index / 2, n - 1 - index}
	}
	for _, j := range wrong {
		if j != index && j < n {
			reject(fmt.Sprintf("proof at index %d", j), j, n, leaf, p, root)
		}
	}
	for _, j := range []uint64{n, n + 1, math.MaxUint64} {
		err := VerifyInclusion(j, n, leaf, p, root)
		if err == nil || !strings.Contains(err.Error(), "index") {
			t.Fatalf("(%d, %d): index %d >= size: error %v", index, n, j, err)
		}
	}
	// Wrong sizes. With the root of the claimed size the proof fails (unless
	// it happens to be that size's proof too). With the root of the real
	// size, the RFC 9162 algorithm checks only the shape of the path, so
	// the verdict must match the ledger's verifier.
	for _, m := range []uint64{index, index + 1, n - 1, n + 1, 2 * n, n + 7} {
		if m == n || m <= index || m >= uint64(len(l.roots)) {
			continue
		}
		pm, err := ledger.InclusionProof(index, m, l.store.node)
		if err != nil {
			t.Fatal(err)
		}
		if !equalProofs(pm, p) {
			reject(fmt.Sprintf("proof at size %d", m), index, m, leaf, p, l.roots[m])
		}
		ours := VerifyInclusion(index, m, leaf, p, root)
		theirs := ledger.VerifyInclusion(index, m, leaf, p, root)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("(%d, %d) claimed at size %d: here %v, ledger %v", index, n, m, ours, theirs)
		}
	}
}

func TestInclusionAgainstLedger(t *testing.T) {
	l := buildLog(t, maxLarge)
	for n := uint64(1); n <= maxSmall; n++ {
		for index := range n {
			checkInclusion(t, l, index, n, true)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range largeSizes(r) {
		indices := []uint64{0, 1, n / 2, n - 2, n - 1}
		for range 40 {
			indices = append(indices, r.Uint64N(n))
		}
		for _, index := range indices {
			checkInclusion(t, l, index, n, false)
		}
	}
}

// checkConsistency checks the ledger's consistency proof between sizes m
// and n, and that tampering with any part of the claim fails.
func checkConsistency(t *testing.T, l *ledgerLog, m, n uint64) {
	t.Helper()
	p, err := ledger.ConsistencyProof(m, n, l.store.node)
	if err != nil {
		t.Fatalf("ledger.ConsistencyProof(%d, %d): %v", m, n, err)
	}
	root1, root2 := l.roots[m], l.roots[n]
	if err := VerifyConsistency(m, n, p, root1, root2); err != nil {
		t.Fatalf("ledger's proof does not verify: %v", err)
	}
	seed := int(m*131 + n)
	reject := func(what string, m1, n1 uint64, p [][]byte, r1, r2 []byte) {
		t.Helper()
		if VerifyConsistency(m1, n1, p, r1, r2) == nil {
			t.Fatalf("(%d, %d): %s verified", m, n, what)
		}
	}
	for i := range p {
		reject(fmt.Sprintf("proof with hash %d changed", i), m, n, flipBit(p, i, seed+11*i), root1, root2)
	}
	if m > 0 {
		reject("changed first root", m, n, p, flip(root1, seed), root2)
	}
	if m > 0 { // from the empty tree, any second root is consistent
		reject("changed second root", m, n, p, root1, flip(root2, seed))
	}
	if m > 0 && m < n {
		reject("swapped roots", m, n, p, root2, root1)
	}
	if len(p) > 0 {
		reject("truncated proof", m, n, p[:len(p)-1], root1, root2)
		reject("proof without its first hash", m, n, p[1:], root1, root2)
	}
	reject("extended proof", m, n, append(p[:len(p):len(p)], root2), root1, root2)
	if m < n {
		reject("reversed sizes", n, m, p, root2, root1)
	}
	// Wrong sizes, with the roots of the claimed sizes: fail unless the
	// proof happens to be the proof between those sizes too.
	type pair struct{ m, n uint64 }
	for _, w := range []pair{{m - 1, n}, {m + 1, n}, {m, n - 1}, {m, n + 1}, {m + 1, n + 1}, {m - 1, n - 1}} {
		if w == (pair{m, n}) || w.m > w.n || w.n >= uint64(len(l.roots)) {
			continue // also skips m-1 and n-1 that wrapped around
		}
		pw, err := ledger.ConsistencyProof(w.m, w.n, l.store.node)
		if err != nil {
			t.Fatal(err)
		}
		if !equalProofs(pw, p) {
			reject(fmt.Sprintf("proof claimed for (%d, %d)", w.m, w.n), w.m, w.n, p, l.roots[w.m], l.roots[w.n])
		}
		// With the original roots: the same verdict as the ledger's
		// verifier, except that a first size of 0 needs the empty root here.
		ours := VerifyConsistency(w.m, w.n, p, root1, root2)
		theirs := ledger.VerifyConsistency(w.m, w.n, p, root1, root2)
		if (ours == nil) != (theirs == nil) && !(w.m == 0 && ours != nil) {
			t.Fatalf("(%d, %d) claimed for (%d, %d): here %v, ledger %v", m, n, w.m, w.n, ours, theirs)
		}
	}
}

func TestConsistencyAgainstLedger(t *testing.T) {
	l := buildLog(t, maxLarge)
	for n := uint64(0); n <= maxSmall; n++ {
		for m := uint64(0); m <= n; m++ {
			checkConsistency(t, l, m, n)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	sizes := largeSizes(r)
	for _, n := range sizes {
		ms := []uint64{0, 1, 2, 3, n / 2, n - 1, n}
		for k := uint64(1); k < n; k <<= 1 {
			ms = append(ms, k)
		}
		for range 30 {
			ms = append(ms, r.Uint64N(n+1))
		}
		for _, m := range ms {
			checkConsistency(t, l, m, n)
		}
	}
	for range 200 {
		n := 1 + r.Uint64N(maxLarge)
		checkConsistency(t, l, r.Uint64N(n+1), n)
	}
}

func TestVerifyInclusionEdgeCases(t *testing.T) {
	hs := rfcLeafHashes()
	root8 := rfcRoots[8]
	proof0 := rfcInclusion[1].proof // leaf 0 in size 8
	short := [][]byte{proof0[0], proof0[1][:31], proof0[2]}
	tests := []struct {
		name         string
		index, size  uint64
		leaf         []byte
		proof        [][]byte
		root         []byte
		wantErrSubst string
	}{
		{"size 0", 0, 0, hs[0], nil, rfcRoots[0], "index"},
		{"index == size", 8, 8, hs[0], proof0, root8, "index"},
		{"index max", math.MaxUint64, 8, hs[0], proof0, root8, "index"},
		{"size 1 with proof", 0, 1, hs[0], proof0[:1], rfcRoots[1], "too many"},
		{"size 1 wrong root", 0, 1, hs[0], nil, hs[1], "does not match"},
		{"nil leaf", 0, 8, nil, proof0, root8, "leaf hash"},
		{"short root", 0, 8, hs[0], proof0, root8[:31], "root"},
		{"short proof hash", 0, 8, hs[0], short, root8, "proof hash 1"},
		{"nil proof hash", 0, 8, hs[0], [][]byte{proof0[0], nil, proof0[2]}, root8, "proof hash 1"},
		{"missing hash", 0, 8, hs[0], proof0[:2], root8, "too few"},
		{"extra hash", 0, 8, hs[0], append(proof0[:3:3], root8), root8, "too many"},
		{"reordered", 0, 8, hs[0], [][]byte{proof0[1], proof0[0], proof0[2]}, root8, "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyInclusion(tc.index, tc.size, tc.leaf, tc.proof, tc.root)
			if err == nil {
				t.Fatal("verified")
			}
			if !strings.Contains(err.Error(), tc.wantErrSubst) {
				t.Fatalf("error %q does not mention %q", err, tc.wantErrSubst)
			}
		})
	}
	// The single-leaf tree: the root is the leaf hash, and the proof empty.
	if err := VerifyInclusion(0, 1, hs[3], nil, hs[3]); err != nil {
		t.Fatalf("single-leaf tree: %v", err)
	}
}

func TestVerifyConsistencyEdgeCases(t *testing.T) {
	empty := rfcRoots[0]
	r1, r2, r8 := rfcRoots[1], rfcRoots[2], rfcRoots[8]
	one := [][]byte{r1}
	ok := []struct {
		name         string
		size1, size2 uint64
		proof        [][]byte
		root1, root2 []byte
	}{
		{"0 to 0", 0, 0, nil, empty, empty},
		{"0 to 8", 0, 8, nil, empty, r8},
		{"0 to 8 empty slice", 0, 8, [][]byte{}, empty, r8},
		{"8 to 8", 8, 8, nil, r8, r8},
		{"1 to 1", 1, 1, nil, r1, r1},
		{"1 to 2", 1, 2, [][]byte{LeafHash(rfcLeaves[1])}, r1, r2},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyConsistency(tc.size1, tc.size2, tc.proof, tc.root1, tc.root2); err != nil {
				t.Fatal(err)
			}
		})
	}
	bad := []struct {
		name         string
		size1, size2 uint64
		proof        [][]byte
		root1, root2 []byte
		wantErrSubst string
	}{
		{"decreasing", 2, 1, one, r2, r1, "larger"},
		{"decreasing to 0", 1, 0, nil, r1, empty, "larger"},
		{"equal sizes with proof", 8, 8, one, r8, r8, "want none"},
		{"equal sizes, different roots", 8, 8, nil, r8, rfcRoots[7], "differ"},
		{"0 to 0 with proof", 0, 0, one, empty, empty, "want none"},
		{"0 to 0, wrong roots", 0, 0, nil, r1, r1, "empty-tree"},
		{"from 0 with proof", 0, 8, one, empty, r8, "want none"},
		{"from 0, wrong first root", 0, 8, nil, r1, r8, "empty-tree"},
		{"empty proof", 1, 2, nil, r1, r2, "empty"},
		{"short first root", 1, 2, one, r1[:31], r2, "first root"},
		{"nil second root", 1, 2, one, r1, nil, "second root"},
		{"short proof hash", 1, 8, [][]byte{r1[:1]}, r1, r8, "proof hash 0"},
		{"too many", 1, 2, [][]byte{LeafHash(rfcLeaves[1]), r1}, r1, r2, "too many"},
		{"too few", 6, 8, rfcConsistency[2].proof[:2], rfcRoots[6], r8, "too few"},
		{"wrong second root", 1, 2, [][]byte{LeafHash(rfcLeaves[1])}, r1, rfcRoots[3], "second root"},
		{"wrong first root", 6, 8, rfcConsistency[2].proof, rfcRoots[5], r8, "first root"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyConsistency(tc.size1, tc.size2, tc.proof, tc.root1, tc.root2)
			if err == nil {
				t.Fatal("verified")
			}
			if !strings.Contains(err.Error(), tc.wantErrSubst) {
				t.Fatalf("error %q does not mention %q", err, tc.wantErrSubst)
			}
		})
	}
}

package audit

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// LeafFunc returns the stored leaf at index, for the record it names.
// Finish calls it only for the leaves it reports, a few at most.
type LeafFunc func(index uint64) (store.LogEntry, error)

// CheckpointResult is what the audit made of one checkpoint.
type CheckpointResult struct {
	// Seq is the checkpoint's seq in the store, or 0 for one kept elsewhere.
	Seq int64
	// Size and Origin are those of the signed note when it verifies, else
	// the stored size.
	Size   uint64
	Origin string
	// Signed is true when the note verifies with a known key.
	Signed bool
	// Verified is true when it is Signed and the records recompute its root.
	Verified bool
}

// Report is the outcome of an audit.
type Report struct {
	// Findings are the findings detailed, ordered by leaf index and then
	// by checkpoint; at most Options.MaxPerKind of each kind.
	Findings []Finding
	// Counts counts every finding by kind, detailed or not.
	Counts map[Kind]int
	// Size is the number of leaves of the log as audited: one more than the
	// highest leaf index stored or claimed.
	Size uint64
	// LeafRows is the number of stored leaves read.
	LeafRows uint64
	// Records counts the records read, by kind.
	Records map[string]int
	// Nodes is the number of kept interior nodes read.
	Nodes int
	// Checkpoints is every checkpoint checked, in the order given.
	Checkpoints []CheckpointResult
}

// Total returns the number of findings, detailed or not.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// OK reports whether the audit found nothing wrong.
func (r Report) OK() bool { return r.Total() == 0 }

// finisher holds the work of Finish.
type finisher struct {
	*Auditor
	leaf      LeafFunc
	looked    map[uint64]store.LogEntry // the leaves looked up
	base      *tree                     // the stored leaves (with the records' hashes where a leaf row is missing)
	recs      *tree                     // the records' hashes where they differ from the stored leaves
	claimants map[uint64][]int
	byName    map[uint64][]int
	cps       []evaluated
	unknown   [][2]uint64 // runs [from, to) of leaves with neither a stored row nor a record
	out       []Finding
	counts    map[Kind]int
	swapped   map[uint64]bool // leaves named by a swap finding
}

// evaluated is a checkpoint and how the recomputed trees compare with it.
type evaluated struct {
	res            CheckpointResult
	root           []byte
	within         bool // Signed, and its size is within the log
	matchR, matchL bool // the records' / stored leaves' root is the signed one
}

// Finish checks what was fed against the checkpoints, verifying their notes
// with the verifier keys (note.NewVerifier format), and returns the report.
// It looks up the stored leaves it reports with leaf. Checkpoints with Seq 0
// are ones kept outside the store; their stored size and root are not
// compared with the note. An error means the audit could not be completed,
// not that it found something.
func (a *Auditor) Finish(checkpoints []store.StoredCheckpoint, keys []string, leaf LeafFunc) (Report, error) {
	if a.finished {
		return Report{}, fmt.Errorf("%w: Finish called twice", errOrder)
	}
	a.finished = true
	f := &finisher{Auditor: a, leaf: leaf, looked: map[uint64]store.LogEntry{}, counts: map[Kind]int{},
		claimants: map[uint64][]int{}, byName: map[uint64][]int{}, swapped: map[uint64]bool{}}
	rep := Report{Counts: f.counts, Size: a.n, LeafRows: a.leafRows, Records: maps.Clone(a.records), Nodes: a.nodeRows}
	if err := f.run(checkpoints, keys); err != nil {
		return Report{}, err
	}
	for _, e := range f.cps {
		rep.Checkpoints = append(rep.Checkpoints, e.res)
	}
	slices.SortStableFunc(f.out, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(group(x), group(y)), cmp.Compare(x.Leaf, y.Leaf), cmp.Compare(x.Checkpoint, y.Checkpoint))
	})
	rep.Findings = f.out
	return rep, nil
}

// group orders findings: those about leaves, then the others, then those
// about checkpoints.
func group(f Finding) int {
	switch {
	case f.Leaf >= 0:
		return 0
	case f.Checkpoint == 0:
		return 1
	}
	return 2
}

func (f *finisher) run(checkpoints []store.StoredCheckpoint, keys []string) error {
	for _, s := range f.stray {
		f.add(s)
	}
	f.counts[Inserted] += f.strays - len(f.stray)
	if err := f.buildTrees(); err != nil {
		return err
	}
	if err := f.checkCheckpoints(checkpoints, keys); err != nil {
		return err
	}
	if err := f.checkNodes(); err != nil {
		return err
	}
	if err := f.checkRecords(); err != nil {
		return err
	}
	if err := f.checkLeaves(); err != nil {
		return err
	}
	f.checkOrder()
	return f.reportCheckpoints()
}

// add keeps a finding, unless MaxPerKind of its kind are kept already, and
// counts it.
func (f *finisher) add(x Finding) {
	f.counts[x.Kind]++
	if f.counts[x.Kind] <= f.opts.MaxPerKind {
		f.out = append(f.out, x)
	}
}

// name returns the stored leaf at index i, looking it up once.
func (f *finisher) name(i uint64) (store.LogEntry, error) {
	if e, ok := f.looked[i]; ok {
		return e, nil
	}
	e, err := f.leaf(i)
	if err != nil {
		return store.LogEntry{}, fmt.Errorf("audit: look up leaf %d: %w", i, err)
	}
	f.looked[i] = e
	return e, nil
}

// named describes the record a stored leaf names: "observation X".
func (f *finisher) named(i uint64) (string, error) {
	e, err := f.name(i)
	if err != nil {
		return "", err
	}
	return e.Kind + " " + e.Record, nil
}

// buildTrees recomputes the tree of the stored leaves and the tree of the
// records. Where a leaf row is missing, both use the hash of the record
// that claims it; where a record differs from its stored leaf, the records'
// tree uses the record's hash.
func (f *finisher) buildTrees() error {
	for x, an := range f.anomal {
		f.byName[an.name] = append(f.byName[an.name], x)
		if an.why == claimMissing || an.why == claimMismatch {
			f.claimants[an.rec.Leaf] = append(f.claimants[an.rec.Leaf], x)
		}
	}
	replace := map[uint64][]byte{}
	for i, cl := range f.claimants {
		c := f.anomal[f.pick(i, cl)].hash[:]
		switch {
		case !f.present.get(i):
			copy(f.hashAt(i), c)
		case !f.matched.get(i):
			replace[i] = c
		}
	}
	for w := range f.present {
		if f.present[w] == ^uint64(0) {
			continue
		}
		for i := uint64(w) * 64; i < min(uint64(w+1)*64, f.n); i++ {
			if f.present.get(i) || len(f.claimants[i]) > 0 {
				continue
			}
			if l := len(f.unknown); l > 0 && f.unknown[l-1][1] == i {
				f.unknown[l-1][1] = i + 1
			} else {
				f.unknown = append(f.unknown, [2]uint64{i, i + 1})
			}
		}
	}
	var err error
	if f.base, err = newTree(f.hashes, f.n); err != nil {
		return err
	}
	f.recs, err = f.base.withLeaves(replace)
	return err
}

// unknownIn returns the first leaf in [from, to) with neither a stored row
// nor a record, whose hash the recomputed trees do not know.
func (f *finisher) unknownIn(from, to uint64) (uint64, bool) {
	x, _ := slices.BinarySearchFunc(f.unknown, from, func(run [2]uint64, i uint64) int {
		return cmp.Compare(run[1], i+1)
	})
	if x < len(f.unknown) && f.unknown[x][0] < to {
		return max(from, f.unknown[x][0]), true
	}
	return 0, false
}

// pick chooses, of the records that claim leaf i, the one the leaf names,
// or else the first.
func (f *finisher) pick(i uint64, cl []int) int {
	for _, x := range cl {
		if f.present.get(i) && f.anomal[x].name == f.names[i] {
			return x
		}
	}
	return cl[0]
}

// checkCheckpoints verifies every checkpoint's note and compares its root
// with the roots of both recomputed trees. Findings about roots are made by
// reportCheckpoints, once the other findings can explain them.
func (f *finisher) checkCheckpoints(checkpoints []store.StoredCheckpoint, keys []string) error {
	var verifiers []note.Verifier
	for _, k := range keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			f.add(Finding{Kind: BadSignature, Leaf: -1, Detail: fmt.Sprintf("the log key %q cannot be read: %v", k, err)})
			continue
		}
		verifiers = append(verifiers, v)
	}
	for _, cp := range checkpoints {
		e := evaluated{res: CheckpointResult{Seq: cp.Seq, Size: cp.Size}}
		label := cpLabel(cp.Seq, cp.Size)
		parsed, v, err := open(cp.Note, verifiers)
		if err != nil {
			f.add(Finding{Kind: BadSignature, Leaf: -1, Checkpoint: cp.Seq, Detail: fmt.Sprintf("%s does not verify: %v", label, err)})
			f.cps = append(f.cps, e)
			continue
		}
		e.res.Signed, e.res.Size, e.res.Origin, e.root = true, parsed.Size, parsed.Origin, parsed.Root
		label = cpLabel(cp.Seq, parsed.Size)
		if parsed.Origin != v.Name() {
			f.add(Finding{Kind: BadSignature, Leaf: -1, Checkpoint: cp.Seq, Detail: fmt.Sprintf("%s is signed by %s but names the log %q", label, v.Name(), parsed.Origin)})
		}
		if cp.Seq != 0 && (cp.Size != parsed.Size || !bytes.Equal(cp.Root, parsed.Root)) {
			f.add(Finding{Kind: CheckpointMismatch, Leaf: -1, Checkpoint: cp.Seq,
				Detail: fmt.Sprintf("%s: the stored size and root (%d, %s) differ from those of its signed note (%d, %s)", label, cp.Size, short(cp.Root), parsed.Size, short(parsed.Root))})
		}
		if parsed.Size > f.n {
			f.add(Finding{Kind: Truncated, Leaf: -1, Checkpoint: cp.Seq,
				Detail: fmt.Sprintf("%s commits to %d leaves, but the log has %d: %s were removed", label, parsed.Size, f.n, leafRange(f.n, parsed.Size))})
			f.cps = append(f.cps, e)
			continue
		}
		e.within = true
		rootR, err := f.recs.root(parsed.Size)
		if err != nil {
			return fmt.Errorf("audit: recompute the root of %s: %w", label, err)
		}
		rootL, err := f.base.root(parsed.Size)
		if err != nil {
			return fmt.Errorf("audit: recompute the root of %s: %w", label, err)
		}
		e.matchR, e.matchL = bytes.Equal(rootR, parsed.Root), bytes.Equal(rootL, parsed.Root)
		e.res.Verified = e.matchR
		f.cps = append(f.cps, e)
	}
	return nil
}

// open verifies a checkpoint note with the first verifier whose key signed
// it.
func open(msg []byte, verifiers []note.Verifier) (ledger.Checkpoint, note.Verifier, error) {
	if len(verifiers) == 0 {
		return ledger.Checkpoint{}, nil, fmt.Errorf("no log key is known to verify it with")
	}
	var first error
	for _, v := range verifiers {
		cp, err := ledger.OpenCheckpoint(msg, v)
		if err == nil {
			return cp, v, nil
		}
		if first == nil {
			first = err
		}
	}
	return ledger.Checkpoint{}, nil, first
}

// cpLabel names a checkpoint in findings.
func cpLabel(seq int64, size uint64) string {
	if seq == 0 {
		return fmt.Sprintf("the kept checkpoint (size %d)", size)
	}
	return fmt.Sprintf("checkpoint %d (size %d)", seq, size)
}

// short abbreviates a hash for a message.
func short(h []byte) string {
	s := base64.StdEncoding.EncodeToString(h)
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// leafRange describes leaves [from, to).
func leafRange(from, to uint64) string {
	if to == from+1 {
		return fmt.Sprintf("leaf %d", from)
	}
	return fmt.Sprintf("leaves %d–%d", from, to-1)
}

// covering returns the checkpoint, signed and within the log, of the
// smallest size that covers leaves [0, end).
func (f *finisher) covering(end uint64) (evaluated, bool) {
	var best evaluated
	found := false
	for _, e := range f.cps {
		if e.within && e.res.Size >= end && (!found || e.res.Size < best.res.Size) {
			best, found = e, true
		}
	}
	return best, found
}

// keptLevels returns the levels of kept nodes, lowest first.
func (f *finisher) keptLevels() []uint {
	return slices.Sorted(maps.Keys(f.kept))
}

// storedNode returns the kept node (level, k), if it is stored and lies
// within the log.
func (f *finisher) storedNode(level uint, k uint64) ([]byte, bool) {
	kl := f.kept[level]
	if kl == nil || !kl.have.get(k) || (k+1)<<level > f.n {
		return nil, false
	}
	return kl.hashes[k*ledger.HashSize : (k+1)*ledger.HashSize], true
}

// checkNodes compares every kept node within the log with the recomputed
// ones, reports those that are missing or lie beyond the log, and tries
// to explain mismatching ones as two records swapped.
func (f *finisher) checkNodes() error {
	type ref struct {
		level uint
		k     uint64
	}
	var bad []ref
	far, farEnd := f.farNodes, uint64(0)
	if f.farNode != nil {
		farEnd = (f.farNode.Index + 1) << f.farNode.Level
	}
	for _, level := range f.keptLevels() {
		kl := f.kept[level]
		for k := uint64(0); k < uint64(len(kl.have))*64; k++ {
			if !kl.have.get(k) {
				continue
			}
			if end := (k + 1) << level; end > f.n {
				far++
				farEnd = max(farEnd, end)
				continue
			}
			stored := kl.hashes[k*ledger.HashSize : (k+1)*ledger.HashSize]
			hl, err := f.base.node(level, k)
			if err != nil {
				return err
			}
			if bytes.Equal(stored, hl) {
				continue
			}
			hr, err := f.recs.node(level, k)
			if err != nil {
				return err
			}
			if bytes.Equal(stored, hr) {
				continue // a leaf was altered; its record says so
			}
			if _, ok := f.unknownIn(k<<level, (k+1)<<level); ok {
				continue // a leaf under it is lost; reported as missing
			}
			bad = append(bad, ref{level, k})
		}
	}
	if far > 0 {
		what := fmt.Sprintf("%d kept nodes cover", far)
		if far == 1 {
			what = "a kept node covers"
		}
		f.add(Finding{Kind: Truncated, Leaf: -1,
			Detail: fmt.Sprintf("%s leaves up to %d, but the log has %d leaves: the leaves after them were removed", what, farEnd-1, f.n)})
	}
	if s := f.opts.NodeStride; s > 0 {
		for level := s; level < 64 && uint64(1)<<level <= f.n; level += s {
			f.missingNodes(level)
		}
	}
	// Try the swaps of two leaves that would give back the kept nodes of
	// the lowest level that mismatches.
	explained := map[ref]bool{}
	if len(bad) > 0 && bad[0].level <= 6 {
		var blocks []uint64
		for _, r := range bad {
			if r.level == bad[0].level && len(blocks) < 8 {
				blocks = append(blocks, r.k)
			}
		}
		for _, s := range f.findSwaps(bad[0].level, blocks) {
			for _, k := range s.blocks {
				explained[ref{bad[0].level, k}] = true
			}
			if err := f.reportSwap(bad[0].level, s); err != nil {
				return err
			}
		}
	}
	// Report the lowest mismatching nodes: a node above one reported is
	// explained by it.
	reported := map[ref]bool{}
	below := func(r ref) bool {
		for lower := range reported {
			if lower.level < r.level && lower.k>>(r.level-lower.level) == r.k {
				return true
			}
		}
		return false
	}
	for _, r := range bad {
		if explained[r] {
			reported[r] = true
			continue
		}
		if len(reported) < 4096 && below(r) {
			continue
		}
		reported[r] = true
		from, to := r.k<<r.level, (r.k+1)<<r.level
		detail := fmt.Sprintf("the kept node (level %d, index %d) over %s differs from the one recomputed from them", r.level, r.k, leafRange(from, to))
		detail += "; " + f.nodeEvidence(r.level, r.k)
		f.add(Finding{Kind: NodeMismatch, Leaf: -1, Detail: detail})
	}
	return nil
}

// nodeEvidence says whether a mismatching kept node was altered itself or
// the leaves under it were changed, from the kept node above it or the
// first checkpoint that covers it.
func (f *finisher) nodeEvidence(level uint, k uint64) string {
	for _, up := range f.keptLevels() {
		if up <= level {
			continue
		}
		pk := k >> (up - level)
		stored, ok := f.storedNode(up, pk)
		if !ok {
			continue
		}
		if h, err := f.base.node(up, pk); err == nil && bytes.Equal(h, stored) {
			return fmt.Sprintf("the kept node (level %d, index %d) above it still matches the leaves, so this node itself was altered", up, pk)
		}
		break
	}
	if e, ok := f.covering((k + 1) << level); ok {
		if e.matchR || e.matchL {
			return fmt.Sprintf("the leaves under it still match %s, so the node itself was altered", cpLabel(e.res.Seq, e.res.Size))
		}
		return fmt.Sprintf("%s does not match the leaves under it either: records and their leaves were changed together", cpLabel(e.res.Seq, e.res.Size))
	}
	return "no checkpoint covers it yet, so whether the node or the leaves under it were changed cannot be told"
}

// missingNodes reports, as runs, the kept nodes of a kept level that the
// store should hold but does not.
func (f *finisher) missingNodes(level uint) {
	count := f.n >> level
	kl := f.kept[level]
	for k := uint64(0); k < count; {
		if kl != nil && kl.have.get(k) {
			k++
			continue
		}
		start := k
		for k < count && (kl == nil || !kl.have.get(k)) {
			k++
		}
		what := fmt.Sprintf("the kept node (level %d, index %d) over %s is missing: proofs that need it cannot be built", level, start, leafRange(start<<level, (start+1)<<level))
		if k > start+1 {
			what = fmt.Sprintf("the kept nodes (level %d, indices %d–%d) over %s are missing: proofs that need them cannot be built", level, start, k-1, leafRange(start<<level, k<<level))
		}
		f.add(Finding{Kind: NodeMismatch, Leaf: -1, Detail: what})
	}
}

// swap is two leaves that, swapped back, give back the kept nodes of
// blocks.
type swap struct {
	p, q   uint64
	blocks []uint64
}

// findSwaps looks for pairs of leaves, within one mismatching kept node of
// the level or across two, whose swap gives back the kept nodes.
func (f *finisher) findSwaps(level uint, blocks []uint64) []swap {
	span := uint64(1) << level
	rootWith := func(k uint64, p, q uint64) []byte {
		children := make([][]byte, span)
		for c := range children {
			i := k*span + uint64(c)
			switch i {
			case p:
				i = q
			case q:
				i = p
			}
			children[c] = f.recs.get(0, i)
		}
		h, _ := ledger.PerfectRoot(children)
		return h
	}
	matches := func(k, p, q uint64) bool {
		stored, _ := f.storedNode(level, k)
		return bytes.Equal(rootWith(k, p, q), stored)
	}
	var found []swap
	done := map[uint64]bool{}
	for x, b := range blocks {
		if done[b] {
			continue
		}
	within:
		for p := b * span; p < (b+1)*span; p++ {
			for q := p + 1; q < (b+1)*span; q++ {
				if matches(b, p, q) {
					found = append(found, swap{p, q, []uint64{b}})
					done[b] = true
					break within
				}
			}
		}
		if done[b] {
			continue
		}
		for _, c := range blocks[x+1:] {
			if done[c] {
				continue
			}
		across:
			for p := b * span; p < (b+1)*span; p++ {
				for q := c * span; q < (c+1)*span; q++ {
					if matches(b, p, q) && matches(c, p, q) {
						found = append(found, swap{p, q, []uint64{b, c}})
						done[b], done[c] = true, true
						break across
					}
				}
			}
			if done[b] {
				break
			}
		}
	}
	return found
}

// reportSwap reports two leaves found in each other's place.
func (f *finisher) reportSwap(level uint, s swap) error {
	np, err := f.named(s.p)
	if err != nil {
		return err
	}
	nq, err := f.named(s.q)
	if err != nil {
		return err
	}
	var over []string
	for _, k := range s.blocks {
		over = append(over, fmt.Sprintf("(level %d, index %d)", level, k))
	}
	e, _ := f.name(s.p)
	f.swapped[s.p], f.swapped[s.q] = true, true
	f.add(Finding{Kind: Reordered, RecordKind: e.Kind, Record: e.Record, Leaf: int64(s.p),
		Detail: fmt.Sprintf("leaves %d and %d are in each other's place: leaf %d holds %s and leaf %d holds %s, but %s %s %s only with them swapped back",
			s.p, s.q, s.p, np, s.q, nq, plural(uint64(len(over)), "the kept node", "the kept nodes"), strings.Join(over, " and "), plural(uint64(len(over)), "recomputes", "recompute"))})
	return nil
}

// checkRecords reports every record that does not match the leaf it claims.
func (f *finisher) checkRecords() error {
	// Where do the bytes of the records that match no leaf of theirs
	// belong? One pass over the stored leaves answers for all of them.
	elsewhere := map[[ledger.HashSize]byte][]uint64{}
	for _, an := range f.anomal {
		if an.why != claimMismatch || !bytes.Equal(f.hashAt(an.rec.Leaf), an.hash[:]) {
			elsewhere[an.hash] = nil
		}
	}
	if len(elsewhere) > 0 {
		for i := range f.n {
			if !f.present.get(i) {
				continue
			}
			if l, ok := elsewhere[[ledger.HashSize]byte(f.hashAt(i))]; ok && len(l) < 4 {
				elsewhere[[ledger.HashSize]byte(f.hashAt(i))] = append(l, i)
			}
		}
	}
	other := func(an anomaly) (uint64, bool) {
		for _, j := range elsewhere[an.hash] {
			if !an.rec.HasLeaf || j != an.rec.Leaf {
				return j, true
			}
		}
		return 0, false
	}
	order := make([]int, len(f.anomal))
	for x := range order {
		order[x] = x
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Compare(claimOrder(f.anomal[x]), claimOrder(f.anomal[y]))
	})
	for _, x := range order {
		an := f.anomal[x]
		r := an.rec
		fd := Finding{RecordKind: r.Kind, Record: r.ID, Leaf: -1}
		if r.HasLeaf {
			fd.Leaf = int64(r.Leaf)
		}
		switch an.why {
		case claimNone:
			if j, ok := other(an); ok {
				fd.Kind, fd.Leaf = Reordered, int64(j)
				fd.Detail = fmt.Sprintf("its leaf column is empty, but its bytes are those of leaf %d%s: it was unlinked from the log", j, f.whichNames(j, an.name))
			} else {
				fd.Kind = Inserted
				fd.Detail = "it is in no leaf of the log: no leaf commits to its bytes"
			}
		case claimBeyond:
			if j, ok := other(an); ok {
				fd.Kind, fd.Leaf = Reordered, int64(j)
				fd.Detail = fmt.Sprintf("it claims leaf %d, beyond the log's %d leaves, but its bytes are those of leaf %d%s", r.Leaf, f.n, j, f.whichNames(j, an.name))
			} else {
				fd.Kind = Inserted
				fd.Detail = fmt.Sprintf("it claims leaf %d, beyond the log's %d leaves", r.Leaf, f.n)
			}
		case claimMissing:
			fd.Kind = LeafMissing
			fd.Detail = "the leaf has no stored row; this record claims it"
		case claimMismatch:
			i := r.Leaf
			sameName := f.names[i] == an.name
			sameHash := bytes.Equal(f.hashAt(i), an.hash[:])
			switch j, moved := other(an); {
			case sameHash && sameName:
				fd.Kind = Inserted
				fd.Detail = fmt.Sprintf("a second row of it claims leaf %d, which another row of it matches already", i)
			case sameHash:
				n, err := f.named(i)
				if err != nil {
					return err
				}
				fd.Kind = Changed
				fd.Detail = fmt.Sprintf("its bytes match leaf %d, but the leaf names %s: the record's id or the leaf's record name was changed", i, n)
			case moved:
				n, err := f.named(i)
				if err != nil {
					return err
				}
				fd.Kind = Reordered
				fd.Detail = fmt.Sprintf("it claims leaf %d (which names %s), but its bytes are those of leaf %d%s: records were moved or swapped", i, n, j, f.whichNames(j, an.name))
			case sameName:
				fd.Kind, fd.Detail = f.classify(i)
			default:
				n, err := f.named(i)
				if err != nil {
					return err
				}
				fd.Kind = Inserted
				fd.Detail = fmt.Sprintf("it claims leaf %d, which commits to %s; no leaf commits to its bytes", i, n)
			}
		}
		f.add(fd)
	}
	if f.overflow > 0 {
		f.add(Finding{Kind: Changed, Leaf: -1, Detail: fmt.Sprintf("%d more records disagree with the log and are not detailed; the roots recomputed from the records leave them out", f.overflow)})
		f.counts[Changed] += f.overflow - 1
	}
	return nil
}

// claimOrder sorts records by the leaf they claim, those with none last.
func claimOrder(an anomaly) uint64 {
	if !an.rec.HasLeaf {
		return 1<<64 - 1
	}
	return an.rec.Leaf
}

// whichNames adds ", which names it" when leaf j names the record.
func (f *finisher) whichNames(j uint64, name uint64) string {
	if f.names[j] == name {
		return ", which names it"
	}
	return ""
}

// classify tells, for a record whose bytes no longer hash to its leaf i,
// whether the record or the stored leaf was changed: the kept nodes over
// leaf i, or else the first checkpoint that covers it, side with one of
// them.
func (f *finisher) classify(i uint64) (Kind, string) {
	recordChanged := func(by string) (Kind, string) {
		return Changed, fmt.Sprintf("its bytes no longer hash to its leaf; %s still matches the stored leaf, so the record was changed after it was logged", by)
	}
	leafAltered := func(by string) (Kind, string) {
		return LeafAltered, fmt.Sprintf("the stored hash of leaf %d was changed: the record still matches %s, the stored leaf does not", i, by)
	}
	for _, level := range f.keptLevels() {
		k := i >> level
		stored, ok := f.storedNode(level, k)
		if !ok {
			continue
		}
		by := fmt.Sprintf("the kept node over %s", leafRange(k<<level, (k+1)<<level))
		hl, errL := f.base.node(level, k)
		hr, errR := f.recs.node(level, k)
		if errL != nil || errR != nil {
			continue
		}
		switch l, r := bytes.Equal(stored, hl), bytes.Equal(stored, hr); {
		case l && !r:
			return recordChanged(by)
		case r && !l:
			return leafAltered(by)
		}
		if level > 6 {
			continue
		}
		// Other leaves under the node differ too: try this one alone.
		span := uint64(1) << level
		children := make([][]byte, span)
		with := func(t *tree, j uint64, h []byte) []byte {
			for c := range children {
				children[c] = t.get(0, k*span+uint64(c))
			}
			children[j-k*span] = h
			root, _ := ledger.PerfectRoot(children)
			return root
		}
		if bytes.Equal(with(f.base, i, f.recs.get(0, i)), stored) {
			return leafAltered(by)
		}
		if bytes.Equal(with(f.recs, i, f.base.get(0, i)), stored) {
			return recordChanged(by)
		}
	}
	if e, ok := f.covering(i + 1); ok {
		by := cpLabel(e.res.Seq, e.res.Size)
		switch {
		case e.matchL && !e.matchR:
			return recordChanged(by)
		case e.matchR && !e.matchL:
			return leafAltered(by)
		}
	}
	return Changed, "its bytes no longer hash to its leaf; no kept node or checkpoint tells whether the record or the stored leaf hash was changed"
}

// checkLeaves reports the stored leaves no record claims and the leaf
// indices with no stored row that no record claims.
func (f *finisher) checkLeaves() error {
	for w := range f.present {
		unclaimed := f.present[w] &^ f.matched[w]
		for unclaimed != 0 {
			i := uint64(w)*64 + uint64(bits.TrailingZeros64(unclaimed))
			unclaimed &= unclaimed - 1
			if len(f.claimants[i]) > 0 || len(f.byName[f.names[i]]) > 0 {
				continue // the record claiming it, or named by it, is reported
			}
			if f.counts[Removed] >= f.opts.MaxPerKind {
				f.counts[Removed]++
				continue
			}
			e, err := f.name(i)
			if err != nil {
				return err
			}
			f.add(Finding{Kind: Removed, RecordKind: e.Kind, Record: e.Record, Leaf: int64(i),
				Detail: fmt.Sprintf("leaf %d commits to it, but no such record is stored: it was deleted", i)})
		}
	}
	for _, run := range f.unknown {
		start, i := run[0], run[1]
		detail := "it has no stored row, and no record claims it"
		if i > start+1 {
			detail = fmt.Sprintf("%s have no stored row, and no record claims them", leafRange(start, i))
		}
		f.add(Finding{Kind: LeafMissing, Leaf: int64(start), Detail: detail})
	}
	return nil
}

func plural(n uint64, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}

// checkOrder reports records logged out of the order they were stored in,
// unless a swap finding names them already.
func (f *finisher) checkOrder() {
	for _, o := range f.order {
		if f.swapped[o.cur.Leaf] && f.swapped[o.prev.Leaf] {
			continue
		}
		f.add(Finding{Kind: Reordered, RecordKind: o.cur.Kind, Record: o.cur.ID, Leaf: int64(o.cur.Leaf),
			Detail: fmt.Sprintf("it is logged at leaf %d, before %s %s at leaf %d, which was stored before it (row %d, this one row %d): the log's order was changed",
				o.cur.Leaf, o.prev.Kind, o.prev.ID, o.prev.Leaf, o.prev.Row, o.cur.Row)})
	}
}

// reportCheckpoints reports the checkpoints whose root the records do not
// give, saying where the change lies when an earlier checkpoint still
// matches.
func (f *finisher) reportCheckpoints() error {
	for _, e := range f.cps {
		if !e.within || e.matchR {
			continue
		}
		label := cpLabel(e.res.Seq, e.res.Size)
		if i, ok := f.unknownIn(0, e.res.Size); ok {
			f.add(Finding{Kind: CheckpointMismatch, Leaf: -1, Checkpoint: e.res.Seq,
				Detail: fmt.Sprintf("%s cannot be recomputed: leaf %d, which it covers, has neither a stored row nor a record", label, i)})
			continue
		}
		rootR, err := f.recs.root(e.res.Size)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%s: the records give the root %s, not the signed root %s", label, short(rootR), short(e.root))
		if e.matchL {
			detail += "; the stored leaves still give the signed root, so records it covers were changed after it was signed"
		} else {
			detail += "; the stored leaves do not give it either"
		}
		var prev *evaluated
		for x, p := range f.cps {
			if p.within && p.matchR && p.res.Size < e.res.Size && (prev == nil || p.res.Size > prev.res.Size) {
				prev = &f.cps[x]
			}
		}
		from := uint64(0)
		if prev != nil {
			from = prev.res.Size
			detail += fmt.Sprintf("; %s still matches, so the change lies in %s", cpLabel(prev.res.Seq, prev.res.Size), leafRange(from, e.res.Size))
		}
		f.add(Finding{Kind: CheckpointMismatch, Leaf: -1, Checkpoint: e.res.Seq, Detail: detail})
	}
	return nil
}

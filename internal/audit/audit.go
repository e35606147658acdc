// Package audit is the functional core of `guarantor audit`: it recomputes
// the tamper-evident log from the records a store keeps and says, record by
// record, where the records, the stored log and the signed checkpoints no
// longer agree.
//
// An Auditor is fed what the store holds, in this order: the stored leaves
// in index order (AddLeaf), the kept interior nodes (AddNode), then every
// logged record with its leaf hash (AddRecord). Finish then checks the
// records against the leaves, rebuilds the Merkle tree, compares it with the
// kept nodes and with the root of every signed checkpoint, and returns a
// Report whose Findings name each record that was changed, removed,
// inserted or reordered.
//
// Three things are compared, and the differences between them tell what was
// tampered with:
//
//   - the records themselves: each record's leaf hash (ledger.RecordHash of
//     its kind and canonical bytes), placed at the leaf index it claims;
//   - the stored log: the leaf hash and record name kept for every leaf
//     index, and the interior nodes the store keeps;
//   - the signed checkpoints, whose roots nobody can change without the key.
//
// A record whose bytes no longer hash to its leaf was changed, unless the
// kept nodes and the checkpoints still agree with the record rather than
// with the stored leaf: then the leaf was altered. A record whose bytes are
// another leaf's was reordered; a leaf no record claims was removed; a
// record no leaf commits to was inserted. When records and leaves were
// changed together, the kept nodes and the checkpoints still catch it, and
// a swap of two records is named by trying the swap back.
//
// The package does no I/O. Finish looks up the names of the few leaves it
// reports through a function the caller passes, like ledger.NodeFunc. Memory
// is 40 bytes per leaf (its hash and a fingerprint of its record's name)
// plus a little per kept node; details are kept only for the records that
// disagree with the log.
package audit

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// Kind is the kind of a finding.
type Kind string

// The kinds of findings, in the order a report lists their counts.
const (
	// Changed: a record's bytes no longer hash to its leaf, and the evidence
	// (kept nodes, checkpoints) sides with the leaf, or cannot tell.
	Changed Kind = "changed"
	// Reordered: a record's bytes are those of another leaf than the one it
	// claims, or two records sit in each other's place in the log.
	Reordered Kind = "reordered"
	// Removed: a leaf whose record no longer exists.
	Removed Kind = "removed"
	// Inserted: a record that is in no leaf, or whose leaf commits to
	// another record, or a leaf row at an index the log cannot have.
	Inserted Kind = "inserted"
	// LeafMissing: a leaf index below the log's size with no stored leaf.
	LeafMissing Kind = "leaf missing"
	// LeafAltered: a stored leaf hash was changed while its record was not:
	// the kept nodes or a checkpoint still agree with the record.
	LeafAltered Kind = "leaf altered"
	// NodeMismatch: a kept interior node differs from the one recomputed
	// from the leaves below it, or is missing.
	NodeMismatch Kind = "node mismatch"
	// CheckpointMismatch: the root recomputed from the records at a
	// checkpoint's size differs from the signed root, or a checkpoint's
	// stored size or root differ from its signed note.
	CheckpointMismatch Kind = "checkpoint mismatch"
	// Truncated: a checkpoint or kept node covers leaves the log no longer has.
	Truncated Kind = "truncated"
	// BadSignature: a checkpoint that does not verify with the known keys,
	// or a key that cannot be read.
	BadSignature Kind = "bad signature"
)

// Kinds lists every kind of finding, in report order.
func Kinds() []Kind {
	return []Kind{Changed, Reordered, Removed, Inserted, LeafMissing, LeafAltered, NodeMismatch, CheckpointMismatch, Truncated, BadSignature}
}

// Finding is one thing the audit found wrong.
type Finding struct {
	Kind Kind
	// RecordKind and Record name the record concerned (store.KindObservation
	// and an observation id, say), or are empty.
	RecordKind, Record string
	// Leaf is the leaf index concerned, or -1.
	Leaf int64
	// Checkpoint is the seq of the stored checkpoint concerned, or 0.
	Checkpoint int64
	// Detail says what was found, in words. It names the checkpoint or the
	// kept node concerned; String adds the record and the leaf.
	Detail string
}

// String returns the finding as one line: its kind, what it is about, and
// the detail.
func (f Finding) String() string {
	var subject []string
	if f.Record != "" {
		subject = append(subject, f.RecordKind+" "+f.Record)
	}
	if f.Leaf >= 0 {
		if len(subject) > 0 {
			subject = append(subject, "at")
		}
		subject = append(subject, fmt.Sprintf("leaf %d", f.Leaf))
	}
	if len(subject) == 0 {
		return fmt.Sprintf("%s: %s", f.Kind, f.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", f.Kind, strings.Join(subject, " "), f.Detail)
}

// Record is one logged record as the store keeps it.
type Record struct {
	// Kind is the kind it is logged under (store.KindObservation, ...).
	Kind string
	// ID names it within its kind, as log_leaves.record does.
	ID string
	// Row is its position in its table. Records of one kind are logged in
	// the order they were stored, so leaf indices grow with Row.
	Row int64
	// Leaf is the leaf index the record claims, valid when HasLeaf.
	Leaf    uint64
	HasLeaf bool
	// Hash is ledger.RecordHash(Kind, the record's canonical bytes). The
	// caller computes it, on as many goroutines as it likes.
	Hash []byte
}

// Options tune an Auditor. The zero value works; the sizes make it
// allocate once and bound what a tampered database can make it allocate.
type Options struct {
	// Leaves and Records are the numbers of leaf rows and records the
	// caller will feed, if known. No leaf index of a log with that many
	// leaf rows and records can reach Leaves+Records, so leaf rows and
	// claims beyond are reported rather than allocated.
	Leaves, Records uint64
	// NodeStride, if not 0, says which levels the store keeps every node
	// of: the multiples of NodeStride above the leaves. Kept nodes missing
	// at those levels are reported. With 0 only the nodes fed are checked.
	NodeStride uint
	// MaxPerKind caps the findings of each kind that are detailed in the
	// report; the others are only counted. 0 means 1,000.
	MaxPerKind int
}

// maxAnomalies caps the records that disagree with the log whose details
// are kept. Past it the audit still counts them, but their places in the
// recomputed tree are not filled in.
const maxAnomalies = 1 << 16

// Auditor recomputes a log from its records. Feed it with AddLeaf, AddNode
// and AddRecord, in that order, then call Finish once.
type Auditor struct {
	opts Options
	seed maphash.Seed

	// Per leaf index i < n: the stored hash at hashes[32i:32i+32], the
	// fingerprint of the stored record name, whether a row is stored, and
	// whether a record with that name and hash claims it.
	n        uint64
	hashes   []byte
	names    []uint64
	present  bitset
	matched  bitset
	leafRows uint64
	last     int64     // the last leaf index fed, or -1
	stray    []Finding // leaf rows beyond the bound
	strays   int

	kept     map[uint]*keptLevel // the kept nodes by level
	nodeRows int
	farNodes int          // kept nodes too far beyond the log to store
	farNode  *ledger.Node // the one of them that reaches furthest

	records  map[string]int // records fed, by kind
	total    uint64
	anomal   []anomaly         // records that disagree with the log
	overflow int               // anomalies past maxAnomalies
	lastRec  map[string]Record // the last record of each kind with a leaf
	order    []orderPair       // records logged out of their row order

	finished bool
}

// keptLevel is the kept nodes of one level, indexed by node index.
type keptLevel struct {
	hashes []byte
	have   bitset
}

// anomaly is a record that does not match the leaf it claims.
type anomaly struct {
	rec  Record
	hash [ledger.HashSize]byte
	name uint64 // fingerprint of its kind and id
	why  claim
}

// claim says how a record fails to match its leaf.
type claim int

const (
	claimNone     claim = iota + 1 // no leaf: the leaf column is empty
	claimBeyond                    // a leaf index the log cannot have
	claimMissing                   // a leaf index with no stored row
	claimMismatch                  // a stored leaf with another hash or name
)

// orderPair is a record logged before the record stored before it.
type orderPair struct{ prev, cur Record }

// New returns an Auditor.
func New(opts Options) *Auditor {
	if opts.MaxPerKind <= 0 {
		opts.MaxPerKind = 1000
	}
	a := &Auditor{
		opts:    opts,
		seed:    maphash.MakeSeed(),
		last:    -1,
		kept:    map[uint]*keptLevel{},
		records: map[string]int{},
		lastRec: map[string]Record{},
	}
	if c := opts.Leaves; c > 0 && c < 1<<40 {
		a.hashes = make([]byte, 0, c*ledger.HashSize)
		a.names = make([]uint64, 0, c)
		a.present = make(bitset, 0, c/64+1)
		a.matched = make(bitset, 0, c/64+1)
	}
	return a
}

// bound is the first leaf index a leaf row may not have, or 0 for none.
func (a *Auditor) bound() uint64 {
	return a.opts.Leaves + a.opts.Records
}

// fingerprint hashes a record's kind and id, to compare names without
// keeping them.
func (a *Auditor) fingerprint(kind, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(a.seed)
	h.WriteString(kind)
	h.WriteByte(0)
	h.WriteString(id)
	return h.Sum64()
}

// grow extends the per-leaf arrays to n leaves; new leaves are not stored.
func (a *Auditor) grow(n uint64) {
	if n <= a.n {
		return
	}
	a.hashes = append(a.hashes, make([]byte, (n-a.n)*ledger.HashSize)...)
	a.names = append(a.names, make([]uint64, n-a.n)...)
	a.present.grow(n)
	a.matched.grow(n)
	a.n = n
}

// hashAt returns the stored hash of leaf i < n.
func (a *Auditor) hashAt(i uint64) []byte {
	return a.hashes[i*ledger.HashSize : (i+1)*ledger.HashSize]
}

// errOrder is returned when the Auditor is fed out of order.
var errOrder = errors.New("audit: fed out of order")

// AddLeaf feeds the next stored leaf. Leaves come in increasing index order;
// indices that are skipped are leaves missing from the store. e's slices
// are copied.
func (a *Auditor) AddLeaf(e store.LogEntry) error {
	if a.finished || a.nodeRows > 0 || a.total > 0 {
		return fmt.Errorf("%w: leaf %d after nodes or records", errOrder, e.Index)
	}
	if int64(e.Index) <= a.last {
		return fmt.Errorf("%w: leaf %d after leaf %d", errOrder, e.Index, a.last)
	}
	a.leafRows++
	if b := a.bound(); b > 0 && e.Index >= b {
		a.strays++
		if len(a.stray) < a.opts.MaxPerKind {
			a.stray = append(a.stray, Finding{Kind: Inserted, RecordKind: e.Kind, Record: e.Record, Leaf: int64(e.Index),
				Detail: fmt.Sprintf("a leaf row at index %d, beyond any index a log of %d leaf rows and %d records can have", e.Index, a.opts.Leaves, a.opts.Records)})
		}
		return nil
	}
	a.last = int64(e.Index)
	a.grow(e.Index + 1)
	copy(a.hashAt(e.Index), e.LeafHash) // a hash of the wrong length cannot match
	a.names[e.Index] = a.fingerprint(e.Kind, e.Record)
	a.present.set(e.Index)
	return nil
}

// AddNode feeds one kept interior node (level > 0). Its hash is copied.
func (a *Auditor) AddNode(n ledger.Node) error {
	if a.finished || a.total > 0 {
		return fmt.Errorf("%w: node (%d, %d) after records", errOrder, n.Level, n.Index)
	}
	if n.Level == 0 || n.Level >= 64 {
		return fmt.Errorf("audit: kept node (%d, %d): level must be 1 to 63", n.Level, n.Index)
	}
	a.nodeRows++
	// A node no log of the bound's size (or, without one, of the leaves
	// fed) can have is counted as beyond the log without being stored.
	if b := max(a.n, a.bound()); n.Index >= (b>>n.Level)+1 {
		a.keptLevel(n.Level) // remember the level exists
		a.beyondNodes(n.Level, n.Index)
		return nil
	}
	k := a.keptLevel(n.Level)
	if need := (n.Index + 1) * ledger.HashSize; uint64(len(k.hashes)) < need {
		k.hashes = append(k.hashes, make([]byte, need-uint64(len(k.hashes)))...)
	}
	h := k.hashes[n.Index*ledger.HashSize : (n.Index+1)*ledger.HashSize]
	clear(h)
	copy(h, n.Hash)
	k.have.grow(n.Index + 1)
	k.have.set(n.Index)
	return nil
}

func (a *Auditor) keptLevel(level uint) *keptLevel {
	k := a.kept[level]
	if k == nil {
		k = &keptLevel{}
		a.kept[level] = k
	}
	return k
}

// beyondNodes counts kept nodes too far out to store; Finish reports them
// with the others beyond the log.
func (a *Auditor) beyondNodes(level uint, index uint64) {
	a.farNodes++
	if a.farNode == nil || index<<level > a.farNode.Index<<a.farNode.Level {
		a.farNode = &ledger.Node{Level: level, Index: index}
	}
}

// AddRecord feeds one logged record. Records of one kind come in row order.
// r's slices are copied when they are kept.
func (a *Auditor) AddRecord(r Record) error {
	if a.finished {
		return fmt.Errorf("%w: record after Finish", errOrder)
	}
	if len(r.Hash) != ledger.HashSize {
		return fmt.Errorf("audit: %s %s: hash has %d bytes, want %d", r.Kind, r.ID, len(r.Hash), ledger.HashSize)
	}
	a.total++
	a.records[r.Kind]++
	name := a.fingerprint(r.Kind, r.ID)
	why := claimMismatch
	switch {
	case !r.HasLeaf:
		why = claimNone
	case r.Leaf >= a.n+a.total:
		// A log of n leaves, extended by at most one leaf per record
		// whose leaf row was lost, has no leaf at or beyond n+records.
		why = claimBeyond
	case r.Leaf >= a.n || !a.present.get(r.Leaf):
		a.grow(r.Leaf + 1)
		why = claimMissing
	case a.names[r.Leaf] == name && bytes.Equal(a.hashAt(r.Leaf), r.Hash) && !a.matched.get(r.Leaf):
		a.matched.set(r.Leaf)
		why = 0
	}
	if r.HasLeaf && why != claimBeyond {
		if prev, ok := a.lastRec[r.Kind]; ok && r.Leaf < prev.Leaf && why == 0 {
			a.order = appendCapped(a.order, orderPair{prev: prev, cur: r}, a.opts.MaxPerKind)
		}
		a.lastRec[r.Kind] = Record{Kind: r.Kind, ID: r.ID, Row: r.Row, Leaf: r.Leaf, HasLeaf: true}
	}
	if why == 0 {
		return nil
	}
	if len(a.anomal) >= maxAnomalies {
		a.overflow++
		return nil
	}
	an := anomaly{rec: r, name: name, why: why}
	copy(an.hash[:], r.Hash)
	an.rec.Hash = an.hash[:]
	a.anomal = append(a.anomal, an)
	return nil
}

func appendCapped[T any](s []T, v T, max int) []T {
	if len(s) >= max {
		return s
	}
	return append(s, v)
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (b *bitset) grow(n uint64) {
	for uint64(len(*b))*64 < n {
		*b = append(*b, 0)
	}
}

func (b bitset) set(i uint64) { b[i/64] |= 1 << (i % 64) }

func (b bitset) get(i uint64) bool {
	return i/64 < uint64(len(b)) && b[i/64]&(1<<(i%64)) != 0
}

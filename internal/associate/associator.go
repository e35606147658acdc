package associate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Associator associates a stream of detections. Add detections in any
// order; Flush returns what is decided. It is not safe for concurrent use.
type Associator struct {
	net *network
	cfg Config
	// horizon is the longest, in seconds, between a seed and any
	// detection its search looks at: the farthest a sensor hears over the
	// speed of sound, plus the widest gate and the tolerance.
	horizon float64

	picks  []pick
	dead   int              // picks evicted but still in picks
	byID   map[string]int32 // buffered detections by id
	tracks []track          // per sensor
	// seeds holds the buffered picks not yet tried as seeds.
	seeds []int32
	// gen is the time (seconds) before which every pick has been tried as
	// a seed; a detection that comes for an earlier time is late.
	gen float64
	// hyps are the hypotheses neither accepted nor dropped.
	hyps []*hypothesis
	// held are the accepted events not yet returned: a hypothesis that
	// shares a detection with one may still be accepted and exchange
	// detections with it.
	held   []*hypothesis
	nextID int64  // hypotheses generated
	round  uint32 // marks of waiting hypotheses' picks
	events []Event
	late   []late // late detections since the last Flush

	scratch scratch
	// workers are the scratch buffers of the goroutines that search seeds
	// in parallel; batch holds their seeds, and results what they found.
	workers []scratch
	batch   []int32
	results [][]*hypothesis
}

// pick is a buffered detection.
type pick struct {
	id     string
	class  string
	ns     int64   // arrival, Unix nanoseconds
	t      float64 // arrival, seconds since epochUnix
	sigma  float64 // seconds, at least MaxResidualS/3
	c      float64 // speed of sound along its path, m/s
	sensor int32
	state  pickState
	// mark is the last round in which a waiting hypothesis could take
	// this pick, so that worse ones that could take it wait too.
	mark uint32
	// owner is the event that claimed the pick.
	owner *hypothesis
}

type pickState uint8

const (
	pickOpen    pickState = iota // may still seed a hypothesis
	pickDone                     // tried as a seed, or in a strong hypothesis
	pickClaimed                  // part of an event
	pickEvicted                  // decided and dropped
)

// late is a detection that came after Flush had passed its time.
type late struct {
	ns int64
	id string
}

// track is one sensor's buffered picks in order of arrival (then id), with
// their times beside them for binary search.
type track struct {
	t []float64
	p []int32
	// sig and cls are the picks' sigma and class, beside t for the
	// searches.
	sig []float64
	cls []string
	// c is the speed of sound of every pick in the track unless mixed is
	// set, so that speedAt need not search for the nearest pick.
	c     float64
	mixed bool
}

// lowerBound is the index of the first of the sorted times ts that is not
// less than x (len(ts) if none): slices.BinarySearch without the care for
// NaN, which the times never are (a NaN x gives 0, as it does there).
func lowerBound(ts []float64, x float64) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ts[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// epochUnix is the origin of the internal time scale (2020-01-01T00:00:00Z),
// chosen so that float64 seconds keep sub-microsecond resolution.
const epochUnix = 1_577_836_800

// The times a detection may have: UnixNano is defined from 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64).Add(time.Second)
	maxTime = time.Unix(0, math.MaxInt64).Add(-time.Second)
)

func seconds(ns int64) float64 { return float64(ns-epochUnix*1e9) * 1e-9 }

func fromSeconds(s float64) time.Time {
	return time.Unix(epochUnix, 0).Add(time.Duration(math.Round(s * 1e9))).UTC()
}

// maxSpeedDeviation is how far, as a fraction, a detection's speed of
// sound may be from Config.SpeedOfSound.
const maxSpeedDeviation = 0.1

// speedAt is the speed of sound at sensor s about time t: that of the
// sensor's detection nearest in time, as the air changes slowly.
func (a *Associator) speedAt(s int32, t float64) float64 {
	tr := &a.tracks[s]
	switch {
	case len(tr.t) == 0:
		return a.cfg.SpeedOfSound
	case !tr.mixed:
		return tr.c
	}
	k := lowerBound(tr.t, t)
	switch {
	case k == len(tr.t) || (k > 0 && t-tr.t[k-1] < tr.t[k]-t):
		k--
	}
	return a.picks[tr.p[k]].c
}

// New returns an Associator for the sensors with the configuration (zero
// fields take their defaults).
func New(sensors []Sensor, cfg Config) (*Associator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("associate: config: %w", err)
	}
	cfg = cfg.WithDefaults()
	nw, err := newNetwork(sensors, cfg)
	if err != nil {
		return nil, fmt.Errorf("associate: sensors: %w", err)
	}
	return &Associator{
		net:     nw,
		cfg:     cfg,
		horizon: cfg.MaxRangeM/(cfg.SpeedOfSound*(1-maxSpeedDeviation)) + (maxGate+1)*cfg.MaxResidualS,
		byID:    make(map[string]int32),
		tracks:  make([]track, len(sensors)),
		gen:     math.Inf(-1),
	}, nil
}

// Latency is how far behind the time given to Flush its decisions usually
// are: four times the longest a sound takes to reach every sensor that
// hears it (MaxRangeM over SpeedOfSound, plus the tolerance). A sound's
// detections are tried as seeds once all of them can have arrived, its
// hypothesis is accepted once every seed that could compete for them has
// been tried, and it is returned once no hypothesis still waiting could
// take one of its detections; a detection is returned as unassociated
// once no hypothesis could take it. Competing hypotheses can delay this.
func (a *Associator) Latency() time.Duration {
	return time.Duration(math.Ceil((4*a.horizon + 2*rateWindow) * 1e9))
}

// Add buffers detections. It checks all of them first and adds none when
// one is malformed: an empty or repeated id (repeated within the call or
// with a buffered detection), an unknown sensor, a time outside 1678–2262
// or a negative or non-finite SigmaS. A detection whose time Flush has
// already passed is late: the next Flush returns it as unassociated.
func (a *Associator) Add(detections ...Detection) error {
	seen := make(map[string]struct{}, len(detections))
	for i, d := range detections {
		if err := a.check(d, seen); err != nil {
			return fmt.Errorf("associate: detection %d (%q): %w", i, d.ID, err)
		}
	}
	first := len(a.picks)
	a.picks = slices.Grow(a.picks, len(detections))
	a.seeds = slices.Grow(a.seeds, len(detections))
	for _, d := range detections {
		ns := d.Time.UnixNano()
		t := seconds(ns)
		if t < a.gen {
			a.late = append(a.late, late{ns, d.ID})
			continue
		}
		i := int32(len(a.picks))
		s := a.net.index[d.Sensor]
		a.picks = append(a.picks, pick{
			id: d.ID, class: normClass(d.Class), ns: ns, t: t,
			sigma: max(d.SigmaS, a.cfg.MaxResidualS/3), sensor: s, c: cmp.Or(d.SpeedOfSound, a.cfg.SpeedOfSound),
		})
		a.byID[d.ID] = i
		a.seeds = append(a.seeds, i)
	}
	// Merge the new picks into their sensors' tracks, each sensor's in
	// order.
	added := a.seeds[len(a.seeds)-(len(a.picks)-first):]
	byTrack := slices.Clone(added)
	slices.SortFunc(byTrack, func(i, j int32) int {
		return cmp.Or(cmp.Compare(a.picks[i].sensor, a.picks[j].sensor), a.before(i, j))
	})
	for len(byTrack) > 0 {
		s := a.picks[byTrack[0]].sensor
		n := 1
		for n < len(byTrack) && a.picks[byTrack[n]].sensor == s {
			n++
		}
		a.merge(s, byTrack[:n])
		byTrack = byTrack[n:]
	}
	return nil
}

func (a *Associator) check(d Detection, seen map[string]struct{}) error {
	switch {
	case d.ID == "":
		return fmt.Errorf("empty id")
	case d.Time.Before(minTime) || d.Time.After(maxTime):
		return fmt.Errorf("time %v out of range", d.Time)
	case d.SigmaS < 0 || math.IsNaN(d.SigmaS) || math.IsInf(d.SigmaS, 0):
		return fmt.Errorf("sigma %g s: want a finite number at least 0", d.SigmaS)
	case d.SpeedOfSound != 0 && !(math.Abs(d.SpeedOfSound-a.cfg.SpeedOfSound) <= maxSpeedDeviation*a.cfg.SpeedOfSound):
		return fmt.Errorf("speed of sound %g m/s: want 0 or within 10%% of %g m/s", d.SpeedOfSound, a.cfg.SpeedOfSound)
	}
	if _, ok := a.net.index[d.Sensor]; !ok {
		return fmt.Errorf("unknown sensor %q", d.Sensor)
	}
	if _, ok := seen[d.ID]; ok {
		return fmt.Errorf("id given twice")
	}
	if _, ok := a.byID[d.ID]; ok {
		return fmt.Errorf("id already buffered")
	}
	seen[d.ID] = struct{}{}
	return nil
}

// normClass folds the classes that go with anything into "".
func normClass(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if c == "unknown" {
		return ""
	}
	return c
}

// before orders picks by arrival, then id.
func (a *Associator) before(i, j int32) int {
	p, q := &a.picks[i], &a.picks[j]
	return cmp.Or(cmp.Compare(p.ns, q.ns), strings.Compare(p.id, q.id))
}

// merge puts the picks ps, in order, into sensor s's track in order.
func (a *Associator) merge(s int32, ps []int32) {
	tr := &a.tracks[s]
	for k, i := range ps {
		switch c := a.picks[i].c; {
		case k == 0 && len(tr.p) == 0:
			tr.c, tr.mixed = c, false
		case c != tr.c:
			tr.mixed = true
		}
	}
	// Merge from the end, placing the later of the last unplaced picks of
	// the track and of ps each time.
	i, j := len(tr.p)-1, len(ps)-1
	n := len(tr.p) + len(ps)
	tr.t = slices.Grow(tr.t, len(ps))[:n]
	tr.p = slices.Grow(tr.p, len(ps))[:n]
	tr.sig = slices.Grow(tr.sig, len(ps))[:n]
	tr.cls = slices.Grow(tr.cls, len(ps))[:n]
	for w := n - 1; j >= 0; w-- {
		if i >= 0 && a.before(tr.p[i], ps[j]) > 0 {
			tr.t[w], tr.p[w], tr.sig[w], tr.cls[w] = tr.t[i], tr.p[i], tr.sig[i], tr.cls[i]
			i--
			continue
		}
		pk := &a.picks[ps[j]]
		tr.t[w], tr.p[w], tr.sig[w], tr.cls[w] = pk.t, ps[j], pk.sigma, pk.class
		j--
	}
}

// Flush decides what can be decided by upTo, the time up to which every
// detection has been added (see Latency): the events that no hypothesis
// can contest any more, and the detections that no event can take. Each
// event and each unassociated detection is returned by exactly one call.
// The events and the detections they hold do not depend on the order in
// which detections were added, nor on when Flush was called.
func (a *Associator) Flush(upTo time.Time) Result {
	if upTo.After(maxTime) {
		upTo = maxTime
	}
	if upTo.Before(minTime) {
		upTo = minTime
	}
	// A seed's search looks at detections up to a horizon after it, and
	// counts those within rateWindow of them.
	return a.flush(seconds(upTo.UnixNano()) - a.horizon - rateWindow)
}

// FlushAll decides everything buffered, as if no more detections will come.
// After it, any detection added is late.
func (a *Associator) FlushAll() Result {
	return a.flush(math.Inf(1))
}

// flush tries every seed before until, runs a round of acceptance, and
// returns the events no hypothesis contests and the detections no
// hypothesis can take.
func (a *Associator) flush(until float64) Result {
	if until > a.gen {
		a.generateUntil(until)
	}
	a.accept()
	a.emit()
	// A hypothesis looks at detections within a horizon of its seed, and
	// scores them against those within rateWindow of them.
	evictBefore := a.gen - a.horizon
	for _, hy := range slices.Concat(a.hyps, a.held) {
		evictBefore = min(evictBefore, hy.seedT-a.horizon)
	}
	evictBefore -= rateWindow
	res := Result{Events: a.events, Unassociated: a.evict(evictBefore)}
	a.events = nil
	slices.SortFunc(res.Events, func(x, y Event) int {
		return cmp.Or(x.Time.Compare(y.Time), strings.Compare(x.Detections[0], y.Detections[0]))
	})
	return res
}

// generateUntil tries the picks before until as seeds, in order of time.
// A seed's best hypothesis, if strong, covers its detections: they would
// only find the same sound again, so they seed none. Generation ignores
// claims, so what it produces depends only on the detections.
func (a *Associator) generateUntil(until float64) {
	var now []int32
	keep := a.seeds[:0]
	for _, i := range a.seeds {
		if a.picks[i].t < until {
			now = append(now, i)
		} else {
			keep = append(keep, i)
		}
	}
	a.seeds = keep
	slices.SortFunc(now, a.before)
	if a.cfg.Workers == 1 {
		for _, i := range now {
			if a.picks[i].state == pickOpen {
				a.take(i, a.generate(&a.scratch, i))
			}
		}
		a.gen = until
		return
	}
	// Search a batch of the open seeds in parallel, ahead of the seeds
	// before them, and take their hypotheses in order: a seed that one
	// before it in the batch covered is dropped, as if never searched.
	// Few are: a sound's detections follow its first by seconds, and a
	// batch spans a fraction of a second.
	batch := batchPerWorker * a.cfg.Workers
	for len(now) > 0 {
		a.batch = a.batch[:0]
		for len(now) > 0 && len(a.batch) < batch {
			if i := now[0]; a.picks[i].state == pickOpen {
				a.batch = append(a.batch, i)
			}
			now = now[1:]
		}
		a.generateBatch()
		for k, i := range a.batch {
			if a.picks[i].state == pickOpen {
				a.take(i, a.results[k])
			}
			a.results[k] = nil
		}
	}
	a.gen = until
}

// batchPerWorker is how many seeds each worker searches in a batch: enough
// that waiting for the slowest is short, few enough that seeds covered by
// earlier ones in the batch are rare.
const batchPerWorker = 16

// generateBatch searches the seeds of a.batch in parallel, each worker
// with its own scratch buffers, into a.results. The search only reads the
// picks and tracks.
func (a *Associator) generateBatch() {
	n := len(a.batch)
	a.results = slices.Grow(a.results[:0], n)[:n]
	w := min(a.cfg.Workers, n)
	if len(a.workers) < w {
		a.workers = append(a.workers, make([]scratch, w-len(a.workers))...)
	}
	var next atomic.Int64
	work := func(sc *scratch) {
		for {
			j := int(next.Add(1) - 1)
			if j >= n {
				return
			}
			a.results[j] = a.generate(sc, a.batch[j])
		}
	}
	var wg sync.WaitGroup
	for k := 1; k < w; k++ {
		wg.Go(func() { work(&a.workers[k]) })
	}
	work(&a.workers[0]) // the calling goroutine is a worker too
	wg.Wait()
}

// take marks seed i tried and keeps its hypotheses hs, best first; the
// best, if strong, covers its detections.
func (a *Associator) take(i int32, hs []*hypothesis) {
	a.picks[i].state = pickDone
	for k, hy := range hs {
		a.nextID++
		hy.id = a.nextID
		if k == 0 && a.strong(hy) {
			for _, mb := range hy.members {
				if st := &a.picks[mb.p].state; *st == pickOpen {
					*st = pickDone
				}
			}
		}
		a.hyps = append(a.hyps, hy)
	}
}

// accept is a round of best-first acceptance. Hypotheses are taken in
// order of score; one that lost alternatives to an accepted event since it
// was scored is reassigned and put back. A hypothesis is accepted when
// every hypothesis that could share a detection with it has been generated
// (its seed is two horizons behind the seeds tried) and no better one that
// could share a detection with it waits; otherwise it waits for the next
// round. As a hypothesis only ever loses alternatives, the events do not
// depend on when the rounds run: they are those of one greedy pass over
// all the hypotheses, best first.
func (a *Associator) accept() {
	a.round++
	h := hypHeap(a.hyps)
	h.init()
	var waiting []*hypothesis
	for len(h) > 0 {
		hy := h.pop()
		if n := a.claimedAlts(hy); n != hy.claimed {
			hy.claimed = n
			if a.reassign(hy) {
				h.push(hy)
			}
			continue
		}
		blocked := hy.seedT+2*a.horizon > a.gen
		for _, p := range hy.alts {
			blocked = blocked || a.picks[p].mark == a.round
		}
		if blocked {
			for _, p := range hy.alts {
				a.picks[p].mark = a.round
			}
			waiting = append(waiting, hy)
			continue
		}
		a.claim(hy)
		a.held = append(a.held, hy)
	}
	a.hyps = waiting
}

// emit makes events of the held hypotheses that no waiting hypothesis
// could take a detection from or exchange one with.
func (a *Associator) emit() {
	a.round++
	for _, hy := range a.hyps {
		for _, p := range hy.alts {
			a.picks[p].mark = a.round
		}
	}
	held := a.held[:0]
	for _, hy := range a.held {
		contested := false
		for _, p := range hy.alts {
			contested = contested || a.picks[p].mark == a.round
		}
		if contested {
			held = append(held, hy)
			continue
		}
		hy.emitted = true
		a.events = append(a.events, a.event(hy))
	}
	clear(a.held[len(held):])
	a.held = held
}

// hypHeap is a max-heap of hypotheses by score, then earlier seed, then
// earlier generation.
type hypHeap []*hypothesis

func (h hypHeap) less(i, j int) bool {
	x, y := h[i], h[j]
	if x.score != y.score {
		return x.score > y.score
	}
	if x.seedNs != y.seedNs {
		return x.seedNs < y.seedNs
	}
	if x.seedID != y.seedID {
		return x.seedID < y.seedID
	}
	return x.id < y.id
}

func (h hypHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *hypHeap) push(hy *hypothesis) {
	*h = append(*h, hy)
	for i := len(*h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h *hypHeap) pop() *hypothesis {
	old := *h
	top := old[0]
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	h.down(0)
	return top
}

func (h hypHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// evict drops the picks before until and returns the ids of those no event
// took, with the late ones, in order of arrival (then id).
func (a *Associator) evict(until float64) []string {
	var out []int32
	for s := range a.tracks {
		tr := &a.tracks[s]
		k := 0
		for k < len(tr.t) && tr.t[k] < until {
			i := tr.p[k]
			if a.picks[i].state != pickClaimed {
				out = append(out, i)
			}
			a.picks[i].state = pickEvicted
			a.picks[i].owner = nil
			delete(a.byID, a.picks[i].id)
			k++
		}
		if k > 0 {
			tr.t = slices.Delete(tr.t, 0, k)
			tr.p = slices.Delete(tr.p, 0, k)
			tr.sig = slices.Delete(tr.sig, 0, k)
			tr.cls = slices.Delete(tr.cls, 0, k)
			a.dead += k
			if tr.mixed {
				a.unmix(tr)
			}
		}
	}
	gone := make([]late, 0, len(out)+len(a.late))
	for _, i := range out {
		gone = append(gone, late{a.picks[i].ns, a.picks[i].id})
	}
	gone = append(gone, a.late...)
	a.late = nil
	slices.SortFunc(gone, func(x, y late) int { return cmp.Or(cmp.Compare(x.ns, y.ns), strings.Compare(x.id, y.id)) })
	ids := make([]string, len(gone))
	for k, g := range gone {
		ids[k] = g.id
	}
	if a.dead > 1024 && a.dead > len(a.picks)/2 {
		a.compact()
	}
	return ids
}

// unmix clears tr.mixed if the picks left in tr share one speed of sound.
func (a *Associator) unmix(tr *track) {
	if len(tr.p) == 0 {
		tr.mixed = false
		return
	}
	tr.c = a.picks[tr.p[0]].c
	for _, i := range tr.p {
		if a.picks[i].c != tr.c {
			return
		}
	}
	tr.mixed = false
}

// compact drops the evicted picks from a.picks and renumbers the rest.
func (a *Associator) compact() {
	renum := make([]int32, len(a.picks))
	live := make([]pick, 0, len(a.picks)-a.dead)
	for i, p := range a.picks {
		if p.state == pickEvicted {
			renum[i] = -1
			continue
		}
		renum[i] = int32(len(live))
		live = append(live, p)
	}
	a.picks = live
	a.dead = 0
	for s := range a.tracks {
		for k, i := range a.tracks[s].p {
			a.tracks[s].p[k] = renum[i]
		}
	}
	for k, i := range a.seeds {
		a.seeds[k] = renum[i]
	}
	for _, hy := range slices.Concat(a.hyps, a.held) {
		for k := range hy.members {
			hy.members[k].p = renum[hy.members[k].p]
		}
		for k := range hy.alts {
			hy.alts[k] = renum[hy.alts[k]]
		}
	}
	for id, i := range a.byID {
		a.byID[id] = renum[i]
	}
}

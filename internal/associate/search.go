package associate

import (
	"cmp"
	"math"
	"slices"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// The search's constants. They were tuned on the synthetic front of the
// scale test (10 ms timing, 10 % false detections, 5 % misses) and are
// dimensionless or relative to the configuration.
const (
	// helperPairs is how many of a sensor's pairs of helpers a seed tries,
	// counting only pairs that both heard something when the seed's sound
	// could have reached them: the second finds the sounds one of the first
	// pair missed. It is tried only when the first finds no event heard by
	// tryAgainFrac of the sensors in range.
	helperPairs  = 2
	tryAgainFrac = 0.75
	// Candidate sources are checked in two stages. The first screens each
	// with the sensors nearest the seed's: a chance alignment rarely
	// survives screenProbes of them with at most screenMisses misses (a
	// sensor in the outer half of the range, which misses more often,
	// counts half; see missWeight). The
	// best screenKeep go to the second stage, which looks at every sensor
	// in range, and the best topK of those are refined into hypotheses:
	// the best by one seed's search is not always the true one, and
	// acceptance, which sees every seed's hypotheses, chooses better.
	screenProbes = 6
	screenMisses = 2
	screenKeep   = 24
	topK         = 3
	// maxGate bounds a verification gate, in units of MaxResidualS.
	maxGate = 3.0
	// strongFrac is the share of the sensors in range that makes a
	// hypothesis so strong that its detections seed no other.
	strongFrac = 0.9
	// rateWindow is the half-width, in seconds, of the window over which
	// the rate of detections about a member of a hypothesis is counted.
	rateWindow = 10
)

// scratch holds the buffers one seed's search reuses.
type scratch struct {
	bs, cs   []int32     // the helpers' candidate picks
	top      []candidate // the best screened candidates so far, best first
	screened []candidate
	best     []candidate
	pending  []int // neighbours still to look at
	members  []member
	prev     []member
	swapped  []*hypothesis
	// The times, standard deviations and classes of the second helper's
	// picks, beside cs.
	ct, csig []float64
	ccls     []string
	// views[k] is the view of the seed's k-th neighbour (in its nbrs) for
	// its screening; one whose stamp is not stamp is yet to be built for
	// the current seed.
	views []view
	stamp uint64
}

// view is what a seed's screening needs of one of its neighbours: its
// track, its speed of sound, and an index of the track over the seed's
// horizon by bins of time, a pick at t being in bin ⌊(t − base)·inv⌋:
// idx[b] is the index of the first pick from base on in bin b or later.
// As the bin grows with t, an interval whose bins hold no pick holds none,
// and a lower bound of the times is a step or two from idx.
type view struct {
	stamp uint64
	tr    *track
	// c is the sensor's speed of sound (see speedAt) if it does not depend
	// on the time, and 0 if it does.
	c         float64
	base, inv float64
	idx       []int32 // one more than the bins
}

// viewBins is how many bins of a view a tolerance spans, and maxViewBins
// the most bins a view has.
const (
	viewBins    = 1
	maxViewBins = 1 << 16
)

// buildView makes v the view of the track of the seed's neighbour o. The
// arrival there of the seed's sound is within o.d over the speed of sound
// of the seed's arrival: the bins cover that and the widest gate, and find
// searches the whole track beyond them.
func (a *Associator) buildView(sc *scratch, v *view, o neighbour, seed *pick) {
	v.stamp = sc.stamp
	v.tr = &a.tracks[o.s]
	switch {
	case len(v.tr.t) == 0:
		v.c = a.cfg.SpeedOfSound
	case v.tr.mixed:
		v.c = 0
	default:
		v.c = v.tr.c
	}
	ts := v.tr.t
	w := min(o.d/(seed.c*(1-maxSpeedDeviation)), a.horizon) + 2*maxGate*a.cfg.MaxResidualS
	lo, hi := seed.t-w, seed.t+w
	nbins := min(int(math.Ceil((hi-lo)/a.cfg.MaxResidualS*viewBins)), maxViewBins)
	v.base, v.inv = lo, float64(nbins)/(hi-lo)
	v.idx = slices.Grow(v.idx[:0], nbins+1)[:nbins+1]
	b := 0
	for j := lowerBound(ts, lo); j < len(ts) && b <= nbins; j++ {
		for bj := int((ts[j] - v.base) * v.inv); b <= bj && b <= nbins; b++ {
			v.idx[b] = int32(j)
		}
	}
	for ; b <= nbins; b++ {
		v.idx[b] = int32(len(ts))
	}
}

// find returns the index in v's track of the first pick at lo or later if
// it is at hi or earlier, and −1 otherwise.
func (v *view) find(lo, hi float64) int {
	ts := v.tr.t
	var k int
	fl, fh := (lo-v.base)*v.inv, (hi-v.base)*v.inv
	if fl >= 0 && fh < float64(len(v.idx)-1) {
		k = int(v.idx[int(fl)])
		if k == int(v.idx[int(fh)+1]) {
			return -1
		}
		for k < len(ts) && ts[k] < lo {
			k++
		}
	} else {
		k = lowerBound(ts, lo)
	}
	if k == len(ts) || ts[k] > hi {
		return -1
	}
	return k
}

// member is a detection explaining a source: the pick and the coordinates
// of its sensor in the seed sensor's plane. In a hypothesis, lo and hi
// delimit its alternatives in hypothesis.alts.
type member struct {
	p      int32
	e, n   float64
	lo, hi int32
}

// candidate is a source in the seed sensor's plane and its support.
type candidate struct {
	x, y, t0 float64
	// The source as the three arrivals fix it, the helpers' picks, and
	// the helpers.
	x0, y0, t00 float64
	jb, jc      int32
	h           helpers
	class       string  // the first known class of its detections, or ""
	n           int     // sensors whose detections fit
	score       float64 // log-likelihood ratio of the fits against chance
}

// hypothesis is a candidate event: a source in the seed sensor's plane,
// the detections that fit it, and its score.
type hypothesis struct {
	x, y, t0 float64
	origin   int32  // the seed's sensor, in whose plane x and y are
	class    string // its detections' known class, or ""
	// The seed's time, and its time and id again for a deterministic order.
	seedT   float64
	seedNs  int64
	seedID  string
	id      int64    // order of generation, from 1
	members []member // at most one per sensor
	m       int      // sensors within range of the source
	// score is the log-likelihood ratio of the members against chance,
	// each against the rate of detections at its sensor: where detections
	// are dense, chance fits are common and each is worth less.
	score float64
	// fit0 is the source as generated; every reassignment refits from it,
	// so that a hypothesis depends only on which detections are claimed,
	// not on the order in which they were.
	fit0 [3]float64
	// alts holds, for each member, every detection at its sensor within
	// the tolerance of the generated fit: those it may take instead. They
	// are all the detections the hypothesis can take, so two hypotheses
	// compete only if their alternatives meet.
	alts    []int32
	claimed int  // alternatives claimed when it was last scored
	emitted bool // returned by Flush
}

// evidence is the log-likelihood ratio of a detection with residual r
// (seconds) and variance v (seconds²) for an event against chance, when
// detections come at rate per second.
func evidence(r, v, rate float64) float64 {
	return -math.Log(rate*math.Sqrt(2*math.Pi*v)) - r*r/(2*v)
}

// generate searches for the events whose first detection could be pick i
// and returns the best few as hypotheses, best first.
func (a *Associator) generate(sc *scratch, i int32) []*hypothesis {
	seed := a.picks[i]
	nb := a.net.nbrs[seed.sensor]
	sc.top = sc.top[:0]
	sc.stamp++
	if len(sc.views) < len(nb) {
		sc.views = append(sc.views, make([]view, len(nb)-len(sc.views))...)
	}
	rate := a.localRate(seed, nb)
	if !a.separable(seed, nb, rate) {
		return nil
	}
	var out []*hypothesis
	tried := 0
	for _, h := range a.net.help[seed.sensor] {
		if tried == helperPairs {
			break
		}
		var fb, fc int
		sc.bs, fb = a.window(sc.bs[:0], nb[h.b], seed)
		sc.cs, fc = a.window(sc.cs[:0], nb[h.c], seed)
		if len(sc.bs) == 0 || len(sc.cs) == 0 {
			continue // a helper heard nothing: the pair can fix nothing
		}
		tried++
		bs, cs := limitPairs(sc.bs, sc.cs, &fb, &fc, a.cfg.MaxPairs)
		a.pairs(sc, &seed, h, nb, bs, cs, rate)
		out = a.secondStage(sc, seed, nb, rate)
		if len(out) > 0 && float64(len(out[0].members)) >= tryAgainFrac*float64(out[0].m) {
			break
		}
	}
	return out
}

// separable reports whether a sound heard at the seed's sensor could make an
// event at all where detections come at rate: whether, heard by every
// sensor within range of the seed's sensor with typical timing errors, its
// evidence would reach MinEvidence. Where detections are so dense that a
// chance one fits nearly as well as the sound's own, arrival times cannot
// tell sounds apart, and searching would cost much and find only chance.
func (a *Associator) separable(seed pick, nb []neighbour, rate float64) bool {
	m := 1
	for _, o := range nb {
		if o.d <= a.cfg.MaxRangeM {
			m++
		}
	}
	return float64(m)*(evidence(0, seed.sigma*seed.sigma, rate)-0.5) >= a.cfg.MinEvidence
}

// strong reports whether hy is so strong an event that its detections need
// not seed others: heard by strongFrac of the sensors in range.
func (a *Associator) strong(hy *hypothesis) bool {
	return float64(len(hy.members)) >= strongFrac*float64(hy.m)
}

// pairs screens the candidate sources that the seed makes with each pair
// of the helpers' picks bs and cs.
func (a *Associator) pairs(sc *scratch, seed *pick, h helpers, nb []neighbour, bs, cs []int32, rate float64) {
	c := seed.c
	hb, hc := nb[h.b], nb[h.c]
	kb0 := (hb.d * hb.d) / 2
	kc0 := (hc.d * hc.d) / 2
	lr := -math.Log(rate * math.Sqrt(2*math.Pi))
	sc.ct, sc.csig, sc.ccls = sc.ct[:0], sc.csig[:0], sc.ccls[:0]
	for _, jc := range cs {
		sc.ct = append(sc.ct, a.picks[jc].t)
		sc.csig = append(sc.csig, a.picks[jc].sigma)
		sc.ccls = append(sc.ccls, a.picks[jc].class)
	}
	for _, jb := range bs {
		pb := &a.picks[jb]
		// The pair's class is the first known of the seed's, jb's and
		// jc's, and must go with each.
		clsB := cmp.Or(seed.class, pb.class)
		if !compatible(clsB, pb.class) {
			continue
		}
		gb := c * (pb.t - seed.t)
		kb := kb0 - gb*gb/2
		for ic, jc := range cs {
			cls := clsB
			if cls == "" {
				cls = sc.ccls[ic]
			} else if !compatible(cls, sc.ccls[ic]) {
				continue
			}
			gc := c * (sc.ct[ic] - seed.t)
			kc := kc0 - gc*gc/2
			// The source x and its distance ρ from the seed's sensor satisfy
			// s·x = k − ρ·g for both helpers, and |x| = ρ.
			px := h.inv[0]*kb + h.inv[1]*kc
			py := h.inv[2]*kb + h.inv[3]*kc
			qx := h.inv[0]*gb + h.inv[1]*gc
			qy := h.inv[2]*gb + h.inv[3]*gc
			qa := qx*qx + qy*qy - 1
			qb := -2 * (px*qx + py*qy)
			qc := px*px + py*py
			var roots [2]float64
			nr := 0
			if math.Abs(qa) < 1e-9 {
				if qb != 0 {
					roots[0], nr = -qc/qb, 1
				}
			} else if disc := qb*qb - 4*qa*qc; disc >= 0 {
				sq := math.Sqrt(disc)
				roots[0], roots[1], nr = (-qb-sq)/(2*qa), (-qb+sq)/(2*qa), 2
			}
			for _, rho := range roots[:nr] {
				if !(rho >= 0 && rho <= a.cfg.MaxRangeM) || rho+gb < 0 || rho+gc < 0 ||
					rho+gb > a.cfg.MaxRangeM || rho+gc > a.cfg.MaxRangeM {
					continue
				}
				x, y, t0 := px-rho*qx, py-rho*qy, seed.t-rho/c
				score, xs, ys, ts, class, ok := a.screen(sc, seed, nb, h, lr, x, y, t0, pb.sigma, sc.csig[ic], cls)
				if !ok || len(sc.top) == screenKeep && score <= sc.top[screenKeep-1].score {
					continue // keep would not keep it
				}
				sc.top = keep(sc.top, candidate{x: xs, y: ys, t0: ts, x0: x, y0: y, t00: t0,
					jb: jb, jc: jc, h: h, class: class, score: score}, screenKeep)
			}
		}
	}
}

// secondStage extends the screened candidates to every sensor in range,
// from their initial sources, refines the best topK into hypotheses and
// returns them, best first.
func (a *Associator) secondStage(sc *scratch, seed pick, nb []neighbour, rate float64) []*hypothesis {
	sc.screened = append(sc.screened[:0], sc.top...)
	sc.best = sc.best[:0]
	for _, cand := range sc.screened {
		cand.x, cand.y, cand.t0 = cand.x0, cand.y0, cand.t00
		if a.extend(sc, &cand, seed, nb, rate) {
			sc.best = keep(sc.best, cand, topK)
		}
	}
	var out []*hypothesis
	for _, cand := range sc.best {
		hy := &hypothesis{x: cand.x, y: cand.y, t0: cand.t0, origin: seed.sensor, class: cand.class,
			seedT: seed.t, seedNs: seed.ns, seedID: seed.id}
		if !a.refine(sc, hy) {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || slices.EqualFunc(o.members, hy.members, func(x, y member) bool { return x.p == y.p })
		}
		if !dup {
			out = append(out, hy)
		}
	}
	slices.SortStableFunc(out, func(x, y *hypothesis) int { return cmp.Compare(y.score, x.score) })
	return out
}

// keep adds cand to top, which holds at most n candidates, best first, if
// it is among the n best; of equal scores the first stays first.
func keep(top []candidate, cand candidate, n int) []candidate {
	k := len(top)
	if k == n {
		if cand.score <= top[k-1].score {
			return top
		}
		k--
		top = top[:k]
	}
	top = append(top, cand)
	for ; k > 0 && top[k].score > top[k-1].score; k-- {
		top[k], top[k-1] = top[k-1], top[k]
	}
	return top
}

// localRate is the rate of detections per sensor and second about the
// seed: at its sensor and its neighbours, within a horizon of it (where its
// sound's detections are).
func (a *Associator) localRate(seed pick, nb []neighbour) float64 {
	n := a.count(seed.sensor, seed.t-a.horizon, seed.t+a.horizon)
	for _, o := range nb {
		n += a.count(o.s, seed.t-a.horizon, seed.t+a.horizon)
	}
	return float64(max(n, 1)) / (2 * a.horizon * float64(len(nb)+1))
}

// count is the number of picks at sensor s between lo and hi.
func (a *Associator) count(s int32, lo, hi float64) int {
	tr := a.tracks[s].t
	i := lowerBound(tr, lo)
	j := lowerBound(tr, hi)
	return j - i
}

// pickRate is the rate, per second, of the other detections at pick p's
// sensor about its time: of the chance detections it competes with. Half a
// detection in the window stands for none.
func (a *Associator) pickRate(p int32) float64 {
	pk := &a.picks[p]
	n := float64(a.count(pk.sensor, pk.t-rateWindow, pk.t+rateWindow) - 1)
	return max(n, 0.5) / (2 * rateWindow)
}

// window appends to buf the picks at neighbour nb that could be the same
// sound as seed: of a compatible class, and no further from it in time
// than the sound takes to cross between the sensors. It returns buf with
// the picks after the seed first (in order), then those before it (nearest
// first), and the number after. Like all of the generation of hypotheses
// it ignores which picks are claimed, so that what is generated does not
// depend on when acceptance ran.
func (a *Associator) window(buf []int32, nb neighbour, seed pick) ([]int32, int) {
	slack := 2 * a.cfg.MaxResidualS
	w := min(nb.d/(seed.c*(1-maxSpeedDeviation))+slack, a.horizon)
	tr := &a.tracks[nb.s]
	lo := lowerBound(tr.t, seed.t-w)
	mid := lowerBound(tr.t, seed.t-slack)
	ok := func(k int) bool { return compatible(seed.class, a.picks[tr.p[k]].class) }
	for k := mid; k < len(tr.t) && tr.t[k] <= seed.t+w; k++ {
		if ok(k) {
			buf = append(buf, tr.p[k])
		}
	}
	forward := len(buf)
	for k := mid - 1; k >= lo; k-- {
		if ok(k) {
			buf = append(buf, tr.p[k])
		}
	}
	return buf, forward
}

// limitPairs shortens bs and cs, whose first fb and fc picks follow the
// seed and the rest precede it (nearest first), until they make at most
// maxPairs pairs. It drops picks before the seed first (the seed is most
// likely the first arrival of its sound, which the others follow), then
// the latest.
func limitPairs(bs, cs []int32, fb, fc *int, maxPairs int) ([]int32, []int32) {
	for len(bs)*len(cs) > maxPairs {
		l, f := &bs, fb
		if len(cs) > len(bs) {
			l, f = &cs, fc
		}
		*l = (*l)[:len(*l)-1]
		*f = min(*f, len(*l))
	}
	return bs, cs
}

// screen is the first stage of verification: it looks for detections at
// the screenProbes sensors nearest the seed's that are in range of the
// candidate source (x, y, t0), which the seed fixes with the helpers h's
// picks (standard deviations sb and sc) and whose detections' known class
// is cls. The source fixed by three arrivals predicts the others only
// roughly (tens to hundreds of milliseconds off when the geometry is
// poor), so each is looked for within three standard deviations of its
// predicted arrival, and each one found updates the source and its
// covariance as a Kalman filter would: the gates narrow as the evidence
// grows. It reports whether the candidate survives, with its evidence so
// far, its updated source and its class. lr is −log(rate·√2π), rate the
// local rate of detections.
func (a *Associator) screen(sc *scratch, seed *pick, nb []neighbour, h helpers, lr float64,
	x, y, t0, sb, scc float64, cls string) (score, xs, ys, ts float64, class string, ok bool) {
	cfg := &a.cfg
	c := seed.c
	s0 := seed.sigma
	wide := maxGate * cfg.MaxResidualS
	var st state
	inited := false
	x0, y0, t00 := x, y, t0
	reach := cfg.MaxRangeM + dist(x, y)
	// The score is Σ log-likelihood ratios: per fit, −log(rate·√(2πv)) −
	// r²/2v, summed as n·(−log(rate·√2π)) − ½·log Πv − Σ r²/2v.
	n, prodV, sumR := 0, 1.0, 0.0
	misses, probes := 0.0, 0
	for k := range nb {
		if probes == screenProbes || nb[k].d > reach {
			break
		}
		if k == h.b || k == h.c {
			continue
		}
		d := dist(x-nb[k].e, y-nb[k].n)
		if d > cfg.MaxRangeM {
			continue
		}
		probes++
		vw := &sc.views[k]
		if vw.stamp != sc.stamp {
			a.buildView(sc, vw, nb[k], seed)
		}
		ck := vw.c
		if ck == 0 {
			ck = a.speedAt(nb[k].s, t0+d/c)
		}
		pred := t0 + d/ck
		tr := vw.tr
		j := vw.find(pred-wide, pred+wide)
		if j < 0 {
			if misses += missWeight(d, cfg.MaxRangeM); misses > screenMisses {
				return 0, 0, 0, 0, "", false
			}
			continue
		}
		if !inited {
			// Before the first fit the source is still (x0, y0, t00).
			if st, ok = initialState(x0, y0, t00, nb[h.b], nb[h.c], s0, sb, scc, c); !ok {
				return 0, 0, 0, 0, "", false
			}
			inited = true
		}
		hx, hy := gradient(x, y, nb[k].e, nb[k].n, ck, d)
		v := st.variance(hx, hy)
		gate := min(3*math.Sqrt(v+s0*s0), wide)
		p, r := -1, 0.0
		for ; j < len(tr.t) && tr.t[j] <= pred+gate; j++ {
			if !compatible(cls, tr.cls[j]) {
				continue
			}
			if rr := tr.t[j] - pred; rr >= -gate && (p < 0 || math.Abs(rr) < math.Abs(r)) {
				p, r = j, rr
			}
		}
		if p < 0 {
			if misses += missWeight(d, cfg.MaxRangeM); misses > screenMisses {
				return 0, 0, 0, 0, "", false
			}
			continue
		}
		sp := tr.sig[p]
		cls = cmp.Or(cls, tr.cls[p])
		n++
		prodV *= v + sp*sp
		sumR += r * r / (2 * (v + sp*sp))
		st.update(hx, hy, r, sp)
		x, y, t0 = st.x[0], st.x[1], st.x[2]
	}
	score = float64(n+3)*lr - 0.5*math.Log(prodV*s0*s0*sb*sb*scc*scc) - sumR
	return score, x, y, t0, cls, true
}

// missWeight is what a miss at a sensor d metres from a candidate source
// counts against it: a whole miss within half the range, where a sensor
// hears nearly every sound, and half a miss beyond, where sounds fade and
// misses are common.
func missWeight(d, rangeM float64) float64 {
	if d <= rangeM/2 {
		return 1
	}
	return 0.5
}

// extend is the second stage of verification: it looks for a detection at
// every sensor in range of cand, the one whose arrival it predicts most
// precisely first, updating cand with each, and scores it. It reports
// whether enough sensors fit for an event.
func (a *Associator) extend(sc *scratch, cand *candidate, seed pick, nb []neighbour, rate float64) bool {
	cfg := &a.cfg
	c := seed.c
	h := cand.h
	sb, scc := a.picks[cand.jb].sigma, a.picks[cand.jc].sigma
	st, ok := initialState(cand.x, cand.y, cand.t0, nb[h.b], nb[h.c], seed.sigma, sb, scc, c)
	if !ok {
		return false
	}
	cand.n = 3
	cand.score = evidence(0, seed.sigma*seed.sigma, rate) + evidence(0, sb*sb, rate) + evidence(0, scc*scc, rate)
	pending := sc.pending[:0]
	for k := range nb {
		if k != h.b && k != h.c && nb[k].d <= cfg.MaxRangeM+dist(st.x[0], st.x[1]) {
			pending = append(pending, k)
		}
	}
	m := 3
	for len(pending) > 0 {
		best, bestV, bestHx, bestHy, bestD, bestC := -1, math.Inf(1), 0.0, 0.0, 0.0, c
		for i := 0; i < len(pending); {
			k := pending[i]
			d := dist(st.x[0]-nb[k].e, st.x[1]-nb[k].n)
			if d > cfg.MaxRangeM {
				pending[i] = pending[len(pending)-1]
				pending = pending[:len(pending)-1]
				continue
			}
			ck := a.speedAt(nb[k].s, st.x[2]+d/c)
			hx, hy := gradient(st.x[0], st.x[1], nb[k].e, nb[k].n, ck, d)
			if v := st.variance(hx, hy); v < bestV {
				best, bestV, bestHx, bestHy, bestD, bestC = i, v, hx, hy, d, ck
			}
			i++
		}
		if best < 0 {
			break
		}
		k := pending[best]
		pending[best] = pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		m++
		gate := min(3*math.Sqrt(bestV+seed.sigma*seed.sigma), maxGate*cfg.MaxResidualS)
		r, p, found := a.nearestPick(nb[k].s, cand.class, st.x[2]+bestD/bestC, gate)
		if !found {
			continue
		}
		sp := a.picks[p].sigma
		cand.class = cmp.Or(cand.class, a.picks[p].class)
		cand.n++
		cand.score += evidence(r, bestV+sp*sp, rate)
		st.update(bestHx, bestHy, r, sp)
	}
	sc.pending = pending
	cand.x, cand.y, cand.t0 = st.x[0], st.x[1], st.x[2]
	return a.enough(cand.n, m)
}

// state is a source (east, north, origin time) and its covariance, kept
// as the upper triangle (00, 01, 02, 11, 12, 22).
type state struct {
	x [3]float64
	p [6]float64
}

// dist is the length of (dx, dy); the coordinates are small enough that
// math.Hypot's care for overflow is not needed.
func dist(dx, dy float64) float64 { return math.Sqrt(dx*dx + dy*dy) }

// gradient returns the derivatives of the arrival time at a sensor d
// metres from the source at (x, y), at (e, n), with respect to the
// source's east and north (that with respect to the origin time is 1).
func gradient(x, y, e, n, c, d float64) (float64, float64) {
	dd := d // math.Max(d, 1), d being at least 0 or NaN
	if d < 1 {
		dd = 1
	}
	return (x - e) / (c * dd), (y - n) / (c * dd)
}

// initialState is the source (x, y, t0) with the covariance of a source
// fixed by exactly three arrivals: the seed's (standard deviation s0) and
// the helpers' (sb and sc).
func initialState(x, y, t0 float64, hb, hc neighbour, s0, sb, sc, c float64) (state, bool) {
	ja0, ja1 := gradient(x, y, 0, 0, c, dist(x, y))
	jb0, jb1 := gradient(x, y, hb.e, hb.n, c, dist(x-hb.e, y-hb.n))
	jc0, jc1 := gradient(x, y, hc.e, hc.n, c, dist(x-hc.e, y-hc.n))
	// Inverse of the matrix with rows ja, jb, jc (each ending in 1), by
	// cofactors.
	c00 := jb1 - jc1
	c01 := jc0 - jb0
	c02 := jb0*jc1 - jb1*jc0
	det := ja0*c00 + ja1*c01 + c02
	if det == 0 || math.IsNaN(det) {
		return state{}, false
	}
	i00, i01, i02 := c00/det, (jc1-ja1)/det, (ja1-jb1)/det
	i10, i11, i12 := c01/det, (ja0-jc0)/det, (jb0-ja0)/det
	i20, i21, i22 := c02/det, (ja1*jc0-ja0*jc1)/det, (ja0*jb1-ja1*jb0)/det
	v0, v1, v2 := s0*s0, sb*sb, sc*sc
	return state{
		x: [3]float64{x, y, t0},
		p: [6]float64{
			i00*i00*v0 + i01*i01*v1 + i02*i02*v2,
			i00*i10*v0 + i01*i11*v1 + i02*i12*v2,
			i00*i20*v0 + i01*i21*v1 + i02*i22*v2,
			i10*i10*v0 + i11*i11*v1 + i12*i12*v2,
			i10*i20*v0 + i11*i21*v1 + i12*i22*v2,
			i20*i20*v0 + i21*i21*v1 + i22*i22*v2,
		},
	}, true
}

// The arrival time's gradient with respect to the source and origin time
// is (hx, hy, 1): the kernels below take hx and hy, and leave out the
// products by 1, which are exact.

// ph returns P·h for h = (hx, hy, 1).
func (s *state) ph(hx, hy float64) (float64, float64, float64) {
	p := &s.p
	return p[0]*hx + p[1]*hy + p[2],
		p[1]*hx + p[3]*hy + p[4],
		p[2]*hx + p[4]*hy + p[5]
}

// variance returns the variance of the predicted arrival, hᵀ·P·h.
func (s *state) variance(hx, hy float64) float64 {
	ph0, ph1, ph2 := s.ph(hx, hy)
	v := hx*ph0 + hy*ph1 + ph2
	if v <= 0 { // math.Max(v, 0): +0 for −0, NaN stays NaN
		return 0
	}
	return v
}

// update folds in an arrival with residual r and standard deviation sigma.
func (s *state) update(hx, hy, r, sigma float64) {
	ph0, ph1, ph2 := s.ph(hx, hy)
	sv := hx*ph0 + hy*ph1 + ph2 + sigma*sigma
	if !(sv > 0) {
		return
	}
	s.x[0] += ph0 * r / sv
	s.x[1] += ph1 * r / sv
	s.x[2] += ph2 * r / sv
	s.p[0] -= ph0 * ph0 / sv
	s.p[1] -= ph0 * ph1 / sv
	s.p[2] -= ph0 * ph2 / sv
	s.p[3] -= ph1 * ph1 / sv
	s.p[4] -= ph1 * ph2 / sv
	s.p[5] -= ph2 * ph2 / sv
}

// compatible reports whether detections of classes x and y can be one
// sound: "" (unknown) goes with anything.
func compatible(x, y string) bool { return x == "" || y == "" || x == y }

// nearestPick finds the pick at sensor s of a class compatible with class
// whose time is nearest to want, within tol; it returns the pick's
// residual (time − want) and index.
func (a *Associator) nearestPick(s int32, class string, want, tol float64) (float64, int32, bool) {
	tr := &a.tracks[s]
	k := lowerBound(tr.t, want-tol)
	best, bestR, found := int32(-1), 0.0, false
	for ; k < len(tr.t) && tr.t[k] <= want+tol; k++ {
		if !compatible(class, tr.cls[k]) {
			continue
		}
		r := tr.t[k] - want
		if !found || math.Abs(r) < math.Abs(bestR) {
			best, bestR, found = tr.p[k], r, true
		}
	}
	return bestR, best, found
}

// refine fits hy's source to the detections that explain it, collects
// them again around the fit until they stop changing, and reports whether
// enough sensors heard it.
func (a *Associator) refine(sc *scratch, hy *hypothesis) bool {
	cfg := &a.cfg
	nb := a.net.nbrs[hy.origin]
	x, y, t0 := hy.x, hy.y, hy.t0
	var m int
	for round := 0; round < 6; round++ {
		sc.prev = append(sc.prev[:0], sc.members...)
		sc.members, m = a.collect(sc.members[:0], hy, nb, x, y, t0)
		if len(sc.members) < cfg.MinDetections {
			return false
		}
		if round > 0 && slices.Equal(sc.members, sc.prev) {
			break
		}
		x, y, t0 = a.fit(sc.members, x, y, t0)
	}
	if !a.enough(len(sc.members), m) || dist(x, y) > cfg.MaxRangeM {
		return false
	}
	hy.x, hy.y, hy.t0, hy.m = x, y, t0, m
	hy.fit0 = [3]float64{x, y, t0}
	hy.members = append(hy.members[:0], sc.members...)
	hy.alts = hy.alts[:0]
	lo, hi := hy.seedT-a.horizon, hy.seedT+a.horizon
	for k := range hy.members {
		mb := &hy.members[k]
		want := t0 + dist(x-mb.e, y-mb.n)/a.picks[mb.p].c
		tr := &a.tracks[a.picks[mb.p].sensor]
		mb.lo = int32(len(hy.alts))
		j := lowerBound(tr.t, max(want-cfg.MaxResidualS, lo))
		for ; j < len(tr.t) && tr.t[j] <= min(want+cfg.MaxResidualS, hi); j++ {
			if compatible(hy.class, a.picks[tr.p[j]].class) {
				hy.alts = append(hy.alts, tr.p[j])
			}
		}
		if !slices.Contains(hy.alts[mb.lo:], mb.p) {
			hy.alts = append(hy.alts, mb.p) // the fit moved it just out
		}
		mb.hi = int32(len(hy.alts))
	}
	a.rescore(hy)
	return a.convincing(hy)
}

// enough reports whether n of the m sensors in range make an event.
func (a *Associator) enough(n, m int) bool {
	return n >= a.cfg.MinDetections && float64(n) >= a.cfg.MinFraction*float64(m)-1e-9
}

// convincing reports whether hy's evidence reaches MinEvidence.
func (a *Associator) convincing(hy *hypothesis) bool {
	return hy.score >= a.cfg.MinEvidence
}

// rescore sets hy's score from its members' residuals, each against the
// rate of chance detections at its sensor and time.
func (a *Associator) rescore(hy *hypothesis) {
	hy.score = 0
	for _, mb := range hy.members {
		s := a.picks[mb.p].sigma
		hy.score += evidence(a.residual(hy, mb), s*s, a.pickRate(mb.p))
	}
}

// residual is a member's arrival time less the one hy predicts.
func (a *Associator) residual(hy *hypothesis, mb member) float64 {
	pk := &a.picks[mb.p]
	return pk.t - hy.t0 - dist(hy.x-mb.e, hy.y-mb.n)/pk.c
}

// claimedAlts counts hy's alternatives that accepted events have claimed.
func (a *Associator) claimedAlts(hy *hypothesis) int {
	n := 0
	for _, p := range hy.alts {
		if a.picks[p].state == pickClaimed {
			n++
		}
	}
	return n
}

// reassign chooses hy's members again among its unclaimed alternatives and
// refits: from the generated fit, it takes at each sensor the detection
// nearest the predicted arrival, refits, and chooses again, so that the
// result depends only on which detections are claimed. It reports whether
// enough sensors are left for an event.
func (a *Associator) reassign(hy *hypothesis) bool {
	x, y, t0 := hy.fit0[0], hy.fit0[1], hy.fit0[2]
	for iter := 0; iter < 2; iter++ {
		kept := hy.members[:0]
		for _, mb := range hy.members {
			want := t0 + dist(x-mb.e, y-mb.n)/a.picks[mb.p].c
			best, bestCost := int32(-1), math.Inf(1)
			for _, p := range hy.alts[mb.lo:mb.hi] {
				pk := &a.picks[p]
				if pk.state == pickClaimed {
					continue
				}
				if r := math.Abs(pk.t-want) / pk.sigma; r < bestCost {
					best, bestCost = p, r
				}
			}
			if best >= 0 {
				mb.p = best
				kept = append(kept, mb)
			}
		}
		hy.members = kept
		if !a.enough(len(kept), hy.m) {
			return false
		}
		x, y, t0 = a.fit(kept, hy.fit0[0], hy.fit0[1], hy.fit0[2])
	}
	hy.x, hy.y, hy.t0 = x, y, t0
	if dist(hy.x, hy.y) > a.cfg.MaxRangeM {
		return false
	}
	a.rescore(hy)
	return a.convincing(hy)
}

// claim makes hy an accepted event: it claims its members, then exchanges
// detections with the held events where that fits both better. Two sounds
// that arrive at a sensor within the tolerance of both can each take the
// other's arrival: the first accepted takes the one nearer its prediction,
// the second falls back on what is left. An exchange of two claimed
// detections does not change which detections are claimed, so it cannot
// change what other hypotheses see.
func (a *Associator) claim(hy *hypothesis) {
	for _, mb := range hy.members {
		a.picks[mb.p].state = pickClaimed
		a.picks[mb.p].owner = hy
	}
	changed := a.scratch.swapped[:0]
	for k := range hy.members {
		mb := &hy.members[k]
		for _, q := range hy.alts[mb.lo:mb.hi] {
			o := a.picks[q].owner
			if q == mb.p || o == nil || o == hy || o.emitted {
				continue
			}
			om := o.memberHolding(q)
			if om == nil || !slices.Contains(o.alts[om.lo:om.hi], mb.p) {
				continue
			}
			before := a.misfit(hy, *mb, mb.p) + a.misfit(o, *om, q)
			after := a.misfit(hy, *mb, q) + a.misfit(o, *om, mb.p)
			if after < before {
				a.picks[mb.p].owner, a.picks[q].owner = o, hy
				mb.p, om.p = q, mb.p
				for _, x := range []*hypothesis{hy, o} {
					if !slices.Contains(changed, x) {
						changed = append(changed, x)
					}
				}
				break
			}
		}
	}
	for _, h := range changed {
		h.x, h.y, h.t0 = a.fit(h.members, h.fit0[0], h.fit0[1], h.fit0[2])
	}
	clear(changed)
	a.scratch.swapped = changed[:0]
}

// memberHolding returns hy's member whose pick is p, or nil.
func (hy *hypothesis) memberHolding(p int32) *member {
	for k := range hy.members {
		if hy.members[k].p == p {
			return &hy.members[k]
		}
	}
	return nil
}

// misfit is (r/σ)²/2 for pick p as hy's member at mb's sensor, r its
// residual from hy's fit.
func (a *Associator) misfit(hy *hypothesis, mb member, p int32) float64 {
	pk := &a.picks[p]
	r := (pk.t - hy.t0 - dist(hy.x-mb.e, hy.y-mb.n)/pk.c) / pk.sigma
	return r * r / 2
}

// event makes an Event of the accepted hypothesis hy.
func (a *Associator) event(hy *hypothesis) Event {
	var ss float64
	ids := make([]int32, len(hy.members))
	for k, mb := range hy.members {
		r := a.residual(hy, mb)
		ss += r * r
		ids[k] = mb.p
	}
	slices.SortFunc(ids, a.before)
	ev := Event{
		Detections:   make([]string, len(ids)),
		Position:     geo.NewENU(a.net.pos[hy.origin]).Inverse(hy.x, hy.y),
		Time:         fromSeconds(hy.t0),
		RMSResidualS: math.Sqrt(ss / float64(len(ids))),
	}
	for k, i := range ids {
		ev.Detections[k] = a.picks[i].id
	}
	return ev
}

// collect appends to buf, for hy's seed sensor and each neighbour within
// range of (x, y), the pick nearest its predicted arrival if it is within
// the tolerance and within a horizon of the seed. It returns buf and the
// number of sensors in range.
func (a *Associator) collect(buf []member, hy *hypothesis, nb []neighbour, x, y, t0 float64) ([]member, int) {
	cfg := &a.cfg
	tol := cfg.MaxResidualS
	lo, hi := hy.seedT-a.horizon, hy.seedT+a.horizon
	m := 0
	try := func(s int32, e, n float64) {
		d := dist(x-e, y-n)
		if d > cfg.MaxRangeM {
			return
		}
		m++
		c := a.speedAt(s, t0+d/cfg.SpeedOfSound)
		if r, p, ok := a.nearestPick(s, hy.class, t0+d/c, tol); ok {
			if t := r + t0 + d/c; t >= lo && t <= hi {
				buf = append(buf, member{p: p, e: e, n: n})
				hy.class = cmp.Or(hy.class, a.picks[p].class)
			}
		}
	}
	try(hy.origin, 0, 0)
	for _, o := range nb {
		try(o.s, o.e, o.n)
	}
	return buf, m
}

// fit is a weighted Gauss–Newton fit of source and origin time to the
// members' arrival times, from (x, y, t0).
func (a *Associator) fit(ms []member, x, y, t0 float64) (float64, float64, float64) {
	for iter := 0; iter < 10; iter++ {
		var n00, n01, n02, n11, n12, n22, g0, g1, g2 float64
		for _, mb := range ms {
			p := &a.picks[mb.p]
			c := p.c
			dx, dy := x-mb.e, y-mb.n
			d := math.Max(dist(dx, dy), 1)
			r := p.t - t0 - d/c
			w := 1 / (p.sigma * p.sigma)
			j0, j1 := dx/(c*d), dy/(c*d)
			n00 += w * j0 * j0
			n01 += w * j0 * j1
			n02 += w * j0
			n11 += w * j1 * j1
			n12 += w * j1
			n22 += w
			g0 += w * j0 * r
			g1 += w * j1 * r
			g2 += w * r
		}
		// Solve the symmetric 3×3 system by Cramer's rule.
		c00 := n11*n22 - n12*n12
		c01 := n02*n12 - n01*n22
		c02 := n01*n12 - n02*n11
		det := n00*c00 + n01*c01 + n02*c02
		if det == 0 || math.IsNaN(det) {
			break
		}
		c11 := n00*n22 - n02*n02
		c12 := n01*n02 - n00*n12
		c22 := n00*n11 - n01*n01
		dx := (c00*g0 + c01*g1 + c02*g2) / det
		dy := (c01*g0 + c11*g1 + c12*g2) / det
		dt := (c02*g0 + c12*g1 + c22*g2) / det
		x, y, t0 = x+dx, y+dy, t0+dt
		if math.Abs(dx) < 0.01 && math.Abs(dy) < 0.01 {
			break
		}
	}
	return x, y, t0
}

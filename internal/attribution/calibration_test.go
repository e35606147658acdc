package attribution

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// zigzag returns a line of n segments 3 to 8 km long heading east with
// turns of 40° to 120° at every vertex, from a seeded generator: a line
// with bends everywhere. Every segment heads between north-east and
// south-east, so the line never crosses itself.
func zigzag(rng *rand.Rand, n int) []geo.LonLat {
	pts := []geo.LonLat{{Lon: 36, Lat: 48}}
	for i := range n {
		dev := 20 + 40*rng.Float64()
		if i%2 == 1 {
			dev = -dev
		}
		pts = append(pts, geo.Direct(pts[i], 90+dev, 3000+5000*rng.Float64()))
	}
	return pts
}

// event is one simulated event: where it truly was, the party whose side
// that is, and its estimate.
type event struct {
	truth geo.LonLat
	party string
	est   Estimate
}

// simulate draws n events near the line. The error's covariance has a
// major standard deviation log-uniform from 100 m to 3 km, a minor one from
// 0.1 to 1 times that, and a uniform orientation. The true point is
// uniform over the plane within 5 major standard deviations of the line:
// a flat prior near the line, given the covariance, which is what the
// probabilities assume. The estimate is the true point plus the error.
func simulate(t testing.TB, a *terms.Agreement, line []geo.LonLat, rng *rand.Rand, n int) []event {
	t.Helper()
	lo, hi := line[0], line[0]
	for _, p := range line {
		lo = geo.LonLat{Lon: min(lo.Lon, p.Lon), Lat: min(lo.Lat, p.Lat)}
		hi = geo.LonLat{Lon: max(hi.Lon, p.Lon), Lat: max(hi.Lat, p.Lat)}
	}
	events := make([]event, 0, n)
	for len(events) < n {
		major := 100 * math.Pow(30, rng.Float64())
		minor := major * (0.1 + 0.9*rng.Float64())
		cov := ellipse(major, minor, 180*rng.Float64())
		band := 5 * major
		// Uniform in a box holding the band, kept if within the band.
		pad := band/111_000 + 0.01
		var truth geo.LonLat
		var loc terms.Location
		for {
			truth = geo.LonLat{
				Lon: lo.Lon - 1.5*pad + (hi.Lon-lo.Lon+3*pad)*rng.Float64(),
				Lat: lo.Lat - pad + (hi.Lat-lo.Lat+2*pad)*rng.Float64(),
			}
			if loc = a.Locate(truth); loc.DistanceM <= band {
				break
			}
		}
		g, err := newGaussian(cov)
		if err != nil {
			t.Fatal(err)
		}
		de, dn := g.offset([2]float64{rng.NormFloat64(), rng.NormFloat64()})
		events = append(events, event{
			truth: truth,
			party: loc.Party,
			est:   Estimate{Position: geo.NewENU(truth).Inverse(de, dn), Cov: cov},
		})
	}
	return events
}

// calibration sorts attributions into bins of their reported top
// probability and counts how often the top party is the true one.
type calibration struct {
	bins         []bin // the first are disjoint; the last two are p ≥ 0.9 and p ≥ 0.95
	ties, onLine int
}

// bin holds the attributions whose top probability is in [lo, hi).
type bin struct {
	lo, hi     float64
	n, correct int
	sumP       float64
}

func newCalibration() *calibration {
	c := &calibration{}
	for _, b := range [][2]float64{{0.5, 0.6}, {0.6, 0.7}, {0.7, 0.8}, {0.8, 0.9}, {0.9, 0.95}, {0.95, 0.99}, {0.99, 1.01}, {0.9, 1.01}, {0.95, 1.01}} {
		c.bins = append(c.bins, bin{lo: b[0], hi: b[1]})
	}
	return c
}

// add counts an attribution with probability pA of A's side, of an event
// truly on truth's side.
func (c *calibration) add(pA float64, truth string) {
	top, p := "A", pA
	switch {
	case truth == "":
		c.onLine++
		return
	case pA == 0.5:
		c.ties++
		return
	case pA < 0.5:
		top, p = "B", 1-pA
	}
	for i := range c.bins {
		if b := &c.bins[i]; p >= b.lo && p < b.hi {
			b.n++
			b.sumP += p
			if top == truth {
				b.correct++
			}
		}
	}
}

// check reports each bin of at least 200 events whose fraction on the
// reported side is farther from its mean reported probability than 0.03,
// or three standard errors for a thinner bin.
func (c *calibration) check(t *testing.T, what string) {
	t.Helper()
	for _, b := range c.bins {
		if b.n < 200 {
			continue
		}
		mean, frac := b.sumP/float64(b.n), float64(b.correct)/float64(b.n)
		if tol := max(0.03, 3*math.Sqrt(mean*(1-mean)/float64(b.n))); math.Abs(frac-mean) > tol {
			t.Errorf("%s: reported %.2f–%.2f: %d events, mean %.3f, but %.3f on that side (tolerance %.3f)", what, b.lo, b.hi, b.n, mean, frac, tol)
		}
	}
}

// table renders the bins as Markdown.
func (c *calibration) table(title string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "\n%s\n\n| top probability | events | mean | on that side | difference | wrong |\n|---|---|---|---|---|---|\n", title)
	for _, b := range c.bins {
		if b.n == 0 {
			continue
		}
		mean, frac := b.sumP/float64(b.n), float64(b.correct)/float64(b.n)
		name := fmt.Sprintf("%.2f–%.2f", b.lo, min(b.hi, 1))
		if b.hi > 1 && b.lo < 0.99 {
			name = fmt.Sprintf("≥ %.2f", b.lo)
		}
		fmt.Fprintf(&s, "| %s | %d | %.3f | %.3f | %+.3f | %d |\n", name, b.n, mean, frac, frac-mean, b.n-b.correct)
	}
	return s.String()
}

// TestCalibration checks that the probabilities mean what they say: over
// 20,000 simulated events near a line with bends everywhere, the events
// reported with a top probability near p are on that side a fraction p of
// the time, overall and among the events near a bend, and fewer than 2 %
// of those attributed with p ≥ 0.95 are on the other side. It logs the
// same tables for the straight-line formula Φ(s/σn) alone.
func TestCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261201, 7))
	line := zigzag(rng, 30)
	a := agreement(t, line, 2000)
	at, err := New(a, Config{})
	if err != nil {
		t.Fatal(err)
	}
	events := simulate(t, a, line, rng, 20_000)

	results := make([]Result, len(events))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(events); i += workers {
				if results[i], errs[w] = at.Attribute(events[i].est); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	all, bend := newCalibration(), newCalibration()
	naiveAll, naiveBend := newCalibration(), newCalibration()
	var attributed, sampled, nearBend int
	for i, r := range results {
		e := events[i]
		if (r.Party != "") != (r.Probability >= DefaultMinProbability) {
			t.Errorf("event %d: Party %q with probability %g", i, r.Party, r.Probability)
		}
		if r.Party != "" {
			attributed++
		}
		if r.Method == MethodSampled {
			sampled++
		}
		naive := phi(r.SignedDistanceM / r.DistanceSigmaM)
		all.add(r.Probabilities["A"], e.party)
		naiveAll.add(naive, e.party)
		// Near a bend: a vertex within two major standard deviations.
		g, _ := newGaussian(e.est.Cov)
		if slices.ContainsFunc(line, func(v geo.LonLat) bool { return geo.Distance(v, e.est.Position) < 2*g.s1 }) {
			nearBend++
			bend.add(r.Probabilities["A"], e.party)
			naiveBend.add(naive, e.party)
		}
	}
	all.check(t, "all events")
	bend.check(t, "events near a bend")
	if high := all.bins[len(all.bins)-1]; high.n == 0 || float64(high.n-high.correct) >= 0.02*float64(high.n) {
		t.Errorf("%d of %d attributions at p ≥ 0.95 on the wrong side, want under 2 %%", high.n-high.correct, high.n)
	}
	t.Logf("%d events, %d near a bend, %d computed by the numerical method; %d attributed at p ≥ %g; %d ties, %d true points on the line%s%s%s%s",
		len(events), nearBend, sampled, attributed, DefaultMinProbability, all.ties, all.onLine,
		all.table("Attribute, all events:"), bend.table("Attribute, events with a vertex within 2σ of the estimate:"),
		naiveAll.table("The straight-line formula alone, all events:"), naiveBend.table("The straight-line formula alone, events near a bend:"))
}

package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
)

// Config tunes a Correlator. The zero value is a sensible default.
type Config struct {
	// Window is how long after its last evidence an incident stays open to
	// late and out-of-order evidence; 0 means 10 minutes.
	Window time.Duration
	// MaxGap is how far apart in time, beyond their time uncertainties,
	// two pieces of evidence of one incident may be: a barrage lasts; 0
	// means 2 minutes.
	MaxGap time.Duration
	// Gate is the squared Mahalanobis distance within which two positions,
	// given both their uncertainties, are of one incident; 0 means 9.21,
	// the 99 % quantile of the chi-square distribution with two degrees of
	// freedom.
	Gate float64
	// Scheme is the classification scheme labels follow; the zero value
	// means label.DefaultScheme.
	Scheme label.Scheme
}

func (c Config) withDefaults() Config {
	c.Window = cmp.Or(c.Window, 10*time.Minute)
	c.MaxGap = cmp.Or(c.MaxGap, 2*time.Minute)
	c.Gate = cmp.Or(c.Gate, 9.21)
	if len(c.Scheme.Levels) == 0 {
		c.Scheme = label.DefaultScheme()
	}
	return c
}

// Incident is a fused event: where and when it happened, with the evidence
// it rests on and how sure fusion is.
type Incident struct {
	// ID is "inc-" and the id of the evidence that opened it.
	ID    string
	Class Class
	// Role is what its evidence places: RoleOrigin or RoleImpact when any
	// piece places that, else RoleUnknown.
	Role Role
	// Start and End bound the times of its evidence.
	Start, End time.Time
	// Position is the information-weighted mean of its independent
	// evidence; Cov its covariance in a local east-north frame (m²), and
	// Ellipse95 the 95 % ellipse.
	Position  geo.LonLat
	Cov       [2][2]float64
	Ellipse95 geo.Ellipse
	// Evidence is every piece of evidence it rests on, in the order added.
	Evidence []Evidence
	// Confidence is how well it is supported.
	Confidence Confidence
	// Label is the most restrictive label of its evidence: the highest
	// classification and the nations every piece is released to.
	Label label.Label
	// Version counts the changes made to it, from 1.
	Version int
}

// Observations returns the ids of the observations the incident rests on.
func (in Incident) Observations() []string {
	var out []string
	for _, e := range in.Evidence {
		out = append(out, e.Observations...)
	}
	return out
}

// Change is what adding evidence did to an incident.
type Change struct {
	Incident Incident
	// Created is true for a new incident; otherwise it was updated.
	Created bool
	// Absorbed names the incidents merged into this one, which no longer
	// exist.
	Absorbed []string
}

// Correlator fuses evidence into incidents as it arrives. It holds the
// incidents still open; it is not safe for concurrent use.
type Correlator struct {
	cfg    Config
	open   []*Incident
	byID   map[string]*Incident // the open incidents by id
	seen   map[string]string    // evidence id → incident id, for evidence already added
	merged map[string]string    // absorbed incident id → the open incident it is part of
}

// NewCorrelator returns a correlator with no open incidents.
func NewCorrelator(cfg Config) *Correlator {
	return &Correlator{cfg: cfg.withDefaults(), seen: map[string]string{}, merged: map[string]string{}, byID: map[string]*Incident{}}
}

// Add fuses one piece of evidence and returns the incident it created or
// changed. Evidence already added (by id) changes nothing and returns the
// incident it is in, unchanged.
func (c *Correlator) Add(e Evidence) (Change, error) {
	if err := e.Check(); err != nil {
		return Change{}, fmt.Errorf("fuse: %w", err)
	}
	if id, ok := c.seen[e.ID]; ok {
		if in, ok := c.byID[id]; ok {
			return Change{Incident: *in}, nil
		}
		return Change{}, fmt.Errorf("fuse: evidence %s was fused into incident %s, which has closed", e.ID, id)
	}
	var best *Incident
	bestD := math.Inf(1)
	for _, in := range c.open {
		if d, ok := c.compatible(in, e); ok && d < bestD {
			best, bestD = in, d
		}
	}
	ch := Change{}
	if best == nil {
		best = &Incident{ID: "inc-" + e.ID, Class: e.Class}
		c.open = append(c.open, best)
		c.byID[best.ID] = best
		ch.Created = true
	}
	best.Evidence = append(best.Evidence, e)
	c.seen[e.ID] = best.ID
	c.refresh(best)
	// The incident moved and grew: it may now be one with another.
	for {
		other := c.mergeable(best)
		if other == nil {
			break
		}
		best.Evidence = append(best.Evidence, other.Evidence...)
		for _, oe := range other.Evidence {
			c.seen[oe.ID] = best.ID
		}
		ch.Absorbed = append(ch.Absorbed, other.ID)
		c.merged[other.ID] = best.ID
		for id, into := range c.merged {
			if into == other.ID {
				c.merged[id] = best.ID
			}
		}
		c.open = slices.DeleteFunc(c.open, func(in *Incident) bool { return in == other })
		delete(c.byID, other.ID)
		c.refresh(best)
	}
	ch.Incident = *best
	return ch, nil
}

// Close removes and returns the incidents whose last evidence is more than
// the window before now: no late evidence will join them any more.
func (c *Correlator) Close(now time.Time) []Incident {
	var closed []Incident
	c.open = slices.DeleteFunc(c.open, func(in *Incident) bool {
		if in.End.Add(c.cfg.Window).Before(now) {
			closed = append(closed, *in)
			delete(c.byID, in.ID)
			for _, e := range in.Evidence {
				delete(c.seen, e.ID)
			}
			for id, into := range c.merged {
				if into == in.ID {
					delete(c.merged, id)
				}
			}
			return true
		}
		return false
	})
	return closed
}

// IncidentOf returns the id of the open incident that holds the evidence
// with the given id, or that absorbed the incident with the given id; ""
// when there is none.
func (c *Correlator) IncidentOf(id string) string {
	if into, ok := c.merged[id]; ok {
		return into
	}
	return c.seen[id]
}

// Lookup returns the open incident with the given id.
func (c *Correlator) Lookup(id string) (Incident, bool) {
	if in, ok := c.byID[id]; ok {
		return *in, true
	}
	return Incident{}, false
}

// Near returns the open incidents of a class whose time span comes within
// slack of [from, to] and whose position is within about radiusM of p (a
// quick equirectangular test that errs on the side of including).
func (c *Correlator) Near(class Class, p geo.LonLat, radiusM float64, from, to time.Time, slack time.Duration) []Incident {
	var out []Incident
	for _, in := range c.open {
		if in.Class != class || in.End.Add(slack).Before(from) || in.Start.Add(-slack).After(to) {
			continue
		}
		if roughDistance(p, in.Position) > 1.01*radiusM+1 {
			continue
		}
		out = append(out, *in)
	}
	return out
}

// roughDistance is the equirectangular distance between a and b in metres:
// within a fraction of a percent of the geodesic one over tens of
// kilometres, and cheap.
func roughDistance(a, b geo.LonLat) float64 {
	const mPerDeg = 111_320.0
	dlon := math.Remainder(b.Lon-a.Lon, 360)
	x := dlon * math.Cos((a.Lat+b.Lat)/2*math.Pi/180) * mPerDeg
	y := (b.Lat - a.Lat) * 110_574.0
	return math.Hypot(x, y)
}

// Open returns the incidents still open, oldest first.
func (c *Correlator) Open() []Incident {
	out := make([]Incident, len(c.open))
	for i, in := range c.open {
		out[i] = *in
	}
	slices.SortFunc(out, func(a, b Incident) int { return a.Start.Compare(b.Start) })
	return out
}

// compatible says whether e may join in, and how far it is (the squared
// Mahalanobis distance of the positions).
func (c *Correlator) compatible(in *Incident, e Evidence) (float64, bool) {
	if in.Class != e.Class || !in.Role.compatible(e.Role) || !c.closeInTime(in.Start, in.End, e.Time, e.TimeSigma) {
		return 0, false
	}
	if !c.mayGate(in.Position, in.Cov, e.Position, e.Cov) {
		return 0, false
	}
	d := mahalanobis2(in.Position, in.Cov, e.Position, e.Cov)
	return d, d <= c.cfg.Gate
}

// mergeable returns an open incident that in's position and times now make
// one with it, if any.
func (c *Correlator) mergeable(in *Incident) *Incident {
	for _, other := range c.open {
		if other == in || other.Class != in.Class || !other.Role.compatible(in.Role) {
			continue
		}
		if !c.closeInTime(in.Start, in.End, other.Start, 0) && !c.closeInTime(in.Start, in.End, other.End, 0) {
			continue
		}
		if c.mayGate(in.Position, in.Cov, other.Position, other.Cov) && mahalanobis2(in.Position, in.Cov, other.Position, other.Cov) <= c.cfg.Gate {
			return other
		}
	}
	return nil
}

// closeInTime says whether t (with one-sigma uncertainty sigma) is within
// MaxGap and three sigmas of the interval [start, end].
func (c *Correlator) closeInTime(start, end, t time.Time, sigma time.Duration) bool {
	slack := c.cfg.MaxGap + 3*sigma
	return !t.Before(start.Add(-slack)) && !t.After(end.Add(slack))
}

// refresh recomputes an incident from its evidence.
func (c *Correlator) refresh(in *Incident) {
	in.Version++
	in.Start, in.End = in.Evidence[0].Time, in.Evidence[0].Time
	in.Role = RoleUnknown
	labels := make([]label.Label, 0, len(in.Evidence))
	for _, e := range in.Evidence {
		if e.Time.Before(in.Start) {
			in.Start = e.Time
		}
		if e.Time.After(in.End) {
			in.End = e.Time
		}
		labels = append(labels, e.Label)
		if e.Role == RoleOrigin || e.Role == RoleImpact {
			in.Role = e.Role
		}
	}
	in.Position, in.Cov = fusePositions(perSource(in.Evidence))
	in.Ellipse95, _ = geo.EllipseFromCov(in.Cov, 0.95) // Cov is positive definite: Evidence.Check
	in.Confidence = confidenceOf(in.Evidence)
	if l, err := label.MostRestrictive(c.cfg.Scheme, labels...); err == nil {
		in.Label = l
	} else {
		// A label the scheme does not know: release the incident to no one
		// rather than guess.
		in.Label = label.Label{Classification: c.cfg.Scheme.Levels[len(c.cfg.Scheme.Levels)-1]}
	}
}

// perSource keeps, of each source's evidence, the piece with the smallest
// location uncertainty: a source that reports one event twice counts once.
func perSource(evidence []Evidence) []Evidence {
	best := map[string]Evidence{}
	var order []string
	for _, e := range evidence {
		b, ok := best[e.Source]
		if !ok {
			order = append(order, e.Source)
		}
		if !ok || det(e.Cov) < det(b.Cov) {
			best[e.Source] = e
		}
	}
	out := make([]Evidence, len(order))
	for i, s := range order {
		out[i] = best[s]
	}
	return out
}

// fusePositions returns the information-weighted mean of positions and its
// covariance, in a local frame at the first position.
func fusePositions(evidence []Evidence) (geo.LonLat, [2][2]float64) {
	frame := geo.NewENU(evidence[0].Position)
	var info [2][2]float64 // sum of inverse covariances
	var v [2]float64       // sum of inverse covariance times position
	for _, e := range evidence {
		x, y := frame.Forward(e.Position)
		inv := inverse(e.Cov)
		for i := range 2 {
			for j := range 2 {
				info[i][j] += inv[i][j]
			}
		}
		v[0] += inv[0][0]*x + inv[0][1]*y
		v[1] += inv[1][0]*x + inv[1][1]*y
	}
	cov := inverse(info)
	x := cov[0][0]*v[0] + cov[0][1]*v[1]
	y := cov[1][0]*v[0] + cov[1][1]*v[1]
	return frame.Inverse(x, y), cov
}

// mayGate is a quick test that two positions could be within the gate:
// the Mahalanobis distance is at least the distance over the standard
// deviation along the largest axis of the summed covariance, which is at
// most the square root of its trace.
func (c *Correlator) mayGate(a geo.LonLat, ca [2][2]float64, b geo.LonLat, cb [2][2]float64) bool {
	d := roughDistance(a, b) / 1.01
	return d*d <= c.cfg.Gate*(ca[0][0]+ca[1][1]+cb[0][0]+cb[1][1])
}

// mahalanobis2 is the squared Mahalanobis distance between two uncertain
// positions: their offset weighed by the sum of their covariances.
func mahalanobis2(a geo.LonLat, ca [2][2]float64, b geo.LonLat, cb [2][2]float64) float64 {
	x, y := geo.NewENU(a).Forward(b)
	var sum [2][2]float64
	for i := range 2 {
		for j := range 2 {
			sum[i][j] = ca[i][j] + cb[i][j]
		}
	}
	return geo.Mahalanobis2(sum, x, y)
}

func det(m [2][2]float64) float64 { return m[0][0]*m[1][1] - m[0][1]*m[1][0] }

func inverse(m [2][2]float64) [2][2]float64 {
	d := det(m)
	return [2][2]float64{{m[1][1] / d, -m[0][1] / d}, {-m[1][0] / d, m[0][0] / d}}
}

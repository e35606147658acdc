package attribution

import (
	"errors"
	"fmt"
	"math"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Defaults and limits of Config.
const (
	// DefaultMinProbability is the probability the most probable side must
	// reach for a party to be named: 0.95. A wrong attribution costs a
	// guarantor more than "not attributable", which still reports the
	// probabilities and keeps the incident. Because the probabilities are
	// calibrated (TestCalibration), the threshold is the error rate accepted
	// at the margin: at 0.9 an event just over it is on the other side one
	// time in ten, at 0.95 one in twenty, and over all attributions far
	// fewer, since most are far above it (0.5 % wrong in TestCalibration,
	// against 1 % at 0.9). The analyst's rule of thumb "the 95 % ellipse lies
	// wholly on one side" asks, for a straight line, for 0.993, and leaves
	// unattributed many events that are attributable with 1 error in 20.
	DefaultMinProbability = 0.95
	// DefaultSamples is the number of points of the numerical integration:
	// 128. The side and zone probabilities are then within 0.01 of a
	// brute-force Monte Carlo reference where the line bends (TestBends),
	// and a numerical call costs about 0.35 ms on the example line.
	DefaultSamples = 128
	// MinSamples is the least Config.Samples.
	MinSamples = 16
	// MaxSamples is the largest Config.Samples.
	MaxSamples = 1 << 16
	// MaxSigmaM is the largest standard deviation, in metres, along the
	// major axis of an estimate's covariance: 1,000 km. A larger one says
	// nothing about sides and is more likely a mistake of units.
	MaxSigmaM = 1_000_000.0
	// PointSigmaM is the standard deviation, in metres, along the major axis
	// below which an estimate is treated as an exact point (MethodPoint):
	// 1 mm, the accuracy of Locate's distances.
	PointSigmaM = 0.001
)

// Estimate is an estimated point and its uncertainty.
type Estimate struct {
	// Position is the estimate.
	Position geo.LonLat
	// Cov is the covariance of the estimate's error in the local east-north
	// plane about Position (geo.NewENU(Position)), in square metres:
	// Cov[0][0] is the variance of east, Cov[1][1] that of north and
	// Cov[0][1] = Cov[1][0] their covariance. It must be finite, symmetric
	// and positive semi-definite. A singular covariance is an error along
	// one axis only; a zero one (or one under PointSigmaM) makes the
	// estimate an exact point.
	Cov [2][2]float64
}

// Config tunes an Attributor. The zero Config uses the defaults.
type Config struct {
	// MinProbability is the probability the most probable side must reach
	// for a party to be named: more than 0.5, at most 1. Zero means
	// DefaultMinProbability.
	MinProbability float64
	// Samples is the number of points of the numerical integration, from
	// MinSamples to MaxSamples. Zero means DefaultSamples.
	Samples int
}

// withDefaults returns c with its zero fields set to the defaults, or an
// error naming the field out of range.
func (c Config) withDefaults() (Config, error) {
	if c.MinProbability == 0 {
		c.MinProbability = DefaultMinProbability
	}
	if c.Samples == 0 {
		c.Samples = DefaultSamples
	}
	if !(c.MinProbability > 0.5 && c.MinProbability <= 1) {
		return Config{}, fmt.Errorf("attribution: Config.MinProbability %g is not in (0.5, 1]", c.MinProbability)
	}
	if c.Samples < MinSamples || c.Samples > MaxSamples {
		return Config{}, fmt.Errorf("attribution: Config.Samples %d is not in [%d, %d]", c.Samples, MinSamples, MaxSamples)
	}
	return c, nil
}

// Method is how a Result was computed.
type Method string

// The methods of Result.Method.
const (
	// MethodPoint: the covariance is zero (or under PointSigmaM), and the
	// estimate is taken as the true point.
	MethodPoint Method = "point"
	// MethodAnalytic: the line is proved straight over the ellipse, or
	// absent from it, and the probabilities are closed-form.
	MethodAnalytic Method = "analytic"
	// MethodSampled: the probabilities are integrated over Config.Samples
	// fixed points of the distribution, classified by Locate.
	MethodSampled Method = "sampled"
)

// Result is the attribution of an estimate.
type Result struct {
	// Probabilities maps each party's code to the probability that the true
	// point is on that party's side. They sum to 1: a true point exactly
	// on the line (which has no side) counts half to each party.
	Probabilities map[string]float64
	// Party is the code of the attributed party: the most probable side's
	// party, when its probability is at least Config.MinProbability. It is
	// empty when the estimate is not attributable.
	Party string
	// Probability is the largest of Probabilities, whether or not a party
	// is named: 0.5 for an even split.
	Probability float64
	// SignedDistanceM is the geodesic distance in metres from the estimate
	// to the contact line, positive on the left side and negative on the
	// right (Location.SignedDistanceM).
	SignedDistanceM float64
	// DistanceSigmaM is the standard deviation in metres of the estimate's
	// error along the line's normal at the nearest point, √(nᵀΣn): the
	// standard deviation of the signed distance to first order, and
	// exactly for a straight line.
	DistanceSigmaM float64
	// Zones are the zones the estimate itself is in (Location.Zones).
	Zones []string
	// ZoneProbabilities maps the buffer zone (terms.ZoneBuffer) and the
	// withdrawal band of every weapon class (terms.WithdrawalZone) to the
	// probability that the true point is in it, on either side.
	ZoneProbabilities map[string]float64
	// PartyZoneProbabilities maps each party's code and each zone to the
	// probability that the true point is both on that party's side and in
	// the zone: what a rule about one party's weapons in a band needs,
	// which the two marginal probabilities do not give. For each zone the
	// parties' values sum to ZoneProbabilities[zone].
	PartyZoneProbabilities map[string]map[string]float64
	// Method is how the probabilities were computed.
	Method Method
}

// Attributor attributes estimates under one agreement. It is immutable and
// safe for concurrent use.
type Attributor struct {
	agreement   *terms.Agreement
	cfg         Config
	left, right string // party codes
	zones       []zone
	index       *lineIndex
	points      [][2]float64 // the standard normal points of the numerical method
}

// zone is a band of the terms: its name and half width.
type zone struct {
	name  string
	width float64
}

// New returns an Attributor for the agreement a with the configuration cfg.
func New(a *terms.Agreement, cfg Config) (*Attributor, error) {
	if a == nil {
		return nil, errors.New("attribution: no agreement")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := a.Terms()
	left, okL := a.PartyBySide(terms.Left)
	right, okR := a.PartyBySide(terms.Right)
	if !okL || !okR {
		return nil, fmt.Errorf("attribution: terms %q version %q: want a party on each side", t.ID, t.Version)
	}
	index := newLineIndex(a.ContactLines())
	zones := []zone{{terms.ZoneBuffer, t.BufferZone.HalfWidthM}}
	for _, w := range t.WeaponClasses {
		zones = append(zones, zone{terms.WithdrawalZone(w.Code), w.WithdrawalM})
	}
	return &Attributor{
		agreement: a,
		cfg:       cfg,
		left:      left.Code,
		right:     right.Code,
		zones:     zones,
		index:     index,
		points:    sunflower(cfg.Samples),
	}, nil
}

// Attribute attributes e under the agreement a with the configuration
// cfg. It builds an Attributor for the one call; to attribute many
// estimates, build one with New and call its Attribute.
func Attribute(a *terms.Agreement, e Estimate, cfg Config) (Result, error) {
	at, err := New(a, cfg)
	if err != nil {
		return Result{}, err
	}
	return at.Attribute(e)
}

// Config returns the configuration in use, with defaults filled in.
func (at *Attributor) Config() Config { return at.cfg }

// Attribute returns the attribution of e. It fails for a position that is
// not a valid WGS84 longitude and latitude, and for a covariance that is
// not finite, not symmetric, not positive semi-definite or wider than
// MaxSigmaM; see Estimate.
func (at *Attributor) Attribute(e Estimate) (Result, error) {
	if !e.Position.Valid() {
		return Result{}, fmt.Errorf("attribution: position (%g, %g) is not a WGS84 longitude and latitude", e.Position.Lon, e.Position.Lat)
	}
	g, err := newGaussian(e.Cov)
	if err != nil {
		return Result{}, fmt.Errorf("attribution: %w", err)
	}
	if g.s1 > MaxSigmaM {
		return Result{}, fmt.Errorf("attribution: covariance %v: standard deviation %.0f m exceeds %.0f m", e.Cov, g.s1, MaxSigmaM)
	}
	loc := at.agreement.Locate(e.Position)
	if math.IsNaN(loc.SignedDistanceM) {
		return Result{}, fmt.Errorf("attribution: no distance to the contact line from (%g, %g)", e.Position.Lon, e.Position.Lat)
	}
	enu := geo.NewENU(e.Position)
	grad := at.gradient(enu, loc, g.s1)
	sigma := g.sigmaAlong(grad)
	lin := normal{mean: loc.SignedDistanceM, sigma: sigma}

	res := Result{
		SignedDistanceM: loc.SignedDistanceM,
		DistanceSigmaM:  sigma,
		Zones:           loc.Zones,
	}
	var p probs
	switch {
	case g.s1 < PointSigmaM:
		res.Method = MethodPoint
		p = at.classify(loc)
	case at.straight(e.Position, loc, g.s1):
		res.Method = MethodAnalytic
		p = linearProbs(lin, at.zones)
	default:
		res.Method = MethodSampled
		p, err = at.integrate(enu, g, grad, lin)
		if err != nil {
			return Result{}, err
		}
	}
	at.fill(&res, p)
	return res, nil
}

// gradient returns the gradient, in the east-north plane about the
// estimate, of the signed distance to the line: the unit normal of the line
// at the nearest point, pointing to the left side. It is the unit vector
// from the nearest point to the estimate, turned to the left. Within a
// metre of the line, where that direction is no longer accurate, it is
// taken from whichever of two probes (east and north of the estimate) is
// farther from the line. It is zero if neither probe finds a direction.
func (at *Attributor) gradient(enu geo.ENU, loc terms.Location, sigmaMax float64) [2]float64 {
	const near = 1.0 // metres
	if loc.DistanceM >= near {
		if v, ok := awayFromLine(enu, loc, 0, 0); ok {
			return v
		}
	}
	h := min(10, max(sigmaMax, PointSigmaM))
	var best terms.Location
	var bestE, bestN float64
	for _, d := range [][2]float64{{h, 0}, {0, h}} {
		if l := at.agreement.Locate(enu.Inverse(d[0], d[1])); l.DistanceM > best.DistanceM {
			best, bestE, bestN = l, d[0], d[1]
		}
	}
	if best.DistanceM < h/100 {
		return [2]float64{}
	}
	v, _ := awayFromLine(enu, best, bestE, bestN)
	return v
}

// awayFromLine returns the unit vector, in the plane enu, from the nearest
// point of the line to the point (e, n) that loc locates, turned towards
// the left side: the gradient of the signed distance there.
func awayFromLine(enu geo.ENU, loc terms.Location, e, n float64) ([2]float64, bool) {
	var sign float64
	switch loc.Side {
	case terms.Left:
		sign = 1
	case terms.Right:
		sign = -1
	default:
		return [2]float64{}, false
	}
	fe, fn := enu.Forward(loc.LinePoint)
	de, dn := e-fe, n-fn
	r := math.Hypot(de, dn)
	if r == 0 || math.IsNaN(r) {
		return [2]float64{}, false
	}
	return [2]float64{sign * de / r, sign * dn / r}, true
}

// straight reports whether the analytic method is exact (to 4·10⁻⁶) for an
// estimate at q, located at loc, whose major standard deviation is
// sigmaMax: see the package documentation.
func (at *Attributor) straight(q geo.LonLat, loc terms.Location, sigmaMax float64) bool {
	r := tailSigmas * sigmaMax
	reach := loc.DistanceM + 2*r
	if !at.index.straightWithin(q, r) || !at.index.raysClear(q, r, reach) {
		return false
	}
	for _, z := range at.zones {
		// The distance to the line is 1-Lipschitz: if the zone's edge is
		// farther than r from the estimate's distance, the disc is wholly
		// in or out of the zone.
		if math.Abs(z.width-loc.DistanceM) < r {
			return at.index.straightWithin(q, reach)
		}
	}
	return true
}

// tailSigmas is the radius, in major standard deviations, of the disc
// over which straight proves the line straight: the normal distribution
// puts e^(−tailSigmas²/2) ≈ 3.7·10⁻⁶ outside it.
const tailSigmas = 5.0

// probs are the probabilities of an attribution, before they are named.
type probs struct {
	left float64 // of the left side, with half of the line
	// zone[i] is the probability of at.zones[i]; zoneLeft[i] that of it and
	// the left side, with half of the line.
	zone, zoneLeft []float64
}

// classify returns the probabilities of the exact point loc: 0 or 1, and
// one half each for a point on the line.
func (at *Attributor) classify(loc terms.Location) probs {
	left := sideLeft(loc)
	p := probs{left: left, zone: make([]float64, len(at.zones)), zoneLeft: make([]float64, len(at.zones))}
	for i, z := range at.zones {
		if loc.DistanceM <= z.width {
			p.zone[i], p.zoneLeft[i] = 1, left
		}
	}
	return p
}

// sideLeft returns 1 for a location on the left, 0 on the right and one
// half on the line.
func sideLeft(loc terms.Location) float64 {
	switch loc.Side {
	case terms.Left:
		return 1
	case terms.Right:
		return 0
	}
	return 0.5
}

// linearProbs returns the probabilities of the straight-line model, in
// which the signed distance of the true point is u, normal.
func linearProbs(u normal, zones []zone) probs {
	p := probs{left: 1 - u.below(0), zone: make([]float64, len(zones)), zoneLeft: make([]float64, len(zones))}
	for i, z := range zones {
		p.zone[i] = u.within(-z.width, z.width)
		p.zoneLeft[i] = u.leftWithin(z.width)
	}
	return p
}

// fill names the probabilities p in res and makes the decision.
func (at *Attributor) fill(res *Result, p probs) {
	res.Probabilities = map[string]float64{at.left: p.left, at.right: 1 - p.left}
	res.ZoneProbabilities = make(map[string]float64, len(at.zones))
	res.PartyZoneProbabilities = map[string]map[string]float64{
		at.left:  make(map[string]float64, len(at.zones)),
		at.right: make(map[string]float64, len(at.zones)),
	}
	for i, z := range at.zones {
		res.ZoneProbabilities[z.name] = p.zone[i]
		res.PartyZoneProbabilities[at.left][z.name] = p.zoneLeft[i]
		res.PartyZoneProbabilities[at.right][z.name] = max(p.zone[i]-p.zoneLeft[i], 0)
	}
	top, code := p.left, at.left
	if 1-p.left > p.left {
		top, code = 1-p.left, at.right
	}
	res.Probability = top
	if top > 0.5 && top >= at.cfg.MinProbability {
		res.Party = code
	}
}

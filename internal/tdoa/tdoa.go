// Package tdoa locates a sound source (a launch, an impact, an airburst)
// from the times at which several acoustic sensors heard it: multilateration
// by time differences of arrival. It takes arrivals as values and returns a
// fix with its uncertainty; it keeps no state and does no I/O.
//
// # Model
//
// The source is at an unknown point x on the ground and emits at an unknown
// time t0; sensor i at s_i hears it at
//
//	t_i = t0 + ρ_i(x)/c_i + ε_i,  ε_i ~ N(0, σ_i²),
//
// where ρ_i is the straight-line distance from x to the sensor and c_i the
// speed of sound on that path (SpeedOfSound of the temperature the sensor
// reported). The work is done in the local plane of geo.ENU about the
// centroid of the sensors, in which planar distances match geodesic ones to
// a few centimetres within 20 km of it and a few metres at 100 km. The source's height is unknown and
// taken as the mean height of the sensors; a sensor's height above it enters
// ρ_i as a vertical leg. Unknown t0 makes the problem one of time
// differences: only the differences between arrivals carry position.
//
// # Method
//
// A closed-form start comes from the spherical-intersection linearisation
// of Bancroft (1985), which squares the range equations, solves the
// resulting linear system for position and emission time as a function of
// one quadratic unknown and returns the (up to two) roots; when it fails
// (the sensors are collinear through their centroid, say) or its starts
// lead only to an implausibly bad fit, a polar grid of starting points is
// searched as well. Each start is refined by
// Levenberg–Marquardt on the arrival times, weighted by 1/σ_i², and the
// candidate with the smallest chi-square wins. A start at the mirror image
// of the winner across the sensors' principal axis is refined as well: if
// it fits about as well (chi-square within 9, a likelihood ratio of about
// 90) and lies clearly apart from the winner (outside its 99.9% region),
// the arrivals cannot tell the two apart and Locate returns ErrAmbiguous
// rather than pick one.
//
// # Uncertainty
//
// The covariance of the fix is the inverse of the Fisher information JᵀWJ
// at the estimate, with J the Jacobian of the arrival times in (x, t0) and
// W = diag(1/σ_i²); t0 is a nuisance parameter and the position covariance
// is the position block of the full 3×3 inverse. It is not scaled by the
// residuals' variance (chi-square over degrees of freedom): with the few
// degrees of freedom of a typical fix that factor is itself very noisy
// (with 5 it has a standard deviation of 63%), it would shrink the ellipse
// of every fix that happens to fit well, and the 95% ellipse would need an
// F quantile rather than a chi-square one. With correct σ_i the unscaled
// inverse gives ellipses that hold the truth 95% of the time (the tests
// check it by simulation); with understated σ_i it is too small, which
// Fix.Chi2 shows. The covariance is therefore the Cramér–Rao lower bound
// evaluated at the estimate, and CRLB computes the same bound at a true
// source, for judging a geometry or an estimator.
//
// # Outliers
//
// An arrival from another sound (a wrong association) or from an echo
// does not fit. After the first fit, each arrival's residual is
// standardised by its own variance under the fit, σ_i²(1-h_i) with h_i its
// leverage; because σ_i is known rather than estimated from the residuals,
// in the linearised problem the largest such residual belongs to a single
// outlier. While the largest exceeds Config.OutlierSigma and more than
// Config.MinArrivals arrivals remain, the few worst candidates are each
// left out in turn, the one whose removal leaves the best fit is rejected
// if its residual against that fit is still beyond the threshold, and the
// rest are refitted. An error at an arrival of high leverage (one that
// alone constrains some direction, such as the most precise sensor on a
// flank) is largely absorbed by the fit and shows only in part: a 0.5 s
// echo is always caught, a 10σ error there may not be. If the arrivals
// kept still fit worse than the same threshold allows (Fix.Chi2 beyond
// the chi-square as far in its tail as OutlierSigma is in the normal's),
// Locate returns the fix with ErrInconsistent.
//
// # Arrivals needed
//
// Three arrivals determine the three unknowns with nothing left over: two
// hyperbolas that may cross twice, no check on a wrong association or a
// bad pick, and an uncertainty that nothing confirms. Locate therefore
// wants at least four (Config.MinArrivals, which cannot be set lower), and
// at least five before it will reject one.
package tdoa

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// SpeedOfSound returns the speed of sound in dry air at tempC degrees
// Celsius, in m/s: 331.3·sqrt(1 + T/273.15), the ideal-gas speed for a
// ratio of specific heats of 1.4 and 331.3 m/s at 0 °C (the "practical
// formula for dry air" of Wikipedia's "Speed of sound"; internal/sim uses
// the same). Humidity adds up to about 0.5% in warm air and is ignored.
// The result is NaN below absolute zero.
func SpeedOfSound(tempC float64) float64 {
	return 331.3 * math.Sqrt(1+tempC/273.15)
}

// DefaultTemperatureC is the air temperature Locate assumes when neither
// the arrivals nor the Config give one.
const DefaultTemperatureC = 10.0

// Plausible air temperatures, °C; a value outside is a unit error (kelvin,
// Fahrenheit) or garbage.
const (
	minTemperatureC = -90.0
	maxTemperatureC = 60.0
)

// Arrival is one sensor's detection of the sound.
type Arrival struct {
	// Sensor is the sensor's position.
	Sensor geo.LonLat
	// AltitudeM is the sensor's height in metres (0 when unknown).
	AltitudeM float64
	// Time is when the sound arrived at the sensor.
	Time time.Time
	// SigmaS is the one-sigma uncertainty of Time in seconds: the clock's
	// and the pick's combined. A caller that knows the sensor position's
	// uncertainty σ_p (metres) should fold it in as well, as
	// sqrt(σ_t² + (σ_p/c)²): it moves the arrival like a timing error.
	SigmaS float64
	// TemperatureC is the air temperature the sensor reported, if any.
	TemperatureC *float64
}

// Config tunes Locate. Its zero value is ready to use.
type Config struct {
	// TemperatureC is the air temperature used for an arrival that reports
	// none, when no arrival reports one either; otherwise such an arrival
	// takes the mean of the temperatures the others reported. Nil means
	// DefaultTemperatureC (10 °C).
	TemperatureC *float64
	// MaxIterations caps the Levenberg–Marquardt steps of each refinement;
	// 0 means 100. A good geometry needs fewer than 10; a source far
	// outside a small array may need 60.
	MaxIterations int
	// OutlierSigma is the standardised residual beyond which an arrival is
	// rejected, and the normal deviate whose tail sets the chi-square
	// beyond which the arrivals kept are inconsistent (ErrInconsistent);
	// 0 means 4. +Inf disables both.
	OutlierSigma float64
	// MinArrivals is the least number of arrivals a fix may use; values
	// below 4 (including 0) mean 4. Rejection stops at this number.
	MinArrivals int
}

// Defaults of Config.
const (
	defaultMaxIterations = 100
	defaultOutlierSigma  = 4.0
	minArrivals          = 4
)

// withDefaults returns c with its zero fields set, or an error naming a bad one.
func (c Config) withDefaults() (Config, error) {
	if c.TemperatureC == nil {
		t := DefaultTemperatureC
		c.TemperatureC = &t
	} else if err := checkTemperature(*c.TemperatureC); err != nil {
		return c, fmt.Errorf("tdoa: config: %w", err)
	}
	if c.MaxIterations < 0 {
		return c, fmt.Errorf("tdoa: config: max iterations %d is negative", c.MaxIterations)
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = defaultMaxIterations
	}
	if math.IsNaN(c.OutlierSigma) || c.OutlierSigma < 0 {
		return c, fmt.Errorf("tdoa: config: outlier sigma %g is not a non-negative number", c.OutlierSigma)
	}
	if c.OutlierSigma == 0 {
		c.OutlierSigma = defaultOutlierSigma
	}
	c.MinArrivals = max(c.MinArrivals, minArrivals)
	return c, nil
}

// checkTemperature reports whether t is a plausible air temperature in °C.
func checkTemperature(t float64) error {
	if !(t >= minTemperatureC && t <= maxTemperatureC) {
		return fmt.Errorf("temperature %g °C is not in [%g, %g]", t, minTemperatureC, maxTemperatureC)
	}
	return nil
}

// Fix is a located source.
type Fix struct {
	// Position is the estimated source position.
	Position geo.LonLat
	// EmissionTime is the estimated time the sound was made.
	EmissionTime time.Time
	// Cov is the covariance of Position in m², in the east-north frame at
	// Position: Cov[0][0] east, Cov[1][1] north. See the package
	// documentation for why it is not scaled by the residuals.
	Cov [2][2]float64
	// TimeSigmaS is the one-sigma uncertainty of EmissionTime in seconds.
	TimeSigmaS float64
	// Ellipse95 is the 95% uncertainty ellipse of Position, from Cov.
	Ellipse95 geo.Ellipse
	// CRLB is the Cramér–Rao lower bound on the covariance of the position
	// (m², east-north) for the used arrivals' geometry and uncertainties,
	// evaluated at the estimate. As Cov is the unscaled inverse Fisher
	// information, the two are equal; CRLB keeps the name of what it is.
	CRLB [2][2]float64
	// CRLBEllipse95 is the 95% ellipse of CRLB.
	CRLBEllipse95 geo.Ellipse
	// SpeedOfSound is the mean speed of sound over the used arrivals' paths, m/s.
	SpeedOfSound float64
	// Used and Rejected are indices into the arrivals given to Locate, in
	// increasing order: those the fix rests on and those rejected as outliers.
	Used, Rejected []int
	// RMSResidualS is the root mean square of the used arrivals' residuals,
	// in seconds.
	RMSResidualS float64
	// Chi2 is the sum of the used arrivals' squared residuals in units of
	// their SigmaS; with correct uncertainties it follows a chi-square
	// distribution with len(Used)-3 degrees of freedom, and a much larger
	// value means the SigmaS are understated or an outlier went unnoticed.
	Chi2 float64
	// Iterations is the number of Levenberg–Marquardt steps of the
	// refinement that produced the fix.
	Iterations int
}

// Errors Locate wraps; test for them with errors.Is.
var (
	// ErrTooFewArrivals means fewer arrivals than Config.MinArrivals (at least 4).
	ErrTooFewArrivals = errors.New("too few arrivals")
	// ErrGeometry means the sensors' layout does not determine the source:
	// fewer than three distinct positions, or a source on the line of
	// collinear sensors, for which the Fisher information is singular.
	ErrGeometry = errors.New("the sensors' geometry does not determine the source")
	// ErrAmbiguous means two clearly separate positions fit the arrivals
	// about equally well, as either side of a line of sensors does.
	ErrAmbiguous = errors.New("ambiguous source")
	// ErrInconsistent means the arrivals left after rejecting outliers
	// still do not fit one source within their uncertainties: Fix.Chi2 is
	// beyond what a normal deviate of Config.OutlierSigma allows. Locate
	// returns the best fit with it all the same, for inspection; it
	// usually means a wrong association that rejection could not isolate,
	// or understated SigmaS.
	ErrInconsistent = errors.New("inconsistent arrivals")
	// ErrNoConvergence means the refinement found no solution within
	// Config.MaxIterations or only one implausibly far from the sensors.
	ErrNoConvergence = errors.New("no convergence")
)

// Locate estimates the position and emission time of the source of a
// sound from its arrivals at four or more sensors. See the package
// documentation for the model and the method. It fails, naming what is
// wrong, for an invalid arrival or Config, for too few arrivals
// (ErrTooFewArrivals), for a geometry that does not determine the source
// (ErrGeometry, ErrAmbiguous), when no fit converges (ErrNoConvergence)
// and, returning the fix as well, when the arrivals it kept do not fit
// together (ErrInconsistent). It never returns a position that is not
// finite.
func Locate(arrivals []Arrival, cfg Config) (Fix, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Fix{}, err
	}
	if len(arrivals) < cfg.MinArrivals {
		return Fix{}, fmt.Errorf("tdoa: %w: %d, need at least %d", ErrTooFewArrivals, len(arrivals), cfg.MinArrivals)
	}
	p, frame, err := newProblem(arrivals, cfg, nil)
	if err != nil {
		return Fix{}, err
	}
	all := make([]int, len(arrivals))
	for i := range all {
		all[i] = i
	}
	if k := p.distinctPositions(all); k < 3 {
		return Fix{}, fmt.Errorf("tdoa: %w: the %d arrivals come from %d distinct sensor positions, need 3", ErrGeometry, len(arrivals), k)
	}

	best, cands, err := p.multiStart(all)
	if err != nil {
		return Fix{}, err
	}
	used, rejected, best := p.rejectOutliers(all, best, cfg)
	if len(rejected) > 0 {
		if best, cands, err = p.multiStart(used); err != nil {
			return Fix{}, err
		}
	}

	cov3, ok := p.covariance(used, best)
	if !ok {
		return Fix{}, fmt.Errorf("tdoa: %w: the Fisher information at the estimate %v is singular or nearly so (collinear sensors with the source on their line?)", ErrGeometry, frame.Inverse(best.x, best.y))
	}
	for _, c := range cands {
		if c.chi2-best.chi2 >= ambiguityChi2 {
			continue
		}
		de, dn := c.x-best.x, c.y-best.y
		if geo.Mahalanobis2([2][2]float64{{cov3[0][0], cov3[0][1]}, {cov3[1][0], cov3[1][1]}}, de, dn) > separatedChi2 {
			return Fix{}, fmt.Errorf("tdoa: %w: %v (chi-square %.3g) and %v (chi-square %.3g), %.0f m apart, fit the %d arrivals about equally well: too few sensors, or too nearly collinear, to tell them apart",
				ErrAmbiguous, frame.Inverse(best.x, best.y), best.chi2, frame.Inverse(c.x, c.y), c.chi2, math.Hypot(de, dn), len(used))
		}
	}

	pos := frame.Inverse(best.x, best.y)
	cov := rotateToLocal(frame, pos, best.x, best.y, [2][2]float64{{cov3[0][0], cov3[0][1]}, {cov3[1][0], cov3[1][1]}})
	ell, err := geo.EllipseFromCov(cov, 0.95)
	if err != nil {
		return Fix{}, fmt.Errorf("tdoa: %w: covariance at the estimate: %v", ErrGeometry, err)
	}
	fix := Fix{
		Position:      pos,
		EmissionTime:  p.ref.Add(time.Duration(math.Round(best.t0 * 1e9))),
		Cov:           cov,
		TimeSigmaS:    math.Sqrt(cov3[2][2]),
		Ellipse95:     ell,
		CRLB:          cov,
		CRLBEllipse95: ell,
		Used:          used,
		Rejected:      rejected,
		Chi2:          best.chi2,
		Iterations:    best.iters,
	}
	var sumC, sumR2 float64
	for _, i := range used {
		sumC += p.c[i]
		r := p.residual(i, best) * p.sig[i]
		sumR2 += r * r
	}
	fix.SpeedOfSound = sumC / float64(len(used))
	fix.RMSResidualS = math.Sqrt(sumR2 / float64(len(used)))
	dof := len(used) - 3
	if gate := chi2Gate(dof, cfg.OutlierSigma); best.chi2 > gate {
		return fix, fmt.Errorf("tdoa: %w: chi-square %.3g of the %d arrivals kept (%d degrees of freedom) is beyond %.3g (RMS residual %.3g s)",
			ErrInconsistent, best.chi2, len(used), dof, gate, fix.RMSResidualS)
	}
	return fix, nil
}

// chi2Gate returns the chi-square with dof degrees of freedom that is as
// far in its upper tail as z standard deviations are in the normal's, by
// the Wilson–Hilferty cube-root approximation (E. B. Wilson and M. M.
// Hilferty, "The distribution of chi-square", PNAS 17, 1931): within 6%
// for two degrees of freedom up to z = 4, a little high for one (18.9 for
// 17.3 at z = 4) and better the more there are. It is +Inf for an
// infinite z.
func chi2Gate(dof int, z float64) float64 {
	if math.IsInf(z, 1) {
		return math.Inf(1)
	}
	k := float64(dof)
	h := 2 / (9 * k)
	c := 1 - h + z*math.Sqrt(h)
	return k * c * c * c
}

// Thresholds of the ambiguity test: an alternative within ambiguityChi2
// of the best chi-square that lies beyond the best's 99.9% region
// (chi-square with 2 degrees of freedom, -2 ln 0.001) is a real ambiguity.
const (
	ambiguityChi2 = 9.0
	separatedChi2 = 13.815510557964274
)

// CRLB returns the Cramér–Rao lower bound on the covariance (m², in the
// east-north frame at source) of any unbiased estimate of the position of
// a source at source from the arrivals' sensors, with their SigmaS, heights
// and temperatures as Locate would use them (cfg supplies the default
// temperature); the arrivals' times are not used. It is the position block
// of the inverse Fisher information at source, with the emission time a
// nuisance parameter. It needs three arrivals and fails for a singular
// geometry.
func CRLB(arrivals []Arrival, source geo.LonLat, cfg Config) ([2][2]float64, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return [2][2]float64{}, err
	}
	if !source.Valid() {
		return [2][2]float64{}, fmt.Errorf("tdoa: source %v is not a valid position", source)
	}
	if len(arrivals) < 3 {
		return [2][2]float64{}, fmt.Errorf("tdoa: %w: %d, the bound needs at least 3", ErrTooFewArrivals, len(arrivals))
	}
	p, _, err := newProblem(arrivals, cfg, &source)
	if err != nil {
		return [2][2]float64{}, err
	}
	all := make([]int, len(arrivals))
	for i := range all {
		all[i] = i
	}
	cov3, ok := p.covariance(all, sol{})
	if !ok {
		return [2][2]float64{}, fmt.Errorf("tdoa: %w: the Fisher information at %v is singular or nearly so", ErrGeometry, source)
	}
	return [2][2]float64{{cov3[0][0], cov3[0][1]}, {cov3[1][0], cov3[1][1]}}, nil
}

// newProblem checks the arrivals and projects them into a local plane:
// about origin if it is given, else about the sensors' centroid.
func newProblem(arrivals []Arrival, cfg Config, origin *geo.LonLat) (*problem, geo.ENU, error) {
	n := len(arrivals)
	var tempSum float64
	var tempN int
	ref := arrivals[0].Time
	for i, a := range arrivals {
		switch {
		case !a.Sensor.Valid():
			return nil, geo.ENU{}, fmt.Errorf("tdoa: arrival %d: sensor position %v is not valid", i, a.Sensor)
		case math.IsNaN(a.AltitudeM) || math.Abs(a.AltitudeM) > 1e5:
			return nil, geo.ENU{}, fmt.Errorf("tdoa: arrival %d: altitude %g m is not plausible", i, a.AltitudeM)
		case !(a.SigmaS > 0) || math.IsInf(a.SigmaS, 0):
			return nil, geo.ENU{}, fmt.Errorf("tdoa: arrival %d: sigma %g s is not a positive number", i, a.SigmaS)
		}
		if a.TemperatureC != nil {
			if err := checkTemperature(*a.TemperatureC); err != nil {
				return nil, geo.ENU{}, fmt.Errorf("tdoa: arrival %d: %w", i, err)
			}
			tempSum += *a.TemperatureC
			tempN++
		}
		if a.Time.Before(ref) {
			ref = a.Time
		}
	}
	fallback := *cfg.TemperatureC
	if tempN > 0 {
		fallback = tempSum / float64(tempN)
	}

	var frame geo.ENU
	if origin != nil {
		frame = geo.NewENU(*origin)
	} else {
		frame = geo.NewENU(centroid(arrivals))
	}
	p := &problem{
		ref:     ref,
		e:       make([]float64, n),
		n:       make([]float64, n),
		dz2:     make([]float64, n),
		t:       make([]float64, n),
		sig:     make([]float64, n),
		c:       make([]float64, n),
		maxIter: cfg.MaxIterations,
	}
	var altSum float64
	for _, a := range arrivals {
		altSum += a.AltitudeM
	}
	alt0 := altSum / float64(n)
	var r2 float64
	for i, a := range arrivals {
		p.e[i], p.n[i] = frame.Forward(a.Sensor)
		dz := a.AltitudeM - alt0
		p.dz2[i] = dz * dz
		p.t[i] = a.Time.Sub(ref).Seconds()
		p.sig[i] = a.SigmaS
		temp := fallback
		if a.TemperatureC != nil {
			temp = *a.TemperatureC
		}
		p.c[i] = SpeedOfSound(temp)
		p.cbar += p.c[i] / float64(n)
		r2 += p.e[i]*p.e[i] + p.n[i]*p.n[i]
	}
	p.scale = max(math.Sqrt(r2/float64(n)), 1)
	return p, frame, nil
}

// maxRangeM is the farthest a solution may lie from the sensors' centroid:
// no sound this package locates carries anywhere near so far.
const maxRangeM = 1e6

// centroid returns the mean position of the arrivals' sensors, with
// longitudes unwrapped about the first so that it works across the
// antimeridian.
func centroid(arrivals []Arrival) geo.LonLat {
	lon0 := arrivals[0].Sensor.Lon
	var lon, lat float64
	for _, a := range arrivals {
		d := math.Mod(a.Sensor.Lon-lon0+540, 360) - 180
		lon += lon0 + d
		lat += a.Sensor.Lat
	}
	k := float64(len(arrivals))
	lon, lat = lon/k, lat/k
	lon = math.Mod(lon+540, 360) - 180
	return geo.LonLat{Lon: lon, Lat: lat}
}

// rotateToLocal turns a covariance from the plane's axes at (x, y) into
// the local east-north frame at pos (= frame.Inverse(x, y)). Away from the
// plane's origin, the plane's north and the local north differ by the
// meridians' convergence, a fraction of a degree at tens of kilometres.
func rotateToLocal(frame geo.ENU, pos geo.LonLat, x, y float64, c [2][2]float64) [2][2]float64 {
	if x == 0 && y == 0 {
		return c
	}
	const step = 10.0 // metres
	qe, qn := frame.Forward(geo.Direct(pos, 0, step))
	g := math.Atan2(qe-x, qn-y) // azimuth in the plane of the local north
	s, co := math.Sincos(g)
	// Rows: local east (cos g, -sin g) and local north (sin g, cos g) in plane axes.
	r := [2][2]float64{{co, -s}, {s, co}}
	var out [2][2]float64
	for i := range 2 {
		for j := range 2 {
			for k := range 2 {
				for l := range 2 {
					out[i][j] += r[i][k] * c[k][l] * r[j][l]
				}
			}
		}
	}
	out[1][0] = out[0][1] // exactly symmetric
	return out
}

// rejectOutliers removes arrivals whose standardised residuals exceed the
// threshold, worst first, while more than MinArrivals remain. It returns
// the arrivals used, those rejected (both in increasing order) and the
// fit to the used ones.
func (p *problem) rejectOutliers(idx []int, cur sol, cfg Config) (used, rejected []int, fit sol) {
	used = slices.Clone(idx)
	const tries = 3 // candidates refitted without each round
	for len(used) > cfg.MinArrivals {
		z := p.studentized(used, cur)
		order := make([]int, len(used)) // positions in used, worst first
		for k := range order {
			order[k] = k
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(math.Abs(z[b]), math.Abs(z[a])) })
		if !(math.Abs(z[order[0]]) > cfg.OutlierSigma) {
			break
		}
		bestK, bestFit := -1, sol{chi2: math.Inf(1)}
		for _, k := range order[:min(tries, len(order))] {
			if !(math.Abs(z[k]) > cfg.OutlierSigma) {
				break
			}
			rest := slices.Delete(slices.Clone(used), k, k+1)
			f := p.refine(rest, cur)
			if !f.ok || f.chi2 >= bestFit.chi2 {
				continue
			}
			if zd, ok := p.deletionResidual(rest, f, used[k]); !ok || !(math.Abs(zd) > cfg.OutlierSigma) {
				continue
			}
			bestK, bestFit = k, f
		}
		if bestK < 0 {
			break
		}
		rejected = append(rejected, used[bestK])
		used = slices.Delete(used, bestK, bestK+1)
		cur = bestFit
	}
	slices.Sort(rejected)
	return used, rejected, cur
}

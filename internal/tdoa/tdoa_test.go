package tdoa

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// origin is where the test geometries are laid out.
var origin = geo.LonLat{Lon: 37.8, Lat: 48.0}

// t0 is the emission time of the test sounds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// en returns the point e metres east and n metres north of about,
// placed with the geodesic (geo.Direct) from it.
func en(about geo.LonLat, e, n float64) geo.LonLat {
	return geo.NewENU(about).Inverse(e, n)
}

// layout returns sensor positions at the given offsets (m) from origin.
func layout(offsets ...[2]float64) []geo.LonLat {
	ps := make([]geo.LonLat, len(offsets))
	for i, o := range offsets {
		ps[i] = en(origin, o[0], o[1])
	}
	return ps
}

// ring returns k sensors evenly on a circle of radius r about origin.
func ring(k int, r float64) []geo.LonLat {
	ps := make([]geo.LonLat, k)
	for i := range ps {
		s, c := math.Sincos(2 * math.Pi * float64(i) / float64(k))
		ps[i] = en(origin, r*s, r*c)
	}
	return ps
}

// square is a 2 km square of sensors about origin.
var square = layout([2]float64{-1000, -1000}, [2]float64{1000, -1000}, [2]float64{1000, 1000}, [2]float64{-1000, 1000})

// scene describes synthetic arrivals. Travel times use the geodesic
// distance (Karney) from the source, with the sensor's height above the
// source's as a vertical leg, and the speed of sound at the sensor's
// temperature (or at tempDefault where it has none).
type scene struct {
	sensors     []geo.LonLat
	alts        []float64 // nil: all 0
	temps       []*float64
	tempDefault float64
	sigma       []float64 // per sensor; nil: sigmaAll
	sigmaAll    float64
}

// arrivals returns the arrivals of a sound made at src at t0, with normal
// timing noise of each arrival's sigma if r is not nil.
func (sc scene) arrivals(src geo.LonLat, r *rand.Rand) []Arrival {
	var srcAlt float64
	for _, a := range sc.alts {
		srcAlt += a / float64(len(sc.alts))
	}
	as := make([]Arrival, len(sc.sensors))
	for i, s := range sc.sensors {
		a := Arrival{Sensor: s, SigmaS: sc.sigmaAll}
		if sc.sigma != nil {
			a.SigmaS = sc.sigma[i]
		}
		if sc.alts != nil {
			a.AltitudeM = sc.alts[i]
		}
		temp := sc.tempDefault
		if sc.temps != nil && sc.temps[i] != nil {
			a.TemperatureC = sc.temps[i]
			temp = *sc.temps[i]
		}
		d := math.Hypot(geo.Distance(s, src), a.AltitudeM-srcAlt)
		tt := d / SpeedOfSound(temp)
		if r != nil {
			tt += r.NormFloat64() * a.SigmaS
		}
		a.Time = t0.Add(time.Duration(math.Round(tt * 1e9)))
		as[i] = a
	}
	return as
}

func ptr(v float64) *float64 { return &v }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSpeedOfSound(t *testing.T) {
	tests := []struct{ tempC, want float64 }{
		{0, 331.3},
		{20, 343.21},
		{-20, 318.94},
		{35, 351.88},
	}
	for _, tt := range tests {
		if got := SpeedOfSound(tt.tempC); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("SpeedOfSound(%g) = %.3f, want %.2f", tt.tempC, got, tt.want)
		}
	}
	if got := SpeedOfSound(-300); !math.IsNaN(got) {
		t.Errorf("SpeedOfSound(-300) = %g, want NaN", got)
	}
}

// TestLocateExact checks that exact arrivals give the source to within
// tol, and that the uncertainty reported is sane.
func TestLocateExact(t *testing.T) {
	mixed := []*float64{ptr(-5), ptr(3), ptr(12), ptr(25), ptr(0.5), ptr(18)}
	partial := []*float64{ptr(-4), nil, ptr(8), nil, ptr(2)}
	tests := []struct {
		name string
		sc   scene
		cfg  Config
		src  geo.LonLat
		tol  float64 // metres
		// atSensor: the source is at a sensor, where the arrival time has
		// no gradient and the bound there is not that at the estimate.
		atSensor bool
		check    func(t *testing.T, f Fix)
	}{
		{name: "square, source inside", sc: scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}, src: en(origin, 300, -200), tol: 0.01},
		{name: "square, source at the centre", sc: scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}, src: origin, tol: 0.01},
		{name: "square, source at a sensor", sc: scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}, src: square[2], tol: 0.01, atSensor: true},
		{name: "square, source outside", sc: scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}, src: en(origin, 3000, 1500), tol: 0.01},
		{
			name: "square, source far away", sc: scene{sensors: square, tempDefault: 10, sigmaAll: 0.01},
			src: en(origin, 25000*math.Sin(70*math.Pi/180), 25000*math.Cos(70*math.Pi/180)), tol: 0.5,
			check: func(t *testing.T, f Fix) {
				e := f.Ellipse95
				if e.SemiMajorM < 20*e.SemiMinorM || e.SemiMajorM < 1000 {
					t.Errorf("95%% ellipse %+v: want one long in range", e)
				}
				if d := math.Abs(math.Mod(e.AzimuthDeg-70+540, 180) - 0); d > 3 && d < 177 {
					t.Errorf("95%% ellipse azimuth %.1f°, want along the bearing 70°", e.AzimuthDeg)
				}
			},
		},
		{name: "ring of 8, 5 km", sc: scene{sensors: ring(8, 5000), tempDefault: 10, sigmaAll: 0.01}, src: en(origin, -1200, 2500), tol: 0.01},
		{name: "ring of 30, 10 km", sc: scene{sensors: ring(30, 10000), tempDefault: 10, sigmaAll: 0.01}, src: en(origin, 4000, -6000), tol: 0.02},
		{
			name: "mixed temperatures",
			sc:   scene{sensors: layout([2]float64{-1500, 0}, [2]float64{200, -1800}, [2]float64{1700, 300}, [2]float64{100, 1600}, [2]float64{-900, 1100}, [2]float64{900, -800}), temps: mixed, sigmaAll: 0.005},
			src:  en(origin, 2500, 2100), tol: 0.01,
			check: func(t *testing.T, f Fix) {
				var want float64
				for _, tc := range mixed {
					want += SpeedOfSound(*tc) / float64(len(mixed))
				}
				if math.Abs(f.SpeedOfSound-want) > 1e-9 {
					t.Errorf("SpeedOfSound = %g, want the mean %g", f.SpeedOfSound, want)
				}
			},
		},
		{
			name: "some temperatures missing take the others' mean",
			sc:   scene{sensors: layout([2]float64{-1500, 0}, [2]float64{200, -1800}, [2]float64{1700, 300}, [2]float64{100, 1600}, [2]float64{-900, 1100}), temps: partial, tempDefault: 2, sigmaAll: 0.005},
			src:  en(origin, 400, 700), tol: 0.01,
		},
		{name: "no temperatures, config says 0 °C", sc: scene{sensors: square, tempDefault: 0, sigmaAll: 0.01}, cfg: Config{TemperatureC: ptr(0)}, src: en(origin, -700, 300), tol: 0.01},
		{name: "sensors at different heights", sc: scene{sensors: square, alts: []float64{60, 220, 140, 95}, tempDefault: 10, sigmaAll: 0.01}, src: en(origin, 200, 900), tol: 0.01},
		{
			name: "two sensors at one position",
			sc:   scene{sensors: append(slices.Clone(square), square[1]), tempDefault: 10, sigmaAll: 0.01},
			src:  en(origin, -300, 450), tol: 0.01,
		},
		{
			name: "unequal sigmas",
			sc:   scene{sensors: ring(6, 2000), tempDefault: 10, sigma: []float64{0.001, 0.02, 0.005, 0.1, 0.01, 0.003}},
			src:  en(origin, 800, 100), tol: 0.01,
		},
		{
			name: "across the antimeridian",
			sc: scene{sensors: []geo.LonLat{
				en(geo.LonLat{Lon: 180, Lat: -16.5}, -1200, -800), en(geo.LonLat{Lon: 180, Lat: -16.5}, 1100, -900),
				en(geo.LonLat{Lon: 180, Lat: -16.5}, 1000, 1200), en(geo.LonLat{Lon: 180, Lat: -16.5}, -900, 1000),
				en(geo.LonLat{Lon: 180, Lat: -16.5}, 50, -30),
			}, tempDefault: 10, sigmaAll: 0.01},
			src: en(geo.LonLat{Lon: 180, Lat: -16.5}, 300, 200), tol: 0.01,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := tt.sc.arrivals(tt.src, nil)
			f, err := Locate(as, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if d := geo.Distance(f.Position, tt.src); d > tt.tol {
				t.Errorf("Position %v is %.4f m from the source, want within %g m", f.Position, d, tt.tol)
			}
			if dt := f.EmissionTime.Sub(t0); dt.Abs() > time.Duration(tt.tol/300*1e9)+time.Microsecond {
				t.Errorf("EmissionTime off by %v", dt)
			}
			if len(f.Used) != len(as) || len(f.Rejected) != 0 {
				t.Errorf("Used %v, Rejected %v: want every arrival used", f.Used, f.Rejected)
			}
			if f.Chi2 > 1e-3 || f.RMSResidualS > 1e-5 {
				t.Errorf("Chi2 %g, RMS residual %g s: want about 0 for exact data", f.Chi2, f.RMSResidualS)
			}
			if f.Cov != f.CRLB || f.Ellipse95 != f.CRLBEllipse95 {
				t.Errorf("Cov %v and CRLB %v differ", f.Cov, f.CRLB)
			}
			crlb, err := CRLB(as, tt.src, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 * btoi(!tt.atSensor) {
				for j := range 2 {
					scale := math.Sqrt(crlb[i][i] * crlb[j][j])
					if math.Abs(crlb[i][j]-f.Cov[i][j]) > 1e-3*scale {
						t.Errorf("Cov %v, want CRLB at the source %v", f.Cov, crlb)
					}
				}
			}
			if !(f.TimeSigmaS > 0) || !(f.Ellipse95.SemiMinorM > 0) || f.Iterations < 0 {
				t.Errorf("TimeSigmaS %g, Ellipse95 %+v, Iterations %d", f.TimeSigmaS, f.Ellipse95, f.Iterations)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestLocateErrors(t *testing.T) {
	good := scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 100, 100), nil)
	modify := func(f func(as []Arrival)) []Arrival {
		as := slices.Clone(good)
		f(as)
		return as
	}
	meridian := []geo.LonLat{en(origin, 0, -3000), en(origin, 0, -1000), en(origin, 0, 500), en(origin, 0, 2000), en(origin, 0, 3500)}
	tests := []struct {
		name     string
		as       []Arrival
		cfg      Config
		wantIs   error
		wantText string
	}{
		{name: "no arrivals", as: nil, wantIs: ErrTooFewArrivals, wantText: "too few arrivals: 0, need at least 4"},
		{name: "three arrivals", as: good[:3], wantIs: ErrTooFewArrivals, wantText: "too few arrivals: 3, need at least 4"},
		{name: "MinArrivals 3 is 4", as: good[:3], cfg: Config{MinArrivals: 3}, wantIs: ErrTooFewArrivals, wantText: "3, need at least 4"},
		{name: "fewer than MinArrivals", as: good, cfg: Config{MinArrivals: 6}, wantIs: ErrTooFewArrivals, wantText: "4, need at least 6"},
		{
			name:   "all sensors at one point",
			as:     scene{sensors: []geo.LonLat{origin, origin, origin, origin, origin}, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 500, 0), nil),
			wantIs: ErrGeometry, wantText: "1 distinct sensor positions",
		},
		{
			name:   "two sensor positions",
			as:     scene{sensors: []geo.LonLat{square[0], square[0], square[1], square[1]}, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 500, 0), nil),
			wantIs: ErrGeometry, wantText: "2 distinct sensor positions",
		},
		{
			name:   "collinear sensors, source off their line",
			as:     scene{sensors: meridian, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 1500, 700), nil),
			wantIs: ErrAmbiguous, wantText: "fit the 5 arrivals about equally well",
		},
		{
			name:   "collinear sensors, source on their line",
			as:     scene{sensors: meridian, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 0, 1200), nil),
			wantIs: ErrGeometry, wantText: "singular",
		},
		{name: "zero sigma", as: modify(func(as []Arrival) { as[2].SigmaS = 0 }), wantText: "arrival 2: sigma 0 s is not a positive number"},
		{name: "NaN sigma", as: modify(func(as []Arrival) { as[1].SigmaS = math.NaN() }), wantText: "arrival 1: sigma NaN s"},
		{name: "infinite sigma", as: modify(func(as []Arrival) { as[1].SigmaS = math.Inf(1) }), wantText: "arrival 1: sigma +Inf s"},
		{name: "bad position", as: modify(func(as []Arrival) { as[3].Sensor.Lat = 91 }), wantText: "arrival 3: sensor position"},
		{name: "NaN position", as: modify(func(as []Arrival) { as[0].Sensor.Lon = math.NaN() }), wantText: "arrival 0: sensor position"},
		{name: "NaN altitude", as: modify(func(as []Arrival) { as[0].AltitudeM = math.NaN() }), wantText: "arrival 0: altitude NaN m"},
		{name: "temperature in kelvin", as: modify(func(as []Arrival) { as[2].TemperatureC = ptr(283.15) }), wantText: "arrival 2: temperature 283.15 °C is not in [-90, 60]"},
		{name: "config temperature NaN", as: good, cfg: Config{TemperatureC: ptr(math.NaN())}, wantText: "config: temperature NaN °C"},
		{name: "negative MaxIterations", as: good, cfg: Config{MaxIterations: -1}, wantText: "config: max iterations -1 is negative"},
		{name: "negative OutlierSigma", as: good, cfg: Config{OutlierSigma: -2}, wantText: "config: outlier sigma -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Locate(tt.as, tt.cfg)
			if err == nil {
				t.Fatalf("Locate = %+v, want an error", f)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

// TestLocateNearlyCollinear checks that sensors along a line with a small
// offset still give a fix when the offset tells the two sides apart, and
// that its covariance is much larger across the line than along it.
func TestLocateNearlyCollinear(t *testing.T) {
	sensors := layout([2]float64{0, -3000}, [2]float64{150, -1000}, [2]float64{-150, 500}, [2]float64{150, 2000}, [2]float64{0, 3500})
	src := en(origin, 1500, 700)
	as := scene{sensors: sensors, tempDefault: 10, sigmaAll: 0.001}.arrivals(src, nil)
	f, err := Locate(as, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.Distance(f.Position, src); d > 0.01 {
		t.Errorf("Position is %.3f m from the source", d)
	}
	if f.Cov[0][0] < 4*f.Cov[1][1] {
		t.Errorf("Cov %v: want east (across the line) much less certain than north", f.Cov)
	}
}

// TestLocateNeverNaN feeds random layouts, including degenerate ones, and
// random arrival times: Locate may fail but must not panic or return a
// position or covariance that is not finite.
func TestLocateNeverNaN(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	errs := map[string]int{}
	for trial := range 300 {
		k := 4 + r.IntN(8)
		sensors := make([]geo.LonLat, k)
		spread := math.Pow(10, 1+3*r.Float64())
		for i := range sensors {
			switch {
			case trial%5 == 0: // collinear
				sensors[i] = en(origin, 0, r.NormFloat64()*spread)
			case trial%7 == 0 && i > 0: // clustered
				sensors[i] = sensors[0]
			default:
				sensors[i] = en(origin, r.NormFloat64()*spread, r.NormFloat64()*spread)
			}
		}
		sc := scene{sensors: sensors, tempDefault: 10, sigmaAll: 0.001 + 0.05*r.Float64()}
		var as []Arrival
		if trial%2 == 0 {
			as = sc.arrivals(en(origin, r.NormFloat64()*spread*5, r.NormFloat64()*spread*5), r)
		} else {
			as = sc.arrivals(origin, nil)
			for i := range as {
				as[i].Time = t0.Add(time.Duration(r.Float64() * 30 * float64(time.Second)))
			}
		}
		f, err := Locate(as, Config{})
		if err != nil {
			msg := err.Error()
			for _, e := range []error{ErrGeometry, ErrAmbiguous, ErrNoConvergence, ErrInconsistent} {
				if errors.Is(err, e) {
					msg = e.Error()
				}
			}
			errs[msg]++
			if !errors.Is(err, ErrInconsistent) { // which comes with a fix
				continue
			}
		}
		vals := []float64{f.Position.Lon, f.Position.Lat, f.Cov[0][0], f.Cov[0][1], f.Cov[1][1], f.TimeSigmaS, f.Ellipse95.SemiMajorM, f.Ellipse95.SemiMinorM, f.RMSResidualS, f.Chi2}
		for _, v := range vals {
			if !finite(v) {
				t.Fatalf("trial %d: fix %+v is not finite", trial, f)
			}
		}
		if !f.Position.Valid() || f.Cov[0][0] <= 0 || f.Cov[1][1] <= 0 {
			t.Fatalf("trial %d: fix %+v", trial, f)
		}
	}
	t.Logf("errors: %v", errs)
}

// goodScene is the geometry of the Monte-Carlo tests: eight sensors with
// timing uncertainties from 5 to 20 ms around a 6 km area, at various
// temperatures.
func goodScene() scene {
	return scene{
		sensors: layout(
			[2]float64{-3000, -2500}, [2]float64{-200, -3200}, [2]float64{2900, -2200}, [2]float64{3300, 400},
			[2]float64{2100, 2900}, [2]float64{-500, 3100}, [2]float64{-3100, 1800}, [2]float64{-3400, -300},
		),
		temps: []*float64{ptr(4), ptr(5.5), ptr(3), ptr(6), ptr(2.5), ptr(4.2), ptr(5), ptr(3.8)},
		sigma: []float64{0.005, 0.02, 0.01, 0.008, 0.015, 0.012, 0.006, 0.02},
	}
}

// TestLocateMonteCarlo checks the estimator against the Cramér–Rao bound
// and the calibration of its 95% ellipse with normal timing noise.
func TestLocateMonteCarlo(t *testing.T) {
	const trials = 2000
	sc := goodScene()
	tests := []struct {
		name string
		src  geo.LonLat
	}{
		{"source inside", en(origin, 700, -900)},
		{"source outside", en(origin, 5500, 4000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2026, 3))
			crlb, err := CRLB(sc.arrivals(tt.src, nil), tt.src, Config{})
			if err != nil {
				t.Fatal(err)
			}
			var sse float64
			covered, covered3, rejected := 0, 0, 0
			k95 := -2 * math.Log(0.05)
			plane := geo.NewENU(tt.src)
			for range trials {
				f, err := Locate(sc.arrivals(tt.src, r), Config{})
				if err != nil {
					t.Fatal(err)
				}
				de, dn := plane.Forward(f.Position)
				sse += de*de + dn*dn
				if geo.Mahalanobis2(f.Cov, de, dn) <= k95 {
					covered++
				}
				if f.Ellipse95.Contains(f.Position, tt.src) {
					covered3++
				}
				rejected += len(f.Rejected)
			}
			rmse := math.Sqrt(sse / trials)
			ratio := rmse / math.Sqrt(crlb[0][0]+crlb[1][1])
			coverage := float64(covered) / trials
			t.Logf("RMSE %.2f m, sqrt(trace CRLB) %.2f m, ratio %.3f; 95%% ellipse holds the source in %.4f (Contains: %.4f); %d arrivals rejected",
				rmse, math.Sqrt(crlb[0][0]+crlb[1][1]), ratio, coverage, float64(covered3)/trials, rejected)
			if ratio > 1.1 || ratio < 0.9 {
				t.Errorf("RMSE / sqrt(trace CRLB) = %.3f, want within [0.9, 1.1]", ratio)
			}
			if coverage < 0.93 || coverage > 0.97 {
				t.Errorf("coverage of the 95%% ellipse %.4f, want within [0.93, 0.97]", coverage)
			}
			if covered3 != covered {
				t.Errorf("Ellipse95.Contains holds the source %d times, Mahalanobis2 %d", covered3, covered)
			}
		})
	}
}

// TestLocateOutliers adds an echo (an arrival late by 0.5 s) or a wrong
// association to noisy arrivals: it must be rejected and the fix stay
// accurate.
func TestLocateOutliers(t *testing.T) {
	sc := goodScene()
	src := en(origin, 700, -900)
	tests := []struct {
		name   string
		shift  time.Duration
		sensor int
	}{
		{"echo at sensor 0", 500 * time.Millisecond, 0},
		{"echo at sensor 1", 500 * time.Millisecond, 1},
		{"echo at sensor 2", 500 * time.Millisecond, 2},
		{"echo at sensor 3", 500 * time.Millisecond, 3},
		{"echo at sensor 4", 500 * time.Millisecond, 4},
		{"echo at sensor 5", 500 * time.Millisecond, 5},
		{"echo at sensor 6", 500 * time.Millisecond, 6},
		{"echo at sensor 7", 500 * time.Millisecond, 7},
		{"wrong association, early", -300 * time.Millisecond, 6},
		{"wrong association, 200 ms late at an imprecise sensor", 200 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bound without the outlier.
			crlb, err := CRLB(slices.Delete(sc.arrivals(src, nil), tt.sensor, tt.sensor+1), src, Config{})
			if err != nil {
				t.Fatal(err)
			}
			sd := math.Sqrt(crlb[0][0] + crlb[1][1])
			r := rand.New(rand.NewPCG(11, uint64(tt.sensor)))
			const trials = 200
			var sse float64
			for trial := range trials {
				as := sc.arrivals(src, r)
				clean, err := Locate(slices.Delete(slices.Clone(as), tt.sensor, tt.sensor+1), Config{})
				if err != nil {
					t.Fatal(err)
				}
				as[tt.sensor].Time = as[tt.sensor].Time.Add(tt.shift)
				f, err := Locate(as, Config{})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(f.Rejected, tt.sensor) {
					t.Fatalf("trial %d: Rejected %v, want it to hold %d", trial, f.Rejected, tt.sensor)
				}
				if len(f.Used)+len(f.Rejected) != len(as) || slices.Contains(f.Used, tt.sensor) {
					t.Fatalf("trial %d: Used %v, Rejected %v", trial, f.Used, f.Rejected)
				}
				// The fix is the one the arrivals would have given without the outlier.
				if d := geo.Distance(f.Position, clean.Position); d > 0.01 {
					t.Errorf("trial %d: fix %.3f m from that without the outlier", trial, d)
				}
				d := geo.Distance(f.Position, src)
				sse += d * d
			}
			if rmse := math.Sqrt(sse / trials); rmse > 1.2*sd {
				t.Errorf("RMSE %.2f m, want within 1.2 sqrt(trace CRLB) of the clean arrivals = %.2f m", rmse, 1.2*sd)
			}
		})
	}

	t.Run("five arrivals, one an echo", func(t *testing.T) {
		as := scene{sensors: slices.Clone(goodScene().sensors[:5]), tempDefault: 10, sigmaAll: 0.01}.arrivals(src, nil)
		as[3].Time = as[3].Time.Add(500 * time.Millisecond)
		f, err := Locate(as, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.Rejected, []int{3}) || !slices.Equal(f.Used, []int{0, 1, 2, 4}) {
			t.Errorf("Used %v, Rejected %v, want the echo (3) rejected", f.Used, f.Rejected)
		}
		if d := geo.Distance(f.Position, src); d > 0.01 {
			t.Errorf("Position is %.3f m from the source", d)
		}
	})
	t.Run("four arrivals, one an echo: nothing to reject", func(t *testing.T) {
		as := scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}.arrivals(en(origin, 200, 300), nil)
		as[1].Time = as[1].Time.Add(500 * time.Millisecond)
		f, err := Locate(as, Config{})
		if !errors.Is(err, ErrInconsistent) {
			t.Fatalf("error %v, want ErrInconsistent", err)
		}
		if len(f.Rejected) != 0 || len(f.Used) != 4 || f.Chi2 < 100 {
			t.Errorf("Used %v, Rejected %v, Chi2 %g: want the best fit of all four, with its chi-square", f.Used, f.Rejected, f.Chi2)
		}
	})
	t.Run("two echoes in eight", func(t *testing.T) {
		as := sc.arrivals(src, nil)
		as[2].Time = as[2].Time.Add(500 * time.Millisecond)
		as[5].Time = as[5].Time.Add(350 * time.Millisecond)
		f, err := Locate(as, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.Rejected, []int{2, 5}) {
			t.Errorf("Rejected %v, want [2 5]", f.Rejected)
		}
		if d := geo.Distance(f.Position, src); d > 0.01 {
			t.Errorf("Position is %.3f m from the source", d)
		}
	})
	t.Run("rejection disabled", func(t *testing.T) {
		as := sc.arrivals(src, nil)
		as[2].Time = as[2].Time.Add(500 * time.Millisecond)
		f, err := Locate(as, Config{OutlierSigma: math.Inf(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Rejected) != 0 || f.Chi2 < 100 {
			t.Errorf("Rejected %v, Chi2 %g with OutlierSigma +Inf: want none rejected and the misfit shown", f.Rejected, f.Chi2)
		}
	})
}

func TestChi2Gate(t *testing.T) {
	// With two degrees of freedom the chi-square's tail is exp(-q/2).
	for _, z := range []float64{2, 3, 4} {
		p := math.Erfc(z/math.Sqrt2) / 2
		want := -2 * math.Log(p)
		if got := chi2Gate(2, z); math.Abs(got-want) > 0.07*want {
			t.Errorf("chi2Gate(2, %g) = %.3f, want %.3f within 7%%", z, got, want)
		}
	}
	// One degree of freedom: the square of the two-sided deviate.
	for _, z := range []float64{3, 4} {
		p := math.Erfc(z/math.Sqrt2) / 2
		zz := math.Sqrt2 * math.Erfcinv(p) // two-sided deviate of tail p
		if got, want := chi2Gate(1, z), zz*zz; got < want || got > 1.15*want {
			t.Errorf("chi2Gate(1, %g) = %.3f, want %.3f or a little more", z, got, want)
		}
	}
	if got := chi2Gate(5, math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("chi2Gate(5, +Inf) = %g", got)
	}
}

func TestCRLB(t *testing.T) {
	sc := scene{sensors: square, tempDefault: 10, sigmaAll: 0.01}
	inside, err := CRLB(sc.arrivals(origin, nil), origin, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// At the centre of a square the bound is a circle: by symmetry each
	// coordinate's variance is σ²c²/(Σ sin²θ_i) for the four sensors at
	// 45°, 135°, ... with t0 uncorrelated, i.e. σ²c²/2.
	c := SpeedOfSound(10)
	want := 0.01 * 0.01 * c * c / 2
	if math.Abs(inside[0][0]-want) > 1e-6*want || math.Abs(inside[1][1]-want) > 1e-6*want || math.Abs(inside[0][1]) > 1e-6*want {
		t.Errorf("CRLB at the centre = %v, want diag(%g, %g)", inside, want, want)
	}
	far := en(origin, 30000, 0)
	away, err := CRLB(sc.arrivals(far, nil), far, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if away[0][0] < 1000*inside[0][0] {
		t.Errorf("CRLB 30 km away %v, want the range variance far above %g", away, inside[0][0])
	}
	if _, err := CRLB(sc.arrivals(origin, nil)[:2], origin, Config{}); !errors.Is(err, ErrTooFewArrivals) {
		t.Errorf("CRLB of 2 arrivals: error %v, want ErrTooFewArrivals", err)
	}
	line := scene{sensors: layout([2]float64{0, -1000}, [2]float64{0, 0}, [2]float64{0, 1000}), tempDefault: 10, sigmaAll: 0.01}
	src := en(origin, 0, 500)
	if _, err := CRLB(line.arrivals(src, nil), src, Config{}); !errors.Is(err, ErrGeometry) {
		t.Errorf("CRLB on the line of collinear sensors: error %v, want ErrGeometry", err)
	}
	if _, err := CRLB(sc.arrivals(origin, nil), geo.LonLat{Lon: math.NaN()}, Config{}); err == nil || !strings.Contains(err.Error(), "source") {
		t.Errorf("CRLB at NaN: error %v, want one naming the source", err)
	}
}

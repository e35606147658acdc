package attribution

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
)

func TestAttribute(t *testing.T) {
	a, mid := straight(t)
	north := func(d float64) geo.LonLat { return geo.Direct(mid, 0, d) }
	tests := []struct {
		name   string
		d      float64 // metres north of the line (A's side)
		cov    [2][2]float64
		cfg    Config
		party  string
		pA     float64 // want the probability of A's side ±1e-6
		sigma  float64 // want DistanceSigmaM ±0.1 %
		method Method
	}{
		{"far on A's side", 20_000, circle(1000), Config{}, "A", 1, 1000, MethodAnalytic},
		{"far on B's side", -20_000, circle(1000), Config{}, "B", 0, 1000, MethodAnalytic},
		{"on the line", 0, circle(1000), Config{}, "", 0.5, 1000, MethodAnalytic},
		// The example: an origin 300 m from the line with a 1 km
		// ellipse is close to 50/50 and not attributable, whether the
		// 1 km is one standard deviation or the 95 % ellipse's semi-axis.
		{"300 m off, 1 km sigma", 300, circle(1000), Config{}, "", phi(0.3), 1000, MethodAnalytic},
		{"300 m off, 1 km 95 % ellipse", 300, circle(1000 / 2.4477), Config{}, "", phi(300 / (1000 / 2.4477)), 1000 / 2.4477, MethodAnalytic},
		{"2 sigma: 0.977 reaches the default 0.95", 2000, circle(1000), Config{}, "A", phi(2), 1000, MethodAnalytic},
		{"1.5 sigma: 0.933 does not", -1500, circle(1000), Config{}, "", phi(-1.5), 1000, MethodAnalytic},
		{"1.5 sigma with a threshold of 0.9", -1500, circle(1000), Config{MinProbability: 0.9}, "B", phi(-1.5), 1000, MethodAnalytic},
		{"long ellipse along the line", 1000, ellipse(5000, 200, 90), Config{}, "A", phi(5), 200, MethodAnalytic},
		{"long ellipse across the line", 1000, ellipse(5000, 200, 0), Config{}, "", phi(0.2), 5000, MethodAnalytic},
		{"tilted ellipse", 700, ellipse(2000, 500, 30), Config{}, "", phi(700 / math.Hypot(2000*math.Cos(math.Pi/6), 500*math.Sin(math.Pi/6))), math.Hypot(2000*math.Cos(math.Pi/6), 500*math.Sin(math.Pi/6)), MethodAnalytic},
		{"zero covariance", 5, [2][2]float64{}, Config{}, "A", 1, 0, MethodPoint},
		{"zero covariance on the line", 0, [2][2]float64{}, Config{}, "", 0.5, 0, MethodPoint},
		{"under a millimetre", -0.5, circle(1e-4), Config{}, "B", 0, 1e-4, MethodPoint},
		{"singular, along the line", 100, ellipse(1000, 0, 90), Config{}, "A", 1, 0, MethodAnalytic},
		{"singular, along the line, on the line", 0, ellipse(1000, 0, 90), Config{}, "", 0.5, 0, MethodAnalytic},
		{"singular, across the line", 300, ellipse(1000, 0, 0), Config{}, "", phi(0.3), 1000, MethodAnalytic},
		{"within a metre of the line", 0.3, circle(100), Config{}, "", phi(0.003), 100, MethodAnalytic},
	}
	at, err := New(a, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := at
			if tt.cfg != (Config{}) {
				var err error
				if at, err = New(a, tt.cfg); err != nil {
					t.Fatal(err)
				}
			}
			r, err := at.Attribute(Estimate{Position: north(tt.d), Cov: tt.cov})
			if err != nil {
				t.Fatal(err)
			}
			if r.Party != tt.party || math.Abs(r.Probabilities["A"]-tt.pA) > 1e-6 || r.Method != tt.method {
				t.Errorf("Party %q, P(A) %.7f, Method %s; want %q, %.7f, %s", r.Party, r.Probabilities["A"], r.Method, tt.party, tt.pA, tt.method)
			}
			if s := r.Probabilities["A"] + r.Probabilities["B"]; len(r.Probabilities) != 2 || math.Abs(s-1) > 1e-12 {
				t.Errorf("Probabilities %v: want A and B summing to 1", r.Probabilities)
			}
			if want := max(r.Probabilities["A"], r.Probabilities["B"]); r.Probability != want {
				t.Errorf("Probability %g, want the larger of %v", r.Probability, r.Probabilities)
			}
			if math.Abs(r.SignedDistanceM-tt.d) > 0.01 {
				t.Errorf("SignedDistanceM %.3f, want %.3f", r.SignedDistanceM, tt.d)
			}
			if math.Abs(r.DistanceSigmaM-tt.sigma) > 1e-3*tt.sigma+1e-9 {
				t.Errorf("DistanceSigmaM %.3f, want %.3f", r.DistanceSigmaM, tt.sigma)
			}
		})
	}
}

// TestBends checks the numerical method against a brute-force Monte Carlo
// reference where the line bends within the ellipse, and that the
// straight-line formula would be wrong there.
func TestBends(t *testing.T) {
	ex := testdata(t, "example.yaml")
	exLine, err := ex.Terms().ContactLine.Lines()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		a        *terms.Agreement
		pos      geo.LonLat
		cov      [2][2]float64
		naiveOff bool // whether Φ(s/σn) is more than 0.05 from the reference
	}{
		{"60° V, at the apex", agreement(t, vLine(60), 1000), apex, circle(1000), true},
		{"60° V, 1 km outside the apex", agreement(t, vLine(60), 1000), geo.Direct(apex, 0, 1000), circle(1000), true},
		{"60° V, 1 km inside the apex", agreement(t, vLine(60), 1000), geo.Direct(apex, 180, 1000), circle(1000), true},
		{"60° V, 3 km inside, long ellipse", agreement(t, vLine(60), 1000), geo.Direct(apex, 180, 3000), ellipse(3000, 500, 0), true},
		{"30° V, 2 km inside the apex", agreement(t, vLine(30), 1000), geo.Direct(apex, 180, 2000), circle(1500), true},
		{"30° V, beside a leg near the apex", agreement(t, vLine(30), 1000), geo.Direct(geo.Direct(apex, 195, 1500), 285, 300), ellipse(1500, 400, 45), true},
		{"90° V, at the apex, thin ellipse", agreement(t, vLine(90), 1000), apex, ellipse(1000, 100, 0), false},
		{"135° V, 500 m outside", agreement(t, vLine(135), 1000), geo.Direct(apex, 0, 500), ellipse(2000, 700, 60), true},
		{"example line, at a vertex", ex, exLine[0][40], circle(3000), false},
		{"example line, beside a vertex", ex, geo.Direct(exLine[0][90], 45, 1500), ellipse(3000, 1000, 120), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := New(tt.a, Config{})
			if err != nil {
				t.Fatal(err)
			}
			e := Estimate{Position: tt.pos, Cov: tt.cov}
			r, err := at.Attribute(e)
			if err != nil {
				t.Fatal(err)
			}
			ref := monteCarlo(t, tt.a, e, 40_000, 1)
			if r.Method != MethodSampled {
				t.Errorf("Method %s, want %s", r.Method, MethodSampled)
			}
			if d := r.Probabilities["A"] - ref.a; math.Abs(d) > 0.015 {
				t.Errorf("P(A) = %.4f, Monte Carlo %.4f (off by %+.4f)", r.Probabilities["A"], ref.a, d)
			}
			for z, p := range r.ZoneProbabilities {
				if d := p - ref.zone[z]; math.Abs(d) > 0.015 {
					t.Errorf("P(%s) = %.4f, Monte Carlo %.4f (off by %+.4f)", z, p, ref.zone[z], d)
				}
			}
			naive := phi(r.SignedDistanceM / r.DistanceSigmaM)
			if off := math.Abs(naive-ref.a) > 0.05; off != tt.naiveOff {
				t.Errorf("straight-line formula %.4f, Monte Carlo %.4f: off by more than 0.05 = %v, want %v", naive, ref.a, off, tt.naiveOff)
			}
			t.Logf("P(A) %.4f, Monte Carlo %.4f, straight-line formula %.4f", r.Probabilities["A"], ref.a, naive)
		})
	}
}

// TestMethodsAgree checks that the numerical method gives the analytic
// answer where the line is straight but has a vertex (three points on one
// geodesic), so that the analytic method is not proved and Attribute
// integrates.
func TestMethodsAgree(t *testing.T) {
	a, mid := straight(t)
	ends := []geo.LonLat{{Lon: 36, Lat: 48}, {Lon: 38, Lat: 48}}
	length, azi, _ := geo.Inverse(ends[0], ends[1])
	withVertex := agreement(t, []geo.LonLat{ends[0], geo.Direct(ends[0], azi, length/2), ends[1]}, 1000,
		terms.WeaponClass{Code: "artillery_100mm", WithdrawalM: 3000})
	for _, d := range []float64{-2500, -900, 0, 300, 1200, 2900} {
		for _, cov := range [][2][2]float64{circle(1000), ellipse(2000, 300, 20), ellipse(800, 0, 120)} {
			e := Estimate{Position: geo.Direct(mid, 0, d), Cov: cov}
			want, err := Attribute(a, e, Config{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Attribute(withVertex, e, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if want.Method != MethodAnalytic || got.Method != MethodSampled {
				t.Fatalf("d %g cov %v: methods %s and %s, want analytic and sampled", d, cov, want.Method, got.Method)
			}
			close := func(what string, g, w float64) {
				if math.Abs(g-w) > 1e-3 {
					t.Errorf("d %g cov %v: %s sampled %.5f, analytic %.5f", d, cov, what, g, w)
				}
			}
			close("P(A)", got.Probabilities["A"], want.Probabilities["A"])
			for z, p := range want.ZoneProbabilities {
				close(z, got.ZoneProbabilities[z], p)
				close("A and "+z, got.PartyZoneProbabilities["A"][z], want.PartyZoneProbabilities["A"][z])
			}
		}
	}
}

func TestZones(t *testing.T) {
	a, mid := straight(t) // buffer 1 km, artillery_100mm 3 km
	const buf, art = terms.ZoneBuffer, "withdrawal:artillery_100mm"
	tests := []struct {
		name  string
		d     float64
		sigma float64
		zones []string
		want  map[string]float64 // P(zone)
		wantA map[string]float64 // P(A's side and zone)
	}{
		{"on the line", 0, 1000, []string{buf, art},
			map[string]float64{buf: phi(1) - phi(-1), art: phi(3) - phi(-3)},
			map[string]float64{buf: phi(1) - 0.5, art: phi(3) - 0.5}},
		{"on the buffer's edge", 1000, 500, []string{buf, art},
			map[string]float64{buf: 0.5 - phi(-4), art: phi(4) - phi(-8)},
			map[string]float64{buf: 0.5 - phi(-2), art: phi(4) - phi(-2)}},
		{"beyond the band, B's side", -3500, 300, nil,
			map[string]float64{buf: phi(-2500/300.0) - phi(-4500/300.0), art: phi(6500/300.0) - phi(500/300.0)},
			map[string]float64{buf: 0, art: 0}},
		{"far", 50_000, 1000, nil,
			map[string]float64{buf: 0, art: 0},
			map[string]float64{buf: 0, art: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Attribute(a, Estimate{Position: geo.Direct(mid, 0, tt.d), Cov: circle(tt.sigma)}, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Zones, tt.zones) {
				t.Errorf("Zones %v, want %v", r.Zones, tt.zones)
			}
			if len(r.ZoneProbabilities) != 2 {
				t.Errorf("ZoneProbabilities %v, want %s and %s", r.ZoneProbabilities, buf, art)
			}
			for z, want := range tt.want {
				if got := r.ZoneProbabilities[z]; math.Abs(got-want) > 1e-5 {
					t.Errorf("P(%s) %.6f, want %.6f", z, got, want)
				}
				if got := r.PartyZoneProbabilities["A"][z]; math.Abs(got-tt.wantA[z]) > 1e-5 {
					t.Errorf("P(A and %s) %.6f, want %.6f", z, got, tt.wantA[z])
				}
				if sum := r.PartyZoneProbabilities["A"][z] + r.PartyZoneProbabilities["B"][z]; math.Abs(sum-r.ZoneProbabilities[z]) > 1e-12 {
					t.Errorf("P(A and %s) + P(B and %s) = %g, want P(%s) = %g", z, z, sum, z, r.ZoneProbabilities[z])
				}
			}
		})
	}
}

// TestBeyondTheEnd checks points past the east end of the straight line,
// where Locate extends the sides along the end segment's geodesic: there
// the side changes across the extension without the distance going to zero.
func TestBeyondTheEnd(t *testing.T) {
	a, _ := straight(t)
	end := geo.LonLat{Lon: 38, Lat: 48}
	_, _, azi := geo.Inverse(geo.LonLat{Lon: 36, Lat: 48}, end)
	ahead := geo.Direct(end, azi, 30_000) // on the extension, 30 km past the end
	start := geo.LonLat{Lon: 36, Lat: 48}
	_, azi0, _ := geo.Inverse(start, end)
	behind := geo.Direct(start, azi0+180, 30_000) // on the extension, 30 km before the start
	tests := []struct {
		name   string
		pos    geo.LonLat
		cov    [2][2]float64
		party  string
		pA     float64
		tol    float64
		method Method
	}{
		{"far from the extension", geo.Direct(ahead, azi-90, 20_000), circle(1000), "A", 1, 1e-6, MethodAnalytic},
		{"1 km from the extension", geo.Direct(ahead, azi-90, 1000), circle(1000), "", phi(1), 0.02, MethodSampled},
		{"on the extension", ahead, circle(1000), "", 0.5, 0.02, MethodSampled},
		{"far from the extension before the start", geo.Direct(behind, azi0+90, 20_000), circle(1000), "B", 0, 1e-6, MethodAnalytic},
		{"1 km from the extension before the start", geo.Direct(behind, azi0-90, 1000), circle(1000), "", phi(1), 0.02, MethodSampled},
		{"1,500 km away", geo.Direct(ahead, azi+60, 1_500_000), circle(1000), "B", 0, 1e-6, MethodSampled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Estimate{Position: tt.pos, Cov: tt.cov}
			r, err := Attribute(a, e, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Party != tt.party || math.Abs(r.Probabilities["A"]-tt.pA) > tt.tol || r.Method != tt.method {
				t.Errorf("Party %q, P(A) %.5f, Method %s; want %q, %.5f±%g, %s", r.Party, r.Probabilities["A"], r.Method, tt.party, tt.pA, tt.tol, tt.method)
			}
		})
	}
}

// TestMultiLineString attributes around the gap between the two parts of
// internal/terms/testdata/multi.json.
func TestMultiLineString(t *testing.T) {
	a := testdata(t, "multi.json")
	gap := geo.LonLat{Lon: 31.25, Lat: 48.2}
	for _, e := range []Estimate{
		{Position: gap, Cov: circle(3000)},
		{Position: geo.LonLat{Lon: 31.0, Lat: 48.1}, Cov: ellipse(5000, 1000, 70)},
		{Position: geo.LonLat{Lon: 31.5, Lat: 48.35}, Cov: circle(2000)},
	} {
		r, err := Attribute(a, e, Config{})
		if err != nil {
			t.Fatal(err)
		}
		ref := monteCarlo(t, a, e, 40_000, 2)
		if d := r.Probabilities["A"] - ref.a; math.Abs(d) > 0.015 || r.Method != MethodSampled {
			t.Errorf("%v: P(A) %.4f (%s), Monte Carlo %.4f", e.Position, r.Probabilities["A"], r.Method, ref.a)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := agreement(t, vLine(60), 1000, terms.DefaultWeaponClasses()...)
	e := Estimate{Position: geo.Direct(apex, 200, 700), Cov: ellipse(1500, 600, 10)}
	first, err := Attribute(a, e, Config{})
	if err != nil {
		t.Fatal(err)
	}
	at, err := New(a, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := at.Attribute(e)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("Attribute gave %+v, then %+v", first, again)
		}
	}
}

func TestErrors(t *testing.T) {
	a, mid := straight(t)
	nan := math.NaN()
	estimates := []struct {
		name string
		e    Estimate
		want string
	}{
		{"NaN position", Estimate{Position: geo.LonLat{Lon: nan, Lat: 48}, Cov: circle(100)}, "not a WGS84"},
		{"longitude out of range", Estimate{Position: geo.LonLat{Lon: 200, Lat: 48}, Cov: circle(100)}, "not a WGS84"},
		{"NaN covariance", Estimate{Position: mid, Cov: [2][2]float64{{1, 0}, {0, nan}}}, "not finite"},
		{"infinite covariance", Estimate{Position: mid, Cov: [2][2]float64{{math.Inf(1), 0}, {0, 1}}}, "not finite"},
		{"not symmetric", Estimate{Position: mid, Cov: [2][2]float64{{4, 1}, {0, 4}}}, "not symmetric"},
		{"negative variance", Estimate{Position: mid, Cov: [2][2]float64{{-1, 0}, {0, 4}}}, "not positive semi-definite"},
		{"indefinite", Estimate{Position: mid, Cov: [2][2]float64{{1, 2}, {2, 1}}}, "not positive semi-definite"},
		{"wider than 1,000 km", Estimate{Position: mid, Cov: circle(2e6)}, "exceeds"},
	}
	for _, tt := range estimates {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Attribute(a, tt.e, Config{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "attribution: ") {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	configs := []struct {
		cfg  Config
		want string
	}{
		{Config{MinProbability: 0.5}, "MinProbability"},
		{Config{MinProbability: 1.01}, "MinProbability"},
		{Config{MinProbability: nan}, "MinProbability"},
		{Config{Samples: 8}, "Samples"},
		{Config{Samples: MaxSamples + 1}, "Samples"},
	}
	for _, tt := range configs {
		if _, err := New(a, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v): error %v, want one naming %s", tt.cfg, err, tt.want)
		}
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil): no error")
	}
	at, err := New(a, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c := at.Config(); c.MinProbability != DefaultMinProbability || c.Samples != DefaultSamples {
		t.Errorf("Config() = %+v, want the defaults", c)
	}
}

// BenchmarkAttribute measures a call on the 148-point example line: far
// from the line (60 km from a vertex, 1 km ellipses), near it beside the
// middle of a segment (within 300 m, 150 m circles), both by the analytic
// method, and near a vertex (800 m, 1.5 km ellipses) by the numerical one;
// and New.
func BenchmarkAttribute(b *testing.B) {
	a := testdata(b, "example.yaml")
	lines, err := a.Terms().ContactLine.Lines()
	if err != nil {
		b.Fatal(err)
	}
	line := lines[0]
	cases := []struct {
		name   string
		method Method
		est    func(i int) Estimate
	}{
		{"far", MethodAnalytic, func(i int) Estimate {
			return Estimate{Position: geo.Direct(line[i], float64(i*37%360), 60_000), Cov: ellipse(1000, 400, float64(i))}
		}},
		{"near-straight", MethodAnalytic, func(i int) Estimate {
			az := geo.Azimuth(line[i], line[i+1])
			q := geo.Direct(line[i], az, geo.Distance(line[i], line[i+1])/2)
			return Estimate{Position: geo.Direct(q, az-90, float64(i%7-3)*100), Cov: circle(150)}
		}},
		{"near-bend", MethodSampled, func(i int) Estimate {
			return Estimate{Position: geo.Direct(line[i], float64(i*37%360), 800), Cov: ellipse(1500, 700, float64(i))}
		}},
	}
	for _, c := range cases {
		var es []Estimate
		at, err := New(a, Config{})
		if err != nil {
			b.Fatal(err)
		}
		for i := 1; i+1 < len(line) && len(es) < 64; i++ {
			e := c.est(i)
			if r, err := at.Attribute(e); err == nil && r.Method == c.method {
				es = append(es, e)
			}
		}
		if len(es) < 16 {
			b.Fatalf("%s: only %d estimates use the %s method", c.name, len(es), c.method)
		}
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := at.Attribute(es[i%len(es)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			if _, err := New(a, Config{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

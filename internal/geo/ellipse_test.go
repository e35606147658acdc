package geo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// covOf returns the covariance whose one-sigma ellipse has the given semi-axes
// and major-axis azimuth.
func covOf(sMaj, sMin, azDeg float64) [2][2]float64 {
	s, c := math.Sincos(azDeg * math.Pi / 180)
	// Major axis along (s, c) in (east, north), minor along (-c, s).
	l1, l2 := sMaj*sMaj, sMin*sMin
	return [2][2]float64{
		{l1*s*s + l2*c*c, (l1 - l2) * s * c},
		{(l1 - l2) * s * c, l1*c*c + l2*s*s},
	}
}

func TestEllipseFromCov(t *testing.T) {
	k95 := math.Sqrt(-2 * math.Log(0.05)) // 2.4477
	tests := []struct {
		name     string
		cov      [2][2]float64
		p        float64
		want     Ellipse
		wantErrs string
	}{
		{name: "east-west", cov: [2][2]float64{{4, 0}, {0, 1}}, p: 0.95, want: Ellipse{2 * k95, k95, 90}},
		{name: "north-south", cov: [2][2]float64{{1, 0}, {0, 9}}, p: 0.95, want: Ellipse{3 * k95, k95, 0}},
		{name: "circle", cov: [2][2]float64{{4, 0}, {0, 4}}, p: 0.95, want: Ellipse{2 * k95, 2 * k95, 0}},
		{name: "azimuth 30", cov: covOf(10, 2, 30), p: 0.95, want: Ellipse{10 * k95, 2 * k95, 30}},
		{name: "azimuth 135", cov: covOf(10, 2, 135), p: 0.95, want: Ellipse{10 * k95, 2 * k95, 135}},
		{name: "azimuth 315 is 135", cov: covOf(10, 2, 315), p: 0.95, want: Ellipse{10 * k95, 2 * k95, 135}},
		{name: "azimuth 179.5", cov: covOf(5, 1, 179.5), p: 0.95, want: Ellipse{5 * k95, k95, 179.5}},
		{name: "one sigma", cov: covOf(3, 1, 60), p: 1 - math.Exp(-0.5), want: Ellipse{3, 1, 60}},
		{name: "very thin", cov: covOf(1e4, 1e-1, 45), p: 0.95, want: Ellipse{1e4 * k95, 1e-1 * k95, 45}},
		{name: "probability 0", cov: covOf(1, 1, 0), p: 0, wantErrs: "probability 0"},
		{name: "probability 1", cov: covOf(1, 1, 0), p: 1, wantErrs: "probability 1"},
		{name: "probability NaN", cov: covOf(1, 1, 0), p: math.NaN(), wantErrs: "probability NaN"},
		{name: "NaN", cov: [2][2]float64{{math.NaN(), 0}, {0, 1}}, p: 0.95, wantErrs: "not finite"},
		{name: "Inf", cov: [2][2]float64{{1, 0}, {0, math.Inf(1)}}, p: 0.95, wantErrs: "not finite"},
		{name: "singular", cov: [2][2]float64{{1, 1}, {1, 1}}, p: 0.95, wantErrs: "not positive definite"},
		{name: "negative", cov: [2][2]float64{{-1, 0}, {0, 1}}, p: 0.95, wantErrs: "not positive definite"},
		{name: "zero", cov: [2][2]float64{}, p: 0.95, wantErrs: "not positive definite"},
		{name: "indefinite", cov: [2][2]float64{{1, 2}, {2, 1}}, p: 0.95, wantErrs: "not positive definite"},
		{name: "asymmetric", cov: [2][2]float64{{2, 1}, {0, 2}}, p: 0.95, wantErrs: "not symmetric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EllipseFromCov(tt.cov, tt.p)
			if tt.wantErrs != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrs) {
					t.Fatalf("EllipseFromCov = %+v, %v; want an error containing %q", got, err, tt.wantErrs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.SemiMajorM-tt.want.SemiMajorM) > 1e-9*tt.want.SemiMajorM ||
				math.Abs(got.SemiMinorM-tt.want.SemiMinorM) > 1e-5*tt.want.SemiMinorM ||
				angleDiff(got.AzimuthDeg, tt.want.AzimuthDeg) > 1e-6 {
				t.Errorf("EllipseFromCov = %+v, want %+v", got, tt.want)
			}
			if got.AzimuthDeg < 0 || got.AzimuthDeg >= 180 {
				t.Errorf("azimuth %g not in [0, 180)", got.AzimuthDeg)
			}
		})
	}
}

func TestMahalanobis2(t *testing.T) {
	cov := covOf(10, 2, 30)
	k95 := math.Sqrt(-2 * math.Log(0.05))
	e, err := EllipseFromCov(cov, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	major, minor := e.axes()
	tests := []struct {
		name   string
		de, dn float64
		want   float64
	}{
		{"centre", 0, 0, 0},
		{"end of major axis", 10 * major[0], 10 * major[1], 1},
		{"end of minor axis", 2 * minor[0], 2 * minor[1], 1},
		{"95% boundary", k95 * 10 * major[0], k95 * 10 * major[1], k95 * k95},
		{"both axes", 10*major[0] + 2*minor[0], 10*major[1] + 2*minor[1], 2},
	}
	for _, tt := range tests {
		if got := Mahalanobis2(cov, tt.de, tt.dn); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: Mahalanobis2 = %.12g, want %g", tt.name, got, tt.want)
		}
	}
	for _, bad := range [][2][2]float64{{{1, 1}, {1, 1}}, {{math.NaN(), 0}, {0, 1}}, {{-1, 0}, {0, -1}}} {
		if got := Mahalanobis2(bad, 1, 1); !math.IsInf(got, 1) {
			t.Errorf("Mahalanobis2(%v) = %g, want +Inf", bad, got)
		}
	}
}

// TestEllipseCoverage draws normal offsets and checks that the share inside
// the ellipse is its probability.
func TestEllipseCoverage(t *testing.T) {
	const n = 20000
	r := rand.New(rand.NewPCG(1, 2))
	center := LonLat{37.8, 48.0}
	for _, p := range []float64{0.5, 0.95, 0.99} {
		sMaj, sMin, az := 40.0, 9.0, 72.0
		cov := covOf(sMaj, sMin, az)
		e, err := EllipseFromCov(cov, p)
		if err != nil {
			t.Fatal(err)
		}
		plane := NewENU(center)
		s, c := math.Sincos(az * math.Pi / 180)
		inside, insideM := 0, 0
		k2 := -2 * math.Log1p(-p)
		for range n {
			u, v := r.NormFloat64()*sMaj, r.NormFloat64()*sMin
			de, dn := u*s-v*c, u*c+v*s
			if e.Contains(center, plane.Inverse(de, dn)) {
				inside++
			}
			if Mahalanobis2(cov, de, dn) <= k2 {
				insideM++
			}
		}
		sd := math.Sqrt(p * (1 - p) / n)
		for _, got := range []float64{float64(inside) / n, float64(insideM) / n} {
			if math.Abs(got-p) > 4*sd {
				t.Errorf("p=%g: %.4f of the draws inside, want %g ± %.4f", p, got, p, 4*sd)
			}
		}
	}
}

func TestEllipsePolygon(t *testing.T) {
	tests := []struct {
		name   string
		center LonLat
		e      Ellipse
		n      int
	}{
		{"donbas", LonLat{37.8, 48.0}, Ellipse{500, 120, 30}, 64},
		{"north-south", LonLat{10, -33}, Ellipse{2000, 10, 0}, 16},
		{"circle", LonLat{0, 0}, Ellipse{50, 50, 0}, 8},
		{"high latitude", LonLat{25, 78}, Ellipse{30000, 5000, 100}, 36},
		{"too few points", LonLat{37.8, 48.0}, Ellipse{500, 120, 30}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring := tt.e.Polygon(tt.center, tt.n)
			want := max(tt.n, 3) + 1
			if len(ring) != want {
				t.Fatalf("%d points, want %d", len(ring), want)
			}
			if ring[0] != ring[len(ring)-1] {
				t.Errorf("ring not closed: %v .. %v", ring[0], ring[len(ring)-1])
			}
			// Shoelace area in degrees (longitude scaled by cos latitude):
			// positive means counter-clockwise.
			var area float64
			cl := math.Cos(tt.center.Lat * math.Pi / 180)
			for i := range len(ring) - 1 {
				a, b := ring[i], ring[i+1]
				area += (a.Lon*cl)*b.Lat - (b.Lon*cl)*a.Lat
			}
			if area <= 0 {
				t.Errorf("ring is clockwise (signed area %g)", area)
			}
			plane := NewENU(tt.center)
			major, minor := tt.e.axes()
			for i, q := range ring {
				de, dn := plane.Forward(q)
				u, v := (de*major[0]+dn*major[1])/tt.e.SemiMajorM, (de*minor[0]+dn*minor[1])/tt.e.SemiMinorM
				if d := math.Abs(math.Hypot(u, v) - 1); d > 1e-6 {
					t.Errorf("point %d (%v) is %g off the ellipse", i, q, d)
				}
			}
			if d := Distance(ring[0], tt.center); math.Abs(d-tt.e.SemiMajorM) > 1e-6 {
				t.Errorf("first point at %g m, want the end of the major axis at %g m", d, tt.e.SemiMajorM)
			}
			if az := Azimuth(tt.center, ring[0]); angleDiff(az, tt.e.AzimuthDeg) > 1e-6 {
				t.Errorf("first point at azimuth %g, want %g", az, tt.e.AzimuthDeg)
			}
		})
	}
}

func TestEllipseContains(t *testing.T) {
	center := LonLat{37.8, 48.0}
	e := Ellipse{SemiMajorM: 1000, SemiMinorM: 200, AzimuthDeg: 45}
	tests := []struct {
		name  string
		e     Ellipse
		az, d float64 // from center
		want  bool
	}{
		{"centre", e, 0, 0, true},
		{"inside along the major axis", e, 45, 990, true},
		{"outside along the major axis", e, 225, 1010, false},
		{"inside along the minor axis", e, 135, 199, true},
		{"outside along the minor axis", e, 315, 201, false},
		{"inside diagonally", e, 60, 400, true},
		{"outside diagonally", e, 90, 400, false},
		{"point ellipse, centre", Ellipse{}, 0, 0, true},
		{"point ellipse, elsewhere", Ellipse{}, 0, 1, false},
		{"segment, on it", Ellipse{SemiMajorM: 10, AzimuthDeg: 90}, 270, 9, true},
		{"segment, off it", Ellipse{SemiMajorM: 10, AzimuthDeg: 90}, 0, 1, false},
		{"NaN axis", Ellipse{SemiMajorM: math.NaN(), SemiMinorM: 1}, 0, 0, false},
		{"infinite axis", Ellipse{SemiMajorM: math.Inf(1), SemiMinorM: 1}, 0, 0, false},
	}
	for _, tt := range tests {
		if got := tt.e.Contains(center, Direct(center, tt.az, tt.d)); got != tt.want {
			t.Errorf("%s: Contains = %v, want %v", tt.name, got, tt.want)
		}
	}
}

package geo

import (
	"math"
	"testing"
)

func TestENURoundTrip(t *testing.T) {
	origins := []struct {
		name string
		o    LonLat
	}{
		{"donbas", LonLat{37.8, 48.0}},
		{"equator", LonLat{0, 0}},
		{"antimeridian", LonLat{179.99, -16.5}},
		{"high latitude", LonLat{25, 78}},
	}
	for _, oc := range origins {
		t.Run(oc.name, func(t *testing.T) {
			p := NewENU(oc.o)
			if e, n := p.Forward(oc.o); e != 0 || n != 0 {
				t.Errorf("Forward(origin) = %g, %g, want 0, 0", e, n)
			}
			if q := p.Inverse(0, 0); q != oc.o {
				t.Errorf("Inverse(0, 0) = %+v, want the origin", q)
			}
			for _, d := range []float64{1, 100, 10_000, 100_000} {
				for az := 0.0; az < 360; az += 22.5 {
					q := Direct(oc.o, az, d)
					e, n := p.Forward(q)
					if got := math.Hypot(e, n); math.Abs(got-d) > 1e-6 {
						t.Errorf("d=%g az=%g: |ENU| = %.9f, want the geodesic distance", d, az, got)
					}
					if d >= 100 {
						if got := normAzimuth(math.Atan2(e, n) * 180 / math.Pi); angleDiff(got, az) > 1e-9 {
							t.Errorf("d=%g az=%g: ENU bearing %.12f", d, az, got)
						}
					}
					if back := p.Inverse(e, n); Distance(back, q) > 1e-6 {
						t.Errorf("d=%g az=%g: Inverse(Forward(q)) is %.3g m from q", d, az, Distance(back, q))
					}
				}
			}
		})
	}
}

// TestENUPlanarDistances bounds the distortion of planar distances between
// two points near the origin, which trilateration relies on.
func TestENUPlanarDistances(t *testing.T) {
	o := LonLat{37.8, 48.0}
	p := NewENU(o)
	tests := []struct {
		radius, maxErr float64 // metres
	}{
		{2_000, 0.001},
		{20_000, 0.05},
		{100_000, 5},
	}
	for _, tt := range tests {
		worst := 0.0
		for az1 := 0.0; az1 < 360; az1 += 30 {
			for az2 := 15.0; az2 < 360; az2 += 30 {
				a, b := Direct(o, az1, tt.radius), Direct(o, az2, tt.radius/2)
				ae, an := p.Forward(a)
				be, bn := p.Forward(b)
				worst = math.Max(worst, math.Abs(math.Hypot(ae-be, an-bn)-Distance(a, b)))
			}
		}
		if worst > tt.maxErr {
			t.Errorf("within %g m: planar distances off by up to %.4f m, want at most %g", tt.radius, worst, tt.maxErr)
		}
	}
}

package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// wiggly returns a line of n vertices and segLen-metre geodesic segments
// from start, heading south-west with a slow meander of ±amp degrees.
// Consecutive segments turn by at most 2π·amp/period degrees.
func wiggly(start LonLat, n int, segLen, amp, period float64) []LonLat {
	pts := []LonLat{start}
	for k := 1; k < n; k++ {
		az := 200 + amp*math.Sin(2*math.Pi*float64(k)/period)
		pts = append(pts, Direct(pts[k-1], az, segLen))
	}
	return pts
}

// longLine is about 1,200 km of 1,000 vertices, turning at most 0.16° a vertex.
func longLine(t testing.TB) ([]LonLat, *Polyline) {
	t.Helper()
	pts := wiggly(LonLat{37.5, 50.3}, 1000, 1200, 10, 400)
	l, err := NewPolyline(pts)
	if err != nil {
		t.Fatal(err)
	}
	return pts, l
}

func TestNewPolyline(t *testing.T) {
	tests := []struct {
		name    string
		pts     []LonLat
		wantErr bool
	}{
		{"two points", []LonLat{{30, 48}, {31, 48}}, false},
		{"one point", []LonLat{{30, 48}}, true},
		{"none", nil, true},
		{"bad latitude", []LonLat{{30, 48}, {31, 91}}, true},
		{"NaN", []LonLat{{math.NaN(), 48}, {31, 48}}, true},
		{"repeated point", []LonLat{{30, 48}, {30, 48}, {31, 48}}, true},
	}
	for _, tt := range tests {
		_, err := NewPolyline(tt.pts)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestPolylineLength(t *testing.T) {
	pts, l := longLine(t)
	if got, want := l.Length(), 1200.0*float64(len(pts)-1); math.Abs(got-want) > 1e-6 {
		t.Errorf("Length = %.6f, want %.6f", got, want)
	}
	if l.Segments() != len(pts)-1 || len(l.Points()) != len(pts) {
		t.Errorf("Segments = %d, Points = %d for %d points", l.Segments(), len(l.Points()), len(pts))
	}
}

// TestNearestPerpendicular builds truths on a 1,200 km line: a point Q in
// the interior of a segment, moved by d along the geodesic perpendicular
// to the segment at Q. Q is the foot of the perpendicular, and because the
// line turns slowly (its radius of curvature is over 400 km) and Q is well
// inside its segment, no other point of the line is nearer.
func TestNearestPerpendicular(t *testing.T) {
	pts, l := longLine(t)
	tests := []struct {
		seg  int
		frac float64
		d    float64
		side int
	}{
		{10, 0.5, 10, +1},
		{10, 0.5, 10, -1},
		{123, 0.3, 250, +1},
		{250, 0.7, 1_000, -1},
		{400, 0.5, 5_000, +1},
		{500, 0.25, 20_000, -1},
		{600, 0.75, 50_000, +1},
		{700, 0.4, 100_000, -1},
		{800, 0.6, 100_000, +1},
		{990, 0.5, 30_000, -1},
	}
	for _, tt := range tests {
		a, b := pts[tt.seg], pts[tt.seg+1]
		segLen, az, _ := Inverse(a, b)
		q := Direct(a, az, tt.frac*segLen)
		_, _, alpha := Inverse(a, q) // azimuth of the segment at Q
		p := Direct(q, alpha-90*float64(tt.side), tt.d)

		got := l.Nearest(p)
		if math.Abs(got.DistanceM-tt.d) > 0.01 {
			t.Errorf("seg %d d=%g: DistanceM = %.4f", tt.seg, tt.d, got.DistanceM)
		}
		if got.Side != tt.side {
			t.Errorf("seg %d d=%g: Side = %d, want %d", tt.seg, tt.d, got.Side, tt.side)
		}
		if got.Segment != tt.seg {
			t.Errorf("seg %d d=%g: Segment = %d", tt.seg, tt.d, got.Segment)
		}
		if off := Distance(got.Point, q); off > 0.01 {
			t.Errorf("seg %d d=%g: Point is %.4f m from the foot", tt.seg, tt.d, off)
		}
		if want := 1200*float64(tt.seg) + tt.frac*segLen; math.Abs(got.AlongM-want) > 0.01 {
			t.Errorf("seg %d d=%g: AlongM = %.4f, want %.4f", tt.seg, tt.d, got.AlongM, want)
		}
	}
}

func TestNearestOnLine(t *testing.T) {
	pts, l := longLine(t)
	for _, i := range []int{0, 1, 500, 999} {
		got := l.Nearest(pts[i])
		if got.DistanceM > 1e-6 || got.Side != 0 {
			t.Errorf("vertex %d: DistanceM = %g, Side = %d, want 0, 0", i, got.DistanceM, got.Side)
		}
	}
}

func TestNearestEnds(t *testing.T) {
	pts, l := longLine(t)
	first, last := pts[0], pts[len(pts)-1]
	startAz := Azimuth(first, pts[1])
	_, _, endAz := Inverse(pts[len(pts)-2], last)
	tests := []struct {
		name string
		p    LonLat
		end  LonLat
		side int
	}{
		{"behind the start, left", Direct(first, startAz-150, 20_000), first, +1},
		{"behind the start, right", Direct(first, startAz+150, 20_000), first, -1},
		{"beyond the end, left", Direct(last, endAz-30, 40_000), last, +1},
		{"beyond the end, right", Direct(last, endAz+30, 40_000), last, -1},
	}
	for _, tt := range tests {
		got := l.Nearest(tt.p)
		if want := Distance(tt.p, tt.end); math.Abs(got.DistanceM-want) > 0.001 {
			t.Errorf("%s: DistanceM = %.4f, want %.4f", tt.name, got.DistanceM, want)
		}
		if got.Point != tt.end {
			t.Errorf("%s: Point = %+v, want the end %+v", tt.name, got.Point, tt.end)
		}
		if got.Side != tt.side {
			t.Errorf("%s: Side = %d, want %d", tt.name, got.Side, tt.side)
		}
	}
}

// TestNearestCorner checks the side where the nearest point is a vertex:
// an L-shaped line going north then turning east.
func TestNearestCorner(t *testing.T) {
	o := LonLat{30, 48}
	north := Direct(o, 0, 50_000)
	corner := north
	east := Direct(corner, Azimuth(o, corner)+90, 50_000)
	l, err := NewPolyline([]LonLat{o, corner, east})
	if err != nil {
		t.Fatal(err)
	}
	_, _, in := Inverse(o, corner)
	out := Azimuth(corner, east)
	bisect := in + (180+out-in)/2 // halfway between the two outer perpendiculars
	tests := []struct {
		name string
		p    LonLat
		side int
		at   bool // nearest point is the corner
	}{
		{"outside the corner", Direct(corner, bisect-180, 10_000), +1, true},
		{"outside, near the first leg's normal", Direct(corner, in-85, 10_000), +1, true},
		{"inside the corner", Direct(corner, bisect, 5_000), -1, false},
		{"inside, near the first leg", Direct(Direct(o, in, 40_000), in+90, 1_000), -1, false},
	}
	for _, tt := range tests {
		got := l.Nearest(tt.p)
		if got.Side != tt.side {
			t.Errorf("%s: Side = %d, want %d", tt.name, got.Side, tt.side)
		}
		if tt.at && Distance(got.Point, corner) > 1e-6 {
			t.Errorf("%s: Point = %+v, want the corner", tt.name, got.Point)
		}
		if want := bruteNearest(l, tt.p); math.Abs(got.DistanceM-want) > 0.001 {
			t.Errorf("%s: DistanceM = %.4f, brute force %.4f", tt.name, got.DistanceM, want)
		}
	}
}

// bruteNearest finds the distance from p to l by sampling every segment
// and refining each local minimum with a golden-section search.
func bruteNearest(l *Polyline, p LonLat) float64 {
	best := math.Inf(1)
	for i := range l.segs {
		seg := &l.segs[i]
		f := func(s float64) float64 {
			var q LonLat
			seg.line.Position(s, &q.Lat, &q.Lon, nil)
			return Distance(q, p)
		}
		const samples = 20
		k, dk := 0, math.Inf(1)
		for j := 0; j <= samples; j++ {
			if d := f(seg.length * float64(j) / samples); d < dk {
				k, dk = j, d
			}
		}
		lo, hi := seg.length*float64(max(k-1, 0))/samples, seg.length*float64(min(k+1, samples))/samples
		g := (math.Sqrt(5) - 1) / 2
		for hi-lo > 1e-5 {
			m1, m2 := hi-g*(hi-lo), lo+g*(hi-lo)
			if f(m1) < f(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		best = min(best, f((lo+hi)/2), dk)
	}
	return best
}

// TestNearestBruteForce compares with an exhaustive search on lines of
// long (6 km to 300 km) segments, for points up to 300 km away and, on
// one line, up to 8,000 km away.
func TestNearestBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		pts  []LonLat
		maxM float64
	}{
		{"meander 6 km", wiggly(LonLat{37.5, 50.3}, 200, 6_000, 40, 60), 300_000},
		{"zigzag 300 km", []LonLat{{20, 40}, {22, 43}, {25, 41}, {27, 44}, {30, 41}, {29, 37}}, 300_000},
		{"antimeridian", []LonLat{{178, -15}, {-179, -16}, {-177, -14}}, 300_000},
		{"zigzag, far points", []LonLat{{20, 40}, {22, 43}, {25, 41}, {27, 44}, {30, 41}, {29, 37}}, 8_000_000},
	}
	for _, tt := range tests {
		name, pts := tt.name, tt.pts
		l, err := NewPolyline(pts)
		if err != nil {
			t.Fatal(err)
		}
		for range 40 {
			v := pts[rng.IntN(len(pts))]
			p := Direct(v, rng.Float64()*360, rng.Float64()*tt.maxM)
			got := l.Nearest(p)
			want := bruteNearest(l, p)
			if math.Abs(got.DistanceM-want) > 0.001 {
				t.Errorf("%s: Nearest(%+v) = %.4f m, brute force %.4f m", name, p, got.DistanceM, want)
			}
			if d := Distance(p, got.Point); math.Abs(d-got.DistanceM) > 1e-6 {
				t.Errorf("%s: DistanceM %.6f but Point is %.6f m away", name, got.DistanceM, d)
			}
		}
	}
}

func TestNearestInvalid(t *testing.T) {
	_, l := longLine(t)
	if got := l.Nearest(LonLat{200, 0}); !math.IsNaN(got.DistanceM) {
		t.Errorf("Nearest(invalid) = %+v, want NaN distance", got)
	}
}

func TestWedgeSide(t *testing.T) {
	tests := []struct {
		name          string
		in, out, beta float64
		want          int
	}{
		{"straight north, west", 0, 0, 270, +1},
		{"straight north, east", 0, 0, 90, -1},
		{"left turn, inside", 0, 270, 225, +1},
		{"left turn, outside", 0, 270, 90, -1},
		{"right turn, inside", 0, 90, 135, -1},
		{"right turn, outside", 0, 90, 300, +1},
		{"along the outgoing leg", 0, 90, 90, 0},
	}
	for _, tt := range tests {
		if got := wedgeSide(tt.in, tt.out, tt.beta); got != tt.want {
			t.Errorf("%s: wedgeSide = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func BenchmarkNearest(b *testing.B) {
	pts, l := longLine(b)
	rng := rand.New(rand.NewPCG(3, 4))
	qs := make([]LonLat, 1024)
	for i := range qs {
		v := pts[rng.IntN(len(pts))]
		qs[i] = Direct(v, rng.Float64()*360, rng.Float64()*150_000)
	}
	for i := 0; b.Loop(); i++ {
		l.Nearest(qs[i%len(qs)])
	}
}

func BenchmarkNewPolyline(b *testing.B) {
	pts := wiggly(LonLat{37.5, 50.3}, 1000, 1200, 10, 400)
	for b.Loop() {
		if _, err := NewPolyline(pts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPolylineNear(t *testing.T) {
	// A V: two 20 km legs meeting at a vertex.
	apex := LonLat{Lon: 37, Lat: 48}
	a, b := Direct(apex, 225, 20_000), Direct(apex, 135, 20_000)
	l, err := NewPolyline([]LonLat{a, apex, b})
	if err != nil {
		t.Fatal(err)
	}
	midA := Direct(apex, 225, 10_000)
	tests := []struct {
		name     string
		p        LonLat
		r        float64
		segments int
		bend     bool
	}{
		{"far away", Direct(apex, 0, 100_000), 1000, 0, false},
		{"beside the middle of a leg", Direct(midA, 315, 2000), 1000, 0, false},
		{"across the middle of a leg", Direct(midA, 315, 500), 1000, 1, false},
		{"at the apex", Direct(apex, 0, 500), 1000, 2, true},
		{"invalid", LonLat{Lon: 400}, 1, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, bend := l.Near(tc.p, tc.r)
			if n != tc.segments || bend != tc.bend {
				t.Errorf("Near = %d segments, bend %v; want %d, %v", n, bend, tc.segments, tc.bend)
			}
		})
	}
}

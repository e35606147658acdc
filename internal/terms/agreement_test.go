package terms

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/guarantor-project/guarantor/internal/geo"
)

func compileFile(t testing.TB, name string) (*Agreement, []geo.LonLat) {
	t.Helper()
	a, err := Compile(parseFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := a.Terms().ContactLine.Lines()
	if err != nil {
		t.Fatal(err)
	}
	return a, lines[0]
}

// bruteDistance finds the distance from p to the line by sampling every
// geodesic segment and refining the best sample of each with a
// golden-section search. It is slow and independent of geo.Polyline.
func bruteDistance(line []geo.LonLat, p geo.LonLat) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(line); i++ {
		length, az, _ := geo.Inverse(line[i], line[i+1])
		f := func(s float64) float64 { return geo.Distance(geo.Direct(line[i], az, s), p) }
		const n = 16
		k, dk := 0, math.Inf(1)
		for j := 0; j <= n; j++ {
			if d := f(length * float64(j) / n); d < dk {
				k, dk = j, d
			}
		}
		lo, hi := length*float64(max(k-1, 0))/n, length*float64(min(k+1, n))/n
		g := (math.Sqrt(5) - 1) / 2
		for hi-lo > 1e-4 {
			if m1, m2 := hi-g*(hi-lo), lo+g*(hi-lo); f(m1) < f(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		best = min(best, dk, f((lo+hi)/2))
	}
	return best
}

var (
	all        = []string{ZoneBuffer, "withdrawal:artillery_100mm", "withdrawal:mlrs", "withdrawal:heavy_mlrs"}
	noBuffer   = all[1:]
	mlrsUp     = all[2:]
	heavyOnly  = all[3:]
	outOfZones []string
)

// TestLocate builds points at known perpendicular offsets from the example
// contact line: Q is inside segment seg, and P is d metres from Q along the
// geodesic perpendicular to the segment at Q, to the given side. Each case
// is checked to be a true nearest point by an exhaustive search.
func TestLocate(t *testing.T) {
	a, line := compileFile(t, "example.yaml")
	tests := []struct {
		name  string
		seg   int
		frac  float64
		side  Side
		d     float64
		party string
		zones []string
	}{
		{"Dnipro estuary, 10 m north", 5, 0.5, Left, 10, "A", all},
		{"Kakhovka reservoir, 100 m south-east", 30, 0.4, Right, 100, "B", all},
		{"Kakhovka reservoir, inside the buffer", 35, 0.5, Left, 14_990, "A", all},
		{"Kakhovka reservoir, just outside the buffer", 35, 0.5, Left, 15_010, "A", noBuffer},
		{"Zaporizhzhia, inside artillery", 64, 0.5, Right, 49_990, "B", noBuffer},
		{"Zaporizhzhia, just beyond artillery", 65, 0.5, Right, 50_010, "B", mlrsUp},
		{"Zaporizhzhia, inside MLRS", 65, 0.5, Right, 69_990, "B", mlrsUp},
		{"Zaporizhzhia, just beyond MLRS", 66, 0.5, Right, 70_010, "B", heavyOnly},
		{"Robotyne, inside heavy MLRS", 57, 0.5, Right, 139_990, "B", heavyOnly},
		{"Robotyne, beyond every line", 57, 0.5, Right, 140_010, "B", outOfZones},
		{"Kakhovka reservoir, beyond every line", 36, 0.5, Left, 140_010, "A", outOfZones},
		{"Kreminna, 1 km west", 118, 0.5, Left, 1_000, "A", all},
		{"Kupiansk bridgehead, 2 km east", 128, 0.5, Right, 2_000, "B", all},
		{"Oskil, 30 km west", 121, 0.5, Left, 30_000, "A", noBuffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			length, az, _ := geo.Inverse(line[tt.seg], line[tt.seg+1])
			q := geo.Direct(line[tt.seg], az, tt.frac*length)
			_, _, alpha := geo.Inverse(line[tt.seg], q)
			turn := 90.0
			if tt.side == Left {
				turn = -90
			}
			p := geo.Direct(q, alpha+turn, tt.d)
			if brute := bruteDistance(line, p); brute < tt.d-0.01 {
				t.Fatalf("bad test case: the line comes within %.2f m of the point, nearer than %g m", brute, tt.d)
			}

			got := a.Locate(p)
			sign := 1.0
			if tt.side == Right {
				sign = -1
			}
			if math.Abs(got.SignedDistanceM-sign*tt.d) > 0.01 || got.DistanceM != math.Abs(got.SignedDistanceM) {
				t.Errorf("SignedDistanceM = %.4f, DistanceM = %.4f, want %.4f", got.SignedDistanceM, got.DistanceM, sign*tt.d)
			}
			if got.Side != tt.side || got.Party != tt.party {
				t.Errorf("Side, Party = %q, %q, want %q, %q", got.Side, got.Party, tt.side, tt.party)
			}
			if !slices.Equal(got.Zones, tt.zones) {
				t.Errorf("Zones = %q, want %q", got.Zones, tt.zones)
			}
			if off := geo.Distance(got.LinePoint, q); off > 0.01 {
				t.Errorf("LinePoint is %.4f m from the foot of the perpendicular", off)
			}
		})
	}
}

func TestLocateSpecial(t *testing.T) {
	a, line := compileFile(t, "example.yaml")
	end := line[len(line)-1]

	got := a.Locate(line[70])
	if got.DistanceM != 0 || got.Side != "" || got.Party != "" || !slices.Equal(got.Zones, all) {
		t.Errorf("on a vertex: %+v, want distance 0, no side or party, every zone", got)
	}

	// Beyond the end, the side is that of the end segment, which heads
	// east-north-east: a point due east of the end is on its right.
	p := geo.Direct(end, 90, 20_000)
	got = a.Locate(p)
	if want := geo.Distance(p, end); math.Abs(got.DistanceM-want) > 0.001 || got.Party != "B" {
		t.Errorf("beyond the end: %+v, want %.3f m on B's side", got, want)
	}

	got = a.Locate(geo.LonLat{Lon: 37, Lat: 91})
	if !math.IsNaN(got.DistanceM) || !math.IsNaN(got.SignedDistanceM) || got.Party != "" || got.Zones != nil {
		t.Errorf("invalid point: %+v, want NaN distances and nothing else", got)
	}
}

func TestLocateMulti(t *testing.T) {
	a, err := Compile(parseFile(t, "multi.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := a.Terms().ContactLine.Lines()
	second := lines[1]
	length, az, _ := geo.Inverse(second[0], second[1])
	q := geo.Direct(second[0], az, length/2)
	_, _, alpha := geo.Inverse(second[0], q)
	p := geo.Direct(q, alpha+90, 1_500)

	got := a.Locate(p)
	if math.Abs(got.SignedDistanceM+1_500) > 0.01 || got.Party != "B" {
		t.Errorf("near the second line: %+v, want -1500 m on B's side", got)
	}
	if !slices.Equal(got.Zones, []string{ZoneBuffer}) {
		t.Errorf("Zones = %q, want only the buffer zone (no weapon classes)", got.Zones)
	}
}

func TestAgreementQueries(t *testing.T) {
	a, _ := compileFile(t, "example.yaml")

	if p, ok := a.Party("B"); !ok || p.Side != Right {
		t.Errorf("Party(B) = %+v, %v", p, ok)
	}
	if _, ok := a.Party("C"); ok {
		t.Error("Party(C) found")
	}
	if p, ok := a.PartyBySide(Left); !ok || p.Code != "A" {
		t.Errorf("PartyBySide(left) = %+v, %v", p, ok)
	}
	if w, ok := a.WeaponClass("mlrs"); !ok || w.WithdrawalM != 70_000 {
		t.Errorf("WeaponClass(mlrs) = %+v, %v", w, ok)
	}
	if _, ok := a.WeaponClass("drones"); ok {
		t.Error("WeaponClass(drones) found")
	}

	if m, err := a.WithdrawalLine("heavy_mlrs"); err != nil || m != 140_000 {
		t.Errorf("WithdrawalLine(heavy_mlrs) = %v, %v", m, err)
	}
	_, err := a.WithdrawalLine("drones")
	var p Problem
	if !errors.As(err, &p) || p.Field != "weapon_class" || p.Reason != `unknown weapon class "drones" (the terms define artillery_100mm, mlrs, heavy_mlrs)` {
		t.Errorf("WithdrawalLine(drones) error = %#v", err)
	}

	loc := Location{Zones: []string{"withdrawal:heavy_mlrs"}}
	zoneTests := []struct {
		zone    string
		want    bool
		wantErr bool
	}{
		{"withdrawal:heavy_mlrs", true, false},
		{"withdrawal:mlrs", false, false},
		{ZoneBuffer, false, false},
		{"withdrawal:drones", false, true},
		{"no_fly", false, true},
	}
	for _, tt := range zoneTests {
		got, err := a.InZone(loc, tt.zone)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("InZone(%q) = %v, %v", tt.zone, got, err)
		}
		if err != nil && !errors.As(err, &p) {
			t.Errorf("InZone(%q) error %T is not a Problem", tt.zone, err)
		}
	}

	if cs := a.Clauses("withdrawal:mlrs"); len(cs) != 1 || cs[0].ID != "3" {
		t.Errorf("Clauses(withdrawal:mlrs) = %+v, want clause 3", cs)
	}
	if cs := a.Clauses(ZoneBuffer); len(cs) != 1 || cs[0].ID != "2" {
		t.Errorf("Clauses(buffer_zone) = %+v, want clause 2", cs)
	}
}

func TestCompileInvalid(t *testing.T) {
	terms := parseFile(t, "minimal.yaml")
	terms.Parties = terms.Parties[:1]
	_, err := Compile(terms)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "parties" {
		t.Errorf("Compile = %v, want the missing party", err)
	}
}

func BenchmarkLocate(b *testing.B) {
	a, line := compileFile(b, "example.yaml")
	qs := make([]geo.LonLat, 256)
	for i := range qs {
		qs[i] = geo.Direct(line[(i*7)%len(line)], float64(i*37%360), float64(i%50)*2_000)
	}
	for i := 0; b.Loop(); i++ {
		a.Locate(qs[i%len(qs)])
	}
}

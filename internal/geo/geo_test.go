package geo

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// known is a published solution of a geodesic problem.
type known struct {
	name       string
	p1, p2     LonLat
	azi1, azi2 float64 // degrees, as published
	s12        float64 // metres
}

func readKnown(t *testing.T) []known {
	t.Helper()
	f, err := os.Open("testdata/geodesic.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ks []known
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 8 {
			t.Fatalf("testdata/geodesic.txt: %q: want 8 fields", line)
		}
		v := make([]float64, 7)
		for i := range v {
			if v[i], err = strconv.ParseFloat(fs[i], 64); err != nil {
				t.Fatalf("testdata/geodesic.txt: %q: %v", line, err)
			}
		}
		ks = append(ks, known{name: fs[7], p1: LonLat{v[1], v[0]}, azi1: v[2], p2: LonLat{v[4], v[3]}, azi2: v[5], s12: v[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ks) == 0 {
		t.Fatal("testdata/geodesic.txt: no cases")
	}
	return ks
}

// angleDiff returns the absolute difference of two angles in degrees.
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return math.Min(d, 360-d)
}

func TestInverseKnown(t *testing.T) {
	for _, k := range readKnown(t) {
		t.Run(k.name, func(t *testing.T) {
			s, azi1, azi2 := Inverse(k.p1, k.p2)
			if math.Abs(s-k.s12) > 1e-5 {
				t.Errorf("distance = %.6f m, want %.6f", s, k.s12)
			}
			if d := Distance(k.p1, k.p2); d != s {
				t.Errorf("Distance = %.6f, Inverse = %.6f", d, s)
			}
			if angleDiff(azi1, k.azi1) > 1e-9 || angleDiff(azi2, k.azi2) > 1e-9 {
				t.Errorf("azimuths = %.11f, %.11f, want %.11f, %.11f", azi1, azi2, k.azi1, k.azi2)
			}
			if a := Azimuth(k.p1, k.p2); a != azi1 {
				t.Errorf("Azimuth = %.11f, Inverse azi1 = %.11f", a, azi1)
			}
		})
	}
}

func TestDirectKnown(t *testing.T) {
	for _, k := range readKnown(t) {
		t.Run(k.name, func(t *testing.T) {
			q := Direct(k.p1, k.azi1, k.s12)
			if d := Distance(q, k.p2); d > 1e-4 {
				t.Errorf("Direct = %+v, want %+v (%.2g m away)", q, k.p2, d)
			}
		})
	}
}

func TestAzimuthRange(t *testing.T) {
	o := LonLat{30, 48}
	tests := []struct {
		name string
		to   LonLat
		want float64
	}{
		{"north", LonLat{30, 49}, 0},
		{"south", LonLat{30, 47}, 180},
		{"same point", o, 0},
	}
	for _, tt := range tests {
		if got := Azimuth(o, tt.to); angleDiff(got, tt.want) > 1e-9 || got < 0 || got >= 360 {
			t.Errorf("%s: Azimuth = %v, want %v in [0, 360)", tt.name, got, tt.want)
		}
	}
	if got := Azimuth(o, LonLat{29, 48}); got < 260 || got > 280 {
		t.Errorf("west: Azimuth = %v, want about 270", got)
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		p    LonLat
		want bool
	}{
		{LonLat{0, 0}, true},
		{LonLat{180, 90}, true},
		{LonLat{-180, -90}, true},
		{LonLat{180.1, 0}, false},
		{LonLat{0, -90.5}, false},
		{LonLat{math.NaN(), 0}, false},
		{LonLat{0, math.Inf(1)}, false},
	}
	for _, tt := range tests {
		if got := tt.p.Valid(); got != tt.want {
			t.Errorf("%+v.Valid() = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// TestPlanarDegreesWrong shows why the product never measures in degrees:
// 1° of longitude at 48° N is 74.6 km, not the 111 km of a degree of
// latitude, and even a latitude-scaled flat estimate is off by tens of metres.
func TestPlanarDegreesWrong(t *testing.T) {
	a, b := LonLat{35, 48}, LonLat{36.5, 48.5}
	truth := Distance(a, b)
	naive := math.Hypot(b.Lon-a.Lon, b.Lat-a.Lat) * 111_195
	if math.Abs(naive-truth) < 10_000 {
		t.Errorf("naive degrees %.0f m vs geodesic %.0f m: expected an error over 10 km", naive, truth)
	}
	k := math.Cos(48.25 * math.Pi / 180)
	scaled := math.Hypot((b.Lon-a.Lon)*k, b.Lat-a.Lat) * 111_195
	if math.Abs(scaled-truth) < 10 {
		t.Errorf("scaled degrees %.1f m vs geodesic %.1f m: expected an error over 10 m", scaled, truth)
	}
}

package geo

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// u is a U-shaped ring, counter-clockwise: a base from 30° to 33° east
// between 48° and 49° north, and two arms up to 51° north, 30°–31° and
// 32°–33° east, with the notch between them open to the north.
var u = []LonLat{{30, 48}, {33, 48}, {33, 51}, {32, 51}, {32, 49}, {31, 49}, {31, 51}, {30, 51}}

// square returns the counter-clockwise ring of the square with corners
// (lon, lat) and (lon+size, lat+size).
func square(lon, lat, size float64) []LonLat {
	return []LonLat{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}}
}

func reversed(ring []LonLat) []LonLat {
	r := slices.Clone(ring)
	slices.Reverse(r)
	return r
}

func closedRing(ring []LonLat) []LonLat { return append(slices.Clone(ring), ring[0]) }

func TestAreaContains(t *testing.T) {
	type probe struct {
		p    LonLat
		want bool
	}
	uProbes := []probe{
		{LonLat{31.5, 48.5}, true},   // the base
		{LonLat{30.5, 50}, true},     // the west arm
		{LonLat{32.5, 50.5}, true},   // the east arm
		{LonLat{31.5, 50}, false},    // in the notch
		{LonLat{31.5, 49.05}, false}, // just inside the notch
		{LonLat{31.5, 48.95}, true},  // just below it
		{LonLat{29.9, 49}, false},    // west of it
		{LonLat{31.5, 47.9}, false},  // south of it
		{LonLat{-148.5, -48.5}, false},
	}
	withHole := [][]LonLat{square(30, 48, 2), square(30.5, 48.5, 1)}
	holeProbes := []probe{
		{LonLat{30.2, 48.2}, true},
		{LonLat{31, 49}, false}, // in the hole
		{LonLat{31.8, 49.8}, true},
		{LonLat{33, 49}, false},
	}
	// Two parts, one of them an island in the other's hole.
	multi := [][]LonLat{square(30, 48, 2), reversed(square(30.5, 48.5, 1)), square(30.8, 48.8, 0.4), square(35, 48, 1)}
	multiProbes := []probe{
		{LonLat{30.2, 48.2}, true},
		{LonLat{30.6, 48.6}, false}, // in the hole
		{LonLat{31, 49}, true},      // on the island
		{LonLat{35.5, 48.5}, true},  // in the second part
		{LonLat{33.5, 48.5}, false}, // between the parts
	}
	antimeridian := [][]LonLat{{{179, 10}, {-179, 10}, {-179, 12}, {179, 12}}}
	amProbes := []probe{
		{LonLat{180, 11}, true},
		{LonLat{-180, 11}, true},
		{LonLat{179.5, 11}, true},
		{LonLat{-179.5, 11}, true},
		{LonLat{0, 11}, false},
		{LonLat{178.5, 11}, false},
	}
	tests := []struct {
		name   string
		rings  [][]LonLat
		probes []probe
	}{
		{"U counter-clockwise", [][]LonLat{u}, uProbes},
		{"U clockwise", [][]LonLat{reversed(u)}, uProbes},
		{"U closed", [][]LonLat{closedRing(u)}, uProbes},
		{"U clockwise and closed", [][]LonLat{closedRing(reversed(u))}, uProbes},
		{"square with a hole", withHole, holeProbes},
		{"square with a hole, both clockwise", [][]LonLat{reversed(withHole[0]), reversed(withHole[1])}, holeProbes},
		{"hole given first", [][]LonLat{withHole[1], withHole[0]}, holeProbes},
		{"two parts and an island", multi, multiProbes},
		{"across the antimeridian", antimeridian, amProbes},
		{"across the antimeridian, clockwise", [][]LonLat{reversed(antimeridian[0])}, amProbes},
		{"invalid point", [][]LonLat{u}, []probe{{LonLat{31, 200}, false}, {LonLat{math.NaN(), 48.5}, false}}},
	}
	for _, tt := range tests {
		a, err := NewArea(tt.rings...)
		if err != nil {
			t.Errorf("%s: NewArea: %v", tt.name, err)
			continue
		}
		for _, pr := range tt.probes {
			if got := a.Contains(pr.p); got != pr.want {
				t.Errorf("%s: Contains(%v) = %v, want %v", tt.name, pr.p, got, pr.want)
			}
		}
	}
}

// TestAreaTiling checks that a point on the edge two areas share lies in
// exactly one of them. (A corner of the pair lies on the boundary of their
// union, and may lie in neither.)
func TestAreaTiling(t *testing.T) {
	west, err := NewArea(square(30, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	east, err := NewArea(reversed(square(31, 48, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []LonLat{{31, 48.5}, {31, 48.25}, {31, 48.999999}} {
		if w, e := west.Contains(p), east.Contains(p); w == e {
			t.Errorf("%v: in the west %v, in the east %v; want exactly one", p, w, e)
		}
	}
}

func TestNewAreaErrors(t *testing.T) {
	tests := []struct {
		name  string
		rings [][]LonLat
		want  string
	}{
		{"no ring", nil, "at least one ring"},
		{"empty ring", [][]LonLat{{}}, "ring 0: a ring needs at least 3 distinct points, got 0"},
		{"two points", [][]LonLat{{{30, 48}, {31, 48}, {30, 48}}}, "ring 0: a ring needs at least 3 distinct points, got 2"},
		{"out of range", [][]LonLat{{{30, 48}, {31, 48}, {31, 95}}}, "ring 0: point 2: (31, 95) is not a WGS84 longitude and latitude"},
		{"repeated point", [][]LonLat{{{30, 48}, {31, 48}, {31, 48}, {31, 49}}}, "ring 0: points 1 and 2 are the same"},
		{"bow tie", [][]LonLat{{{30, 48}, {32, 49}, {32, 48}, {30, 49}}}, "ring 0 segment 0 and ring 0 segment 2 cross"},
		{"rings crossing", [][]LonLat{square(30, 48, 1), square(30.5, 48.5, 1)}, "ring 0 segment 1 and ring 1 segment 0 cross"},
		{"on one meridian", [][]LonLat{{{30, 48}, {30, 49}, {30, 50}}}, "ring 0 encloses no area"},
		{"a sliver", [][]LonLat{{{30, 48}, {30, 49}, {30.00000000001, 48.5}}}, "ring 0 encloses no area"},
		{"second ring bad", [][]LonLat{square(30, 48, 1), {{40, 48}}}, "ring 1: a ring needs at least 3 distinct points, got 1"},
	}
	for _, tt := range tests {
		a, err := NewArea(tt.rings...)
		if err == nil {
			t.Errorf("%s: NewArea accepted it: %+v", tt.name, a)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "geo: area") {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestAreaConcurrent runs queries from several goroutines; run with -race.
func TestAreaConcurrent(t *testing.T) {
	ring := wiggly(LonLat{37.5, 50.3}, 200, 1200, 10, 400)
	ring = append(ring, Direct(ring[len(ring)-1], 110, 50_000), Direct(ring[0], 110, 50_000))
	a, err := NewArea(ring)
	if err != nil {
		t.Fatal(err)
	}
	inside := Direct(ring[100], 110, 20_000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if !a.Contains(inside) {
					t.Error("a point 20 km inside is not contained")
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkAreaContains(b *testing.B) {
	ring := wiggly(LonLat{37.5, 50.3}, 1000, 1200, 10, 400)
	ring = append(ring, Direct(ring[len(ring)-1], 110, 50_000), Direct(ring[0], 110, 50_000))
	a, err := NewArea(ring)
	if err != nil {
		b.Fatal(err)
	}
	p := Direct(ring[500], 110, 20_000)
	for b.Loop() {
		a.Contains(p)
	}
}

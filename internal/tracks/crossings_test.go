package tracks

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// passageWant is what a test expects of a Passage. A zero at or s is not checked.
type passageWant struct {
	seg      int        // index of the point before
	at       geo.LonLat // where, to within 1.5 m
	s        float64    // when, in seconds after t0, to within 0.1 s
	inferred bool
	offLine  bool
}

// crossingWant is what a test expects of a Crossing.
type crossingWant struct {
	from, into string // parties
	entry      passageWant
	exit       *passageWant
	depth      float64 // metres, to within 0.5 m; 0 is not checked
	depthObs   string
	obs        []string
}

func TestCrossings(t *testing.T) {
	straight := agreement(t, straightLine...)
	bent := agreement(t, vLine...)
	example := testdata(t, "example.yaml")
	exampleLine := example.ContactLines()[0].Points()

	// s is the point across metres left of the straight line (north, A's
	// side), along metres from its west end.
	s := func(along, across float64) geo.LonLat { return offset(straightLine, 0, along, across) }
	// across returns fixes every 10 s on the perpendicular to the straight
	// line 50 km from its west end, at the distances across.
	across := func(d ...float64) []fix {
		out := make([]fix, len(d))
		for i, x := range d {
			out[i] = fix{10 * i, s(50_000, x)}
		}
		return out
	}
	q := s(50_000, 0) // where tracks made by across meet the line
	ids := func(n ...int) []string {
		out := make([]string, len(n))
		for i, k := range n {
			out[i] = "p" + strconv.Itoa(k)
		}
		return out
	}
	north := func(p geo.LonLat, d float64) geo.LonLat { return geo.Direct(p, 0, d) }
	v4 := exampleLine[4] // a sharp bend of the example line, pointing south

	tests := []struct {
		name  string
		a     *terms.Agreement
		fixes []fix
		unc   float64 // UncertaintyM of every point
		cfg   Config
		want  []crossingWant
	}{
		{
			name:  "crosses and returns",
			a:     straight,
			fixes: across(3000, 1000, -1000, -5000, -2000, 1500, 4000),
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 1, at: q, s: 15},
				exit:  &passageWant{seg: 4, at: q, s: 40 + 10*2000.0/3500},
				depth: 5000, depthObs: "p4", obs: ids(2, 3, 4, 5, 6),
			}},
		},
		{
			name:  "crosses and stays",
			a:     straight,
			fixes: across(2000, 500, -500, -3000),
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 1, at: q, s: 15},
				depth: 3000, depthObs: "p4", obs: ids(2, 3, 4),
			}},
		},
		{
			name:  "from B's side into A's",
			a:     straight,
			fixes: across(-2000, -500, 1500, 2500),
			want: []crossingWant{{
				from: "B", into: "A",
				entry: passageWant{seg: 1, at: q, s: 12.5},
				depth: 2500, depthObs: "p4", obs: ids(2, 3, 4),
			}},
		},
		{
			name:  "touches the line",
			a:     straight,
			fixes: across(2000, 0, 2000),
		},
		{
			name:  "dips within the tolerance",
			a:     straight,
			fixes: across(2000, -3, 2000),
			cfg:   Config{ToleranceM: 5},
		},
		{
			name:  "dips 3 m with no tolerance",
			a:     straight,
			fixes: across(2000, -3, 2000),
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: q},
				exit:  &passageWant{seg: 1, at: q},
				depth: 3, depthObs: "p2", obs: ids(1, 2, 3),
			}},
		},
		{
			name: "starts on the line",
			a:    straight,
			fixes: []fix{
				{0, s(50_000, 0)}, {10, s(50_000, -1000)}, {20, s(51_000, -2000)},
			},
		},
		{
			name: "runs along the line",
			a:    straight,
			fixes: []fix{
				{0, s(40_000, 1000)}, {60, s(40_000, 0)}, {120, s(45_000, 0)}, {180, s(50_000, 0)},
				{240, s(55_000, 0)}, {300, s(60_000, 0)}, {360, s(60_000, 1000)},
			},
		},
		{
			name: "runs along the line, then crosses",
			a:    straight,
			fixes: []fix{
				{0, s(40_000, 1000)}, {60, s(40_000, 0)}, {120, s(45_000, 0)}, {180, s(45_000, -1000)},
			},
			want: []crossingWant{{
				from: "A", into: "B",
				// It left A's side when it reached the line, at p2.
				entry: passageWant{seg: 0, at: s(40_000, 0), s: 60},
				depth: 1000, depthObs: "p4", obs: ids(1, 2, 3, 4),
			}},
		},
		{
			name: "wavers along the line within its uncertainty",
			a:    straight,
			fixes: []fix{
				{0, s(40_000, 1000)}, {20, s(41_000, 20)}, {40, s(42_000, -20)}, {60, s(43_000, 20)},
				{80, s(44_000, -20)}, {100, s(45_000, 1000)},
			},
			unc: 35,
			cfg: Config{UncertaintyFactor: 2},
		},
		{
			name: "wavers along the line, counted with no tolerance",
			a:    straight,
			fixes: []fix{
				{0, s(40_000, 1000)}, {20, s(41_000, 20)}, {40, s(42_000, -20)}, {60, s(43_000, 20)},
				{80, s(44_000, -20)}, {100, s(45_000, 1000)},
			},
			unc: 35,
			want: []crossingWant{
				{from: "A", into: "B", entry: passageWant{seg: 1}, exit: &passageWant{seg: 2}, depth: 20, depthObs: "p3", obs: ids(2, 3, 4)},
				{from: "A", into: "B", entry: passageWant{seg: 3}, exit: &passageWant{seg: 4}, depth: 20, depthObs: "p5", obs: ids(4, 5, 6)},
			},
		},
		{
			name: "comes back within the tolerance, then for good",
			a:    straight,
			// p4 is on A's side within the tolerance, so the track stays
			// on B's side; it comes back between p5 and p6.
			fixes: across(2000, -1000, -2000, 50, -300, 50, 2000),
			cfg:   Config{ToleranceM: 100},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: q},
				exit:  &passageWant{seg: 4, at: q},
				depth: 2000, depthObs: "p3", obs: ids(1, 2, 3, 4, 5, 6),
			}},
		},
		{
			name:  "crosses twice and returns",
			a:     straight,
			fixes: across(2000, -2000, 2000, -1000, 2000),
			want: []crossingWant{
				{from: "A", into: "B", entry: passageWant{seg: 0, at: q, s: 5}, exit: &passageWant{seg: 1, at: q, s: 15}, depth: 2000, depthObs: "p2", obs: ids(1, 2, 3)},
				{from: "A", into: "B", entry: passageWant{seg: 2, at: q, s: 20 + 10*2000.0/3000}, exit: &passageWant{seg: 3, at: q, s: 30 + 10*1000.0/3000}, depth: 1000, depthObs: "p4", obs: ids(3, 4, 5)},
			},
		},
		{
			name:  "crosses twice, stays the second time",
			a:     straight,
			fixes: across(2000, -2000, 2000, -1000),
			want: []crossingWant{
				{from: "A", into: "B", entry: passageWant{seg: 0, at: q}, exit: &passageWant{seg: 1, at: q}, depth: 2000, depthObs: "p2", obs: ids(1, 2, 3)},
				{from: "A", into: "B", entry: passageWant{seg: 2, at: q}, depth: 1000, depthObs: "p4", obs: ids(3, 4)},
			},
		},
		{
			name:  "a gap across the line",
			a:     straight,
			fixes: []fix{{0, s(50_000, 2000)}, {600, s(50_000, -2000)}, {610, s(50_000, -2500)}, {620, s(50_000, 2500)}},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: q, s: 300, inferred: true},
				exit:  &passageWant{seg: 2, at: q, s: 615},
				depth: 2500, depthObs: "p3", obs: ids(1, 2, 3, 4),
			}},
		},
		{
			name:  "a gap across the line, shorter than MaxGap",
			a:     straight,
			fixes: []fix{{0, s(50_000, 2000)}, {600, s(50_000, -2000)}, {610, s(50_000, -2500)}, {620, s(50_000, 2500)}},
			cfg:   Config{MaxGap: 15 * time.Minute},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: q, s: 300},
				exit:  &passageWant{seg: 2, at: q, s: 615},
				depth: 2500, depthObs: "p3", obs: ids(1, 2, 3, 4),
			}},
		},
		{
			name:  "a gap on the far side",
			a:     straight,
			fixes: []fix{{0, s(50_000, 2000)}, {10, s(50_000, -2000)}, {3600, s(50_000, -2500)}, {3610, s(50_000, 2500)}},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: q, s: 5},
				exit:  &passageWant{seg: 2, at: q, s: 3605},
				depth: 2500, depthObs: "p3", obs: ids(1, 2, 3, 4),
			}},
		},
		{
			name: "round the end of the line",
			a:    straight,
			// Beyond the east end the side is that of the last segment
			// extended: the track changes side some 37 km from the line.
			fixes: []fix{{0, geo.LonLat{Lon: 38.5, Lat: 48.3}}, {60, geo.LonLat{Lon: 38.5, Lat: 48.1}}, {120, geo.LonLat{Lon: 38.5, Lat: 47.9}}},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 1, offLine: true},
				obs:   ids(2, 3),
			}},
		},
		{
			name: "crosses at the bend",
			a:    bent,
			fixes: []fix{
				{0, north(apex, 2000)}, {10, north(apex, 500)}, {20, north(apex, -500)}, {30, north(apex, -2000)},
			},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 1, at: apex, s: 15},
				// Inside a right angle, 2 km from its vertex on the bisector.
				depth: 2000 * math.Sqrt2 / 2, depthObs: "p4", obs: ids(2, 3, 4),
			}},
		},
		{
			name: "crosses a leg near the bend",
			a:    bent,
			fixes: []fix{
				{0, offset(vLine, 0, 39_000, 300)}, {10, offset(vLine, 0, 39_000, -300)}, {20, offset(vLine, 0, 39_000, -900)},
			},
			want: []crossingWant{{
				from: "A", into: "B",
				entry: passageWant{seg: 0, at: offset(vLine, 0, 39_000, 0), s: 5},
				depth: 900, depthObs: "p3", obs: ids(1, 2, 3),
			}},
		},
		{
			name: "cuts the corner between two points",
			a:    bent,
			// Both points are west and east of the apex outside the V, on
			// A's side; the geodesic between them passes through the V.
			// Nothing is inferred between two points on the same side.
			fixes: []fix{{0, geo.Direct(geo.Direct(apex, 270, 1000), 180, 200)}, {10, geo.Direct(geo.Direct(apex, 90, 1000), 180, 200)}},
		},
		{
			name: "crosses at a bend of the example line",
			a:    example,
			fixes: []fix{
				{0, north(v4, -3000)}, {10, north(v4, -500)}, {20, north(v4, 500)}, {30, north(v4, 3000)},
			},
			want: []crossingWant{{
				from: "B", into: "A",
				entry:    passageWant{seg: 1, at: v4, s: 15},
				depthObs: "p4", obs: ids(2, 3, 4),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := build(t, tt.fixes)
			for i := range tr.Points {
				tr.Points[i].UncertaintyM = tt.unc
			}
			got := Crossings(tt.a, tr, tt.cfg)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d crossings, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				c := got[i]
				if c.Track != tr.ID {
					t.Errorf("crossing %d: Track = %q, want %q", i, c.Track, tr.ID)
				}
				if c.FromParty != w.from || c.IntoParty != w.into || c.FromSide == c.IntoSide {
					t.Errorf("crossing %d: from %s (%s) into %s (%s), want from %s into %s", i, c.FromParty, c.FromSide, c.IntoParty, c.IntoSide, w.from, w.into)
				}
				if fromSide, _ := tt.a.Party(w.from); c.FromSide != fromSide.Side {
					t.Errorf("crossing %d: FromSide = %s, want %s", i, c.FromSide, fromSide.Side)
				}
				checkPassage(t, "entry", tt.a, tr, c.Entry, w.entry)
				switch {
				case w.exit == nil && c.Exit != nil:
					t.Errorf("crossing %d: Exit = %+v, want none", i, *c.Exit)
				case w.exit != nil && c.Exit == nil:
					t.Errorf("crossing %d: no exit, want one", i)
				case w.exit != nil:
					checkPassage(t, "exit", tt.a, tr, *c.Exit, *w.exit)
					if c.Exit.Time.Before(c.Entry.Time) {
						t.Errorf("crossing %d: exit at %v before the entry at %v", i, c.Exit.Time, c.Entry.Time)
					}
				}
				if w.depth != 0 && math.Abs(c.Depth.DistanceM-w.depth) > 0.5 {
					t.Errorf("crossing %d: depth %.2f m, want %.2f m", i, c.Depth.DistanceM, w.depth)
				}
				if w.depthObs != "" && c.Depth.Observation != w.depthObs {
					t.Errorf("crossing %d: depth at %s, want %s", i, c.Depth.Observation, w.depthObs)
				}
				if loc := tt.a.Locate(c.Depth.Position); w.depthObs != "" && (loc.Side != c.IntoSide || math.Abs(loc.DistanceM-c.Depth.DistanceM) > 1e-6) {
					t.Errorf("crossing %d: the deepest point is %.2f m on side %q, want %.2f m on %q", i, loc.DistanceM, loc.Side, c.Depth.DistanceM, c.IntoSide)
				}
				if !slices.Equal(c.Observations, w.obs) {
					t.Errorf("crossing %d: Observations = %q, want %q", i, c.Observations, w.obs)
				}
			}
		})
	}
}

// checkPassage checks a passage against what is wanted, and that it lies
// on the line (unless off it) between its two points.
func checkPassage(t *testing.T, what string, a *terms.Agreement, tr Track, got Passage, w passageWant) {
	t.Helper()
	if got.Segment != w.seg {
		t.Errorf("%s after point %d, want %d", what, got.Segment, w.seg)
		return
	}
	if got.OffLine != w.offLine {
		t.Errorf("%s: OffLine = %v, want %v (%.2f m from the line)", what, got.OffLine, w.offLine, got.DistanceM)
	}
	loc := a.Locate(got.Position)
	if math.Abs(loc.DistanceM-got.DistanceM) > 1e-6 {
		t.Errorf("%s: DistanceM = %g, but it is %g m from the line", what, got.DistanceM, loc.DistanceM)
	}
	if !w.offLine && loc.DistanceM > PassageToleranceM {
		t.Errorf("%s at %v is %.3f m from the line", what, got.Position, loc.DistanceM)
	}
	if w.at != (geo.LonLat{}) {
		if d := geo.Distance(got.Position, w.at); d > 1.5 {
			t.Errorf("%s at %v, %.2f m from %v", what, got.Position, d, w.at)
		}
	}
	p, q := tr.Points[w.seg], tr.Points[w.seg+1]
	if got.Time.Before(p.Time) || got.Time.After(q.Time) {
		t.Errorf("%s at %v, outside its segment's times %v to %v", what, got.Time, p.Time, q.Time)
	}
	if w.s != 0 {
		if d := got.Time.Sub(t0).Seconds() - w.s; math.Abs(d) > 0.1 {
			t.Errorf("%s at %.3f s, want %.3f s", what, got.Time.Sub(t0).Seconds(), w.s)
		}
	}
	if got.Gap != q.Time.Sub(p.Time) || got.Inferred != w.inferred {
		t.Errorf("%s: Gap = %v, Inferred = %v, want %v, %v", what, got.Gap, got.Inferred, q.Time.Sub(p.Time), w.inferred)
	}
}

// TestCrossingsSkipsInvalidPoints checks that a point with an invalid
// position is passed over: the passage is between its neighbours.
func TestCrossingsSkipsInvalidPoints(t *testing.T) {
	a := agreement(t, straightLine...)
	s := func(across float64) geo.LonLat { return offset(straightLine, 0, 50_000, across) }
	tr := Track{ID: "r/T", Points: []Point{
		{Time: t0, Position: s(1000), Observation: "p1"},
		{Time: t0.Add(10 * time.Second), Position: geo.LonLat{Lon: math.NaN(), Lat: 48}, Observation: "bad"},
		{Time: t0.Add(20 * time.Second), Position: s(-1000), Observation: "p3"},
	}}
	got := Crossings(a, tr, Config{})
	if len(got) != 1 {
		t.Fatalf("got %d crossings, want 1", len(got))
	}
	if c := got[0]; c.Entry.Segment != 0 || c.Entry.Gap != 20*time.Second || !slices.Equal(c.Observations, []string{"p1", "p3"}) {
		t.Errorf("Entry = %+v, Observations = %q; want a passage between p1 and p3", c.Entry, c.Observations)
	}
	if d := geo.Distance(got[0].Entry.Position, s(0)); d > 1.5 {
		t.Errorf("entry %.2f m from where the track meets the line", d)
	}
}

// TestCrossingsNone checks the tracks that cannot cross: empty, one point,
// and every point on the line.
func TestCrossingsNone(t *testing.T) {
	a := agreement(t, straightLine...)
	on := offset(straightLine, 0, 50_000, 0)
	for _, tr := range []Track{
		{},
		{Points: []Point{{Time: t0, Position: offset(straightLine, 0, 50_000, 100)}}},
		{Points: []Point{{Time: t0, Position: on}, {Time: t0.Add(time.Second), Position: straightLine[0]}}},
	} {
		if got := Crossings(a, tr, Config{}); got != nil {
			t.Errorf("Crossings(%+v) = %+v, want none", tr.Points, got)
		}
	}
}

// exampleTracks returns n tracks of k points, 10 s apart at 30 m/s, each
// flying perpendicular to a random segment of the example line from a
// random distance of up to 10 km on one side, so that most cross it.
func exampleTracks(tb testing.TB, a *terms.Agreement, n, k int) []Track {
	line := a.ContactLines()[0].Points()
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]Track, n)
	for i := range out {
		seg := rng.IntN(len(line) - 1)
		length, _, _ := geo.Inverse(line[seg], line[seg+1])
		along := rng.Float64() * length
		start := (rng.Float64()*2 - 1) * 10_000
		dir := -math.Copysign(1, start)
		obs := make([]observe.Observation, k)
		for j := range obs {
			p := offset(line, seg, along, start+dir*300*float64(j))
			obs[j] = trackObs("o"+strconv.Itoa(i)+"-"+strconv.Itoa(j), "radar", "T"+strconv.Itoa(i), t0.Add(time.Duration(10*j)*time.Second), p)
		}
		out[i] = Assemble(obs, label.Scheme{})[0]
	}
	return out
}

// BenchmarkCrossings finds the crossings of 10,000 tracks of 50 points
// across the example line.
func BenchmarkCrossings(b *testing.B) {
	a := testdata(b, "example.yaml")
	trs := exampleTracks(b, a, 10_000, 50)
	crossings := 0
	for b.Loop() {
		crossings = 0
		for _, tr := range trs {
			crossings += len(Crossings(a, tr, Config{}))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(trs)), "ns/track")
	b.ReportMetric(float64(crossings), "crossings")
}

// TestCrossingsConfig checks that out-of-range settings fall back to the
// defaults: a NaN or negative tolerance is 0, a negative MaxGap DefaultMaxGap.
func TestCrossingsConfig(t *testing.T) {
	a := agreement(t, straightLine...)
	s := func(across float64) geo.LonLat { return offset(straightLine, 0, 50_000, across) }
	tr := build(t, []fix{{0, s(1000)}, {400, s(-3)}, {410, s(1000)}})
	want := Crossings(a, tr, Config{})
	if len(want) != 1 || !want[0].Entry.Inferred || want[0].Exit.Inferred {
		t.Fatalf("Crossings with the zero Config = %+v, want one crossing entered across a gap", want)
	}
	for _, cfg := range []Config{
		{ToleranceM: math.NaN()}, {ToleranceM: -5}, {UncertaintyFactor: math.NaN()}, {UncertaintyFactor: -1}, {MaxGap: -time.Minute},
	} {
		if got := Crossings(a, tr, cfg); !reflect.DeepEqual(got, want) {
			t.Errorf("Crossings with %+v = %+v, want %+v", cfg, got, want)
		}
	}
}

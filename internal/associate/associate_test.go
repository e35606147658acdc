package associate

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// The crafted cases use a 5 × 5 grid of sensors 5 km apart, sounds placed
// by their east and north offsets from its south-west corner, and travel
// times from geodesic distances (not from this package's plane).
var (
	gridOrigin = geo.LonLat{Lon: 37.8, Lat: 48.0}
	gridStart  = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
)

const testSpeed = 340.0

func at(eastKM, northKM float64) geo.LonLat {
	return geo.Direct(geo.Direct(gridOrigin, 90, eastKM*1000), 0, northKM*1000)
}

func gridSensors() []Sensor {
	var ss []Sensor
	for i := 0; i < 5; i++ {
		for j := 0; j < 5; j++ {
			ss = append(ss, Sensor{ID: fmt.Sprintf("S%d%d", i, j), Position: at(5*float64(i), 5*float64(j))})
		}
	}
	return ss
}

func testConfig() Config {
	return Config{SpeedOfSound: testSpeed, MaxResidualS: 0.04, MaxRangeM: 20_000}
}

// sound describes a crafted sound and who heard it.
type sound struct {
	name           string
	eastKM, northK float64
	t0             float64  // seconds after gridStart
	class          string   // of every detection
	skip           []string // sensors that miss it
	only           []string // if set, the only sensors that hear it
}

// hear returns the detections of s, ids "<name>-<sensor>", with timing
// noise of a few milliseconds from r.
func (s sound) hear(sensors []Sensor, r *rand.Rand) []Detection {
	src := at(s.eastKM, s.northK)
	var ds []Detection
	for _, sn := range sensors {
		if slices.Contains(s.skip, sn.ID) || len(s.only) > 0 && !slices.Contains(s.only, sn.ID) {
			continue
		}
		d := geo.Distance(src, sn.Position)
		if d > 20_000 {
			continue
		}
		arr := s.t0 + d/testSpeed + 0.004*r.NormFloat64()
		ds = append(ds, Detection{
			ID: s.name + "-" + sn.ID, Sensor: sn.ID, SigmaS: 0.005, Class: s.class,
			Time: gridStart.Add(time.Duration(math.Round(arr * 1e9))),
		})
	}
	return ds
}

// extra is a detection that is no sound's (false, or an echo).
func extra(id, sensor string, t float64) Detection {
	return Detection{ID: id, Sensor: sensor, SigmaS: 0.005, Time: gridStart.Add(time.Duration(math.Round(t * 1e9)))}
}

// groups returns, for each event, the sound its detections are named after
// ("A-S00" → "A"), and fails if an event mixes sounds.
func groups(t *testing.T, res Result) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, ev := range res.Events {
		name := strings.SplitN(ev.Detections[0], "-", 2)[0]
		for _, id := range ev.Detections {
			if n := strings.SplitN(id, "-", 2)[0]; n != name {
				t.Errorf("event mixes %s and %s: %v", name, n, ev.Detections)
			}
		}
		if _, dup := out[name]; dup {
			t.Errorf("sound %s split into several events", name)
		}
		out[name] = ev.Detections
	}
	return out
}

func TestAssociateCrafted(t *testing.T) {
	sensors := gridSensors()
	tests := []struct {
		name   string
		sounds []sound
		extras []Detection
		// want is, for each sound expected as an event, how many detections
		// it holds; every other detection must be unassociated.
		want map[string]int
	}{
		{
			name:   "one sound heard by all",
			sounds: []sound{{name: "A", eastKM: 11, northK: 9, t0: 10}},
			want:   map[string]int{"A": 25},
		},
		{
			name: "two sounds 1 s and 2 km apart, overlapping sensors",
			sounds: []sound{
				{name: "A", eastKM: 9, northK: 10, t0: 10, skip: []string{"S40", "S41", "S42", "S43", "S44"}},
				{name: "B", eastKM: 11, northK: 10, t0: 11, skip: []string{"S00", "S01", "S02", "S03", "S04"}},
			},
			want: map[string]int{"A": 20, "B": 20},
		},
		{
			// Each is beyond 20 km of the far corner.
			name: "two sounds 30 ms apart at different places",
			sounds: []sound{
				{name: "A", eastKM: 4, northK: 4, t0: 10},
				{name: "B", eastKM: 16, northK: 15, t0: 10.03},
			},
			want: map[string]int{"A": 24, "B": 24},
		},
		{
			name:   "missed detections",
			sounds: []sound{{name: "A", eastKM: 12, northK: 7, t0: 10, skip: []string{"S11", "S33"}}},
			want:   map[string]int{"A": 23},
		},
		{
			name:   "false detections stay unassociated",
			sounds: []sound{{name: "A", eastKM: 6, northK: 13, t0: 30}},
			extras: []Detection{
				extra("F1", "S00", 12.3), extra("F2", "S12", 31.1), extra("F3", "S24", 47.9),
				extra("F4", "S31", 35.55), extra("F5", "S43", 58.2), extra("F6", "S40", 29.0),
				extra("F7", "S02", 44.4), extra("F8", "S22", 33.3), extra("F9", "S14", 51.7),
			},
			want: map[string]int{"A": 25},
		},
		{
			name:   "echo: one detection per sensor",
			sounds: []sound{{name: "A", eastKM: 10, northK: 10, t0: 10}},
			// S22 is at the source: the sound arrives at 10 s + 4 ms or so.
			extras: []Detection{extra("E1", "S22", 10.6), extra("E2", "S44", 10+math.Sqrt(200)*1000/testSpeed+0.45)},
			want:   map[string]int{"A": 25},
		},
		{
			name:   "too few sensors",
			sounds: []sound{{name: "A", eastKM: 10, northK: 10, t0: 10, only: []string{"S11", "S22", "S33"}}},
			want:   map[string]int{},
		},
		{
			name: "a launch and an impact at one place 10 ms apart, told apart by class",
			sounds: []sound{
				{name: "L", eastKM: 10, northK: 10, t0: 10, class: "launch"},
				{name: "I", eastKM: 10, northK: 10, t0: 10.01, class: "impact"},
			},
			want: map[string]int{"L": 25, "I": 25},
		},
		{
			name: "unknown class goes with any",
			sounds: []sound{
				{name: "A", eastKM: 10, northK: 10, t0: 10, class: "impact", skip: []string{"S00", "S11"}},
				{name: "A", eastKM: 10, northK: 10, t0: 10, class: "unknown", only: []string{"S00", "S11"}},
			},
			want: map[string]int{"A": 25},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var dets []Detection
			for _, s := range tt.sounds {
				dets = append(dets, s.hear(sensors, r)...)
			}
			dets = append(dets, tt.extras...)
			res, err := Associate(sensors, dets, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			got := groups(t, res)
			for name, n := range tt.want {
				if len(got[name]) != n {
					t.Errorf("sound %s: %d detections in its event, want %d", name, len(got[name]), n)
				}
			}
			for name := range got {
				if _, ok := tt.want[name]; !ok {
					t.Errorf("unexpected event of %s: %v", name, got[name])
				}
			}
			// Everything not in an event is unassociated, exactly once.
			in := map[string]bool{}
			for _, ids := range got {
				for _, id := range ids {
					in[id] = true
				}
			}
			var wantUn []string
			for _, d := range dets {
				if !in[d.ID] {
					wantUn = append(wantUn, d.ID)
				}
			}
			if gotUn, wantUn := slices.Sorted(slices.Values(res.Unassociated)), slices.Sorted(slices.Values(wantUn)); !slices.Equal(gotUn, wantUn) {
				t.Errorf("unassociated = %v, want %v", gotUn, wantUn)
			}
		})
	}
}

// TestClassNeverMixed makes the first arrivals of a launch unknown, so that
// hypotheses start without a class, next to an impact 10 ms later at the
// same place: no event may hold both a launch and an impact.
func TestClassNeverMixed(t *testing.T) {
	sensors := gridSensors()
	centre := []string{"S22", "S12", "S21", "S23", "S32"}
	r := rand.New(rand.NewPCG(3, 3))
	var dets []Detection
	for _, s := range []sound{
		{name: "L", eastKM: 10, northK: 10, t0: 10, class: "launch", skip: centre},
		{name: "U", eastKM: 10, northK: 10, t0: 10, class: "unknown", only: centre},
		{name: "I", eastKM: 10, northK: 10, t0: 10.01, class: "impact"},
	} {
		dets = append(dets, s.hear(sensors, r)...)
	}
	class := map[string]string{}
	for _, d := range dets {
		class[d.ID] = d.Class
	}
	res, err := Associate(sensors, dets, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 2 {
		t.Errorf("%d events, want 2", len(res.Events))
	}
	for _, ev := range res.Events {
		known := map[string]bool{}
		for _, id := range ev.Detections {
			if c := class[id]; c != "unknown" {
				known[c] = true
			}
		}
		if len(known) > 1 {
			t.Errorf("event holds classes %v: %v", slices.Sorted(maps.Keys(known)), ev.Detections)
		}
	}
}

// TestFourSensors checks that four detections make an event when all four
// sensors of a network hear a sound, with the default configuration.
func TestFourSensors(t *testing.T) {
	sensors := []Sensor{
		{ID: "N", Position: at(5, 10)}, {ID: "E", Position: at(10, 5)},
		{ID: "S", Position: at(5, 0)}, {ID: "W", Position: at(0, 5)},
	}
	s := sound{name: "A", eastKM: 6, northK: 4, t0: 10}
	dets := s.hear(sensors, rand.New(rand.NewPCG(7, 8)))
	for k := range dets {
		dets[k].SigmaS = 0.02
	}
	res, err := Associate(sensors, dets, Config{SpeedOfSound: testSpeed})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || len(res.Events[0].Detections) != 4 {
		t.Fatalf("events %+v, unassociated %v: want one event of four", res.Events, res.Unassociated)
	}
	// Three detections never make an event.
	res, err = Associate(sensors, dets[:3], Config{SpeedOfSound: testSpeed})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 0 || len(res.Unassociated) != 3 {
		t.Errorf("three detections: %d events, %d unassociated, want none and 3", len(res.Events), len(res.Unassociated))
	}
}

// TestEventLocation checks the coarse location of an event against the
// geodesic truth.
func TestEventLocation(t *testing.T) {
	sensors := gridSensors()
	s := sound{name: "A", eastKM: 13.3, northK: 6.1, t0: 100}
	dets := s.hear(sensors, rand.New(rand.NewPCG(3, 4)))
	res, err := Associate(sensors, dets, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("%d events, want 1", len(res.Events))
	}
	ev := res.Events[0]
	if d := geo.Distance(ev.Position, at(s.eastKM, s.northK)); d > 20 {
		t.Errorf("position %v is %.1f m from the source, want within 20 m", ev.Position, d)
	}
	if dt := ev.Time.Sub(gridStart.Add(100 * time.Second)); dt.Abs() > 20*time.Millisecond {
		t.Errorf("origin time off by %v, want within 20 ms", dt)
	}
	if ev.RMSResidualS <= 0 || ev.RMSResidualS > 0.01 {
		t.Errorf("RMS residual %g s, want a few milliseconds", ev.RMSResidualS)
	}
	arrival := map[string]time.Time{}
	for _, d := range dets {
		arrival[d.ID] = d.Time
	}
	if !slices.IsSortedFunc(ev.Detections, func(x, y string) int { return arrival[x].Compare(arrival[y]) }) {
		t.Errorf("detections not in order of arrival: %v", ev.Detections)
	}
}

// TestOrderIndependence adds the same detections in different orders.
func TestOrderIndependence(t *testing.T) {
	sensors := gridSensors()
	r := rand.New(rand.NewPCG(5, 6))
	var dets []Detection
	for k := range 12 {
		s := sound{name: fmt.Sprintf("Q%d", k), eastKM: 20 * r.Float64(), northK: 20 * r.Float64(), t0: 10 + 3*r.Float64()}
		dets = append(dets, s.hear(sensors, r)...)
	}
	for k := range 30 {
		dets = append(dets, extra(fmt.Sprintf("F%d", k), sensors[r.IntN(len(sensors))].ID, 5+70*r.Float64()))
	}
	want, err := Associate(sensors, dets, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Events) < 10 {
		t.Fatalf("only %d events of 12 sounds", len(want.Events))
	}
	for trial := range 5 {
		shuffled := slices.Clone(dets)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := Associate(sensors, shuffled, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		if !sameResult(got, want) {
			t.Errorf("trial %d: the result depends on the order of the input", trial)
		}
	}
}

// sameResult reports whether two results hold the same events (the same
// detections, positions and times) and unassociated detections.
func sameResult(x, y Result) bool {
	return slices.Equal(resultKeys(x), resultKeys(y))
}

// resultKeys describes a result as sorted strings.
func resultKeys(r Result) []string {
	var ks []string
	for _, ev := range r.Events {
		ks = append(ks, fmt.Sprintf("%v %.9f %.9f %s %.12f", ev.Detections, ev.Position.Lon, ev.Position.Lat, ev.Time.Format(time.RFC3339Nano), ev.RMSResidualS))
	}
	slices.Sort(ks)
	un := slices.Sorted(slices.Values(r.Unassociated))
	return append(ks, strings.Join(un, ","))
}

// TestStreamMatchesBatch feeds a stream in shuffled chunks with flushes at
// irregular times and checks that it decides exactly what one batch does.
func TestStreamMatchesBatch(t *testing.T) {
	f := baseFront(4, 240, 7)
	syn := f.generate()
	cfg := scaleConfig()
	want, err := Associate(syn.sensors, syn.detections, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Events) < 500 {
		t.Fatalf("only %d events", len(want.Events))
	}
	dets := slices.SortedFunc(slices.Values(syn.detections), func(x, y Detection) int { return x.Time.Compare(y.Time) })
	for _, step := range []time.Duration{3 * time.Second, 17 * time.Second, 95 * time.Second} {
		t.Run(step.String(), func(t *testing.T) {
			a, err := New(syn.sensors, cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(step), 9))
			var got Result
			collect := func(res Result) {
				got.Events = append(got.Events, res.Events...)
				got.Unassociated = append(got.Unassociated, res.Unassociated...)
			}
			next := 0
			for upTo := f.start.Add(step); next < len(dets); upTo = upTo.Add(step + time.Duration(r.IntN(1000))*time.Millisecond) {
				end := next
				for end < len(dets) && !dets[end].Time.After(upTo) {
					end++
				}
				chunk := slices.Clone(dets[next:end])
				r.Shuffle(len(chunk), func(i, j int) { chunk[i], chunk[j] = chunk[j], chunk[i] })
				for len(chunk) > 0 {
					n := min(len(chunk), 1+r.IntN(200))
					if err := a.Add(chunk[:n]...); err != nil {
						t.Fatal(err)
					}
					chunk = chunk[n:]
				}
				next = end
				collect(a.Flush(upTo))
			}
			collect(a.FlushAll())
			if !sameResult(got, want) {
				gk, wk := resultKeys(got), resultKeys(want)
				for i := range min(len(gk), len(wk)) {
					if gk[i] != wk[i] {
						t.Logf("first difference:\n got %s\nwant %s", gk[i], wk[i])
						break
					}
				}
				t.Errorf("streaming decided %d events and %d unassociated, the batch %d and %d",
					len(got.Events), len(got.Unassociated), len(want.Events), len(want.Unassociated))
			}
			if n := len(got.Unassociated) + countDetections(got); n != len(dets) {
				t.Errorf("%d detections returned, want each of %d once", n, len(dets))
			}
		})
	}
}

func countDetections(r Result) int {
	n := 0
	for _, ev := range r.Events {
		n += len(ev.Detections)
	}
	return n
}

func TestLateDetection(t *testing.T) {
	sensors := gridSensors()
	a, err := New(sensors, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := sound{name: "A", eastKM: 10, northK: 10, t0: 10}
	if err := a.Add(s.hear(sensors, rand.New(rand.NewPCG(1, 1)))...); err != nil {
		t.Fatal(err)
	}
	res := a.Flush(gridStart.Add(10*time.Second + a.Latency()))
	if len(res.Events) != 1 {
		t.Fatalf("%d events after a latency, want 1", len(res.Events))
	}
	if err := a.Add(extra("L1", "S00", 12)); err != nil {
		t.Fatal(err)
	}
	res = a.FlushAll()
	if len(res.Events) != 0 || !slices.Equal(res.Unassociated, []string{"L1"}) {
		t.Errorf("late detection: events %d, unassociated %v, want none and [L1]", len(res.Events), res.Unassociated)
	}
	if err := a.Add(extra("L2", "S00", 1e6)); err != nil {
		t.Fatal(err)
	}
	if res := a.FlushAll(); !slices.Equal(res.Unassociated, []string{"L2"}) {
		t.Errorf("after FlushAll every detection is late; got %v", res.Unassociated)
	}
}

func TestAddErrors(t *testing.T) {
	ok := extra("D1", "S00", 1)
	tests := []struct {
		name string
		dets []Detection
		want string
	}{
		{"empty id", []Detection{ok, {Sensor: "S00", Time: gridStart}}, "empty id"},
		{"unknown sensor", []Detection{{ID: "X", Sensor: "nope", Time: gridStart}}, "unknown sensor"},
		{"repeated id", []Detection{ok, ok}, "given twice"},
		{"negative sigma", []Detection{{ID: "X", Sensor: "S00", Time: gridStart, SigmaS: -1}}, "sigma"},
		{"NaN sigma", []Detection{{ID: "X", Sensor: "S00", Time: gridStart, SigmaS: math.NaN()}}, "sigma"},
		{"zero time", []Detection{{ID: "X", Sensor: "S00"}}, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(gridSensors(), testConfig())
			if err != nil {
				t.Fatal(err)
			}
			err = a.Add(tt.dets...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add = %v, want an error about %q", err, tt.want)
			}
			// Nothing was added: the good detection can still be added.
			if err := a.Add(ok); err != nil {
				t.Errorf("after a rejected batch, Add(%s) = %v", ok.ID, err)
			}
			if err := a.Add(ok); err == nil || !strings.Contains(err.Error(), "already buffered") {
				t.Errorf("adding a buffered id again: %v", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	good := gridSensors()
	tests := []struct {
		name    string
		sensors []Sensor
		cfg     Config
		want    string
	}{
		{"no sensors", nil, Config{}, "no sensors"},
		{"empty id", []Sensor{{Position: gridOrigin}}, Config{}, "empty id"},
		{"twice", []Sensor{good[0], good[0]}, Config{}, "twice"},
		{"bad position", []Sensor{{ID: "X", Position: geo.LonLat{Lon: 200}}}, Config{}, "position"},
		{"NaN position", []Sensor{{ID: "X", Position: geo.LonLat{Lon: math.NaN()}}}, Config{}, "position"},
		{"bad config", good, Config{MinDetections: 3}, "min detections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.sensors, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"defaults", Config{}, ""},
		{"scale", scaleConfig(), ""},
		{"negative speed", Config{SpeedOfSound: -1}, "speed of sound"},
		{"infinite speed", Config{SpeedOfSound: math.Inf(1)}, "speed of sound"},
		{"three detections", Config{MinDetections: 3}, "min detections"},
		{"fraction above one", Config{MinFraction: 1.5}, "min fraction"},
		{"negative residual", Config{MaxResidualS: -0.1}, "max residual"},
		{"NaN range", Config{MaxRangeM: math.NaN()}, "max range"},
		{"negative pairs", Config{MaxPairs: -5}, "max pairs"},
		{"negative evidence", Config{MinEvidence: -1}, "min evidence"},
		{"negative workers", Config{Workers: -1}, "workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error about %q", err, tt.want)
			}
		})
	}
	d := Config{}.WithDefaults()
	if d.SpeedOfSound != DefaultSpeedOfSound || d.MinDetections != DefaultMinDetections || d.MaxRangeM != DefaultMaxRangeM {
		t.Errorf("WithDefaults = %+v", d)
	}
}

func TestHelpers(t *testing.T) {
	nw, err := newNetwork(gridSensors(), testConfig().WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for s, hs := range nw.help {
		if len(hs) == 0 {
			t.Errorf("sensor %s has no helpers", nw.ids[s])
		}
		seen := map[[2]int]bool{}
		for _, h := range hs {
			b, c := nw.nbrs[s][h.b], nw.nbrs[s][h.c]
			if sin := math.Abs(b.e*c.n-b.n*c.e) / (b.d * c.d); sin < minHelperSine {
				t.Errorf("sensor %s: helpers %s and %s nearly in line (sin %.2f)", nw.ids[s], nw.ids[b.s], nw.ids[c.s], sin)
			}
			if seen[[2]int{h.b, h.c}] {
				t.Errorf("sensor %s: a pair of helpers twice", nw.ids[s])
			}
			seen[[2]int{h.b, h.c}] = true
		}
	}
	// Neighbours are within twice the range, nearest first, and their
	// planar distances agree with the geodesic ones.
	for s, nb := range nw.nbrs {
		if !slices.IsSortedFunc(nb, func(x, y neighbour) int { return int(math.Copysign(1, x.d-y.d)) }) {
			t.Errorf("sensor %s: neighbours not nearest first", nw.ids[s])
		}
		for _, o := range nb {
			if d := geo.Distance(nw.pos[s], nw.pos[o.s]); math.Abs(d-o.d) > 1e-6 {
				t.Errorf("%s–%s: plane distance %.3f, geodesic %.3f", nw.ids[s], nw.ids[o.s], o.d, d)
			}
		}
	}
	if n := len(slices.Collect(maps.Keys(nw.index))); n != 25 {
		t.Errorf("index has %d sensors", n)
	}
}

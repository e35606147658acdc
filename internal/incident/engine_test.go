package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/tdoa"
	"github.com/guarantor-project/guarantor/internal/terms"
)

var t0 = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

// A straight north–south contact line at longitude 37.5: party A holds the
// west (left, looking north), party B the east.
func testTerms(t *testing.T) terms.Terms {
	t.Helper()
	tm := terms.Terms{
		ID: "test", Version: "1", Title: "Test terms", Illustrative: true, EffectiveFrom: t0.Add(-24 * time.Hour),
		Parties:     []terms.Party{{Code: "A", Name: "Party A", Side: terms.Left}, {Code: "B", Name: "Party B", Side: terms.Right}},
		ContactLine: terms.Geometry{Type: "LineString", Coordinates: json.RawMessage(`[[37.5,47.0],[37.5,49.0]]`)},
		BufferZone:  terms.BufferZone{HalfWidthM: 1000},
	}
	tm.WeaponClasses = terms.DefaultWeaponClasses()
	if err := tm.Validate(); err != nil {
		t.Fatal(err)
	}
	return tm
}

// at returns the point east and north of (37.5, 48.0), the line's middle, in km.
func at(eastKM, northKM float64) geo.LonLat {
	return geo.NewENU(geo.LonLat{Lon: 37.5, Lat: 48.0}).Inverse(eastKM*1000, northKM*1000)
}

// report is a monitor's report of an event at p: a shot (origin), a burst
// (impact), or an undetermined explosion.
func report(id, source string, et observe.EventType, p geo.LonLat, when time.Duration, sigmaM float64, timeSigma time.Duration) observe.Observation {
	observer := [2]float64{p.Lon - 0.02, p.Lat}
	return observe.Observation{
		ID: id, Kind: observe.KindReport, Source: observe.Source{ID: source, Type: observe.SourceMonitor, Grading: "B2"},
		ObservedAt: t0.Add(when), TimeUncertainty: timeSigma,
		Location: observe.Point{Lon: p.Lon, Lat: p.Lat}, LocationUncertaintyM: sigmaM,
		Releasability: label.PublicLabel(),
		Report:        &observe.Report{Means: observe.MeansPatrolHeard, EventType: et, Count: 1, Observer: &observer},
	}
}

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	if cfg.Terms == nil {
		cfg.Terms = []terms.Terms{testTerms(t)}
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run adds the observations, each received when it happened, and returns
// the latest report of every incident.
func run(t *testing.T, e *Engine, obs []observe.Observation) map[string]Incident {
	t.Helper()
	latest := map[string]Incident{}
	for _, o := range obs {
		out, err := e.Add(o.ObservedAt, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range out.Incidents {
			latest[in.ID] = in
		}
	}
	for _, in := range e.Flush().Incidents {
		latest[in.ID] = in
	}
	return latest
}

// TestOriginAndImpact fires three rounds from A's side across the line
// and checks that the origin and the impact are linked, that the origin is
// attributed to A, and that both incidents carry both ends.
func TestOriginAndImpact(t *testing.T) {
	origin, impact := at(-8, 0), at(5, 1) // 13 km apart
	const tof = 40 * time.Second
	var obs []observe.Observation
	for i := range 3 {
		launch := time.Duration(i) * 20 * time.Second
		obs = append(obs,
			report(fmt.Sprintf("L%d", i), "patrol-1", observe.EventShot, origin, launch, 150, time.Second),
			report(fmt.Sprintf("I%d", i), "patrol-2", observe.EventBurst, impact, launch+tof, 150, time.Second))
	}
	got := run(t, newEngine(t, Config{}), obs)
	o, i := got["inc-L0"], got["inc-I0"]
	if o.Role != fusion.RoleOrigin || i.Role != fusion.RoleImpact {
		t.Fatalf("roles %q and %q, want origin and impact", o.Role, i.Role)
	}
	if o.Linked != "inc-I0" || i.Linked != "inc-L0" {
		t.Fatalf("links %q and %q", o.Linked, i.Linked)
	}
	for _, in := range []Incident{o, i} {
		if in.Origin == nil || in.Impact == nil || geo.Distance(in.Origin.Position, origin) > 200 || geo.Distance(in.Impact.Position, impact) > 200 {
			t.Errorf("%s: origin %+v impact %+v", in.ID, in.Origin, in.Impact)
		}
		if in.Attribution.Party != "A" || in.Attribution.Of != "origin" || in.Attribution.Probability < 0.99 {
			t.Errorf("%s: attribution %+v, want the origin attributed to A", in.ID, in.Attribution)
		}
	}
	if len(o.Observations()) != 3 || len(i.Observations()) != 3 {
		t.Errorf("observations %v and %v", o.Observations(), i.Observations())
	}
}

// TestLinking covers when an origin and an impact are not linked.
func TestLinking(t *testing.T) {
	shots := func(prefix, source string, et observe.EventType, p geo.LonLat, start time.Duration, gaps ...time.Duration) []observe.Observation {
		var out []observe.Observation
		t := start
		for i := 0; i <= len(gaps); i++ {
			out = append(out, report(fmt.Sprintf("%s%d", prefix, i), source, et, p, t, 150, time.Second))
			if i < len(gaps) {
				t += gaps[i]
			}
		}
		return out
	}
	tests := []struct {
		name string
		obs  []observe.Observation
		// want maps incident ids to the incident each is linked to ("" for none).
		want map[string]string
	}{
		{"out of range", append(shots("L", "p1", observe.EventShot, at(-30, 0), 0), shots("I", "p2", observe.EventBurst, at(30, 0), 60*time.Second)...),
			map[string]string{"inc-L0": "", "inc-I0": ""}},
		{"too soon for the distance", append(shots("L", "p1", observe.EventShot, at(-10, 0), 0), shots("I", "p2", observe.EventBurst, at(10, 0), 5*time.Second)...),
			map[string]string{"inc-L0": "", "inc-I0": ""}},
		// Two batteries fire single rounds at one impact area: which one hit
		// it is a tie, and a tie is not linked.
		{"a tie", append(append(shots("L", "p1", observe.EventShot, at(-8, 0), 0), shots("M", "p3", observe.EventShot, at(-8, 6), 0)...),
			shots("I", "p2", observe.EventBurst, at(5, 2), 40*time.Second)...),
			map[string]string{"inc-L0": "", "inc-M0": "", "inc-I0": ""}},
		// The rounds' pattern decides: the second battery fires at other
		// intervals, so its rounds do not land on the impacts' rhythm.
		{"the rhythm decides", append(append(shots("L", "p1", observe.EventShot, at(-8, 0), 0, 20*time.Second, 25*time.Second),
			shots("M", "p3", observe.EventShot, at(-8, 6), 3*time.Second, 31*time.Second, 9*time.Second)...),
			shots("I", "p2", observe.EventBurst, at(5, 2), 40*time.Second, 20*time.Second, 25*time.Second)...),
			map[string]string{"inc-L0": "inc-I0", "inc-M0": "", "inc-I0": "inc-L0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slices.SortStableFunc(tc.obs, func(a, b observe.Observation) int { return a.ObservedAt.Compare(b.ObservedAt) })
			got := run(t, newEngine(t, Config{}), tc.obs)
			for id, want := range tc.want {
				in, ok := got[id]
				if !ok {
					t.Fatalf("no incident %s among %v", id, keys(got))
				}
				if in.Linked != want {
					t.Errorf("%s linked to %q, want %q", id, in.Linked, want)
				}
			}
		})
	}
}

func keys(m map[string]Incident) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestAttribution checks what is attributed and when nothing can be.
func TestAttribution(t *testing.T) {
	equipment := func(id string, p geo.LonLat) observe.Observation {
		return observe.Observation{ID: id, Kind: observe.KindImagery, Source: observe.Source{ID: "sat-1", Type: observe.SourceImagery, Grading: "A2"},
			ObservedAt: t0, TimeUncertainty: time.Minute, Location: observe.Point{Lon: p.Lon, Lat: p.Lat}, LocationUncertaintyM: 20,
			Releasability: label.PublicLabel(), Imagery: &observe.Imagery{EquipmentType: "self-propelled howitzer", WeaponClass: "artillery_100mm", Count: 2}}
	}
	tests := []struct {
		name     string
		obs      observe.Observation
		noTerms  bool
		of       string
		party    string
		reasonIn string
	}{
		{"an origin far on B's side", report("s", "p1", observe.EventShot, at(6, 0), 0, 200, time.Second), false, "origin", "B", ""},
		{"an origin near the line with a wide ellipse", report("s", "p1", observe.EventShot, at(0.3, 0), 0, 1000, time.Second), false, "origin", "", "below 0.95"},
		{"an impact alone says nothing of who fired", report("b", "p1", observe.EventBurst, at(6, 0), 0, 200, time.Second), false, "", "", "origin of the fire is not located"},
		{"equipment is attributed where it stands", equipment("e", at(-12, 0)), false, "location", "A", ""},
		{"no terms in force", report("s", "p1", observe.EventShot, at(6, 0), 0, 200, time.Second), true, "", "", "no terms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{}
			if tc.noTerms {
				cfg.Terms = []terms.Terms{}
			}
			got := run(t, newEngine(t, cfg), []observe.Observation{tc.obs})
			in := got["inc-"+tc.obs.ID]
			a := in.Attribution
			if a.Of != tc.of || a.Party != tc.party || !strings.Contains(a.Reason, tc.reasonIn) {
				t.Errorf("attribution %+v, want of %q, party %q, reason with %q", a, tc.of, tc.party, tc.reasonIn)
			}
			if want := tc.obs.WeaponClass(); in.WeaponClass != want {
				t.Errorf("weapon class %q, want %q", in.WeaponClass, want)
			}
		})
	}
}

// TestReplay checks that the engine is a function of its input: the same
// observations give the same incidents byte for byte, and re-sent ones
// change nothing.
func TestReplay(t *testing.T) {
	var obs []observe.Observation
	for i := range 20 {
		p := at(float64(i%5)*3-6, float64(i/5)*4)
		obs = append(obs, report(fmt.Sprintf("r%02d", i), fmt.Sprintf("patrol-%d", i%3), observe.EventShot, p, time.Duration(i)*30*time.Second, 500, 30*time.Second))
	}
	encode := func(m map[string]Incident) []byte {
		var buf bytes.Buffer
		for _, id := range keys(m) {
			b, err := m[id].MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
		}
		return buf.Bytes()
	}
	first := encode(run(t, newEngine(t, Config{}), obs))
	again := encode(run(t, newEngine(t, Config{}), append(slices.Clone(obs), obs...)))
	if !bytes.Equal(first, again) {
		t.Error("a replay with every observation sent twice gave other incidents")
	}
}

// TestMerge checks that an incident merged into another is reported as
// merged, once, with its releasability.
func TestMerge(t *testing.T) {
	e := newEngine(t, Config{})
	restricted := report("x", "p1", observe.EventShot, at(-10, 0), 0, 2000, time.Minute)
	restricted.Releasability = label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}
	obs := []observe.Observation{
		restricted,
		report("y", "p2", observe.EventShot, at(-1.2, 0), 0, 2000, time.Minute),
		report("z", "p3", observe.EventShot, at(-5.6, 0), 0, 500, time.Minute),
	}
	var merged []Incident
	for _, o := range obs {
		out, err := e.Add(o.ObservedAt, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range out.Incidents {
			if in.MergedInto != "" {
				merged = append(merged, in)
			}
		}
	}
	if len(merged) != 1 || merged[0].ID != "inc-y" || merged[0].MergedInto != "inc-x" || merged[0].Class != fusion.ClassFire {
		t.Fatalf("merged %+v, want inc-y merged into inc-x", merged)
	}
	b, err := merged[0].MarshalJSON()
	if err != nil || !bytes.Contains(b, []byte(`"merged_into":"inc-x"`)) || bytes.Contains(b, []byte(`"geometry":{`)) {
		t.Errorf("merged incident encodes as %s (%v)", b, err)
	}
	open := e.corr.Open()
	if len(open) != 1 || open[0].Label.Classification != label.Restricted {
		t.Errorf("open incidents %+v, want one RESTRICTED", open)
	}
}

// TestBadInput checks that an observation the engine cannot use is named in
// an error and does not stop the others.
func TestBadInput(t *testing.T) {
	e := newEngine(t, Config{})
	bad := observe.Observation{ID: "bad", Kind: observe.KindAcoustic, ObservedAt: t0}
	good := report("good", "p1", observe.EventShot, at(-5, 0), 0, 200, time.Second)
	out, err := e.Add(t0, bad, good)
	if err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("error %v, want one naming the bad observation", err)
	}
	if len(out.Incidents) != 1 || out.Incidents[0].ID != "inc-good" {
		t.Errorf("incidents %+v, want the good observation's", out.Incidents)
	}
	if _, err := New(Config{TemperatureC: new(float64(300))}); err == nil {
		t.Error("a temperature of 300 °C was accepted")
	}
}

func TestAgreeTemperatures(t *testing.T) {
	tests := []struct {
		name  string
		temps []float64
		want  []float64
	}{
		{"all agree", []float64{2, 2.5, 3, 1.5}, []float64{2, 2.5, 3, 1.5}},
		{"one thermometer 6 degrees off", []float64{2, 2.4, 8, 1.8, 2.2}, []float64{2, 2.4, 2.2, 1.8, 2.2}},
		{"exactly at the limit is kept", []float64{2, 2, 4, 2}, []float64{2, 2, 4, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arrivals := make([]tdoa.Arrival, len(tc.temps))
			for i := range tc.temps {
				arrivals[i].TemperatureC = &tc.temps[i]
			}
			agreeTemperatures(arrivals)
			for i, a := range arrivals {
				if *a.TemperatureC != tc.want[i] {
					t.Errorf("arrival %d: %g °C, want %g", i, *a.TemperatureC, tc.want[i])
				}
			}
		})
	}
}

func TestWeakOrigin(t *testing.T) {
	acoustic := fusion.Evidence{Group: "acoustic-network", Observations: []string{"d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"}}
	report := fusion.Evidence{Group: "monitor:patrol-1", Observations: []string{"r1"}}
	tests := []struct {
		name     string
		evidence []fusion.Evidence
		weak     bool
	}{
		{"one acoustic location, however many arrivals", []fusion.Evidence{acoustic}, true},
		{"two rounds located", []fusion.Evidence{acoustic, acoustic}, false},
		{"one location and a monitor", []fusion.Evidence{acoustic, report}, false},
		{"a monitor alone", []fusion.Evidence{report}, false},
	}
	for _, tc := range tests {
		if got := weakOrigin(fusion.Incident{Evidence: tc.evidence}); (got != "") != tc.weak {
			t.Errorf("%s: %q, want weak %v", tc.name, got, tc.weak)
		}
	}
}

// TestCasualties checks that an incident carries the largest figures its
// sources report, not their sum, and civilian when any says so; and that
// the origin of a fire carries the casualties reported where it landed.
func TestCasualties(t *testing.T) {
	n := func(v int) *int { return &v }
	withCasualties := func(o observe.Observation, c *observe.Casualties) observe.Observation {
		switch {
		case o.Report != nil:
			r := *o.Report
			r.Casualties = c
			o.Report = &r
		case o.OSINT != nil:
			x := *o.OSINT
			x.Casualties = c
			o.OSINT = &x
		}
		return o
	}
	osint := func(id string, p geo.LonLat, when time.Duration) observe.Observation {
		return observe.Observation{ID: id, Kind: observe.KindOSINT, Source: observe.Source{ID: "press", Type: observe.SourceOSINT, Grading: "C3"},
			ObservedAt: t0.Add(when), TimeUncertainty: 10 * time.Minute, Location: observe.Point{Lon: p.Lon, Lat: p.Lat}, LocationUncertaintyM: 500,
			Releasability: label.PublicLabel(), OSINT: &observe.OSINT{URL: "https://news.example.org/a", Claim: "Shelling of the village."}}
	}
	impact, origin := at(5, 1), at(-8, 0)
	tests := []struct {
		name string
		obs  []observe.Observation
		// id is the incident to check, linked the incident it is linked
		// to ("" when every observation is its own); want its casualties
		// and wantJSON their JSON ("" for none).
		id, linked string
		want       *observe.Casualties
		wantJSON   string
	}{
		{"none reported", []observe.Observation{
			report("b1", "patrol-1", observe.EventBurst, impact, 0, 150, time.Second),
		}, "inc-b1", "", nil, ""},
		{"two sources of one event: the largest, not the sum", []observe.Observation{
			withCasualties(report("b1", "patrol-1", observe.EventBurst, impact, 0, 150, time.Second), &observe.Casualties{Killed: n(2), Wounded: n(3)}),
			withCasualties(report("b2", "patrol-2", observe.EventBurst, impact, 10*time.Second, 150, time.Second), &observe.Casualties{Killed: n(1), Wounded: n(5), Civilian: true}),
		}, "inc-b1", "", &observe.Casualties{Killed: n(2), Wounded: n(5), Civilian: true}, `{"killed":2,"wounded":5,"civilian":true}`},
		{"one gives killed, another wounded", []observe.Observation{
			withCasualties(report("b1", "patrol-1", observe.EventBurst, impact, 0, 150, time.Second), &observe.Casualties{Killed: n(1)}),
			withCasualties(osint("o1", impact, 5*time.Minute), &observe.Casualties{Wounded: n(4)}),
		}, "inc-b1", "", &observe.Casualties{Killed: n(1), Wounded: n(4)}, `{"killed":1,"wounded":4}`},
		{"none killed is a figure", []observe.Observation{
			withCasualties(report("b1", "patrol-1", observe.EventBurst, impact, 0, 150, time.Second), &observe.Casualties{Killed: n(0)}),
		}, "inc-b1", "", &observe.Casualties{Killed: n(0)}, `{"killed":0}`},
		{"the origin carries its impact's", []observe.Observation{
			report("s1", "patrol-1", observe.EventShot, origin, 0, 150, time.Second),
			withCasualties(report("b1", "patrol-2", observe.EventBurst, impact, 40*time.Second, 150, time.Second), &observe.Casualties{Wounded: n(2), Civilian: true}),
		}, "inc-s1", "inc-b1", &observe.Casualties{Wounded: n(2), Civilian: true}, `{"wounded":2,"civilian":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, newEngine(t, Config{}), tc.obs)
			in, ok := got[tc.id]
			if !ok {
				t.Fatalf("no incident %s among %v", tc.id, keys(got))
			}
			if in.Linked != tc.linked {
				t.Fatalf("%s linked to %q, want %q", tc.id, in.Linked, tc.linked)
			}
			if tc.linked == "" && len(in.Observations()) != len(tc.obs) {
				t.Fatalf("%s rests on %v, want every observation", tc.id, in.Observations())
			}
			if fmt.Sprint(casualtyFigures(in.Casualties)) != fmt.Sprint(casualtyFigures(tc.want)) {
				t.Errorf("casualties %v, want %v", casualtyFigures(in.Casualties), casualtyFigures(tc.want))
			}
			b, err := in.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Properties struct {
					Casualties json.RawMessage `json:"casualties"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			if string(f.Properties.Casualties) != tc.wantJSON {
				t.Errorf("JSON casualties %s, want %s", f.Properties.Casualties, tc.wantJSON)
			}
		})
	}
}

// casualtyFigures renders casualties for comparison, "-" for an unknown figure.
func casualtyFigures(c *observe.Casualties) string {
	if c == nil {
		return "none"
	}
	fig := func(n *int) string {
		if n == nil {
			return "-"
		}
		return fmt.Sprint(*n)
	}
	return fmt.Sprintf("killed %s wounded %s civilian %t", fig(c.Killed), fig(c.Wounded), c.Civilian)
}

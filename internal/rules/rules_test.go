package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/tracks"
)

var t0 = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

// testTerms has a north–south contact line at longitude 37.5 that bends
// east at latitude 48.5: party A holds the west (left, looking north),
// party B the east; a 1 km buffer zone; the Minsk withdrawal distances.
func testTerms(t *testing.T, rules ...terms.Rule) terms.Terms {
	t.Helper()
	tm := terms.Terms{
		ID: "test", Version: "1", Title: "Test terms", Illustrative: true, EffectiveFrom: t0.Add(-24 * time.Hour),
		Parties:     []terms.Party{{Code: "A", Name: "Party A", Side: terms.Left}, {Code: "B", Name: "Party B", Side: terms.Right}},
		ContactLine: terms.Geometry{Type: "LineString", Coordinates: json.RawMessage(`[[37.5,47.0],[37.5,48.5],[38.5,49.0]]`)},
		BufferZone:  terms.BufferZone{HalfWidthM: 1000},
		Clauses: []terms.Clause{
			{ID: "1", Title: "Ceasefire", Forbids: []string{terms.FireAcrossLine, terms.FireSameSide, terms.FireUnresolved}},
			{ID: "2", Title: "Buffer zone", Forbids: []string{terms.PresenceInBufferZone}},
			{ID: "3", Title: "Withdrawal", Forbids: []string{terms.WeaponInWithdrawalZone}},
			{ID: "4", Title: "Night fire"},
			{ID: "5", Title: "Airspace", Forbids: []string{terms.AirspaceCrossing}},
		},
		Rules: rules,
	}
	tm.WeaponClasses = terms.DefaultWeaponClasses()
	if err := tm.Validate(); err != nil {
		t.Fatal(err)
	}
	return tm
}

// at is the point east and north of (37.5, 48.0) in km.
func at(eastKM, northKM float64) geo.LonLat {
	return geo.NewENU(geo.LonLat{Lon: 37.5, Lat: 48.0}).Inverse(eastKM*1000, northKM*1000)
}

type world struct {
	set *Set
	ctx Context
}

func newWorld(t *testing.T, rules ...terms.Rule) world {
	t.Helper()
	tm := testTerms(t, rules...)
	a, err := terms.Compile(tm)
	if err != nil {
		t.Fatal(err)
	}
	at, err := attribution.New(a, attribution.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(tm)
	if err != nil {
		t.Fatal(err)
	}
	return world{set: s, ctx: Context{Agreement: a, Attributor: at}}
}

// site is a located point with a round uncertainty of sigma metres.
func site(p geo.LonLat, sigma float64) *incident.Site {
	cov := [2][2]float64{{sigma * sigma, 0}, {0, sigma * sigma}}
	e, _ := geo.EllipseFromCov(cov, 0.95)
	return &incident.Site{Position: p, Cov: cov, Ellipse95: e}
}

// fireIncident is an origin incident, linked to an impact when impact is
// set, attributed as the engine would.
func (w world) fireIncident(t *testing.T, origin, impact *incident.Site, weaponClass string, rounds int) incident.Incident {
	t.Helper()
	in := incident.Incident{ID: "inc-o", Version: 3, Class: fusion.ClassFire, Role: fusion.RoleOrigin, Start: t0, End: t0.Add(time.Minute),
		Location: *origin, Origin: origin, Impact: impact, WeaponClass: weaponClass,
		Confidence: fusion.Confidence{Level: fusion.Corroborated, IndependentSources: 2, Score: 0.9}, Label: label.PublicLabel()}
	for range rounds {
		in.Evidence = append(in.Evidence, incident.Evidence{ID: "e", Role: fusion.RoleOrigin, Observations: []string{"o"}})
	}
	in.Attribution = w.attribute(t, origin, "origin")
	return in
}

func (w world) attribute(t *testing.T, s *incident.Site, of string) incident.Attribution {
	t.Helper()
	r, err := w.ctx.Attributor.Attribute(attribution.Estimate{Position: s.Position, Cov: s.Cov})
	if err != nil {
		t.Fatal(err)
	}
	return incident.Attribution{Of: of, Party: r.Party, Probability: r.Probability, Probabilities: r.Probabilities,
		SignedDistanceM: r.SignedDistanceM, DistanceSigmaM: r.DistanceSigmaM, Zones: r.Zones,
		ZoneProbabilities: r.ZoneProbabilities, PartyZoneProbabilities: r.PartyZoneProbabilities}
}

func (w world) equipment(t *testing.T, p geo.LonLat, sigma float64, class string) incident.Incident {
	t.Helper()
	s := site(p, sigma)
	in := incident.Incident{ID: "inc-e", Version: 1, Class: fusion.ClassEquipment, Role: fusion.RoleUnknown, Start: t0, End: t0,
		Location: *s, WeaponClass: class, Label: label.PublicLabel()}
	in.Attribution = w.attribute(t, s, "location")
	return in
}

// only returns the one candidate of a type, failing if there is not exactly one.
func only(t *testing.T, cands []Candidate, typ string) Candidate {
	t.Helper()
	var found []Candidate
	for _, c := range cands {
		if c.Type == typ {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d candidates of type %s among %+v", len(found), typ, cands)
	}
	return found[0]
}

func types(cands []Candidate) []string {
	var out []string
	for _, c := range cands {
		out = append(out, c.Type)
	}
	return out
}

func TestFire(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name           string
		origin, impact *incident.Site
		class          string
		rounds         int
		typ            string
		party          string
		severity       Severity
	}{
		{"across, from A", site(at(-8, 0), 50), site(at(4, 0), 50), "", 3, terms.FireAcrossLine, "A", Serious},
		{"across, from B, deep", site(at(9, 0), 50), site(at(-7, 0), 50), "", 2, terms.FireAcrossLine, "B", Major},
		{"into the buffer zone on its own side", site(at(-8, 0), 50), site(at(-0.5, 0), 50), "", 1, terms.FireAcrossLine, "A", Serious},
		{"on one side", site(at(-8, 0), 50), site(at(-3, 0), 50), "", 1, terms.FireSameSide, "A", Minor},
		{"on one side with heavy artillery", site(at(-20, 0), 50), site(at(-6, 0), 50), "artillery_100mm", 1, terms.FireSameSide, "A", Serious},
		{"across with many rounds", site(at(-8, 0), 50), site(at(2, 0), 50), "", ManyRounds, terms.FireAcrossLine, "A", Major},
		{"origin too near the line to attribute", site(at(0.3, 0), 1000), site(at(-4, 0), 50), "", 1, terms.FireAcrossLine, "", Serious},
		// North of the bend (55.6 km north) the line runs north-east: a
		// point due north of the bend is on A's side, one south-east of it
		// on B's.
		{"across the bend", site(at(0, 62), 50), site(at(10, 52), 50), "", 1, terms.FireAcrossLine, "A", Major},
		{"no impact located", site(at(-8, 0), 50), nil, "", 1, terms.FireUnresolved, "A", Minor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := w.fireIncident(t, tc.origin, tc.impact, tc.class, tc.rounds)
			cands, err := w.set.Evaluate(in, w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := only(t, cands, tc.typ)
			if c.Party != tc.party || c.Severity != tc.severity || c.Clause != "1" {
				t.Errorf("%s: party %q severity %s clause %q, want %q %s clause 1 (%s)", c.Type, c.Party, c.Severity, c.Clause, tc.party, tc.severity, c.Reason)
			}
			if c.ID != c.Rule+":inc-o" || c.IncidentVersion != 3 || c.Confidence.Level != fusion.Corroborated || c.Reason == "" {
				t.Errorf("candidate %+v", c)
			}
			if geo.Distance(c.Position, tc.origin.Position) > 1 {
				t.Errorf("placed %.0f m from the origin", geo.Distance(c.Position, tc.origin.Position))
			}
		})
	}

	// An impact linked to its origin leaves the fire to the origin's
	// incident; an impact alone is unresolved and not attributable.
	linked := w.fireIncident(t, site(at(-8, 0), 50), site(at(6, 0), 50), "", 1)
	linked.Role = fusion.RoleImpact
	if cands, _ := w.set.Evaluate(linked, w.ctx); len(cands) != 0 {
		t.Errorf("a linked impact gave %v", types(cands))
	}
	alone := incident.Incident{ID: "inc-i", Class: fusion.ClassFire, Role: fusion.RoleImpact, Start: t0, End: t0, Location: *site(at(6, 0), 50)}
	alone.Impact = &alone.Location
	alone.Attribution = incident.Attribution{Reason: "not attributable: the origin of the fire is not located"}
	cands, err := w.set.Evaluate(alone, w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := only(t, cands, terms.FireUnresolved); c.Party != "" {
		t.Errorf("an impact alone was attributed to %s", c.Party)
	}
}

func TestWeapons(t *testing.T) {
	w := newWorld(t)
	// Artillery must be 50 km from the line: probe around the threshold.
	tests := []struct {
		name  string
		p     geo.LonLat
		sigma float64
		class string
		typ   string // "" for no candidate of the weapon rule
		party string
	}{
		{"artillery 30 km inside its zone", at(-30, 0), 50, "artillery_100mm", terms.WeaponInWithdrawalZone, "A"},
		{"artillery 49.9 km", at(-49.9, 0), 20, "artillery_100mm", terms.WeaponInWithdrawalZone, "A"},
		// At the line itself the probability is one half, the rule's
		// threshold: a metre-precise position decides either way.
		{"artillery 49.99 km, located to a metre", at(-49.99, 0), 1, "artillery_100mm", terms.WeaponInWithdrawalZone, "A"},
		{"artillery 50.01 km, located to a metre", at(-50.01, 0), 1, "artillery_100mm", "", ""},
		{"artillery 50.1 km", at(-50.1, 0), 20, "artillery_100mm", "", ""},
		{"MLRS 60 km, within its 70 km", at(60, 0), 50, "mlrs", terms.WeaponInWithdrawalZone, "B"},
		{"heavy MLRS 100 km", at(100, 0), 50, "heavy_mlrs", terms.WeaponInWithdrawalZone, "B"},
		{"an unknown class", at(-10, 0), 50, "tanks", "", ""},
		{"near the line, side unknown", at(0.2, 0), 2000, "artillery_100mm", terms.WeaponInWithdrawalZone, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cands, err := w.set.Evaluate(w.equipment(t, tc.p, tc.sigma, tc.class), w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.typ == "" {
				for _, c := range cands {
					if c.Type == terms.WeaponInWithdrawalZone {
						t.Fatalf("a candidate %+v", c)
					}
				}
				return
			}
			c := only(t, cands, tc.typ)
			if c.Party != tc.party || c.Clause != "3" || c.WeaponClass != tc.class || c.WithdrawalM == 0 || !strings.Contains(c.Reason, tc.class) {
				t.Errorf("candidate %+v", c)
			}
		})
	}
	if c := only(t, mustEvaluate(t, w, w.equipment(t, at(100, 0), 50, "heavy_mlrs")), terms.WeaponInWithdrawalZone); c.Severity != Major {
		t.Errorf("heavy MLRS in its zone is %s, want major", c.Severity)
	}
}

func mustEvaluate(t *testing.T, w world, in incident.Incident) []Candidate {
	t.Helper()
	cands, err := w.set.Evaluate(in, w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cands
}

func TestBufferZone(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		p     geo.LonLat
		want  bool
		party string
	}{
		{"inside on A's side", at(-0.5, 0), true, "A"},
		{"inside on B's side", at(0.4, 0), true, "B"},
		{"just outside", at(-1.2, 0), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cands := mustEvaluate(t, w, w.equipment(t, tc.p, 20, ""))
			if !tc.want {
				if len(cands) != 0 {
					t.Errorf("candidates %v", types(cands))
				}
				return
			}
			if c := only(t, cands, terms.PresenceInBufferZone); c.Party != tc.party || c.Clause != "2" {
				t.Errorf("candidate %+v", c)
			}
		})
	}
}

func TestRepeatedRaisesSeverity(t *testing.T) {
	w := newWorld(t)
	in := w.fireIncident(t, site(at(-8, 0), 50), site(at(-3, 0), 50), "", 1)
	tests := []struct {
		name   string
		recent int
		typ    string // the type the count is for
		want   Severity
	}{
		{"the tenth of its type in a day", RepeatedEvents - 1, terms.FireSameSide, Serious},
		{"the ninth", RepeatedEvents - 2, terms.FireSameSide, Minor},
		{"many of another type", RepeatedEvents, terms.FireAcrossLine, Minor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.ctx.Recent = func(typ, party string, at time.Time) int {
				if typ != tc.typ || party == "" || !at.Equal(in.Start) {
					return 0
				}
				return tc.recent
			}
			if c := only(t, mustEvaluate(t, w, in), terms.FireSameSide); c.Severity != tc.want {
				t.Errorf("severity %s, want %s", c.Severity, tc.want)
			}
		})
	}
}

func TestCasualtiesRaiseSeverity(t *testing.T) {
	w := newWorld(t)
	n := func(v int) *int { return &v }
	sameSide := func() incident.Incident { return w.fireIncident(t, site(at(-8, 0), 50), site(at(-3, 0), 50), "", 1) }
	across := func() incident.Incident { return w.fireIncident(t, site(at(-8, 0), 50), site(at(4, 0), 50), "", 3) }
	unresolved := func() incident.Incident { return w.fireIncident(t, site(at(-8, 0), 50), nil, "", 1) }
	tests := []struct {
		name       string
		in         func() incident.Incident
		typ        string
		casualties *observe.Casualties
		want       Severity
		reasonIn   string // "" for no casualties in the reason
		wantJSON   string // the candidate's casualties, "" for none
	}{
		{"minor fire, no casualties", sameSide, terms.FireSameSide, nil, Minor, "", ""},
		{"minor fire with wounded", sameSide, terms.FireSameSide, &observe.Casualties{Wounded: n(2)}, Serious, "Casualties reported: 2 wounded.", `{"wounded":2}`},
		{"minor fire with killed", sameSide, terms.FireSameSide, &observe.Casualties{Killed: n(1), Wounded: n(3)}, Major, "Casualties reported: 1 killed, 3 wounded.", `{"killed":1,"wounded":3}`},
		{"minor fire with civilians killed", sameSide, terms.FireSameSide, &observe.Casualties{Killed: n(2), Civilian: true}, Major, "2 killed (civilians).", `{"killed":2,"civilian":true}`},
		{"none killed raises nothing", sameSide, terms.FireSameSide, &observe.Casualties{Killed: n(0)}, Minor, "Casualties reported: 0 killed.", `{"killed":0}`},
		{"serious fire with wounded stays serious", across, terms.FireAcrossLine, &observe.Casualties{Wounded: n(1)}, Serious, "1 wounded", `{"wounded":1}`},
		{"serious fire with killed", across, terms.FireAcrossLine, &observe.Casualties{Killed: n(1)}, Major, "1 killed", `{"killed":1}`},
		{"unresolved fire with wounded", unresolved, terms.FireUnresolved, &observe.Casualties{Wounded: n(5), Civilian: true}, Serious, "5 wounded (civilians)", `{"wounded":5,"civilian":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			in.Casualties = tc.casualties
			c := only(t, mustEvaluate(t, w, in), tc.typ)
			if c.Severity != tc.want {
				t.Errorf("severity %s, want %s (%s)", c.Severity, tc.want, c.Reason)
			}
			if (tc.reasonIn == "" && strings.Contains(c.Reason, "Casualties")) || !strings.Contains(c.Reason, tc.reasonIn) {
				t.Errorf("reason %q, want one with %q", c.Reason, tc.reasonIn)
			}
			b, err := c.MarshalJSON()
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

	// Casualties set a floor, and many events still raise above it.
	w.ctx.Recent = func(string, string, time.Time) int { return RepeatedEvents }
	in := sameSide()
	in.Casualties = &observe.Casualties{Wounded: n(1)}
	if c := only(t, mustEvaluate(t, w, in), terms.FireSameSide); c.Severity != Major {
		t.Errorf("repeated minor fire with wounded is %s, want major", c.Severity)
	}
}

func TestOwnRulesSeeCasualties(t *testing.T) {
	deadly := terms.Rule{ID: "deadly_fire", Clause: "1", Type: "deadly_fire", Severity: "major",
		Condition: `incident.class == "fire" && incident.killed > 0`}
	civilians := terms.Rule{ID: "civilians_hurt", Clause: "1", Type: "civilians_hurt", Severity: "serious",
		Condition: `incident.civilian && incident.killed + incident.wounded >= 2`}
	w := newWorld(t, deadly, civilians)
	n := func(v int) *int { return &v }
	tests := []struct {
		name       string
		casualties *observe.Casualties
		want       []string // the own rules' candidates
	}{
		{"none reported", nil, nil},
		{"wounded only", &observe.Casualties{Wounded: n(3)}, nil},
		{"killed", &observe.Casualties{Killed: n(1)}, []string{"deadly_fire"}},
		{"civilians wounded", &observe.Casualties{Wounded: n(2), Civilian: true}, []string{"civilians_hurt"}},
		{"civilians killed and wounded", &observe.Casualties{Killed: n(1), Wounded: n(1), Civilian: true}, []string{"deadly_fire", "civilians_hurt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := w.fireIncident(t, site(at(-8, 0), 50), site(at(-3, 0), 50), "", 1)
			in.Casualties = tc.casualties
			var got []string
			for _, c := range mustEvaluate(t, w, in) {
				if c.Rule == "deadly_fire" || c.Rule == "civilians_hurt" {
					got = append(got, c.Rule)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("own rules %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOwnRules(t *testing.T) {
	night := terms.Rule{ID: "night_fire", Clause: "4", Type: "night_fire", Severity: "serious",
		Condition: `incident.class == "fire" && incident.start.getHours() < 5`, Description: "Fire at night, when monitors cannot see."}
	far := terms.Rule{ID: "far_inside", Clause: "3", Type: "deep_weapons", Severity: "major",
		Condition: `incident.weapon_class != "" && -incident.signed_distance_m > terms.withdrawal_m[incident.weapon_class] / 2.0`}
	w := newWorld(t, night, far)
	in := w.fireIncident(t, site(at(-8, 0), 50), site(at(6, 0), 50), "", 1)
	c := only(t, mustEvaluate(t, w, in), "night_fire")
	if c.Rule != "night_fire" || c.Clause != "4" || c.Severity != Serious || c.Party != "A" || !strings.Contains(c.Reason, "at night") {
		t.Errorf("candidate %+v", c)
	}

	tests := []struct {
		name string
		rule terms.Rule
		want string // in the error
	}{
		{"does not parse", terms.Rule{ID: "broken", Clause: "4", Type: "x", Severity: "minor", Condition: `incident.class ==`}, "rule broken:"},
		{"unknown variable", terms.Rule{ID: "unknown", Clause: "4", Type: "x", Severity: "minor", Condition: `weather == "rain"`}, "rule unknown:"},
		{"not a bool", terms.Rule{ID: "number", Clause: "4", Type: "x", Severity: "minor", Condition: `1 + 2`}, "rule number: the condition yields int, not bool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(testTerms(t, tc.rule))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}

	// A rule that fails on an incident is reported and the others apply.
	odd := terms.Rule{ID: "odd", Clause: "4", Type: "x", Severity: "minor", Condition: `incident.origin.lon > 0.0`}
	w = newWorld(t, odd)
	eq := w.equipment(t, at(-0.5, 0), 20, "")
	cands, err := w.set.Evaluate(eq, w.ctx)
	if err == nil || !strings.Contains(err.Error(), "rule odd on incident inc-e") {
		t.Errorf("error %v, want one naming the rule and the incident", err)
	}
	if len(cands) != 1 || cands[0].Type != terms.PresenceInBufferZone {
		t.Errorf("candidates %v, want the built-in one", types(cands))
	}
}

func TestMergedAndNoTerms(t *testing.T) {
	w := newWorld(t)
	if cands, err := w.set.Evaluate(incident.Incident{ID: "inc-m", MergedInto: "inc-x"}, w.ctx); err != nil || len(cands) != 0 {
		t.Errorf("a merged incident: %v %v", cands, err)
	}
	if _, err := w.set.Evaluate(w.equipment(t, at(-0.5, 0), 20, ""), Context{}); err == nil {
		t.Error("no terms in force was not an error")
	}
}

func BenchmarkEvaluate(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t, terms.Rule{ID: "night_fire", Clause: "4", Type: "night_fire", Severity: "serious", Condition: `incident.class == "fire" && incident.start.getHours() < 5`})
	incidents := []incident.Incident{
		w.fireIncident(t, site(at(-8, 0), 50), site(at(6, 0), 50), "artillery_100mm", 3),
		w.fireIncident(t, site(at(-8, 0), 50), site(at(-3, 0), 50), "", 1),
		w.equipment(t, at(-30, 0), 50, "artillery_100mm"),
		w.equipment(t, at(-0.5, 0), 20, ""),
	}
	n := 0
	for b.Loop() {
		if _, err := w.set.Evaluate(incidents[n%len(incidents)], w.ctx); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "incidents/s")
}

func TestCrossing(t *testing.T) {
	w := newWorld(t)
	point := func(id string, eastKM float64, minutes int) observe.Observation {
		p := at(eastKM, 0)
		return observe.Observation{ID: id, Kind: observe.KindTrack, Source: observe.Source{ID: "radar-1", Type: observe.SourceRadar, Grading: "B2"},
			ObservedAt: t0.Add(time.Duration(minutes) * time.Minute), Location: observe.Point{Lon: p.Lon, Lat: p.Lat},
			LocationUncertaintyM: 50, Releasability: label.PublicLabel(),
			Track: &observe.Track{TrackID: "T1", Platform: observe.PlatformDrone, SpeedMPS: new(30.0), HeadingDeg: new(90.0)}}
	}
	tests := []struct {
		name     string
		points   []float64 // east of the line, km, one a minute
		aircraft bool
		want     int
		party    string
		severity Severity
		reason   string
	}{
		{"a drone of A in and back", []float64{-5, -2, 3, 6, 2, -3}, false, 1, "A", Serious, "went 6.0 km beyond"},
		{"deep and staying, first seen on B's side", []float64{4, 1, -4, -12}, false, 1, "", Major, "not attributable"},
		{"an aircraft", []float64{-5, 2, -3}, true, 1, "A", Major, "aircraft"},
		{"along its own side", []float64{-5, -3, -1, -4}, false, 0, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs []observe.Observation
			for i, e := range tc.points {
				o := point(fmt.Sprintf("p%d", i), e, i)
				if tc.aircraft {
					o.Track.Platform = observe.PlatformAircraft
				}
				obs = append(obs, o)
			}
			trs := tracks.Assemble(obs, label.Scheme{})
			var cands []Candidate
			for _, c := range tracks.Crossings(w.ctx.Agreement, trs[0], tracks.Config{}) {
				if cand, ok := w.set.Crossing(trs[0], c); ok {
					cands = append(cands, cand)
				}
			}
			if len(cands) != tc.want {
				t.Fatalf("%d candidates, want %d: %+v", len(cands), tc.want, cands)
			}
			if tc.want == 0 {
				return
			}
			c := cands[0]
			if c.Type != terms.AirspaceCrossing || c.Party != tc.party || c.Severity != tc.severity || c.Clause != "5" || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("candidate %+v", c)
			}
		})
	}
}

package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/geodesic"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/restriction"
)

// restrictive is a quick configuration with many restrictions of access:
// little fire, few sensors, every patrol's day, and one stop in two
// restricted.
func restrictive(seed uint64) Config {
	return Config{Seed: seed, Duration: 16 * time.Hour, AcousticSensors: 40, FireEventsPerHour: 4, RestrictionRate: 0.5}
}

func generate(t *testing.T, cfg Config) Scenario {
	t.Helper()
	s, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func TestRestrictions(t *testing.T) {
	for _, tc := range []struct {
		name string
		scen func(*testing.T) Scenario
		// min is the fewest restrictions the scenario must hold; mixed
		// asks for both outcomes and both labels.
		min   int
		mixed bool
	}{
		{"default", defaultScenario, 1, false},
		{"restrictive", func(t *testing.T) Scenario { return generate(t, restrictive(4)) }, 20, true},
		{"two days from the afternoon", func(t *testing.T) Scenario {
			c := restrictive(5)
			c.Start, c.Duration = time.Date(2027, 3, 1, 13, 30, 0, 0, time.UTC), 30*time.Hour
			return generate(t, c)
		}, 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.scen(t)
			t.Logf("%d restrictions, %d denied", len(s.Restrictions), s.Truth.Summary.RestrictionsDenied)
			if len(s.Restrictions) < tc.min {
				t.Fatalf("%d restrictions, want at least %d", len(s.Restrictions), tc.min)
			}
			checkRestrictions(t, s)
			if !tc.mixed {
				return
			}
			outcomes, labels := map[bool]int{}, map[string]int{}
			for _, r := range s.Restrictions {
				outcomes[r.Denied]++
				labels[r.Label.String()]++
			}
			if outcomes[true] == 0 || outcomes[false] == 0 || labels["PUBLIC"] <= labels[labelRestricted.String()] || labels[labelRestricted.String()] == 0 {
				t.Errorf("outcomes (denied: count) %v, labels %v: want both outcomes, mostly PUBLIC and some RESTRICTED", outcomes, labels)
			}
		})
	}
}

// checkRestrictions checks every restriction of s against the truth and
// an independent model of the line.
func checkRestrictions(t *testing.T, s Scenario) {
	t.Helper()
	if len(s.Truth.Restrictions) != len(s.Restrictions) || s.Truth.Summary.Restrictions != len(s.Restrictions) {
		t.Fatalf("%d restrictions, %d in the truth, summary %d", len(s.Restrictions), len(s.Truth.Restrictions), s.Truth.Summary.Restrictions)
	}
	l := newRefLine(t, s.Terms)
	party := map[int]string{}
	for _, p := range s.Terms.Parties {
		party[sideSign(p.Side)] = p.Code
	}
	monitors := map[string]MonitorTruth{}
	for _, m := range s.Truth.Monitors {
		monitors[m.ID] = m
	}
	sizes := map[string]int{}
	ids := map[string]bool{}
	denied := 0
	for i, r := range s.Restrictions {
		tr := s.Truth.Restrictions[i]
		what := fmt.Sprintf("restriction %d (%s)", i, r.ID)
		if err := restriction.Check(r, label.Scheme{}); err != nil {
			t.Errorf("%s is invalid: %v", what, err)
		}
		b, err := restriction.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := restriction.Parse(b, label.Scheme{})
		if again, _ := restriction.Marshal(back); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s does not round-trip: %v\n%s\n%s", what, err, b, again)
		}
		if ids[r.ID] || tr.ID != r.ID || !strings.HasPrefix(r.ID, fmt.Sprintf("ror-%d-%s-", s.Config.Seed, tr.Patrol)) {
			t.Errorf("%s: a repeated id, or not the truth's %s of patrol %s", what, tr.ID, tr.Patrol)
		}
		ids[r.ID] = true
		if i > 0 && r.Time.Before(s.Restrictions[i-1].Time) {
			t.Errorf("%s at %s, before the one before it", what, r.Time)
		}

		// When: within the scenario and the patrols' day, on the way to the stop.
		m, ok := monitors[tr.Patrol]
		if !ok || m.Type != "patrol" || tr.Stop < 1 || tr.Stop > len(m.Stops) {
			t.Fatalf("%s: no stop %d of patrol %s", what, tr.Stop, tr.Patrol)
		}
		st := m.Stops[tr.Stop-1]
		if r.Time.Before(s.Truth.Start) || !r.Time.Before(s.Truth.End) {
			t.Errorf("%s at %s, outside the scenario %s to %s", what, r.Time, s.Truth.Start, s.Truth.End)
		}
		if h := r.Time.Hour(); h < 6 || h >= 15 || r.Time.Truncate(time.Minute) != r.Time {
			t.Errorf("%s at %s, want whole minutes of 06:00 to 15:00 UTC", what, r.Time)
		}
		if lead := st.From.Sub(r.Time); lead <= 0 || lead > 31*time.Minute {
			t.Errorf("%s at %s, %s before the stop it was on the way to", what, r.Time, lead)
		}

		// Where: near the stop, nearer the line, on the stated party's side.
		if r.Position.Lon != round7(tr.Checkpoint.Position[0]) || r.Position.Lat != round7(tr.Checkpoint.Position[1]) {
			t.Errorf("%s at %v, the truth's checkpoint at %v", what, r.Position, tr.Checkpoint.Position)
		}
		d, side := l.sideDist(r.Position.Lon, r.Position.Lat)
		if party[side] != r.Party || r.Party != tr.Checkpoint.Party || r.Party != st.Party {
			t.Errorf("%s: party %s, but the checkpoint is on %s's side (truth %s, stop %s)", what, r.Party, party[side], tr.Checkpoint.Party, st.Party)
		}
		if d < 150 || d > st.DistanceToLineM || math.Abs(d-tr.Checkpoint.DistanceToLineM) > 0.006*d+15 {
			t.Errorf("%s: %.0f m from the line, the truth says %.0f m, its stop is %.0f m", what, d, tr.Checkpoint.DistanceToLineM, st.DistanceToLineM)
		}
		var fromStop float64
		geodesic.WGS84.Inverse(r.Position.Lat, r.Position.Lon, st.Position[1], st.Position[0], &fromStop, nil, nil)
		if fromStop < 290 || fromStop > 2010 || math.Abs(fromStop-tr.FromStopM) > 1 {
			t.Errorf("%s: %.0f m from its stop (truth %.0f m), want 300-2000 m", what, fromStop, tr.FromStopM)
		}

		// What: outcome, delay, patrol, reason, checkpoint, label.
		switch {
		case r.Denied:
			denied++
			if r.Delay != 0 && (r.Delay < 5*time.Minute || r.Delay > 30*time.Minute) {
				t.Errorf("%s: denied after %s", what, r.Delay)
			}
		case r.Delay < 10*time.Minute || r.Delay > 90*time.Minute:
			t.Errorf("%s: delayed %s, want 10-90 minutes", what, r.Delay)
		}
		if size, seen := sizes[tr.Patrol]; r.PatrolSize < 2 || r.PatrolSize > 8 || (seen && size != r.PatrolSize) {
			t.Errorf("%s: a patrol of %d (%d before)", what, r.PatrolSize, size)
		}
		sizes[tr.Patrol] = r.PatrolSize
		if !slices.Contains(restrictionReasons, r.Reason) || !strings.HasPrefix(r.Checkpoint, "CP-") || !strings.Contains(r.Notes, r.Checkpoint) {
			t.Errorf("%s: reason %q, checkpoint %q, notes %q", what, r.Reason, r.Checkpoint, r.Notes)
		}
		if r.Label.String() != "PUBLIC" && r.Label.String() != labelRestricted.String() {
			t.Errorf("%s: label %s", what, r.Label)
		}
	}
	if denied != s.Truth.Summary.RestrictionsDenied {
		t.Errorf("%d denied, the summary says %d", denied, s.Truth.Summary.RestrictionsDenied)
	}
}

// TestRestrictionsDeterministic checks that the restrictions depend on the
// seed alone, and that turning them off or up changes nothing else.
func TestRestrictionsDeterministic(t *testing.T) {
	a, b, c := generate(t, restrictive(4)), generate(t, restrictive(4)), generate(t, restrictive(6))
	fa, fb, fc := files(t, a), files(t, b), files(t, c)
	if !bytes.Equal(fa[RestrictionsFile], fb[RestrictionsFile]) {
		t.Errorf("%s differs between two runs with the same seed", RestrictionsFile)
	}
	if bytes.Equal(fa[RestrictionsFile], fc[RestrictionsFile]) {
		t.Errorf("%s is the same for seeds 4 and 6", RestrictionsFile)
	}
	for _, tc := range []struct {
		name string
		rate float64
		none bool
	}{
		{"off", -1, true},
		{"default", 0, false},
		{"every stop", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := restrictive(4)
			cfg.RestrictionRate = tc.rate
			s := generate(t, cfg)
			if none := len(s.Restrictions) == 0; none != tc.none || len(s.Truth.Restrictions) != len(s.Restrictions) {
				t.Errorf("rate %g: %d restrictions (%d in the truth)", tc.rate, len(s.Restrictions), len(s.Truth.Restrictions))
			}
			f := files(t, s)
			for _, name := range []string{ObservationsFile, SensorsFile, TermsFile} {
				if !bytes.Equal(f[name], fa[name]) {
					t.Errorf("rate %g changes %s", tc.rate, name)
				}
			}
			if tc.rate == 1 {
				checkRestrictions(t, s)
			}
		})
	}
}

// TestRestrictionsGeoJSON reads the file back as POST /api/v1/restrictions
// would: a FeatureCollection of restrictions that parse to the scenario's.
func TestRestrictionsGeoJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"some", restrictive(4)},
		{"none", func() Config { c := restrictive(4); c.RestrictionRate = -1; return c }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := generate(t, tc.cfg)
			b, err := s.RestrictionsGeoJSON()
			if err != nil {
				t.Fatal(err)
			}
			var fc struct {
				Type     string            `json:"type"`
				Seed     uint64            `json:"seed"`
				Features []json.RawMessage `json:"features"`
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&fc); err != nil || fc.Type != "FeatureCollection" || fc.Seed != tc.cfg.Seed || fc.Features == nil {
				t.Fatalf("not a FeatureCollection of seed %d: %v\n%s", tc.cfg.Seed, err, b)
			}
			if len(fc.Features) != len(s.Restrictions) || bytes.Count(b, []byte("\n")) != len(s.Restrictions)+1+min(1, len(s.Restrictions)) {
				t.Fatalf("%d features, %d lines, for %d restrictions", len(fc.Features), bytes.Count(b, []byte("\n")), len(s.Restrictions))
			}
			for i, f := range fc.Features {
				r, err := restriction.Parse(f, label.Scheme{})
				want, _ := restriction.Marshal(s.Restrictions[i])
				if got, _ := restriction.Marshal(r); err != nil || !bytes.Equal(got, want) {
					t.Errorf("feature %d: %v\n%s\nwant %s", i, err, got, want)
				}
			}
		})
	}
}

func TestRestrictionConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		want float64 // after WithDefaults
		bad  string  // a piece of the error Generate must give, or ""
	}{
		{"default", 0, 0.04, ""},
		{"none", -1, 0, ""},
		{"set", 0.3, 0.3, ""},
		{"over 1", 1.5, 1.5, "at most 1"},
		{"not a number", math.NaN(), math.NaN(), "restriction rate is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{RestrictionRate: tc.rate}.WithDefaults()
			if got := c.RestrictionRate; got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
				t.Errorf("WithDefaults: restriction rate %g, want %g", got, tc.want)
			}
			cfg := Config{Seed: 2, Duration: time.Minute, RestrictionRate: tc.rate}
			_, err := Generate(cfg)
			switch {
			case tc.bad == "" && err != nil:
				t.Errorf("Generate: %v", err)
			case tc.bad != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.bad)):
				t.Errorf("Generate: %v, want an ErrConfig saying %q", err, tc.bad)
			}
		})
	}
}

package restriction

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// valid returns a restriction with every field set.
func valid() Restriction {
	return Restriction{
		ID:         "smm-ror-2026-11-21-007",
		Time:       time.Date(2026, 11, 21, 9, 40, 12, 345678901, time.UTC),
		Position:   geo.LonLat{Lon: 37.8123, Lat: 48.0456},
		Checkpoint: "Checkpoint 4 (road to Novyi Svit)",
		Party:      "B",
		Delay:      95 * time.Minute,
		Reason:     "The commander's permission was needed.",
		PatrolSize: 6,
		Notes:      "Held at the barrier, then let through.",
		Label:      label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}},
	}
}

func TestRoundTrip(t *testing.T) {
	denied := valid()
	denied.Denied, denied.Delay, denied.Party, denied.Checkpoint, denied.Reason, denied.Notes = true, 0, "", "", "", ""
	denied.Label = label.PublicLabel()
	tests := []struct {
		name string
		r    Restriction
	}{
		{"delayed, every field", valid()},
		{"denied, only what is required", denied},
		{"denied after a delay", func() Restriction { r := valid(); r.Denied = true; return r }()},
		{"a nanosecond's delay", func() Restriction { r := valid(); r.Delay = time.Nanosecond; return r }()},
		{"the longest delay, to the nanosecond", func() Restriction { r := valid(); r.Delay = MaxDelay - time.Nanosecond; return r }()},
		{"the edges of the world", func() Restriction { r := valid(); r.Position = geo.LonLat{Lon: -180, Lat: 90}; return r }()},
		{"text that JSON escapes", func() Restriction { r := valid(); r.Notes = "\"quoted\"\n<b>&\u2028é"; return r }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(b, label.Scheme{})
			if err != nil {
				t.Fatalf("parse own output %s: %v", b, err)
			}
			if !reflect.DeepEqual(back, tc.r) {
				t.Errorf("round trip changed the restriction:\n got %+v\nwant %+v", back, tc.r)
			}
			b2, err := Marshal(back)
			if err != nil || string(b2) != string(b) {
				t.Errorf("canonical bytes differ after a round trip (%v):\n%s\n%s", err, b, b2)
			}
			if d, err := Decode(b); err != nil || !reflect.DeepEqual(d, tc.r) {
				t.Errorf("Decode = %+v, %v; want %+v", d, err, tc.r)
			}
		})
	}
}

// TestMarshalCanonical checks what the canonical bytes look like: members
// in order, the time in UTC, the nations sorted, no space.
func TestMarshalCanonical(t *testing.T) {
	r := valid()
	r.Time = time.Date(2026, 11, 21, 11, 40, 0, 0, time.FixedZone("EET", 2*3600))
	r.Label.RelTo = []string{"GBR", "FRA"}
	r.Checkpoint, r.Reason, r.Notes = "", "", ""
	b, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"Feature","id":"smm-ror-2026-11-21-007","geometry":{"type":"Point","coordinates":[37.8123,48.0456]},` +
		`"properties":{"time":"2026-11-21T09:40:00Z","party":"B","outcome":"delayed","delay_s":5700,"patrol_size":6,` +
		`"releasability":{"classification":"RESTRICTED","rel_to":["FRA","GBR"]}}}`
	if string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
	if !slices.Equal(r.Label.RelTo, []string{"GBR", "FRA"}) {
		t.Errorf("Marshal changed its argument's nations: %v", r.Label.RelTo)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *Restriction)
		field  string // "" means valid
	}{
		{"valid", func(r *Restriction) {}, ""},
		{"empty id", func(r *Restriction) { r.ID = "" }, "id"},
		{"long id", func(r *Restriction) { r.ID = strings.Repeat("x", MaxIDLen+1) }, "id"},
		{"control character in id", func(r *Restriction) { r.ID = "a\tb" }, "id"},
		{"no time", func(r *Restriction) { r.Time = time.Time{} }, "properties.time"},
		{"before 1990", func(r *Restriction) { r.Time = time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC) }, "properties.time"},
		{"after 2199", func(r *Restriction) { r.Time = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }, "properties.time"},
		{"longitude", func(r *Restriction) { r.Position.Lon = 180.5 }, "geometry.coordinates"},
		{"latitude", func(r *Restriction) { r.Position.Lat = -90.1 }, "geometry.coordinates"},
		{"long checkpoint", func(r *Restriction) { r.Checkpoint = strings.Repeat("c", MaxCheckpointLen+1) }, "properties.checkpoint"},
		{"newline in checkpoint", func(r *Restriction) { r.Checkpoint = "a\nb" }, "properties.checkpoint"},
		{"party in lower case", func(r *Restriction) { r.Party = "b" }, "properties.party"},
		{"party too long", func(r *Restriction) { r.Party = "ABCDEFGHI" }, "properties.party"},
		{"party none", func(r *Restriction) { r.Party = "none" }, "properties.party"},
		{"unknown party", func(r *Restriction) { r.Party = "" }, ""},
		{"delayed without a delay", func(r *Restriction) { r.Delay = 0 }, "properties.delay_s"},
		{"denied without a delay", func(r *Restriction) { r.Denied, r.Delay = true, 0 }, ""},
		{"denied after a delay", func(r *Restriction) { r.Denied = true }, ""},
		{"negative delay", func(r *Restriction) { r.Denied, r.Delay = true, -time.Second }, "properties.delay_s"},
		{"delay too long", func(r *Restriction) { r.Delay = MaxDelay + time.Nanosecond }, "properties.delay_s"},
		{"empty patrol", func(r *Restriction) { r.PatrolSize = 0 }, "properties.patrol_size"},
		{"patrol too large", func(r *Restriction) { r.PatrolSize = MaxPatrolSize + 1 }, "properties.patrol_size"},
		{"long reason", func(r *Restriction) { r.Reason = strings.Repeat("r", MaxTextLen+1) }, "properties.reason"},
		{"invalid UTF-8 in notes", func(r *Restriction) { r.Notes = "\xff" }, "properties.notes"},
		{"public with nations", func(r *Restriction) { r.Label = label.Label{Classification: label.Public, RelTo: []string{"FRA"}} }, "properties.releasability.rel_to"},
		{"restricted to no nation", func(r *Restriction) { r.Label.RelTo = nil }, "properties.releasability.rel_to"},
		{"bad nation", func(r *Restriction) { r.Label.RelTo = []string{"fr"} }, "properties.releasability.rel_to[0]"},
		{"unknown classification", func(r *Restriction) { r.Label.Classification = "TOP" }, "properties.releasability.classification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mutate(&r)
			err := Check(r, label.Scheme{})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Field == tc.field && p.Reason != "" {
					return
				}
			}
			t.Errorf("want a problem with %s, got %v", tc.field, err)
		})
	}
}

// TestCheckScheme checks labels against the scheme given, not the default.
func TestCheckScheme(t *testing.T) {
	scheme := label.Scheme{Levels: []label.Classification{"OFFICIAL", "SECRET"}}
	r := valid()
	r.Label = label.Label{Classification: "OFFICIAL", RelTo: []string{"GBR"}}
	if err := Check(r, scheme); err != nil {
		t.Errorf("OFFICIAL under a scheme that has it: %v", err)
	}
	if err := Check(r, label.Scheme{}); err == nil {
		t.Error("OFFICIAL under the default scheme was accepted")
	}
	r.Label = label.PublicLabel()
	if err := Check(r, scheme); err == nil {
		t.Error("PUBLIC under a scheme without it was accepted")
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Marshal(valid())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) string {
		if !strings.Contains(string(good), old) {
			t.Fatalf("%s is not in %s", old, good)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	tests := []struct {
		name, body string
		fields     []string // every one must be named
	}{
		{"not JSON", `{"type":`, []string{"type"}},
		{"two values", string(good) + " {}", []string{""}},
		{"not a feature", replace(`"type":"Feature"`, `"type":"Thing"`), []string{"type"}},
		{"numeric id", replace(`"id":"smm-ror-2026-11-21-007"`, `"id":7`), []string{"id"}},
		{"no id", replace(`"id":"smm-ror-2026-11-21-007",`, ``), []string{"id"}},
		{"no geometry", replace(`"geometry":{"type":"Point","coordinates":[37.8123,48.0456]},`, ``), []string{"geometry"}},
		{"not a point", replace(`"type":"Point"`, `"type":"LineString"`), []string{"geometry.type"}},
		{"altitude", replace(`[37.8123,48.0456]`, `[37.8123,48.0456,120]`), []string{"geometry.coordinates"}},
		{"out of the world", replace(`[37.8123,48.0456]`, `[190,48.0456]`), []string{"geometry.coordinates"}},
		{"no properties", `{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[1,2]}}`, []string{"properties"}},
		{"unknown member", replace(`"outcome":`, `"colour":1,"outcome":`), []string{"properties.colour"}},
		{"duplicate member", replace(`"outcome":"delayed"`, `"outcome":"delayed","outcome":"denied"`), []string{"properties.outcome"}},
		{"bad time", replace(`2026-11-21T09:40:12.345678901Z`, `21/11/2026 09:40`), []string{"properties.time"}},
		{"no time", replace(`"time":"2026-11-21T09:40:12.345678901Z",`, ``), []string{"properties.time"}},
		{"unknown outcome", replace(`"outcome":"delayed"`, `"outcome":"turned back"`), []string{"properties.outcome"}},
		{"no outcome", replace(`"outcome":"delayed",`, ``), []string{"properties.outcome"}},
		{"delayed without delay_s", replace(`"delay_s":5700,`, ``), []string{"properties.delay_s"}},
		{"delayed for no time", replace(`"delay_s":5700`, `"delay_s":0`), []string{"properties.delay_s"}},
		{"delay beyond a week", replace(`"delay_s":5700`, `"delay_s":1e300`), []string{"properties.delay_s"}},
		{"negative delay", replace(`"delay_s":5700`, `"delay_s":-1`), []string{"properties.delay_s"}},
		{"delay as text", replace(`"delay_s":5700`, `"delay_s":"95 min"`), []string{"properties.delay_s"}},
		{"no patrol size", replace(`"patrol_size":6,`, ``), []string{"properties.patrol_size"}},
		{"empty patrol", replace(`"patrol_size":6`, `"patrol_size":0`), []string{"properties.patrol_size"}},
		{"fraction of a monitor", replace(`"patrol_size":6`, `"patrol_size":1.5`), []string{"properties.patrol_size"}},
		{"party in lower case", replace(`"party":"B"`, `"party":"b"`), []string{"properties.party"}},
		{"no releasability", replace(`,"releasability":{"classification":"RESTRICTED","rel_to":["FRA","GBR"]}`, ``), []string{"properties.releasability"}},
		{"bad nation", replace(`["FRA","GBR"]`, `["FRA","gb"]`), []string{"properties.releasability.rel_to[1]"}},
		{"invalid UTF-8", replace(`"notes":"Held`, "\"notes\":\"\xffHeld"), []string{"properties.notes"}},
		{"every problem at once",
			`{"type":"Feature","id":"","geometry":{"type":"Point","coordinates":[200,100]},"properties":{"time":"1980-01-01T00:00:00Z","party":"b","outcome":"delayed","delay_s":0,"patrol_size":0,"releasability":{"classification":"SECRET"}}}`,
			[]string{"id", "geometry.coordinates", "properties.time", "properties.party", "properties.delay_s", "properties.patrol_size", "properties.releasability.rel_to"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.body), label.Scheme{})
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, field := range tc.fields {
				if !slices.ContainsFunc(ps, func(p observe.FieldError) bool { return p.Field == field && p.Reason != "" }) {
					t.Errorf("want a problem with %q, got %v", field, err)
				}
			}
		})
	}
}

func TestParseKeepsTheID(t *testing.T) {
	b, err := Marshal(valid())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse([]byte(strings.Replace(string(b), `"patrol_size":6`, `"patrol_size":0`, 1)), label.Scheme{})
	if err == nil || r.ID != valid().ID {
		t.Errorf("Parse of a bad restriction = id %q, %v; want its id and an error", r.ID, err)
	}
}

func TestProblemsError(t *testing.T) {
	var ps Problems
	if ps.Error() != "no problems" {
		t.Errorf("no problems: %q", ps.Error())
	}
	ps.Add("id", "required")
	if ps.Error() != "id: required" {
		t.Errorf("one problem: %q", ps.Error())
	}
	ps.Add("properties.party", "not a code")
	if want := "2 problems:\n\tid: required\n\tproperties.party: not a code"; ps.Error() != want {
		t.Errorf("two problems: %q, want %q", ps.Error(), want)
	}
}

func TestCount(t *testing.T) {
	at := func(party string, denied bool, delay time.Duration) Restriction {
		r := valid()
		r.Party, r.Denied, r.Delay = party, denied, delay
		return r
	}
	tests := []struct {
		name string
		rs   []Restriction
		want []PartyCount
	}{
		{"none", nil, nil},
		{"one denied", []Restriction{at("A", true, 0)}, []PartyCount{{Party: "A", Denied: 1, Total: 1}}},
		{"one delayed", []Restriction{at("A", false, time.Hour)}, []PartyCount{{Party: "A", Delayed: 1, Total: 1, TotalDelay: time.Hour}}},
		{"parties sorted, unknown first", []Restriction{
			at("B", false, 30*time.Minute), at("A", true, 0), at("", true, 0), at("B", true, 2*time.Hour),
			at("A", false, 10*time.Minute), at("B", false, 15*time.Minute), at("", false, time.Minute),
		}, []PartyCount{
			{Party: "", Denied: 1, Delayed: 1, Total: 2, TotalDelay: time.Minute},
			{Party: "A", Denied: 1, Delayed: 1, Total: 2, TotalDelay: 10 * time.Minute},
			{Party: "B", Denied: 1, Delayed: 2, Total: 3, TotalDelay: 2*time.Hour + 45*time.Minute},
		}},
		{"codes sort as bytes", []Restriction{at("B", true, 0), at("AB", true, 0), at("A1", true, 0), at("A", true, 0)},
			[]PartyCount{{Party: "A", Denied: 1, Total: 1}, {Party: "A1", Denied: 1, Total: 1}, {Party: "AB", Denied: 1, Total: 1}, {Party: "B", Denied: 1, Total: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Count(tc.rs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Count =\n%+v\nwant\n%+v", got, tc.want)
			}
			for _, c := range got {
				if c.Total != c.Denied+c.Delayed {
					t.Errorf("%+v: total is not denied plus delayed", c)
				}
			}
		})
	}
}

package terms

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFile(t testing.TB, name string) Terms {
	t.Helper()
	terms, err := Parse(readFile(t, name), name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return terms
}

func TestParseExample(t *testing.T) {
	terms := parseFile(t, "example.yaml")
	if terms.ID != "illustrative-ukraine" || !terms.Illustrative {
		t.Errorf("ID = %q, Illustrative = %v", terms.ID, terms.Illustrative)
	}
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); !terms.EffectiveFrom.Equal(want) {
		t.Errorf("EffectiveFrom = %v, want %v", terms.EffectiveFrom, want)
	}
	if !reflect.DeepEqual(terms.WeaponClasses, DefaultWeaponClasses()) {
		t.Errorf("WeaponClasses = %+v, want the Minsk II values", terms.WeaponClasses)
	}
	lines, err := terms.ContactLine.Lines()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || len(lines[0]) < 40 || len(lines[0]) > 200 {
		t.Fatalf("contact line has %d lines, first of %d points; want 1 of 40 to 200", len(lines), len(lines[0]))
	}
	l, err := geo.NewPolyline(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if km := l.Length() / 1000; km < 1000 || km > 1200 {
		t.Errorf("contact line is %.0f km, want about 1,100", km)
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		file string
		want []WeaponClass
	}{
		{"minimal.yaml", DefaultWeaponClasses()},
		{"multi.json", []WeaponClass{}}, // given as an empty list: no withdrawal lines
	}
	for _, tt := range tests {
		terms := parseFile(t, tt.file)
		if !reflect.DeepEqual(terms.WeaponClasses, tt.want) {
			t.Errorf("%s: WeaponClasses = %+v, want %+v", tt.file, terms.WeaponClasses, tt.want)
		}
	}
}

func ll(lon, lat float64) geo.LonLat { return geo.LonLat{Lon: lon, Lat: lat} }

func TestLines(t *testing.T) {
	tests := []struct {
		name string
		g    Geometry
		want [][]geo.LonLat
	}{
		{"LineString", Geometry{Type: LineString, Coordinates: [][]float64{{30, 48}, {31, 49}}}, [][]geo.LonLat{{ll(30, 48), ll(31, 49)}}},
		{"altitude ignored", Geometry{Type: LineString, Coordinates: [][]float64{{30, 48, 120}, {31, 49}}}, [][]geo.LonLat{{ll(30, 48), ll(31, 49)}}},
		{"MultiLineString", Geometry{Type: MultiLineString, Coordinates: [][][2]float64{{{30, 48}, {31, 49}}, {{32, 48}, {33, 47}}}}, [][]geo.LonLat{{ll(30, 48), ll(31, 49)}, {ll(32, 48), ll(33, 47)}}},
		{"decoded JSON", Geometry{Type: LineString, Coordinates: []any{[]any{30.0, 48.0}, []any{31.0, 49.0}}}, [][]geo.LonLat{{ll(30, 48), ll(31, 49)}}},
	}
	for _, tt := range tests {
		got, err := tt.g.Lines()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Lines = %v, want %v", tt.name, got, tt.want)
		}
	}
	bad := []Geometry{
		{Type: LineString},
		{Type: "Point", Coordinates: []float64{30, 48}},
		{Type: LineString, Coordinates: []float64{30, 48}},
		{Type: MultiLineString, Coordinates: [][]float64{{30, 48}, {31, 49}}},
		{Type: LineString, Coordinates: []any{[]any{"30", 48.0}}},
	}
	for _, g := range bad {
		if _, err := g.Lines(); err == nil {
			t.Errorf("Lines(%+v): no error", g)
		}
	}
}

// TestRoundTrip checks that terms survive JSON encoding, as the store keeps them.
func TestRoundTrip(t *testing.T) {
	for _, file := range []string{"example.yaml", "multi.json"} {
		terms := parseFile(t, file)
		data, err := json.Marshal(terms)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(data, file+" as JSON")
		if err != nil {
			t.Fatalf("%s: reparse: %v", file, err)
		}
		l1, _ := terms.ContactLine.Lines()
		l2, _ := again.ContactLine.Lines()
		if !reflect.DeepEqual(l1, l2) || !reflect.DeepEqual(terms.WeaponClasses, again.WeaponClasses) || !again.EffectiveFrom.Equal(terms.EffectiveFrom) {
			t.Errorf("%s: terms changed in a JSON round trip", file)
		}
	}
}

// TestBroken checks that each broken file is refused with exactly one
// problem, naming the field and saying what is wrong.
func TestBroken(t *testing.T) {
	tests := []struct {
		file   string
		field  string
		reason string
	}{
		{"broken_longitude.yaml", "contact_line.coordinates[2]", "longitude 190 is outside WGS84 (-180 to 180)"},
		{"broken_latitude.yaml", "contact_line.coordinates[1]", "latitude 95 is outside WGS84 (-90 to 90)"},
		{"broken_multi_longitude.json", "contact_line.coordinates[1][0]", "longitude -181 is outside WGS84 (-180 to 180)"},
		{"broken_self_intersecting.yaml", "contact_line", "segments 0 and 2 cross (self-intersecting)"},
		{"broken_multi_crossing.json", "contact_line", "coordinates[0] segment 1 and coordinates[1] segment 0 cross (self-intersecting)"},
		{"broken_repeated_point.yaml", "contact_line.coordinates[2]", "is the same place as the point before it"},
		{"broken_position.yaml", "contact_line.coordinates[1]", "want a position [longitude, latitude], got [30.5]"},
		{"broken_too_few_points.yaml", "contact_line.coordinates", "a line needs at least 2 points, got 1"},
		{"broken_geometry_type.yaml", "contact_line.type", `unknown geometry type "Polygon" (want LineString or MultiLineString)`},
		{"broken_withdrawal.yaml", "weapon_classes[1].withdrawal_m", "must be positive, got -5"},
		{"broken_duplicate_weapon_class.yaml", "weapon_classes[1].code", `duplicate weapon class code "mlrs"`},
		{"broken_weapon_class_code.yaml", "weapon_classes[0].code", `must be lower-case letters, digits and underscores, got "Heavy-MLRS"`},
		{"broken_missing_party.yaml", "parties", "missing party: no party on the right side"},
		{"broken_two_parties_one_side.yaml", "parties", "parties A, C are all on the left side"},
		{"broken_duplicate_party.yaml", "parties[1].code", `duplicate party code "A"`},
		{"broken_party_code.yaml", "parties[1].code", `must be 1 to 8 capital letters or digits, got "bee"`},
		{"broken_side.yaml", "parties[1].side", `must be left or right, got "east"`},
		{"broken_buffer.yaml", "buffer_zone.half_width_m", "must be positive, got 0"},
		{"broken_buffer_type.yaml", "buffer_zone.half_width_m", "want a number, got string"},
		{"broken_effective_from.yaml", "effective_from", "required: an RFC 3339 time such as 2026-11-21T00:00:00Z"},
		{"broken_time.yaml", "effective_from", `want an RFC 3339 time such as 2026-11-21T00:00:00Z, got "1 December 2026"`},
		{"broken_id.yaml", "id", "required"},
		{"broken_duplicate_clause.yaml", "clauses[1].id", `duplicate clause id "1"`},
		{"broken_unknown_weapon_class.yaml", "clauses[0].zones[0]", `unknown weapon class "drones" (the terms define artillery_100mm, mlrs, heavy_mlrs)`},
		{"broken_unknown_zone.yaml", "clauses[0].zones[0]", `unknown zone "exclusion_zone" (want buffer_zone or withdrawal:<weapon class>)`},
		{"broken_unknown_field.yaml", "parties[1].colour", "unknown field"},
		{"broken_unknown_violation.yaml", "clauses[0].forbids[1]", `unknown violation type "shouting"`},
		{"broken_rule_severity.yaml", "rules[0].severity", `must be one of minor, serious, major, got "catastrophic"`},
		{"broken_rule_clause.yaml", "rules[0].clause", `no clause has the id "9"`},
		{"broken_duplicate_key.yaml", "", `key "buffer_zone" already set`},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		_, err := Parse(readFile(t, tt.file), tt.file)
		if err == nil {
			t.Errorf("%s: accepted", tt.file)
			continue
		}
		want := Problem{Field: tt.field, Reason: tt.reason}.Error()
		if msg := err.Error(); !strings.HasPrefix(msg, tt.file+": ") || !strings.Contains(msg, want) {
			t.Errorf("%s: error %q, want it to start with the file name and contain %q", tt.file, msg, want)
		}
		var ps Problems
		if !errors.As(err, &ps) {
			t.Errorf("%s: error %T does not wrap Problems", tt.file, err)
			continue
		}
		if len(ps) != 1 || ps[0].Field != tt.field {
			t.Errorf("%s: problems %q, want one, for field %q", tt.file, ps, tt.field)
		}
	}
	files, err := filepath.Glob("testdata/broken_*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s is not in the table", f)
		}
	}
}

// TestValidateEveryProblem checks that Validate reports every problem at once.
func TestValidateEveryProblem(t *testing.T) {
	terms := Terms{
		Parties: []Party{{Code: "A", Side: "up"}, {Code: "A", Side: Left}},
		ContactLine: Geometry{Type: LineString, Coordinates: [][]float64{
			{30, 48}, {200, 48}, {31, -91}, {32, 48},
		}},
		WeaponClasses: []WeaponClass{{Code: "x", WithdrawalM: -5}, {Code: "x", WithdrawalM: 1}},
		Clauses:       []Clause{{ID: "1", Zones: []string{"withdrawal:y"}}, {ID: "1"}, {}},
	}
	err := terms.Validate()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate = %v, want Problems", err)
	}
	want := []string{
		"id", "effective_from", "parties[0].side", "parties[1].code",
		"contact_line.coordinates[1]", "contact_line.coordinates[2]",
		"buffer_zone.half_width_m", "weapon_classes[0].withdrawal_m", "weapon_classes[1].code",
		"clauses[0].zones[0]", "clauses[1].id", "clauses[2].id",
	}
	var got []string
	for _, p := range ps {
		if len(got) == 0 || got[len(got)-1] != p.Field {
			got = append(got, p.Field)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields with problems:\n got %q\nwant %q\n%v", got, want, err)
	}
}

func TestValidateValid(t *testing.T) {
	for _, file := range []string{"example.yaml", "minimal.yaml", "multi.json"} {
		if err := parseFile(t, file).Validate(); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestProblemsError(t *testing.T) {
	tests := []struct {
		ps   Problems
		want string
	}{
		{Problems{{Field: "id", Reason: "required"}}, "id: required"},
		{Problems{{Reason: "yaml: bad"}}, "yaml: bad"},
		{Problems{{Field: "id", Reason: "required"}, {Field: "parties", Reason: "missing party"}}, "2 problems:\n\tid: required\n\tparties: missing party"},
	}
	for _, tt := range tests {
		if got := tt.ps.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

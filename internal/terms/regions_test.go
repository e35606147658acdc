package terms

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// regionTerms are valid terms with a short contact line along latitude 48
// from 30° to 32° east and the regions given.
func regionTerms(regions ...Region) Terms {
	return Terms{
		ID: "regions", Version: "1", EffectiveFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Parties:       []Party{{Code: "A", Name: "Party A", Side: Left}, {Code: "B", Name: "Party B", Side: Right}},
		ContactLine:   Geometry{Type: LineString, Coordinates: [][]float64{{30, 48}, {31, 48.1}, {32, 48}}},
		BufferZone:    BufferZone{HalfWidthM: 1000},
		WeaponClasses: DefaultWeaponClasses(),
		Regions:       regions,
	}
}

// polygon is a Polygon area of the rings given.
func polygon(rings ...[][]float64) Geometry {
	return Geometry{Type: Polygon, Coordinates: rings}
}

// box is the ring of the box from (w, s) to (e, n), closed as GeoJSON does.
func box(w, s, e, n float64) [][]float64 {
	return [][]float64{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}
}

func TestRegionsValid(t *testing.T) {
	tests := []struct {
		name    string
		regions []Region
	}{
		{"none", nil},
		{"one box", []Region{{Code: "W", Name: "West", Area: polygon(box(30, 47, 31, 49))}}},
		{"ring not closed", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {31, 47}, {31, 49}})}}},
		{"clockwise", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {30, 49}, {31, 49}, {31, 47}, {30, 47}})}}},
		{"with a hole", []Region{{Code: "W", Area: polygon(box(30, 47, 31, 49), box(30.2, 47.2, 30.8, 47.8))}}},
		{"MultiPolygon", []Region{{Code: "W", Area: Geometry{Type: MultiPolygon, Coordinates: [][][][]float64{{box(30, 47, 31, 49)}, {box(32, 47, 33, 49)}}}}}},
		{"decoded JSON", []Region{{Code: "W", Area: Geometry{Type: Polygon, Coordinates: []any{[]any{[]any{30.0, 47.0}, []any{31.0, 47.0}, []any{31.0, 49.0}}}}}}},
		{"two regions overlapping", []Region{{Code: "W", Area: polygon(box(30, 47, 31, 49))}, {Code: "X", Area: polygon(box(30.5, 47, 31.5, 49))}}},
	}
	for _, tt := range tests {
		tm := regionTerms(tt.regions...)
		if err := tm.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tt.name, err)
			continue
		}
		if _, err := Compile(tm); err != nil {
			t.Errorf("%s: valid terms do not compile: %v", tt.name, err)
		}
	}
}

// TestRegionsBroken checks that each bad region is refused with problems
// for its field only, the first naming the field and saying what is wrong.
func TestRegionsBroken(t *testing.T) {
	good := Region{Code: "W", Name: "West", Area: polygon(box(30, 47, 31, 49))}
	tests := []struct {
		name    string
		regions []Region
		field   string
		reason  string
	}{
		{"no code", []Region{{Code: " ", Area: good.Area}}, "regions[0].code", "required"},
		{"duplicate code", []Region{good, good}, "regions[1].code", `duplicate region code "W" (also regions[0])`},
		{"no type", []Region{{Code: "W", Area: Geometry{Coordinates: box(30, 47, 31, 49)}}}, "regions[0].area.type", "required: Polygon or MultiPolygon"},
		{"a line", []Region{{Code: "W", Area: Geometry{Type: LineString, Coordinates: [][]float64{{30, 47}, {31, 47}}}}}, "regions[0].area.type", `unknown geometry type "LineString" (want Polygon or MultiPolygon)`},
		{"no coordinates", []Region{{Code: "W", Area: Geometry{Type: Polygon}}}, "regions[0].area.coordinates", "required"},
		{"no ring", []Region{{Code: "W", Area: Geometry{Type: Polygon, Coordinates: [][][]float64{}}}}, "regions[0].area.coordinates", "a polygon needs at least one ring"},
		{"a ring not a list", []Region{{Code: "W", Area: Geometry{Type: Polygon, Coordinates: []any{"ring"}}}}, "regions[0].area.coordinates[0]", `want a list of [longitude, latitude], got "ring"`},
		{"rings not a list", []Region{{Code: "W", Area: Geometry{Type: MultiPolygon, Coordinates: []any{[]any{30.0}}}}}, "regions[0].area.coordinates[0][0]", "want a list of [longitude, latitude], got 30"},
		{"no polygon", []Region{{Code: "W", Area: Geometry{Type: MultiPolygon, Coordinates: [][][][]float64{}}}}, "regions[0].area.coordinates", "a MultiPolygon needs at least one polygon"},
		{"two points", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {31, 47}, {30, 47}})}}, "regions[0].area.coordinates[0]", "a ring needs at least 3 distinct points, got 2"},
		{"latitude", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {31, 47}, {31, 91}})}}, "regions[0].area.coordinates[0][2]", "latitude 91 is outside WGS84 (-90 to 90)"},
		{"longitude in a hole", []Region{{Code: "W", Area: polygon(box(30, 47, 31, 49), [][]float64{{30.2, 47.2}, {-181, 47.2}, {30.5, 47.5}})}}, "regions[0].area.coordinates[1][1]", "longitude -181 is outside WGS84 (-180 to 180)"},
		{"repeated point", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {31, 47}, {31, 47}, {31, 49}})}}, "regions[0].area.coordinates[0][2]", "is the same place as the point before it"},
		{"bow tie", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {31, 48}, {31, 47}, {30, 48}})}}, "regions[0].area", "coordinates[0] segment 0 and coordinates[0] segment 2 cross (self-intersecting)"},
		{"hole across the edge", []Region{{Code: "W", Area: polygon(box(30, 47, 31, 49), box(30.5, 48, 31.5, 48.5))}}, "regions[0].area", "coordinates[0] segment 1 and coordinates[1] segment 0 cross (self-intersecting)"},
		{"parts crossing", []Region{{Code: "W", Area: Geometry{Type: MultiPolygon, Coordinates: [][][][]float64{{box(30, 47, 31, 49)}, {box(30.5, 48, 31.5, 48.5)}}}}}, "regions[0].area", "coordinates[0][0] segment 1 and coordinates[1][0] segment 0 cross (self-intersecting)"},
		{"on one meridian", []Region{{Code: "W", Area: polygon([][]float64{{30, 47}, {30, 48}, {30, 49}})}}, "regions[0].area", "area ring 0 encloses no area"},
		{"second region bad", []Region{good, {Code: "X", Area: polygon([][]float64{{30, 47}})}}, "regions[1].area.coordinates[0]", "a ring needs at least 3 distinct points, got 1"},
	}
	for _, tt := range tests {
		err := regionTerms(tt.regions...).Validate()
		var ps Problems
		if !errors.As(err, &ps) {
			t.Errorf("%s: Validate = %v, want Problems", tt.name, err)
			continue
		}
		want := Problem{Field: tt.field, Reason: tt.reason}
		if ps[0] != want {
			t.Errorf("%s: first problem %q, want %q", tt.name, ps[0], want)
		}
		for _, p := range ps[1:] {
			if !strings.HasPrefix(p.Field, tt.field) {
				t.Errorf("%s: problem %q besides %q", tt.name, p, want)
			}
		}
	}
}

// TestParseRegions checks regions in a terms file, and that they survive
// the JSON round trip the store makes.
func TestParseRegions(t *testing.T) {
	const file = `
id: regions
version: "1"
effective_from: 2026-12-01T00:00:00Z
parties:
  - {code: A, name: Party A, side: left}
  - {code: B, name: Party B, side: right}
contact_line:
  type: LineString
  coordinates: [[30, 48], [31, 48.1], [32, 48]]
buffer_zone: {half_width_m: 1000}
regions:
  - code: W
    name: West sector
    area:
      type: Polygon
      coordinates:
        - [[30, 47], [31, 47], [31, 49], [30, 49], [30, 47]]
  - code: E
    name: East sector
    area:
      type: MultiPolygon
      coordinates:
        - [[[31, 47], [32, 47], [32, 49], [31, 49]]]
        - [[[33, 47], [34, 47], [34, 49], [33, 49]]]
`
	tm, err := Parse([]byte(file), "regions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(data, "regions.json")
	if err != nil {
		t.Fatalf("reparse: %v", err)
	}
	for _, tm := range []Terms{tm, again} {
		a, err := Compile(tm)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := a.Region(geo.LonLat{Lon: 33.5, Lat: 48}); !ok || r.Code != "E" || r.Name != "East sector" {
			t.Errorf("Region(33.5, 48) = %+v, %v; want E", r, ok)
		}
		polys, err := tm.Regions[1].Area.Polygons()
		if err != nil {
			t.Fatal(err)
		}
		if len(polys) != 2 || len(polys[1]) != 1 || len(polys[1][0]) != 4 {
			t.Errorf("Polygons of E = %v, want 2 polygons of one ring of 4 points", polys)
		}
	}
	bad := strings.Replace(file, "type: MultiPolygon", "type: multipolygon", 1)
	if _, err := Parse([]byte(bad), "bad.yaml"); err == nil || !strings.Contains(err.Error(), `regions[1].area.type: unknown geometry type "multipolygon"`) {
		t.Errorf("Parse of a bad area type: %v", err)
	}
}

func TestAgreementRegion(t *testing.T) {
	a, err := Compile(regionTerms(
		Region{Code: "W", Name: "West", Area: polygon(box(30, 47, 31, 49), box(30.2, 47.2, 30.4, 47.4))},
		Region{Code: "X", Name: "Overlapping", Area: polygon([][]float64{{30.5, 47}, {31.5, 47}, {31.5, 49}, {30.5, 49}})},
		Region{Code: "E", Name: "East", Area: Geometry{Type: MultiPolygon, Coordinates: [][][][]float64{{box(31.5, 47, 32, 49)}, {box(33, 47, 34, 49)}}}},
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p    geo.LonLat
		want string // "" for none
	}{
		{geo.LonLat{Lon: 30.1, Lat: 48}, "W"},
		{geo.LonLat{Lon: 30.3, Lat: 47.3}, ""}, // in W's hole
		{geo.LonLat{Lon: 30.7, Lat: 48}, "W"},  // in W and X: the first
		{geo.LonLat{Lon: 31.2, Lat: 48}, "X"},
		{geo.LonLat{Lon: 31.8, Lat: 48}, "E"},
		{geo.LonLat{Lon: 33.5, Lat: 48}, "E"},
		{geo.LonLat{Lon: 32.5, Lat: 48}, ""},
		{geo.LonLat{Lon: 30.5, Lat: 50}, ""},
		{geo.LonLat{Lon: 30.5, Lat: 95}, ""},
	}
	for _, tt := range tests {
		r, ok := a.Region(tt.p)
		if ok != (tt.want != "") || r.Code != tt.want {
			t.Errorf("Region(%v) = %q, %v; want %q", tt.p, r.Code, ok, tt.want)
		}
	}
	none, err := Compile(regionTerms())
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := none.Region(geo.LonLat{Lon: 30.5, Lat: 48}); ok || !reflect.DeepEqual(r, Region{}) {
		t.Errorf("Region without regions = %+v, %v", r, ok)
	}
}

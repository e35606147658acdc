package server

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/terms"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../terms/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTermsVersions(t *testing.T) {
	a := newAPI(t, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) } })
	if res := a.do("GET", "/api/v1/terms", "", nil); res.status != 404 {
		t.Fatalf("terms before any were loaded: %d", res.status)
	}
	example := readTestdata(t, "example.yaml")
	var v1 termsVersionJSON
	res := a.do("POST", "/api/v1/terms", "application/yaml", example)
	if res.status != 201 {
		t.Fatalf("POST terms: %d %s", res.status, res.body)
	}
	res.json(t, &v1)
	if !v1.InForce || v1.Terms.ID != "illustrative-ukraine" || len(v1.Terms.WeaponClasses) == 0 {
		t.Fatalf("loaded %+v", v1)
	}

	var again termsVersionJSON
	a.do("POST", "/api/v1/terms", "application/yaml", example).json(t, &again)
	if again.Seq != v1.Seq {
		t.Errorf("re-loading the same terms made version %d, want %d", again.Seq, v1.Seq)
	}

	// A second version, in force from a later date, is kept beside the first.
	v2body := bytes.Replace(example, []byte(`version: "1"`), []byte(`version: "2"`), 1)
	v2body = bytes.Replace(v2body, []byte("effective_from: 2026-12-01T00:00:00Z"), []byte("effective_from: 2026-12-10T00:00:00Z"), 1)
	var v2 termsVersionJSON
	a.do("POST", "/api/v1/terms", "application/yaml", v2body).json(t, &v2)
	if v2.Seq == v1.Seq || v2.InForce {
		t.Errorf("version 2 = %+v; want a new version, not yet in force", v2)
	}
	var current termsVersionJSON
	a.do("GET", "/api/v1/terms", "", nil).json(t, &current)
	if current.Terms.Version != "1" {
		t.Errorf("in force now: version %s, want 1", current.Terms.Version)
	}
	var later termsVersionJSON
	a.do("GET", "/api/v1/terms?at=2026-12-11T00:00:00Z", "", nil).json(t, &later)
	if later.Terms.Version != "2" {
		t.Errorf("in force on 11 December: version %s, want 2", later.Terms.Version)
	}
	var all []termsVersionJSON
	a.do("GET", "/api/v1/terms/versions", "", nil).json(t, &all)
	if len(all) != 2 || !all[0].InForce || all[1].InForce {
		t.Errorf("versions = %+v", all)
	}
	if res := a.do("GET", "/api/v1/terms?at=soon", "", nil); res.status != 400 {
		t.Errorf("?at=soon: %d, want 400", res.status)
	}
}

func TestTermsRefused(t *testing.T) {
	a := newAPI(t)
	tests := []struct{ file, field string }{
		{"broken_self_intersecting.yaml", "contact_line"},
		{"broken_missing_party.yaml", "parties"},
		{"broken_withdrawal.yaml", "weapon_classes[1].withdrawal_m"},
	}
	for _, tc := range tests {
		res := a.do("POST", "/api/v1/terms", "application/yaml", readTestdata(t, tc.file))
		var e errorBody
		res.json(t, &e)
		if res.status != 422 || !strings.Contains(e.Error, tc.field) {
			t.Errorf("%s: %d %q; want 422 naming %s", tc.file, res.status, e.Error, tc.field)
		}
	}
	if res := a.do("POST", "/api/v1/terms", "application/yaml", []byte("id: [")); res.status != 422 {
		t.Errorf("malformed YAML: %d, want 422", res.status)
	}
	// A rule of the agreement's own that does not compile.
	withRule := bytes.Replace(readTestdata(t, "example.yaml"), []byte(`incident.weapon_class != "" &&`), []byte(`incident.weapon_class != "" &&&`), 1)
	res := a.do("POST", "/api/v1/terms", "application/yaml", withRule)
	var e errorBody
	res.json(t, &e)
	if res.status != 422 || !strings.Contains(e.Error, "rule heavy_fire_at_night") || !strings.Contains(e.Error, "Syntax error") {
		t.Errorf("a rule that does not compile: %d %q; want 422 naming the rule and the CEL error", res.status, e.Error)
	}
	if _, err := a.srv.LoadTerms(t.Context(), mustParse(t, withRule)); err == nil {
		t.Error("LoadTerms took a rule that does not compile")
	}
	var all []termsVersionJSON
	a.do("GET", "/api/v1/terms/versions", "", nil).json(t, &all)
	if len(all) != 0 {
		t.Errorf("refused terms were stored: %+v", all)
	}
}

func mustParse(t *testing.T, b []byte) terms.Terms {
	t.Helper()
	tm, err := terms.Parse(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestWeaponClassesFromTerms checks that ingest knows the weapon classes of
// the terms in force.
func TestWeaponClassesFromTerms(t *testing.T) {
	a := newAPI(t, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) } })
	if res := a.do("POST", "/api/v1/terms", "application/yaml", readTestdata(t, "example.yaml")); res.status != 201 {
		t.Fatalf("load terms: %d %s", res.status, res.body)
	}
	// The example terms take effect on 1 December; storetest.Obs times
	// are offsets from 21 November.
	inForce, before := 10*24*time.Hour+time.Hour, time.Duration(0)
	img := func(id, class string, at time.Duration) observe.Observation {
		o := storetest.Obs(id, 37.5, 48, at)
		o.Kind, o.Acoustic = observe.KindImagery, nil
		o.Source = observe.Source{ID: "sat", Type: observe.SourceImagery, Grading: "B1"}
		o.Imagery = &observe.Imagery{EquipmentType: "BM-21 Grad", WeaponClass: class, Count: 2}
		return o
	}
	r, status := ingest(t, a, "application/x-ndjson", ndjson(t,
		img("known", "mlrs", inForce), img("unknown", "trebuchet", inForce), img("before the terms", "trebuchet", before)))
	if status != 200 || r.Accepted != 2 || r.Rejected != 1 || r.Errors[0].ID != "unknown" || r.Errors[0].Field != "properties.imagery.weapon_class" {
		t.Errorf("%d %+v; want the unknown class refused while the terms are in force, and accepted before", status, r)
	}
}

func TestLocate(t *testing.T) {
	a := newAPI(t, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) } })
	if res := a.do("GET", "/api/v1/terms/locate?lon=35&lat=47", "", nil); res.status != 404 {
		t.Errorf("locate without terms: %d, want 404", res.status)
	}
	example := readTestdata(t, "example.yaml")
	if res := a.do("POST", "/api/v1/terms", "application/yaml", example); res.status != 201 {
		t.Fatalf("load terms: %d %s", res.status, res.body)
	}
	parsed, err := terms.Parse(example, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := parsed.ContactLine.Lines()
	p0, p1 := lines[0][10], lines[0][11]
	mid := geo.Direct(p0, geo.Azimuth(p0, p1), geo.Distance(p0, p1)/2)
	along := geo.Azimuth(mid, p1)
	var left terms.Party
	for _, p := range parsed.Parties {
		if p.Side == terms.Left {
			left = p
		}
	}
	agreement, err := terms.Compile(parsed)
	if err != nil {
		t.Fatal(err)
	}
	// A point 1 km to the left of the middle of a segment: the answer is
	// known from the geometry. Further away the line's bends decide, so
	// the answer must be what the terms package says.
	near := geo.Direct(mid, along-90, 1000)
	far := geo.Direct(mid, along+90, 20_000)
	tests := []struct {
		name string
		p    geo.LonLat
		want terms.Location
	}{
		{"1 km to the left", near, terms.Location{Party: left.Code, Side: terms.Left, SignedDistanceM: 1000,
			Zones: []string{"buffer_zone", "withdrawal:artillery_100mm", "withdrawal:mlrs", "withdrawal:heavy_mlrs"}}},
		{"20 km to the right", far, agreement.Locate(far)},
	}
	for _, tc := range tests {
		var loc LocationJSON
		res := a.do("GET", fmt.Sprintf("/api/v1/terms/locate?lon=%.9f&lat=%.9f", tc.p.Lon, tc.p.Lat), "", nil)
		res.json(t, &loc)
		if res.status != 200 || loc.Party != tc.want.Party || loc.Side != tc.want.Side ||
			math.Abs(loc.SignedDistanceM-tc.want.SignedDistanceM) > 0.5 || !slices.Equal(loc.Zones, tc.want.Zones) {
			t.Errorf("%s: %d %+v; want %+v", tc.name, res.status, loc, tc.want)
		}
	}
	for _, q := range []string{"lon=200&lat=47", "lat=47", "lon=35&lat=x", "lon=35&lat=47&at=later", "lon=NaN&lat=48", "lon=35&lat=47&colour=red"} {
		if res := a.do("GET", "/api/v1/terms/locate?"+q, "", nil); res.status != 400 {
			t.Errorf("?%s: %d, want 400", q, res.status)
		}
	}
}

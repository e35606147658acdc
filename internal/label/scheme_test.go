package label

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// natoLevels are the levels of a scheme without UNCLASSIFIED and with TOP SECRET.
var natoLevels = []Classification{"PUBLIC", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"}

func TestDefaultScheme(t *testing.T) {
	s := DefaultScheme()
	if !slices.Equal(s.Levels, Classifications) || s.Public != Public {
		t.Fatalf("DefaultScheme = %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("DefaultScheme is invalid: %v", err)
	}
	s.Levels[0] = "CHANGED"
	if Classifications[0] != Public || DefaultScheme().Levels[0] != Public {
		t.Errorf("DefaultScheme shares its slice")
	}
}

func TestParseScheme(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    Scheme
		wantErr string // a substring of the error; "" for none
	}{
		{"yaml", "levels: [PUBLIC, RESTRICTED, CONFIDENTIAL, SECRET]\npublic: PUBLIC\n",
			Scheme{Levels: []Classification{"PUBLIC", "RESTRICTED", "CONFIDENTIAL", "SECRET"}, Public: "PUBLIC"}, ""},
		{"json", `{"levels": ["PUBLIC", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"], "public": "PUBLIC"}`,
			Scheme{Levels: natoLevels, Public: "PUBLIC"}, ""},
		{"no public level", "levels: [OFFICIAL, OFFICIAL_SENSITIVE, SECRET]\n",
			Scheme{Levels: []Classification{"OFFICIAL", "OFFICIAL_SENSITIVE", "SECRET"}}, ""},
		{"unknown field", "levels: [PUBLIC]\npublik: PUBLIC\n", Scheme{}, "unknown field"},
		{"duplicate key", "levels: [PUBLIC]\nlevels: [SECRET]\n", Scheme{}, "parse classification scheme"},
		{"not yaml", "levels: [PUBLIC\n", Scheme{}, "parse classification scheme"},
		{"wrong type", "levels: PUBLIC\n", Scheme{}, "parse classification scheme"},
		{"empty", "", Scheme{}, "levels: a scheme needs at least one"},
		{"invalid levels", "levels: [PUBLIC, secret]\n", Scheme{}, `levels[1]: "secret"`},
		{"public not first", "levels: [RESTRICTED, PUBLIC]\npublic: PUBLIC\n", Scheme{}, "public: the public level PUBLIC must be the first"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScheme([]byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Levels, tc.want.Levels) || got.Public != tc.want.Public {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		s      Scheme
		fields []string
	}{
		{"default", DefaultScheme(), nil},
		{"nato", Scheme{Levels: natoLevels, Public: "PUBLIC"}, nil},
		{"one level", Scheme{Levels: []Classification{"SECRET"}}, nil},
		{"one public level", Scheme{Levels: []Classification{"PUBLIC"}, Public: "PUBLIC"}, nil},
		{"underscore", Scheme{Levels: []Classification{"OFFICIAL", "OFFICIAL_SENSITIVE"}}, nil},
		{"no levels", Scheme{}, []string{"levels"}},
		{"no levels but public", Scheme{Public: "PUBLIC"}, []string{"levels"}},
		{"lower case", Scheme{Levels: []Classification{"PUBLIC", "Secret"}}, []string{"levels[1]"}},
		{"digit", Scheme{Levels: []Classification{"LEVEL1"}}, []string{"levels[0]"}},
		{"empty name", Scheme{Levels: []Classification{"PUBLIC", ""}}, []string{"levels[1]"}},
		{"leading space", Scheme{Levels: []Classification{" SECRET"}}, []string{"levels[0]"}},
		{"trailing space", Scheme{Levels: []Classification{"SECRET "}}, []string{"levels[0]"}},
		{"double space", Scheme{Levels: []Classification{"TOP  SECRET"}}, []string{"levels[0]"}},
		{"hyphen", Scheme{Levels: []Classification{"NON-PUBLIC"}}, []string{"levels[0]"}},
		{"duplicate", Scheme{Levels: []Classification{"PUBLIC", "SECRET", "SECRET"}}, []string{"levels[2]"}},
		{"public not first", Scheme{Levels: []Classification{"RESTRICTED", "PUBLIC"}, Public: "PUBLIC"}, []string{"public"}},
		{"public unknown", Scheme{Levels: []Classification{"RESTRICTED"}, Public: "PUBLIC"}, []string{"public"}},
		{"several", Scheme{Levels: []Classification{"a", "SECRET", "SECRET"}, Public: "PUBLIC"}, []string{"levels[0]", "levels[2]", "public"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			var got []string
			if err != nil {
				var ps Problems
				if !errors.As(err, &ps) {
					t.Fatalf("error %v does not wrap Problems", err)
				}
				for _, p := range ps {
					if p.Reason == "" {
						t.Errorf("problem on %s without a reason", p.Field)
					}
					got = append(got, p.Field)
				}
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("problems on %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestRankCoversCovered(t *testing.T) {
	s := Scheme{Levels: natoLevels, Public: "PUBLIC"}
	tests := []struct {
		clearance, c Classification
		covers       bool
	}{
		{"PUBLIC", "PUBLIC", true},
		{"PUBLIC", "RESTRICTED", false},
		{"SECRET", "RESTRICTED", true},
		{"SECRET", "SECRET", true},
		{"SECRET", "TOP SECRET", false},
		{"TOP SECRET", "PUBLIC", true},
		{"TOP SECRET", "UNCLASSIFIED", false}, // not a level of this scheme
		{"UNCLASSIFIED", "PUBLIC", false},     // nor is the clearance
		{"", "", false},
	}
	for _, tc := range tests {
		if got := s.Covers(tc.clearance, tc.c); got != tc.covers {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.clearance, tc.c, got, tc.covers)
		}
	}

	for i, c := range natoLevels {
		if r, ok := s.Rank(c); !ok || r != i {
			t.Errorf("Rank(%s) = %d, %v, want %d, true", c, r, ok, i)
		}
	}
	if r, ok := s.Rank("UNCLASSIFIED"); ok || r != -1 {
		t.Errorf("Rank(UNCLASSIFIED) = %d, %v, want -1, false", r, ok)
	}

	coveredTests := []struct {
		clearance Classification
		want      []Classification
	}{
		{"PUBLIC", []Classification{"PUBLIC"}},
		{"CONFIDENTIAL", []Classification{"PUBLIC", "RESTRICTED", "CONFIDENTIAL"}},
		{"TOP SECRET", natoLevels},
		{"UNCLASSIFIED", nil},
		{"", nil},
	}
	for _, tc := range coveredTests {
		got := s.Covered(tc.clearance)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Covered(%q) = %v, want %v", tc.clearance, got, tc.want)
		}
		if len(got) > 0 {
			got[0] = "CHANGED"
			if s.Levels[0] != "PUBLIC" {
				t.Fatalf("Covered shares the scheme's slice")
			}
		}
	}
}

func TestSchemeCheck(t *testing.T) {
	nato := Scheme{Levels: natoLevels, Public: "PUBLIC"}
	noPublic := Scheme{Levels: []Classification{"OFFICIAL", "SECRET"}}
	tests := []struct {
		name   string
		s      Scheme
		l      Label
		fields []string
	}{
		{"public", nato, PublicLabel(), nil},
		{"top secret", nato, Label{"TOP SECRET", []string{"GBR", "FRA"}}, nil},
		{"unclassified is not a level", nato, Label{Unclassified, []string{"FRA"}}, []string{"classification"}},
		{"public with nations", nato, Label{Public, []string{"FRA"}}, []string{"rel_to"}},
		{"secret without nations", nato, Label{Secret, nil}, []string{"rel_to"}},
		{"bad and repeated nations", nato, Label{Secret, []string{"fra", "GBR", "GBR"}}, []string{"rel_to[0]", "rel_to[2]"}},
		{"no public level: lowest needs nations", noPublic, Label{"OFFICIAL", nil}, []string{"rel_to"}},
		{"no public level: lowest with nations", noPublic, Label{"OFFICIAL", []string{"UKR"}}, nil},
		{"no public level: PUBLIC unknown", noPublic, PublicLabel(), []string{"classification"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range tc.s.Check(tc.l) {
				if p.Reason == "" {
					t.Errorf("problem on %s without a reason", p.Field)
				}
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("problems on %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestMostRestrictive(t *testing.T) {
	def := DefaultScheme()
	noPublic := Scheme{Levels: []Classification{"OFFICIAL", "SECRET"}}
	tests := []struct {
		name    string
		s       Scheme
		in      []Label
		want    Label
		wantErr bool
	}{
		{"one public", def, []Label{PublicLabel()}, PublicLabel(), false},
		{"all public", def, []Label{PublicLabel(), PublicLabel()}, PublicLabel(), false},
		{"one restricted is normalized", def, []Label{{Restricted, []string{"UKR", "FRA"}}}, Label{Restricted, []string{"FRA", "UKR"}}, false},
		{"public does not narrow", def,
			[]Label{PublicLabel(), {Restricted, []string{"GBR", "FRA"}}, PublicLabel()},
			Label{Restricted, []string{"FRA", "GBR"}}, false},
		{"highest classification, intersected nations", def,
			[]Label{{Restricted, []string{"GBR", "FRA", "UKR"}}, {Secret, []string{"UKR", "GBR"}}, {Unclassified, []string{"POL", "GBR", "UKR"}}},
			Label{Secret, []string{"GBR", "UKR"}}, false},
		{"order does not matter", def,
			[]Label{{Unclassified, []string{"POL", "GBR", "UKR"}}, {Secret, []string{"UKR", "GBR"}}, {Restricted, []string{"GBR", "FRA", "UKR"}}},
			Label{Secret, []string{"GBR", "UKR"}}, false},
		{"disjoint nations: visible to none", def,
			[]Label{{Confidential, []string{"FRA"}}, {Restricted, []string{"GBR"}}},
			Label{Confidential, nil}, false},
		{"no public level", noPublic,
			[]Label{{"OFFICIAL", []string{"FRA", "GBR"}}, {"OFFICIAL", []string{"GBR"}}},
			Label{"OFFICIAL", []string{"GBR"}}, false},
		{"no labels", def, nil, Label{}, true},
		{"invalid input", def, []Label{PublicLabel(), {Secret, nil}}, Label{}, true},
		{"unknown level", def, []Label{{"TOP SECRET", []string{"FRA"}}}, Label{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []Label
			for _, l := range tc.in {
				before = append(before, Label{l.Classification, slices.Clone(l.RelTo)})
			}
			got, err := MostRestrictive(tc.s, tc.in...)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Classification != tc.want.Classification || !slices.Equal(got.RelTo, tc.want.RelTo) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for i := range tc.in {
				if !slices.Equal(tc.in[i].RelTo, before[i].RelTo) {
					t.Errorf("MostRestrictive changed its input %d: %v", i, tc.in[i])
				}
			}
		})
	}
}

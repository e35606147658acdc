package label

import (
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		l      Label
		fields []string
	}{
		{"public", PublicLabel(), nil},
		{"restricted to two nations", Label{Restricted, []string{"GBR", "FRA"}}, nil},
		{"public with nations", Label{Public, []string{"FRA"}}, []string{"rel_to"}},
		{"secret without nations", Label{Secret, nil}, []string{"rel_to"}},
		{"unknown classification", Label{"TOP SECRET", []string{"FRA"}}, []string{"classification"}},
		{"lower-case nation", Label{Confidential, []string{"fra"}}, []string{"rel_to[0]"}},
		{"two-letter nation", Label{Confidential, []string{"GBR", "FR"}}, []string{"rel_to[1]"}},
		{"nation twice", Label{Unclassified, []string{"GBR", "GBR"}}, []string{"rel_to[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range DefaultScheme().Check(tc.l) {
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

func TestNormalizeAndString(t *testing.T) {
	l := Label{Restricted, []string{"UKR", "FRA", "GBR"}}
	n := l.Normalize()
	if got := n.String(); got != "RESTRICTED REL TO FRA, GBR, UKR" {
		t.Errorf("String = %q", got)
	}
	if l.RelTo[0] != "UKR" {
		t.Errorf("Normalize changed its receiver's slice")
	}
	if got := PublicLabel().String(); got != "PUBLIC" {
		t.Errorf("String = %q", got)
	}
	if n := (Label{Public, []string{}}).Normalize(); n.RelTo != nil {
		t.Errorf("an empty list must normalise to nil, so equal labels have equal bytes")
	}
}

package trigger

import (
	"reflect"
	"testing"

	"github.com/guarantor-project/guarantor/internal/label"
)

func TestVisible(t *testing.T) {
	scheme := label.Visibility{Nation: "FRA", Classifications: []label.Classification{label.Public, label.Unclassified, label.Restricted}, Public: label.Public}
	labels := map[string]label.Label{
		"pub":     label.PublicLabel(),
		"fra":     {Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}},
		"gbr":     {Classification: label.Restricted, RelTo: []string{"GBR"}},
		"secret":  {Classification: label.Secret, RelTo: []string{"FRA"}},
		"unclass": {Classification: label.Unclassified, RelTo: []string{"FRA"}},
	}
	tests := []struct {
		name     string
		findings []string
		vis      label.Visibility
		shown    []string
		hidden   int
	}{
		{"none", nil, scheme, []string{}, 0},
		{"in order, the others counted", []string{"secret", "fra", "gbr", "pub", "unclass"}, scheme, []string{"fra", "pub", "unclass"}, 2},
		{"a finding without a label is hidden", []string{"pub", "unlabelled"}, scheme, []string{"pub"}, 1},
		{"the public sees the public", []string{"pub", "fra"}, label.Visibility{Classifications: []label.Classification{label.Public}, Public: label.Public}, []string{"pub"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shown, hidden := Visible(tc.findings, labels, tc.vis)
			if !reflect.DeepEqual(shown, tc.shown) || hidden != tc.hidden {
				t.Errorf("Visible() = %q, %d; want %q, %d", shown, hidden, tc.shown, tc.hidden)
			}
		})
	}
}

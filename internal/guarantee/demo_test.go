package guarantee

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

func TestDemo(t *testing.T) {
	r := Demo()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Guarantors); n < 28 {
		t.Errorf("%d guarantors, want at least 28", n)
	}
	for _, g := range r.Guarantors {
		if g.Kind == Nation && !label.IsNationCode(g.Code) {
			t.Errorf("nation %s has code %q", g.Name, g.Code)
		}
	}
	kinds := map[InstrumentKind]int{}
	bindings := map[Binding]int{}
	for _, in := range r.Instruments {
		kinds[in.Kind]++
		bindings[in.Binding]++
		if !in.Illustrative || !strings.Contains(in.Title, "illustrative") {
			t.Errorf("instrument %s is not marked illustrative", in.ID)
		}
		if in.Kind != Bilateral {
			continue
		}
		guarantor := in.Signatories[0]
		if !slices.Contains(in.Signatories, "UKR") || guarantor == "UKR" {
			t.Errorf("bilateral instrument %s is between %v, want a guarantor and UKR", in.ID, in.Signatories)
		}
		if !consults24h(in.Clauses, guarantor) {
			t.Errorf("bilateral instrument %s has no clause for %s to consult within 24 hours of a verified major attack", in.ID, guarantor)
		}
	}
	if kinds[Bilateral] < 15 || kinds[Multilateral] < 2 || bindings[Political] == 0 || bindings[Legal] == 0 {
		t.Errorf("instruments: %v, %v", kinds, bindings)
	}
	categories := map[Category]bool{}
	for _, c := range r.Commitments {
		categories[c.Category] = true
		if !c.Illustrative || !strings.Contains(c.Description, "illustrative figure, not a real pledge") {
			t.Errorf("commitment %s is not marked illustrative", c.ID)
		}
	}
	for _, c := range Categories() {
		if !categories[c] {
			t.Errorf("no commitment of category %s", c)
		}
	}
	// One inconsistency is there on purpose, to be shown.
	if ps := r.Inconsistencies(); len(ps) != 1 {
		t.Errorf("inconsistencies: %v", ps)
	}
	// Each call is a fresh copy.
	r.Guarantors[0].Name = "changed"
	if Demo().Guarantors[0].Name == "changed" {
		t.Error("Demo shares its registry between calls")
	}
}

// consults24h reports whether one of clauses makes guarantor consult
// within 24 hours when a major violation by party B (the party east and
// south of the simulated contact line, across it from the protected
// party) is verified.
func consults24h(clauses []trigger.Clause, guarantor string) bool {
	for _, cl := range clauses {
		if cl.Condition != `verified("major", "B", duration("72h")) >= 1` {
			continue
		}
		for _, o := range cl.Obligations {
			if o.Guarantor == guarantor && o.Type == trigger.Consult && time.Duration(o.Deadline) == 24*time.Hour {
				return true
			}
		}
	}
	return false
}

package guarantee

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/guarantor-project/guarantor/internal/label"
)

var (
	// idForm is the form of the ids of instruments, commitments and
	// clauses: they appear in URLs of the API.
	idForm = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	// orgCode is the form of an organisation's code, and of any signatory.
	orgCode      = regexp.MustCompile(`^[A-Z]{2,8}$`)
	currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
	taskCode     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

const idRule = "1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"

// Validate checks the registry and returns every problem found as Problems,
// or nil when there are none: codes and ids unique, kinds, categories and
// bindings known, every guarantor and instrument referred to present, the
// guarantors of an instrument's commitments and clauses among its
// signatories, a measure for every commitment, allocated at most
// committed, deliveries dated and positive, and an instrument's end not
// before its start. Clause conditions are not compiled here: package
// trigger does that when an instrument is loaded.
func (r Registry) Validate() error {
	var ps Problems
	guarantors := map[string]int{}
	for i, g := range r.Guarantors {
		f := fmt.Sprintf("guarantors[%d]", i)
		ps.Under(f, guarantorProblems(g))
		checkUnique(&ps, guarantors, f+".code", "guarantor code", g.Code, "guarantors", i)
	}
	instruments := map[string]int{}
	clauses := map[string]string{}
	for i, in := range r.Instruments {
		f := fmt.Sprintf("instruments[%d]", i)
		ps.Under(f, instrumentProblems(in))
		checkUnique(&ps, instruments, f+".id", "instrument id", in.ID, "instruments", i)
		r.validateClauses(&ps, f, in, guarantors, clauses)
	}
	commitments := map[string]int{}
	rank := fieldRanks(reflect.TypeFor[Commitment]())
	for i, c := range r.Commitments {
		f := fmt.Sprintf("commitments[%d]", i)
		cps := commitmentProblems(c)
		checkUnique(&cps, commitments, "id", "commitment id", c.ID, "commitments", i)
		j, ok := instruments[c.Instrument]
		if c.Instrument != "" && !ok {
			cps.Add("instrument", "no instrument %q in the registry", c.Instrument)
		}
		if _, known := guarantors[c.Guarantor]; c.Guarantor != "" && !known {
			cps.Add("guarantor", "no guarantor %q in the registry", c.Guarantor)
		} else if c.Guarantor != "" && ok && !slices.Contains(r.Instruments[j].Signatories, c.Guarantor) {
			cps.Add("guarantor", "%s is not a signatory of instrument %q (%s)", c.Guarantor, c.Instrument, strings.Join(r.Instruments[j].Signatories, ", "))
		}
		// In the order of the fields, as for the other lists.
		slices.SortStableFunc(cps, func(a, b Problem) int { return rank(a.Field) - rank(b.Field) })
		ps.Under(f, cps)
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// fieldRanks returns a function that ranks a field path relative to a
// value of struct type t (such as "deliveries[2].date") by the position of
// its first part among t's JSON fields.
func fieldRanks(t reflect.Type) func(path string) int {
	ranks := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		ranks[name] = i
	}
	return func(path string) int {
		head, _, _ := strings.Cut(path, ".")
		head, _, _ = strings.Cut(head, "[")
		return ranks[head]
	}
}

// checkUnique reports key when an earlier item of list had it, and
// otherwise records it in seen. Empty keys are left to the item's own
// checks.
func checkUnique(ps *Problems, seen map[string]int, field, what, key, list string, i int) {
	if key == "" {
		return
	}
	if j, dup := seen[key]; dup {
		ps.Add(field, "duplicate %s %q (also %s[%d])", what, key, list, j)
		return
	}
	seen[key] = i
}

// validateClauses checks the clauses of instrument in (at path f): ids
// unique in the whole registry (clauses records them), a condition, and
// obligations owed by known guarantors that signed the instrument.
func (r Registry) validateClauses(ps *Problems, f string, in Instrument, guarantors map[string]int, clauses map[string]string) {
	for k, cl := range in.Clauses {
		cf := fmt.Sprintf("%s.clauses[%d]", f, k)
		switch prev, dup := clauses[cl.ID]; {
		case cl.ID == "":
			ps.Add(cf+".id", "required")
		case !idForm.MatchString(cl.ID):
			ps.Add(cf+".id", "must be %s, got %q", idRule, cl.ID)
		case dup:
			ps.Add(cf+".id", "duplicate clause id %q (also %s)", cl.ID, prev)
		default:
			clauses[cl.ID] = cf
		}
		if cl.Instrument != "" && cl.Instrument != in.ID {
			ps.Add(cf+".instrument", "names instrument %q, but the clause is in %q", cl.Instrument, in.ID)
		}
		if strings.TrimSpace(cl.Condition) == "" {
			ps.Add(cf+".condition", "required: a CEL expression that yields a bool")
		}
		if len(cl.Obligations) == 0 {
			ps.Add(cf+".obligations", "required: at least one guarantor's obligation")
		}
		for o, ob := range cl.Obligations {
			of := fmt.Sprintf("%s.obligations[%d].guarantor", cf, o)
			switch _, known := guarantors[ob.Guarantor]; {
			case ob.Guarantor == "":
				ps.Add(of, "required")
			case !known:
				ps.Add(of, "no guarantor %q in the registry", ob.Guarantor)
			case !slices.Contains(in.Signatories, ob.Guarantor):
				ps.Add(of, "%s is not a signatory of instrument %q (%s)", ob.Guarantor, in.ID, strings.Join(in.Signatories, ", "))
			}
		}
	}
}

// guarantorProblems checks what can be checked of g alone; the fields are
// relative to g.
func guarantorProblems(g Guarantor) Problems {
	var ps Problems
	switch g.Kind {
	case Nation:
		if !label.IsNationCode(g.Code) {
			ps.Add("code", "a nation's code is its ISO 3166-1 alpha-3 code, 3 capital letters such as FRA, got %q", g.Code)
		}
	case Organisation:
		if !orgCode.MatchString(g.Code) {
			ps.Add("code", "an organisation's code is 2 to 8 capital letters such as EU or NATO, got %q", g.Code)
		}
	default:
		if g.Code == "" {
			ps.Add("code", "required")
		}
	}
	if strings.TrimSpace(g.Name) == "" {
		ps.Add("name", "required")
	}
	switch g.Kind {
	case Nation, Organisation:
	case "":
		ps.Add("kind", "required: %s or %s", Nation, Organisation)
	default:
		ps.Add("kind", "must be %s or %s, got %q", Nation, Organisation, g.Kind)
	}
	return ps
}

// instrumentProblems checks what can be checked of in alone, all but its
// clauses; the fields are relative to in.
func instrumentProblems(in Instrument) Problems {
	var ps Problems
	checkID(&ps, "id", in.ID)
	if strings.TrimSpace(in.Title) == "" {
		ps.Add("title", "required")
	}
	switch in.Kind {
	case Bilateral:
		if n := len(in.Signatories); n != 2 {
			ps.Add("signatories", "a bilateral instrument has 2 signatories, got %d", n)
		}
	case Multilateral:
		if n := len(in.Signatories); n < 2 {
			ps.Add("signatories", "a multilateral instrument has at least 2 signatories, got %d", n)
		}
	case "":
		ps.Add("kind", "required: %s or %s", Bilateral, Multilateral)
	default:
		ps.Add("kind", "must be %s or %s, got %q", Bilateral, Multilateral, in.Kind)
	}
	seen := map[string]int{}
	for i, s := range in.Signatories {
		f := fmt.Sprintf("signatories[%d]", i)
		if !orgCode.MatchString(s) {
			ps.Add(f, "must be a guarantor's or a nation's code, 2 to 8 capital letters, got %q", s)
			continue
		}
		if j, dup := seen[s]; dup {
			ps.Add(f, "duplicate signatory %q (also signatories[%d])", s, j)
			continue
		}
		seen[s] = i
	}
	if in.Signed.IsZero() {
		ps.Add("signed", "required: a date such as 2024-01-12")
	}
	if !in.InForceUntil.IsZero() && in.InForceUntil.Before(in.Effective()) {
		from := "in_force_from"
		if in.InForceFrom.IsZero() {
			from = "signed"
		}
		ps.Add("in_force_until", "%s is before %s %s", in.InForceUntil, from, in.Effective())
	}
	switch in.Binding {
	case Legal, Political:
	case "":
		ps.Add("binding", "required: %s or %s", Legal, Political)
	default:
		ps.Add("binding", "must be %s or %s, got %q", Legal, Political, in.Binding)
	}
	if in.TextURL != "" {
		if u, err := url.Parse(in.TextURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps.Add("text_url", "must be an http or https URL, got %q", in.TextURL)
		}
	}
	return ps
}

// commitmentProblems checks what can be checked of c alone, all but the
// instrument and guarantor it names; the fields are relative to c.
func commitmentProblems(c Commitment) Problems {
	var ps Problems
	checkID(&ps, "id", c.ID)
	if c.Instrument == "" {
		ps.Add("instrument", "required: the id of an instrument")
	}
	if c.Guarantor == "" {
		ps.Add("guarantor", "required: the code of a guarantor")
	}
	switch {
	case c.Category == "":
		ps.Add("category", "required: one of %s", categoryList())
	case !c.Category.Known():
		ps.Add("category", "unknown category %q (want one of %s)", c.Category, categoryList())
	}
	checkAmount(&ps, "quantity", c.Quantity)
	checkAmount(&ps, "value", c.Value)
	if c.Currency != "" && !currencyCode.MatchString(c.Currency) {
		ps.Add("currency", "must be an ISO 4217 code, 3 capital letters such as EUR, got %q", c.Currency)
	}
	if c.Unit != "" && (strings.TrimSpace(c.Unit) != c.Unit || strings.ContainsAny(c.Unit, "\r\n")) {
		ps.Add("unit", "must be one line without leading or trailing spaces, got %q", c.Unit)
	}
	switch {
	case c.Currency == "" && c.Unit == "":
		ps.Add("currency", "a commitment needs a currency (for a value) or a unit (for a quantity); it has neither")
	case c.Quantity != 0 && c.Unit == "":
		ps.Add("unit", "required with a quantity: what it counts, such as systems")
	case c.Value != 0 && c.Currency == "":
		ps.Add("currency", "required with a value: an ISO 4217 code such as EUR")
	}
	for i, d := range c.Due {
		if d.IsZero() {
			ps.Add(fmt.Sprintf("due[%d]", i), "a date such as 2024-01-12, got nothing")
		}
	}
	committedOK := checkAmount(&ps, "committed", c.Committed)
	if checkAmount(&ps, "allocated", c.Allocated) && committedOK && c.Allocated > c.Committed {
		ps.Add("allocated", "%s is more than committed %s", formatNumber(c.Allocated), formatNumber(c.Committed))
	}
	seen := map[string]int{}
	for i, d := range c.Deliveries {
		ps.Under(fmt.Sprintf("deliveries[%d]", i), deliveryProblems(d))
		if d.ID == "" {
			continue
		}
		if j, ok := seen[d.ID]; ok {
			ps.Add(fmt.Sprintf("deliveries[%d].id", i), "%q is also the id of deliveries[%d]", d.ID, j)
		} else {
			seen[d.ID] = i
		}
	}
	checkCodes(&ps, "excluded_regions", c.ExcludedRegions, func(s string) string {
		if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, ";\r\n") {
			return fmt.Sprintf("must be a region code of the terms, without spaces at either end or ';', got %q", s)
		}
		return ""
	})
	checkCodes(&ps, "excluded_tasks", c.ExcludedTasks, func(s string) string {
		if !taskCode.MatchString(s) {
			return fmt.Sprintf("must be lower-case letters, digits and '_', such as offensive_operations, got %q", s)
		}
		return ""
	})
	return ps
}

// deliveryProblems checks a delivery; the fields are relative to it.
func deliveryProblems(d Delivery) Problems {
	var ps Problems
	if d.ID != "" && !idForm.MatchString(d.ID) {
		ps.Add("id", "must be %s, got %q", idRule, d.ID)
	}
	if d.Date.IsZero() {
		ps.Add("date", "required: every delivery is dated")
	}
	if !(d.Amount > 0) || math.IsInf(d.Amount, 0) {
		ps.Add("amount", "must be more than 0, got %s", formatNumber(d.Amount))
	}
	return ps
}

// checkID reports an id that is absent or not of idForm.
func checkID(ps *Problems, field, id string) {
	switch {
	case id == "":
		ps.Add(field, "required")
	case !idForm.MatchString(id):
		ps.Add(field, "must be %s, got %q", idRule, id)
	}
}

// checkAmount reports a figure that is negative or not finite, and says
// whether it was fine.
func checkAmount(ps *Problems, field string, v float64) bool {
	if !(v >= 0) || math.IsInf(v, 0) {
		ps.Add(field, "must be 0 or more, got %s", formatNumber(v))
		return false
	}
	return true
}

// checkCodes reports the items of a list of codes that bad finds wrong,
// and duplicates.
func checkCodes(ps *Problems, field string, codes []string, bad func(string) string) {
	seen := map[string]int{}
	for i, s := range codes {
		f := fmt.Sprintf("%s[%d]", field, i)
		if why := bad(s); why != "" {
			ps.Add(f, "%s", why)
			continue
		}
		if j, dup := seen[s]; dup {
			ps.Add(f, "duplicate %q (also %s[%d])", s, field, j)
			continue
		}
		seen[s] = i
	}
}

// categoryList names every category, for messages.
func categoryList() string {
	var b strings.Builder
	for i, c := range Categories() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(c))
	}
	return b.String()
}

// Inconsistencies returns what is odd about c without being wrong: more
// delivered than allocated (deliveries can run ahead of the bookkeeping),
// or more than committed. Each is a sentence; nil when there are none.
func Inconsistencies(c Commitment) []string {
	var out []string
	delivered := c.Delivered()
	m := c.Measure()
	if delivered > c.Allocated {
		out = append(out, fmt.Sprintf("delivered %s %s is more than allocated %s %s", formatNumber(delivered), m, formatNumber(c.Allocated), m))
	}
	if delivered > c.Committed {
		out = append(out, fmt.Sprintf("delivered %s %s is more than committed %s %s", formatNumber(delivered), m, formatNumber(c.Committed), m))
	}
	return out
}

// Inconsistencies returns the Inconsistencies of every commitment, each
// as a Problem whose field is the commitment's deliveries, such as
// "commitments[3].deliveries"; nil when there are none.
func (r Registry) Inconsistencies() Problems {
	var ps Problems
	for i, c := range r.Commitments {
		for _, s := range Inconsistencies(c) {
			ps.Add(fmt.Sprintf("commitments[%d].deliveries", i), "%s", s)
		}
	}
	return ps
}

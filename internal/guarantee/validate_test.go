package guarantee

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/trigger"
)

// smallRegistry is a valid registry with one of everything, for the
// validation tests to break one rule at a time.
func smallRegistry() Registry {
	return Registry{
		Guarantors: []Guarantor{
			{Code: "FRA", Name: "France", Kind: Nation},
			{Code: "GBR", Name: "United Kingdom", Kind: Nation},
			{Code: "EU", Name: "European Union", Kind: Organisation},
		},
		Instruments: []Instrument{
			{ID: "bi", Title: "Bilateral", Kind: Bilateral, Signatories: []string{"GBR", "UKR"},
				Signed: mustDate("2024-01-12"), Binding: Political,
				Clauses: []trigger.Clause{{ID: "bi.consult", Condition: `verified("major", "B", duration("72h")) >= 1`,
					Obligations: []trigger.ObligationSpec{{Guarantor: "GBR", Type: trigger.Consult, Deadline: trigger.Duration(24 * time.Hour)}}}}},
			{ID: "multi", Title: "Multilateral", Kind: Multilateral, Signatories: []string{"FRA", "GBR", "EU", "UKR"},
				Signed: mustDate("2026-01-06"), Binding: Legal,
				Clauses: []trigger.Clause{{ID: "multi.convene", Condition: "true",
					Obligations: []trigger.ObligationSpec{{Guarantor: "FRA", Type: trigger.ConveneSenior, Deadline: trigger.Duration(48 * time.Hour)}}}}},
		},
		Commitments: []Commitment{
			{ID: "c0", Instrument: "bi", Guarantor: "GBR", Category: AirDefence, Quantity: 10, Unit: "systems",
				Committed: 10, Allocated: 5, Deliveries: []Delivery{{Date: mustDate("2024-05-01"), Amount: 3}}},
			{ID: "c1", Instrument: "multi", Guarantor: "EU", Category: Financial, Value: 100, Currency: "EUR",
				Committed: 100, Allocated: 100},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Registry)
		field  string // "" when the registry stays valid
		reason string // a part of the reason
	}{
		{"valid", func(r *Registry) {}, "", ""},

		// Guarantors.
		{"duplicate code", func(r *Registry) {
			r.Guarantors = append(r.Guarantors, Guarantor{Code: "FRA", Name: "France again", Kind: Nation})
		}, "guarantors[3].code", `duplicate guarantor code "FRA" (also guarantors[0])`},
		{"nation code of 2 letters", func(r *Registry) { rename(r, "FRA", "FR") }, "guarantors[0].code", "ISO 3166-1 alpha-3"},
		{"nation code of 4 letters", func(r *Registry) { rename(r, "FRA", "FRAN") }, "guarantors[0].code", "ISO 3166-1 alpha-3"},
		{"nation code in lower case", func(r *Registry) { r.Guarantors[0].Code = "fra"; r.Instruments[1].Clauses = nil }, "guarantors[0].code", "ISO 3166-1 alpha-3"},
		{"organisation code of 1 letter", func(r *Registry) { r.Guarantors[2].Code = "E"; r.Commitments = r.Commitments[:1] }, "guarantors[2].code", "2 to 8 capital letters"},
		{"organisation code of 8 letters", func(r *Registry) { rename(r, "EU", "ABCDEFGH") }, "", ""},
		{"organisation code of 9 letters", func(r *Registry) { r.Guarantors[2].Code = "ABCDEFGHI"; r.Commitments = r.Commitments[:1] }, "guarantors[2].code", "2 to 8 capital letters"},
		{"organisation code with a digit", func(r *Registry) { r.Guarantors[2].Code = "G7"; r.Commitments = r.Commitments[:1] }, "guarantors[2].code", "2 to 8 capital letters"},
		{"no name", func(r *Registry) { r.Guarantors[0].Name = " " }, "guarantors[0].name", "required"},
		{"no kind", func(r *Registry) { r.Guarantors[0].Kind = "" }, "guarantors[0].kind", "required"},
		{"unknown kind", func(r *Registry) { r.Guarantors[0].Kind = "state" }, "guarantors[0].kind", `got "state"`},

		// Instruments.
		{"duplicate instrument", func(r *Registry) { r.Instruments[1].ID = "bi"; r.Commitments = r.Commitments[:1] }, "instruments[1].id", `duplicate instrument id "bi" (also instruments[0])`},
		{"no id", func(r *Registry) {
			r.Instruments[1].ID = ""
			r.Instruments[1].Clauses = nil
			r.Commitments = r.Commitments[:1]
		}, "instruments[1].id", "required"},
		{"id with a space", func(r *Registry) {
			r.Instruments[0].ID = "b i"
			r.Instruments[0].Clauses = nil
			r.Commitments = r.Commitments[1:]
		}, "instruments[0].id", "1 to 64 letters"},
		{"id of 64", func(r *Registry) { setInstrumentID(r, strings.Repeat("a", 64)) }, "", ""},
		{"id of 65", func(r *Registry) { setInstrumentID(r, strings.Repeat("a", 65)) }, "instruments[0].id", "1 to 64 letters"},
		{"no title", func(r *Registry) { r.Instruments[0].Title = "" }, "instruments[0].title", "required"},
		{"no kind", func(r *Registry) { r.Instruments[0].Kind = "" }, "instruments[0].kind", "required"},
		{"unknown kind", func(r *Registry) { r.Instruments[0].Kind = "trilateral" }, "instruments[0].kind", `got "trilateral"`},
		{"bilateral of 3", func(r *Registry) { r.Instruments[0].Signatories = []string{"GBR", "UKR", "FRA"} }, "instruments[0].signatories", "2 signatories, got 3"},
		{"bilateral of 1", func(r *Registry) { r.Instruments[0].Signatories = []string{"GBR"} }, "instruments[0].signatories", "2 signatories, got 1"},
		{"multilateral of 2", func(r *Registry) {
			r.Instruments[1].Signatories = []string{"FRA", "EU"}
			r.Instruments[1].Kind = Multilateral
		}, "", ""},
		{"multilateral of 1", func(r *Registry) { r.Instruments[1].Signatories = []string{"EU"}; r.Instruments[1].Clauses = nil }, "instruments[1].signatories", "at least 2 signatories, got 1"},
		{"duplicate signatory", func(r *Registry) { r.Instruments[1].Signatories[3] = "FRA" }, "instruments[1].signatories[3]", `duplicate signatory "FRA" (also signatories[0])`},
		{"bad signatory", func(r *Registry) { r.Instruments[0].Signatories[1] = "ukr" }, "instruments[0].signatories[1]", `got "ukr"`},
		{"not signed", func(r *Registry) { r.Instruments[0].Signed = Date{} }, "instruments[0].signed", "required"},
		{"until the day signed", func(r *Registry) { r.Instruments[0].InForceUntil = mustDate("2024-01-12") }, "", ""},
		{"until before signed", func(r *Registry) { r.Instruments[0].InForceUntil = mustDate("2024-01-11") }, "instruments[0].in_force_until", "2024-01-11 is before signed 2024-01-12"},
		{"until the first day in force", func(r *Registry) {
			r.Instruments[0].InForceFrom = mustDate("2024-02-01")
			r.Instruments[0].InForceUntil = mustDate("2024-02-01")
		}, "", ""},
		{"until before the first day in force", func(r *Registry) {
			r.Instruments[0].InForceFrom = mustDate("2024-02-01")
			r.Instruments[0].InForceUntil = mustDate("2024-01-31")
		}, "instruments[0].in_force_until", "2024-01-31 is before in_force_from 2024-02-01"},
		{"no binding", func(r *Registry) { r.Instruments[0].Binding = "" }, "instruments[0].binding", "required"},
		{"unknown binding", func(r *Registry) { r.Instruments[0].Binding = "moral" }, "instruments[0].binding", `got "moral"`},
		{"https URL", func(r *Registry) { r.Instruments[0].TextURL = "https://example.org/text" }, "", ""},
		{"ftp URL", func(r *Registry) { r.Instruments[0].TextURL = "ftp://example.org/text" }, "instruments[0].text_url", "http or https"},
		{"URL without a scheme", func(r *Registry) { r.Instruments[0].TextURL = "example.org/text" }, "instruments[0].text_url", "http or https"},

		// Clauses.
		{"clause without id", func(r *Registry) { r.Instruments[0].Clauses[0].ID = "" }, "instruments[0].clauses[0].id", "required"},
		{"clause id repeated in another instrument", func(r *Registry) { r.Instruments[1].Clauses[0].ID = "bi.consult" }, "instruments[1].clauses[0].id", `duplicate clause id "bi.consult" (also instruments[0].clauses[0])`},
		{"clause of another instrument", func(r *Registry) { r.Instruments[0].Clauses[0].Instrument = "multi" }, "instruments[0].clauses[0].instrument", `names instrument "multi", but the clause is in "bi"`},
		{"clause of its instrument", func(r *Registry) { r.Instruments[0].Clauses[0].Instrument = "bi" }, "", ""},
		{"clause without condition", func(r *Registry) { r.Instruments[0].Clauses[0].Condition = " " }, "instruments[0].clauses[0].condition", "required"},
		{"clause without obligations", func(r *Registry) { r.Instruments[0].Clauses[0].Obligations = nil }, "instruments[0].clauses[0].obligations", "required"},
		{"obligation without guarantor", func(r *Registry) { r.Instruments[0].Clauses[0].Obligations[0].Guarantor = "" }, "instruments[0].clauses[0].obligations[0].guarantor", "required"},
		{"obligation of an unknown guarantor", func(r *Registry) { r.Instruments[0].Clauses[0].Obligations[0].Guarantor = "DEU" }, "instruments[0].clauses[0].obligations[0].guarantor", `no guarantor "DEU"`},
		{"obligation of a guarantor that did not sign", func(r *Registry) { r.Instruments[0].Clauses[0].Obligations[0].Guarantor = "FRA" }, "instruments[0].clauses[0].obligations[0].guarantor", `FRA is not a signatory of instrument "bi" (GBR, UKR)`},

		// Commitments.
		{"duplicate commitment", func(r *Registry) { r.Commitments[1].ID = "c0" }, "commitments[1].id", `duplicate commitment id "c0" (also commitments[0])`},
		{"unknown instrument", func(r *Registry) { r.Commitments[0].Instrument = "nope" }, "commitments[0].instrument", `no instrument "nope"`},
		{"no instrument", func(r *Registry) { r.Commitments[0].Instrument = "" }, "commitments[0].instrument", "required"},
		{"unknown guarantor", func(r *Registry) { r.Commitments[0].Guarantor = "DEU" }, "commitments[0].guarantor", `no guarantor "DEU"`},
		{"guarantor that did not sign", func(r *Registry) { r.Commitments[0].Guarantor = "FRA" }, "commitments[0].guarantor", `FRA is not a signatory of instrument "bi" (GBR, UKR)`},
		{"protected party as guarantor", func(r *Registry) { r.Commitments[0].Guarantor = "UKR" }, "commitments[0].guarantor", `no guarantor "UKR"`},
		{"no category", func(r *Registry) { r.Commitments[0].Category = "" }, "commitments[0].category", "required: one of air_defence"},
		{"unknown category", func(r *Registry) { r.Commitments[0].Category = "tanks" }, "commitments[0].category", `unknown category "tanks"`},
		{"neither currency nor unit", func(r *Registry) { r.Commitments[0].Unit = ""; r.Commitments[0].Quantity = 0 }, "commitments[0].currency", "neither"},
		{"quantity without unit", func(r *Registry) { r.Commitments[1].Quantity = 4 }, "commitments[1].unit", "required with a quantity"},
		{"value without currency", func(r *Registry) { r.Commitments[0].Value = 4 }, "commitments[0].currency", "required with a value"},
		{"currency and unit", func(r *Registry) { r.Commitments[0].Value = 4; r.Commitments[0].Currency = "GBP" }, "", ""},
		{"currency of 4 letters", func(r *Registry) { r.Commitments[1].Currency = "EURO" }, "commitments[1].currency", "ISO 4217"},
		{"currency in lower case", func(r *Registry) { r.Commitments[1].Currency = "eur" }, "commitments[1].currency", "ISO 4217"},
		{"unit with a trailing space", func(r *Registry) { r.Commitments[0].Unit = "systems " }, "commitments[0].unit", "one line"},
		{"negative quantity", func(r *Registry) { r.Commitments[0].Quantity = -1 }, "commitments[0].quantity", "0 or more, got -1"},
		{"negative value", func(r *Registry) { r.Commitments[1].Value = -0.5 }, "commitments[1].value", "0 or more, got -0.5"},
		{"nothing committed", func(r *Registry) { r.Commitments[0].Committed, r.Commitments[0].Allocated = 0, 0 }, "", ""},
		{"committed just below 0", func(r *Registry) { r.Commitments[1].Committed, r.Commitments[1].Allocated = -0.01, 0 }, "commitments[1].committed", "0 or more, got -0.01"},
		{"committed not a number", func(r *Registry) { r.Commitments[1].Committed = math.NaN() }, "commitments[1].committed", "0 or more, got NaN"},
		{"committed infinite", func(r *Registry) { r.Commitments[1].Committed = math.Inf(1) }, "commitments[1].committed", "0 or more, got +Inf"},
		{"allocated all", func(r *Registry) { r.Commitments[0].Allocated = 10 }, "", ""},
		{"allocated just above committed", func(r *Registry) { r.Commitments[0].Allocated = 10.01 }, "commitments[0].allocated", "10.01 is more than committed 10"},
		{"allocated negative", func(r *Registry) { r.Commitments[0].Allocated = -1 }, "commitments[0].allocated", "0 or more, got -1"},
		{"delivered more than allocated", func(r *Registry) { r.Commitments[0].Deliveries[0].Amount = 50 }, "", ""},
		{"undated delivery", func(r *Registry) { r.Commitments[0].Deliveries[0].Date = Date{} }, "commitments[0].deliveries[0].date", "required"},
		{"delivery of 0", func(r *Registry) { r.Commitments[0].Deliveries[0].Amount = 0 }, "commitments[0].deliveries[0].amount", "more than 0, got 0"},
		{"delivery of a little", func(r *Registry) { r.Commitments[0].Deliveries[0].Amount = 0.001 }, "", ""},
		{"negative delivery", func(r *Registry) { r.Commitments[0].Deliveries[0].Amount = -3 }, "commitments[0].deliveries[0].amount", "more than 0, got -3"},
		{"delivery with an id", func(r *Registry) { r.Commitments[0].Deliveries[0].ID = "report-2024-05-01.1" }, "", ""},
		{"delivery id with a space", func(r *Registry) { r.Commitments[0].Deliveries[0].ID = "report 1" }, "commitments[0].deliveries[0].id", `got "report 1"`},
		{"two deliveries with one id", func(r *Registry) {
			d := Delivery{ID: "r1", Date: mustDate("2024-05-02"), Amount: 1}
			r.Commitments[0].Deliveries = []Delivery{d, {ID: "r2", Date: d.Date, Amount: 1}, d}
		}, "commitments[0].deliveries[2].id", `"r1" is also the id of deliveries[0]`},
		{"absent due date", func(r *Registry) { r.Commitments[0].Due = []Date{mustDate("2024-06-30"), {}} }, "commitments[0].due[1]", "got nothing"},
		{"excluded regions", func(r *Registry) { r.Commitments[0].ExcludedRegions = []string{"DON-N", "south"} }, "", ""},
		{"duplicate excluded region", func(r *Registry) { r.Commitments[0].ExcludedRegions = []string{"N", "N"} }, "commitments[0].excluded_regions[1]", `duplicate "N" (also excluded_regions[0])`},
		{"empty excluded region", func(r *Registry) { r.Commitments[0].ExcludedRegions = []string{""} }, "commitments[0].excluded_regions[0]", "region code"},
		{"excluded region with a semicolon", func(r *Registry) { r.Commitments[0].ExcludedRegions = []string{"a;b"} }, "commitments[0].excluded_regions[0]", "region code"},
		{"excluded task", func(r *Registry) {
			r.Commitments[0].ExcludedTasks = []string{"offensive_operations", "cross_border_strikes"}
		}, "", ""},
		{"excluded task in capitals", func(r *Registry) { r.Commitments[0].ExcludedTasks = []string{"Offensive"} }, "commitments[0].excluded_tasks[0]", "lower-case"},
		{"commitment id with a slash", func(r *Registry) { r.Commitments[0].ID = "a/b" }, "commitments[0].id", "1 to 64 letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := smallRegistry()
			tt.change(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want no problems", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Validate = %v, want Problems", err)
			}
			if len(ps) != 1 || ps[0].Field != tt.field || !strings.Contains(ps[0].Reason, tt.reason) {
				t.Fatalf("Validate = %v\nwant one problem: %s: …%s…", err, tt.field, tt.reason)
			}
		})
	}
}

// rename renames a guarantor everywhere: guarantors, signatories,
// obligations and commitments.
func rename(r *Registry, from, to string) {
	for i := range r.Guarantors {
		if r.Guarantors[i].Code == from {
			r.Guarantors[i].Code = to
		}
	}
	for i := range r.Instruments {
		in := &r.Instruments[i]
		for j := range in.Signatories {
			if in.Signatories[j] == from {
				in.Signatories[j] = to
			}
		}
		for j := range in.Clauses {
			for k := range in.Clauses[j].Obligations {
				if o := &in.Clauses[j].Obligations[k]; o.Guarantor == from {
					o.Guarantor = to
				}
			}
		}
	}
	for i := range r.Commitments {
		if r.Commitments[i].Guarantor == from {
			r.Commitments[i].Guarantor = to
		}
	}
}

// setInstrumentID renames the first instrument everywhere.
func setInstrumentID(r *Registry, id string) {
	r.Instruments[0].ID = id
	r.Commitments[0].Instrument = id
}

func TestValidateEverything(t *testing.T) {
	// Every problem is reported at once, in the order of the fields.
	r := smallRegistry()
	r.Guarantors[0].Kind = ""
	r.Instruments[0].Binding = "moral"
	r.Commitments[1].Allocated = 200
	err := r.Validate()
	want := `3 problems:
	guarantors[0].kind: required: nation or organisation
	instruments[0].binding: must be legal or political, got "moral"
	commitments[1].allocated: 200 is more than committed 100`
	if err == nil || err.Error() != want {
		t.Errorf("Validate =\n%v\nwant\n%s", err, want)
	}
	if (Registry{}).Validate() != nil {
		t.Error("an empty registry is not valid")
	}
}

func TestInconsistencies(t *testing.T) {
	tests := []struct {
		c    Commitment
		want []string
	}{
		{Commitment{Currency: "EUR", Committed: 10, Allocated: 5, Deliveries: []Delivery{{Amount: 5}}}, nil},
		{Commitment{Currency: "EUR", Committed: 10, Allocated: 5, Deliveries: []Delivery{{Amount: 3}, {Amount: 2.5}}},
			[]string{"delivered 5.5 EUR is more than allocated 5 EUR"}},
		{Commitment{Unit: "systems", Committed: 10, Allocated: 10, Deliveries: []Delivery{{Amount: 11}}},
			[]string{"delivered 11 systems is more than allocated 10 systems", "delivered 11 systems is more than committed 10 systems"}},
	}
	for i, tt := range tests {
		got := Inconsistencies(tt.c)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%d: Inconsistencies = %q, want %q", i, got, tt.want)
		}
	}
	r := smallRegistry()
	r.Commitments[0].Deliveries[0].Amount = 6
	if ps := r.Inconsistencies(); len(ps) != 1 || ps[0].Error() != "commitments[0].deliveries: delivered 6 systems is more than allocated 5 systems" {
		t.Errorf("Registry.Inconsistencies = %v", ps)
	}
}

func TestMeasureAndDelivered(t *testing.T) {
	c := Commitment{Unit: "systems", Currency: "EUR", Deliveries: []Delivery{{Amount: 1.5}, {Amount: 2}}}
	if c.Measure() != "EUR" || c.Delivered() != 3.5 {
		t.Errorf("Measure = %q, Delivered = %g", c.Measure(), c.Delivered())
	}
	c.Currency = ""
	if c.Measure() != "systems" {
		t.Errorf("Measure = %q", c.Measure())
	}
}

func TestInForce(t *testing.T) {
	in := Instrument{Signed: mustDate("2024-01-12"), InForceUntil: mustDate("2025-01-11")}
	for d, want := range map[string]bool{"2024-01-11": false, "2024-01-12": true, "2025-01-11": true, "2025-01-12": false} {
		if got := in.InForce(mustDate(d)); got != want {
			t.Errorf("InForce(%s) = %v, want %v", d, got, want)
		}
	}
	in.InForceFrom = mustDate("2024-02-01")
	if in.InForce(mustDate("2024-01-31")) || !in.InForce(mustDate("2024-02-01")) || in.InForce(Date{}) {
		t.Error("InForceFrom is not the first day")
	}
}

func TestCategories(t *testing.T) {
	cs := Categories()
	if len(cs) != 16 {
		t.Fatalf("%d categories, want 16", len(cs))
	}
	seen := map[Category]bool{}
	for _, c := range cs {
		if !c.Known() || c.Title() == "" || seen[c] {
			t.Errorf("category %q", c)
		}
		seen[c] = true
	}
	cs[0] = "changed"
	if Categories()[0] != AirDefence {
		t.Error("Categories shares its slice")
	}
	if Category("tanks").Known() {
		t.Error("tanks is a category")
	}
}

package trigger

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestDurationText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{168 * time.Hour, "168h"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Minute, "2m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
		{-time.Hour, "-1h"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			d := Duration(tc.d)
			if got := d.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			b, err := json.Marshal(d)
			if err != nil || string(b) != `"`+tc.want+`"` {
				t.Fatalf("json.Marshal = %s, %v", b, err)
			}
			var back Duration
			if err := json.Unmarshal(b, &back); err != nil || back != d {
				t.Fatalf("json.Unmarshal(%s) = %v, %v; want %v", b, back, err, d)
			}
		})
	}
}

func TestDurationUnmarshalErrors(t *testing.T) {
	for _, in := range []string{`86400000000000`, `"a day"`, `""`, `null`, `true`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("json.Unmarshal(%s) = %v, want an error", in, d)
		}
	}
}

func TestClauseYAML(t *testing.T) {
	src := `
id: consult-24h
title: Consultations after an armed attack
condition: verified("major", "A", duration("72h")) >= 1
obligations:
  - guarantor: FRA
    type: consult
    deadline: 24h
    responsible: liaison
  - guarantor: GBR
    type: provide_assistance
    deadline: 168h
`
	var c Clause
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(c.Obligations[1].Deadline); got != 168*time.Hour {
		t.Errorf("deadline %v, want 168h", got)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "deadline: 24h\n") || !strings.Contains(string(out), "deadline: 168h\n") {
		t.Errorf("the deadlines are not written as Go durations:\n%s", out)
	}
	var back Clause
	if err := yaml.Unmarshal(out, &back); err != nil || back.Obligations[0].Deadline != c.Obligations[0].Deadline {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	var bad Clause
	if err := yaml.Unmarshal([]byte("id: x\nobligations:\n  - guarantor: FRA\n    deadline: 3600\n"), &bad); err == nil {
		t.Error("a deadline written as a number was accepted")
	}
}

func TestClauseValidate(t *testing.T) {
	ok := func() Clause {
		return Clause{ID: "c1", Condition: "true", Obligations: []ObligationSpec{
			{Guarantor: "FRA", Type: Consult, Deadline: Duration(24 * time.Hour)},
			{Guarantor: "GBR", Type: ImposeCosts, Deadline: Duration(time.Hour), Responsible: "liaison"},
		}}
	}
	tests := []struct {
		name   string
		change func(*Clause)
		want   string // in the error; "" for none
	}{
		{"valid", func(*Clause) {}, ""},
		{"no id", func(c *Clause) { c.ID = " " }, "clause (no id): the id is required"},
		{"no condition", func(c *Clause) { c.Condition = "" }, "the condition is required"},
		{"no obligations", func(c *Clause) { c.Obligations = nil }, "at least one obligation"},
		{"unknown type", func(c *Clause) { c.Obligations[0].Type = "pray" }, `unknown type "pray"`},
		{"zero deadline", func(c *Clause) { c.Obligations[0].Deadline = 0 }, "the deadline must be positive, not 0s"},
		{"negative deadline", func(c *Clause) { c.Obligations[1].Deadline = Duration(-time.Hour) }, "not -1h"},
		{"a guarantor twice", func(c *Clause) { c.Obligations[1].Guarantor = "FRA" }, "guarantor FRA is named twice"},
		{"no guarantor", func(c *Clause) { c.Obligations[1].Guarantor = "" }, "the guarantor is required"},
		{"unknown responsible", func(c *Clause) { c.Obligations[0].Responsible = "minister" }, `unknown responsible "minister"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error with %q", err, tc.want)
			case tc.want != "" && c.ID != " " && !strings.Contains(err.Error(), "clause c1"):
				t.Errorf("the error does not name the clause: %v", err)
			}
		})
	}
}

// Package trigger is what a verified attack sets in motion: the trigger
// clauses of the guarantors' instruments, their conditions over findings
// (written in CEL), the activations they propose, the designated
// authority's determination, and the obligations that follow for each
// guarantor with their deadlines and escalation (docs/guarantees.md).
//
// The package is pure: clauses, findings and actions go in as values, and
// proposals, activations and obligations come out.
package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ObligationType is what a guarantor owes when a clause is activated.
type ObligationType string

// The obligation types.
const (
	Consult           ObligationType = "consult"
	ProvideAssistance ObligationType = "provide_assistance"
	ImposeCosts       ObligationType = "impose_costs"
	ConveneSenior     ObligationType = "convene_senior"
)

// ObligationSpec is, in a clause, what one guarantor owes once the clause is
// activated.
type ObligationSpec struct {
	// Guarantor is the code of the guarantor that owes it.
	Guarantor string         `json:"guarantor" yaml:"guarantor"`
	Type      ObligationType `json:"type" yaml:"type"`
	// Deadline is how long after the determination it is due.
	Deadline Duration `json:"deadline" yaml:"deadline"`
	// Responsible is who answers for it: "liaison" (of the guarantor's
	// nation) when empty.
	Responsible string `json:"responsible,omitempty" yaml:"responsible,omitempty"`
}

// Clause is a trigger clause of an instrument: a condition over findings,
// and the obligations that follow when the authority confirms it holds.
type Clause struct {
	ID         string `json:"id" yaml:"id"`
	Instrument string `json:"instrument,omitempty" yaml:"instrument,omitempty"`
	Title      string `json:"title,omitempty" yaml:"title,omitempty"`
	// Condition is a CEL expression that yields a bool.
	Condition   string           `json:"condition" yaml:"condition"`
	Obligations []ObligationSpec `json:"obligations" yaml:"obligations"`
}

// Duration is a time.Duration written as Go writes it ("24h", "90m") in
// JSON and YAML.
type Duration time.Duration

// String writes d as Go writes a duration, without zero trailing units:
// "24h", "1h30m", "90s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes d as String does. encoding/json and the YAML
// encoders (gopkg.in/yaml.v3, go.yaml.in/yaml/v3) use it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration ("24h", "168h", "90m"). It accepts
// any duration: a clause's validation refuses deadlines that are not
// positive.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("trigger: duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes d as a JSON string ("24h").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a JSON string holding a Go duration. A number is
// refused: its unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("trigger: a duration is a string such as \"24h\", not %s", b)
	}
	return d.UnmarshalText([]byte(s))
}

// ResponsibleLiaison is the only Responsible an obligation may name: the
// liaison officers of the guarantor's nation. An empty Responsible means it.
const ResponsibleLiaison = "liaison"

// Validate reports what is wrong with a clause's structure: the id, the
// obligations, their types, deadlines and guarantors. It does not compile
// the condition: Compile does both.
func (c Clause) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ID) == "" {
		errs = append(errs, errors.New("the id is required"))
	}
	if strings.TrimSpace(c.Condition) == "" {
		errs = append(errs, errors.New("the condition is required"))
	}
	if len(c.Obligations) == 0 {
		errs = append(errs, errors.New("at least one obligation is required"))
	}
	seen := map[string]bool{}
	for i, o := range c.Obligations {
		switch {
		case strings.TrimSpace(o.Guarantor) == "":
			errs = append(errs, fmt.Errorf("obligation %d: the guarantor is required", i+1))
		case seen[o.Guarantor]:
			errs = append(errs, fmt.Errorf("obligation %d: guarantor %s is named twice", i+1, o.Guarantor))
		}
		seen[o.Guarantor] = true
		if !o.Type.Known() {
			errs = append(errs, fmt.Errorf("obligation %d (%s): unknown type %q (consult, provide_assistance, impose_costs or convene_senior)", i+1, o.Guarantor, o.Type))
		}
		if o.Deadline <= 0 {
			errs = append(errs, fmt.Errorf("obligation %d (%s): the deadline must be positive, not %s", i+1, o.Guarantor, o.Deadline))
		}
		if o.Responsible != "" && o.Responsible != ResponsibleLiaison {
			errs = append(errs, fmt.Errorf("obligation %d (%s): unknown responsible %q (liaison)", i+1, o.Guarantor, o.Responsible))
		}
	}
	if len(errs) > 0 {
		id := c.ID
		if strings.TrimSpace(id) == "" {
			id = "(no id)"
		}
		return fmt.Errorf("clause %s: %w", id, errors.Join(errs...))
	}
	return nil
}

// Known reports whether t is one of the obligation types.
func (t ObligationType) Known() bool {
	switch t {
	case Consult, ProvideAssistance, ImposeCosts, ConveneSenior:
		return true
	}
	return false
}

// Package guarantee is the registry of the coalition's security
// guarantees: the guarantors, the instruments they signed (with their
// trigger clauses), the commitments made under them and the deliveries
// against those commitments (docs/guarantees.md). It validates a registry,
// reads and writes it as YAML and as CSV for spreadsheets
// (docs/registry-formats.md), and computes the gaps between what was
// committed and what was delivered, by guarantor, by category and over
// time.
//
// The package is pure: it does no I/O of its own, and callers pass bytes,
// readers and writers.
package guarantee

import (
	"github.com/guarantor-project/guarantor/internal/trigger"
)

// Registry is the whole registry: every guarantor, instrument and
// commitment.
type Registry struct {
	Guarantors  []Guarantor  `json:"guarantors,omitempty" yaml:"guarantors,omitempty"`
	Instruments []Instrument `json:"instruments,omitempty" yaml:"instruments,omitempty"`
	Commitments []Commitment `json:"commitments,omitempty" yaml:"commitments,omitempty"`
}

// GuarantorKind says whether a guarantor is a nation or an organisation.
type GuarantorKind string

// The kinds of guarantor.
const (
	Nation       GuarantorKind = "nation"
	Organisation GuarantorKind = "organisation"
)

// Guarantor is a nation or an organisation that gives guarantees.
type Guarantor struct {
	// Code is an ISO 3166-1 alpha-3 code for a nation (FRA), or 2 to 8
	// capital letters for an organisation (EU, NATO); unique.
	Code string `json:"code" yaml:"code"`
	// Name is a human-readable name.
	Name string        `json:"name" yaml:"name"`
	Kind GuarantorKind `json:"kind" yaml:"kind"`
}

// InstrumentKind says how many parties an instrument binds.
type InstrumentKind string

// The kinds of instrument: a bilateral one has exactly two signatories.
const (
	Bilateral    InstrumentKind = "bilateral"
	Multilateral InstrumentKind = "multilateral"
)

// Binding says whether an instrument binds in law or politically.
type Binding string

// The kinds of binding force.
const (
	Legal     Binding = "legal"
	Political Binding = "political"
)

// Instrument is an agreement, declaration or arrangement under which
// guarantors commit: the source of commitments and of trigger clauses.
type Instrument struct {
	// ID is unique among the instruments, such as "gbr-ukr-2024".
	ID    string         `json:"id" yaml:"id"`
	Title string         `json:"title" yaml:"title"`
	Kind  InstrumentKind `json:"kind" yaml:"kind"`
	// Signatories are the codes of the guarantors and of the protected
	// parties (such as UKR) that signed it.
	Signatories []string `json:"signatories" yaml:"signatories"`
	Signed      Date     `json:"signed,omitzero" yaml:"signed,omitempty"`
	// InForceFrom is the first day in force; the day it was signed when
	// absent.
	InForceFrom Date `json:"in_force_from,omitzero" yaml:"in_force_from,omitempty"`
	// InForceUntil is the last day in force; absent for no end.
	InForceUntil Date    `json:"in_force_until,omitzero" yaml:"in_force_until,omitempty"`
	Binding      Binding `json:"binding" yaml:"binding"`
	// TextURL is where the text is published, an http or https URL.
	TextURL string `json:"text_url,omitempty" yaml:"text_url,omitempty"`
	// Illustrative is true for an instrument that records no real
	// agreement (examples, exercises, demonstrations).
	Illustrative bool `json:"illustrative,omitempty" yaml:"illustrative,omitempty"`
	// Clauses are its trigger clauses, written only in YAML (or JSON).
	Clauses []trigger.Clause `json:"clauses,omitempty" yaml:"clauses,omitempty"`
}

// Effective returns the first day in force: InForceFrom, or Signed when
// that is absent.
func (in Instrument) Effective() Date {
	if in.InForceFrom.IsZero() {
		return in.Signed
	}
	return in.InForceFrom
}

// InForce reports whether the instrument is in force on d: on or after
// Effective and, when InForceUntil is set, on or before it.
func (in Instrument) InForce(d Date) bool {
	from := in.Effective()
	if d.IsZero() || from.IsZero() || d.Before(from) {
		return false
	}
	return in.InForceUntil.IsZero() || !d.After(in.InForceUntil)
}

// Commitment is what one guarantor committed under one instrument, and
// how much of it was allocated and delivered. Committed, Allocated and the
// amounts of the deliveries are in the commitment's Measure.
type Commitment struct {
	// ID is unique among the commitments.
	ID string `json:"id" yaml:"id"`
	// Instrument is the ID of the instrument it was made under.
	Instrument string `json:"instrument" yaml:"instrument"`
	// Guarantor is the code of the guarantor that made it, one of the
	// instrument's signatories.
	Guarantor   string   `json:"guarantor" yaml:"guarantor"`
	Category    Category `json:"category" yaml:"category"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	// Quantity is how many of Unit, such as 40 "systems"; 0 when not
	// counted in units.
	Quantity float64 `json:"quantity,omitempty" yaml:"quantity,omitempty"`
	Unit     string  `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Value is the worth in Currency; 0 when not valued.
	Value float64 `json:"value,omitempty" yaml:"value,omitempty"`
	// Currency is an ISO 4217 code such as EUR.
	Currency string `json:"currency,omitempty" yaml:"currency,omitempty"`
	// Schedule says in words when it is due; Due lists the dates.
	Schedule string `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Due      []Date `json:"due,omitempty" yaml:"due,omitempty"`
	// CommittedOn is when it was announced; absent, the instrument's
	// signature is the best date there is (see FillCommittedOn).
	CommittedOn Date `json:"committed_on,omitzero" yaml:"committed_on,omitempty"`
	// Committed is the amount promised.
	Committed float64 `json:"committed" yaml:"committed"`
	// Allocated is the part earmarked for delivery: at most Committed.
	Allocated float64 `json:"allocated" yaml:"allocated"`
	// Deliveries are what arrived, each dated.
	Deliveries []Delivery `json:"deliveries,omitempty" yaml:"deliveries,omitempty"`
	// Caveats are conditions on its use, in words.
	Caveats string `json:"caveats,omitempty" yaml:"caveats,omitempty"`
	// ExcludedRegions are codes of the terms' regions where what it
	// provides may not be used.
	ExcludedRegions []string `json:"excluded_regions,omitempty" yaml:"excluded_regions,omitempty"`
	// ExcludedTasks are the tasks it may not be used for, such as
	// offensive_operations or cross_border_strikes.
	ExcludedTasks []string `json:"excluded_tasks,omitempty" yaml:"excluded_tasks,omitempty"`
	// Illustrative is true for a commitment that records no real pledge.
	Illustrative bool `json:"illustrative,omitempty" yaml:"illustrative,omitempty"`
}

// Delivered returns the sum of the amounts of c's deliveries.
func (c Commitment) Delivered() float64 {
	var sum float64
	for _, d := range c.Deliveries {
		sum += d.Amount
	}
	return sum
}

// Measure returns what c's figures are counted in: its currency if it has
// one, else its unit.
func (c Commitment) Measure() string {
	if c.Currency != "" {
		return c.Currency
	}
	return c.Unit
}

// Delivery is one delivery against a commitment.
type Delivery struct {
	// ID, when given, is the reporter's own id for the delivery (idForm),
	// unique within its commitment: a report sent again with the same id is
	// recognised, not counted twice.
	ID   string `json:"id,omitempty" yaml:"id,omitempty"`
	Date Date   `json:"date" yaml:"date"`
	// Amount is in the commitment's Measure, more than 0.
	Amount float64 `json:"amount" yaml:"amount"`
	Note   string  `json:"note,omitempty" yaml:"note,omitempty"`
}

// Guarantor returns the guarantor with the code, if there is one.
func (r Registry) Guarantor(code string) (Guarantor, bool) {
	for _, g := range r.Guarantors {
		if g.Code == code {
			return g, true
		}
	}
	return Guarantor{}, false
}

// Instrument returns the instrument with the id, if there is one.
func (r Registry) Instrument(id string) (Instrument, bool) {
	for _, in := range r.Instruments {
		if in.ID == id {
			return in, true
		}
	}
	return Instrument{}, false
}

// FillCommittedOn returns a copy of cs in which each commitment without a
// CommittedOn date takes the Signed date of its instrument, when the
// instrument is among ins. The copies share their slices (deliveries, due
// dates) with cs.
func FillCommittedOn(cs []Commitment, ins []Instrument) []Commitment {
	signed := make(map[string]Date, len(ins))
	for _, in := range ins {
		signed[in.ID] = in.Signed
	}
	out := make([]Commitment, len(cs))
	for i, c := range cs {
		if c.CommittedOn.IsZero() {
			c.CommittedOn = signed[c.Instrument]
		}
		out[i] = c
	}
	return out
}

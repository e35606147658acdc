package trigger

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors Determine and Act wrap; test with errors.Is.
var (
	// ErrRefused is a determination or an action the state machine does
	// not allow in this state or from this person.
	ErrRefused = errors.New("refused")
	// ErrInvalid is a malformed determination or action: no reason, no
	// person, no time, an unknown kind.
	ErrInvalid = errors.New("invalid")
)

// ActivationState is where an activation is.
type ActivationState string

// The activation states.
const (
	// Proposed: a clause's condition holds; the authority has not
	// determined it.
	Proposed ActivationState = "proposed"
	// Confirmed: the authority confirmed it; its obligations run.
	Confirmed ActivationState = "confirmed"
	// Declined: the authority declined it.
	Declined ActivationState = "declined"
)

// Activation is a clause proposed for activation, and what the authority
// made of it.
type Activation struct {
	ID         string `json:"id"`
	Clause     string `json:"clause"`
	Instrument string `json:"instrument,omitempty"`
	// Findings are the ids of the findings it rests on, sorted.
	Findings   []string        `json:"findings"`
	ProposedAt time.Time       `json:"proposed_at"`
	State      ActivationState `json:"state"`
	// Determination is the authority's; nil while proposed.
	Determination *Determination `json:"determination,omitempty"`
}

// Determination is the designated authority's decision on a proposed
// activation.
type Determination struct {
	// Confirm confirms the activation; false declines it.
	Confirm bool   `json:"confirm"`
	By      string `json:"by"`
	Nation  string `json:"nation,omitempty"`
	// Reason is required, for a decline as for a confirmation.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Propose is the activation a proposal opens, with the id given.
func Propose(id string, p Proposal) Activation {
	return Activation{
		ID: id, Clause: p.Clause, Instrument: p.Instrument, Findings: slices.Clone(p.Findings),
		ProposedAt: p.At, State: Proposed,
	}
}

// Novel reports whether a proposal is new: false when an activation of the
// same clause, whatever its state, already rests on all of the proposal's
// findings, so that evaluating the clauses again on each new finding does
// not propose the same thing twice, and a decline stands until a new
// finding comes.
func Novel(p Proposal, known []Activation) bool {
	for _, a := range known {
		if a.Clause != p.Clause {
			continue
		}
		if !slices.ContainsFunc(p.Findings, func(f string) bool { return !slices.Contains(a.Findings, f) }) {
			return false
		}
	}
	return true
}

// Determine applies the authority's determination to a proposed activation
// of clause c. A confirmation creates one obligation per guarantor the
// clause names, due the clause's deadline after the determination,
// counted in UTC: a deadline of 24h is 24 elapsed hours, across a change
// of daylight-saving time too. An obligation's id is the activation's and
// the guarantor's ("<activation>:<guarantor>"). A decline creates none.
// On error the activation is returned unchanged.
func Determine(a Activation, c Clause, d Determination) (Activation, []Obligation, error) {
	what := "decline"
	if d.Confirm {
		what = "confirmation"
	}
	switch {
	case strings.TrimSpace(d.By) == "":
		return a, nil, fmt.Errorf("%s of activation %s: %w: who determined it is required", what, a.ID, ErrInvalid)
	case strings.TrimSpace(d.Reason) == "":
		return a, nil, fmt.Errorf("%s of activation %s: %w: a reason is required", what, a.ID, ErrInvalid)
	case d.At.IsZero():
		return a, nil, fmt.Errorf("%s of activation %s: %w: the time is required", what, a.ID, ErrInvalid)
	case c.ID != a.Clause:
		return a, nil, fmt.Errorf("%s of activation %s: %w: it is of clause %s, not %s", what, a.ID, ErrInvalid, a.Clause, c.ID)
	case a.State != Proposed:
		return a, nil, fmt.Errorf("%s of activation %s by %s: %w: it is %s already", what, a.ID, d.By, ErrRefused, a.State)
	case d.At.Before(a.ProposedAt):
		return a, nil, fmt.Errorf("%s of activation %s: %w: %s is before it was proposed (%s)", what, a.ID, ErrInvalid,
			d.At.UTC().Format(time.RFC3339), a.ProposedAt.UTC().Format(time.RFC3339))
	}
	var obligations []Obligation
	if d.Confirm {
		if err := c.Validate(); err != nil {
			return a, nil, fmt.Errorf("%s of activation %s: %w: %w", what, a.ID, ErrInvalid, err)
		}
		at := d.At.UTC()
		instrument := cmp.Or(a.Instrument, c.Instrument)
		for _, spec := range c.Obligations {
			obligations = append(obligations, Obligation{
				ID: a.ID + ":" + spec.Guarantor, Activation: a.ID, Clause: c.ID, Instrument: instrument,
				Guarantor: spec.Guarantor, Type: spec.Type, Responsible: cmp.Or(spec.Responsible, ResponsibleLiaison),
				Created: at, Deadline: at.Add(time.Duration(spec.Deadline)), State: Open,
			})
		}
	}
	out := a
	out.Findings = slices.Clone(a.Findings)
	out.State = Declined
	if d.Confirm {
		out.State = Confirmed
	}
	out.Determination = &d
	return out, obligations, nil
}

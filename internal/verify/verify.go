// Package verify is the analysts' workflow over candidate violations: who
// may do what to a candidate, and what it makes of it. A candidate becomes
// verified only when analysts of two different nations confirm it, neither
// of them the person who submitted an observation it rests on; a rejection
// with a reason sends it to a second review; re-opening a finding is an
// action, never an edit. Every action is kept, with who, when and why, as
// the candidate's history.
//
// The package is pure: a review and an action go in, the review after the
// action comes out, or an error that says why the action is refused.
package verify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is where a candidate is in the workflow.
type State string

// The states.
const (
	// Open: proposed by a rule, awaiting analysts.
	Open State = "open"
	// MoreInformation: an analyst asked for more before deciding.
	MoreInformation State = "more_information"
	// SecondReview: rejected once, with a reason; it needs a second look.
	SecondReview State = "second_review"
	// Verified: confirmed by analysts of two nations.
	Verified State = "verified"
	// Rejected: rejected again in the second review.
	Rejected State = "rejected"
	// Merged: merged into another candidate (Review.MergedInto).
	Merged State = "merged"
	// Split: split into other candidates (Review.SplitInto).
	Split State = "split"
)

// States returns every state, in the order of the workflow.
func States() []State {
	return []State{Open, MoreInformation, SecondReview, Verified, Rejected, Merged, Split}
}

// Kind is what an action does.
type Kind string

// The actions.
const (
	Confirm Kind = "confirm"
	Reject  Kind = "reject"
	// AskMore asks for more information.
	AskMore Kind = "request_information"
	// MergeInto merges this candidate into Action.Target.
	MergeInto Kind = "merge"
	// SplitInto splits this candidate into Action.Parts.
	SplitInto Kind = "split"
	// Reopen opens a verified, rejected, merged or split candidate again.
	Reopen Kind = "reopen"
)

// Analyst is who acts.
type Analyst struct {
	Name   string
	Nation string
}

// Action is one analyst's action on a candidate.
type Action struct {
	Kind    Kind
	Analyst Analyst
	At      time.Time
	// Reason is required: every action says why.
	Reason string
	// Target is the candidate a merge goes into.
	Target string
	// Parts are the ids of the candidates a split makes (at least two).
	Parts []string
}

// Review is a candidate's workflow: its state, the confirmations that
// count, and every action taken.
type Review struct {
	Candidate string
	State     State
	// Submitters are the users who submitted the observations the
	// candidate rests on: none of them may confirm it.
	Submitters []string
	// Confirmations are the confirmations that count towards verification
	// in the current round: one per analyst.
	Confirmations []Action
	MergedInto    string
	SplitInto     []string
	// History is every action, oldest first.
	History []Action
}

// NationsNeeded is how many nations must confirm a candidate.
const NationsNeeded = 2

// Errors Apply wraps; test with errors.Is.
var (
	// ErrRefused is an action the workflow does not allow in this state or
	// from this analyst.
	ErrRefused = errors.New("refused")
	// ErrInvalid is a malformed action: no reason, no analyst, a bad target.
	ErrInvalid = errors.New("invalid action")
)

// New is the review of a new candidate.
func New(candidate string, submitters []string) Review {
	return Review{Candidate: candidate, State: Open, Submitters: slices.Clone(submitters)}
}

// Apply applies an action and returns the review after it, or the review
// unchanged and an error that says why the action is refused.
func Apply(r Review, a Action) (Review, error) {
	if err := check(a); err != nil {
		return r, fmt.Errorf("%s on %s: %w", a.Kind, r.Candidate, err)
	}
	refuse := func(format string, args ...any) (Review, error) {
		return r, fmt.Errorf("%s on %s by %s: %w: %s", a.Kind, r.Candidate, a.Analyst.Name, ErrRefused, fmt.Sprintf(format, args...))
	}
	out := r
	out.Confirmations = slices.Clone(r.Confirmations)
	out.History = append(slices.Clone(r.History), a)
	closed := r.State == Verified || r.State == Rejected || r.State == Merged || r.State == Split
	switch a.Kind {
	case Confirm:
		switch {
		case closed:
			return refuse("it is %s; re-open it first", r.State)
		case slices.Contains(r.Submitters, a.Analyst.Name):
			return refuse("%s submitted an observation it rests on", a.Analyst.Name)
		case slices.ContainsFunc(r.Confirmations, func(c Action) bool { return c.Analyst.Name == a.Analyst.Name }):
			return refuse("%s has confirmed it already", a.Analyst.Name)
		}
		out.Confirmations = append(out.Confirmations, a)
		if len(nations(out.Confirmations)) >= NationsNeeded {
			out.State = Verified
		} else if r.State == MoreInformation {
			out.State = Open
		}
	case Reject:
		switch {
		case closed:
			return refuse("it is %s; re-open it first", r.State)
		case r.State == SecondReview:
			out.State = Rejected
		default:
			out.State = SecondReview
		}
		// A rejection starts the round again: confirmations before it
		// were made without the objection.
		out.Confirmations = nil
	case AskMore:
		if closed {
			return refuse("it is %s; re-open it first", r.State)
		}
		if r.State != SecondReview {
			out.State = MoreInformation
		}
	case MergeInto:
		if closed {
			return refuse("it is %s; re-open it first", r.State)
		}
		if a.Target == r.Candidate {
			return refuse("a candidate cannot be merged into itself")
		}
		out.State, out.MergedInto, out.Confirmations = Merged, a.Target, nil
	case SplitInto:
		if closed {
			return refuse("it is %s; re-open it first", r.State)
		}
		out.State, out.SplitInto, out.Confirmations = Split, slices.Clone(a.Parts), nil
	case Reopen:
		if !closed {
			return refuse("it is %s, not closed", r.State)
		}
		out.State, out.MergedInto, out.SplitInto, out.Confirmations = Open, "", nil, nil
	}
	return out, nil
}

// check reports what is malformed in an action.
func check(a Action) error {
	switch {
	case strings.TrimSpace(a.Analyst.Name) == "" || strings.TrimSpace(a.Analyst.Nation) == "":
		return fmt.Errorf("%w: the analyst and their nation are required", ErrInvalid)
	case strings.TrimSpace(a.Reason) == "":
		return fmt.Errorf("%w: a reason is required", ErrInvalid)
	case a.At.IsZero():
		return fmt.Errorf("%w: the time is required", ErrInvalid)
	}
	switch a.Kind {
	case Confirm, Reject, AskMore, Reopen:
	case MergeInto:
		if a.Target == "" {
			return fmt.Errorf("%w: a merge needs the candidate to merge into", ErrInvalid)
		}
	case SplitInto:
		if len(a.Parts) < 2 || slices.Contains(a.Parts, "") {
			return fmt.Errorf("%w: a split needs at least two parts, each named", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, a.Kind)
	}
	return nil
}

// nations returns the nations of the confirmations, each once, in order.
func nations(cs []Action) []string {
	var out []string
	for _, c := range cs {
		if !slices.Contains(out, c.Analyst.Nation) {
			out = append(out, c.Analyst.Nation)
		}
	}
	return out
}

// Needed says, in words, what a candidate still needs to be verified: for
// the interface's "who confirmed, what is still needed".
func (r Review) Needed() string {
	switch r.State {
	case Verified, Rejected, Merged, Split:
		return ""
	}
	have := nations(r.Confirmations)
	switch len(have) {
	case 0:
		return fmt.Sprintf("confirmations by analysts of %d nations", NationsNeeded)
	default:
		return fmt.Sprintf("a confirmation by an analyst of a nation other than %s", strings.Join(have, ", "))
	}
}

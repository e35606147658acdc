package trigger

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ObligationState is where an obligation is.
type ObligationState string

// The obligation states. Overdue is not a state: it is Overdue(o, now).
const (
	// Open: created by a confirmation; nobody has acknowledged it yet.
	Open ObligationState = "open"
	// Acknowledged: a liaison of the guarantor acknowledged it.
	Acknowledged ObligationState = "acknowledged"
	// Met: a liaison of the guarantor closed it as met. Nothing follows.
	Met ObligationState = "met"
)

// Obligation is what one guarantor owes under a confirmed activation, by
// its deadline.
type Obligation struct {
	// ID is "<activation>:<guarantor>".
	ID         string         `json:"id"`
	Activation string         `json:"activation"`
	Clause     string         `json:"clause"`
	Instrument string         `json:"instrument,omitempty"`
	Guarantor  string         `json:"guarantor"`
	Type       ObligationType `json:"type"`
	// Responsible is who answers for it: "liaison", the liaison officers
	// of the guarantor's nation.
	Responsible string    `json:"responsible"`
	Created     time.Time `json:"created"`
	// Deadline is Created plus the clause's deadline, in UTC.
	Deadline time.Time       `json:"deadline"`
	State    ObligationState `json:"state"`
	// Escalation is the number of steps of the ladder taken.
	Escalation int `json:"escalation"`
	// History is every action accepted, oldest first.
	History []ObligationAction `json:"history"`
}

// The kinds of obligation actions.
const (
	KindAcknowledge  = "acknowledge"
	KindRecordAction = "record_action"
	KindClose        = "close"
	// KindEscalate is the ladder's, never a person's (Escalations).
	KindEscalate = "escalate"
)

// SystemActor is the By of the actions guarantor takes by itself: the
// steps of the escalation ladder.
const SystemActor = "system"

// ObligationAction is one action on an obligation.
type ObligationAction struct {
	// Kind is acknowledge, record_action, close or escalate.
	Kind   string `json:"kind"`
	By     string `json:"by"`
	Nation string `json:"nation,omitempty"`
	// Note says what was done: required to record an action and to close.
	Note string    `json:"note,omitempty"`
	At   time.Time `json:"at"`
	// Step is, for an escalation, whom it notified (Step.Notify).
	Step string `json:"step,omitempty"`
}

// Actor is who acts on an obligation.
type Actor struct {
	Name   string
	Nation string
	// Liaison says they hold the role liaison (of Nation).
	Liaison bool
}

// Act applies a person's action to an obligation and returns the
// obligation after it, or the obligation unchanged and an error that says
// why the action is refused.
//
// Only a liaison officer whose nation is the obligation's guarantor may
// act on it. acknowledge acknowledges an open obligation; record_action
// records, with a note, an action taken, and acknowledges an open
// obligation with it (acting on it implies knowing of it); close, with a
// note, makes it met, from open or acknowledged. Nothing is accepted once
// it is met, and escalation is not a person's action (Escalate). The
// action's By and Nation are the actor's, whatever the action says.
func Act(o Obligation, who Actor, a ObligationAction) (Obligation, error) {
	a.By, a.Nation = who.Name, who.Nation
	if err := checkAction(o, a); err != nil {
		return o, fmt.Errorf("%s on obligation %s: %w", a.Kind, o.ID, err)
	}
	refuse := func(format string, args ...any) (Obligation, error) {
		return o, fmt.Errorf("%s on obligation %s by %s: %w: %s", a.Kind, o.ID, who.Name, ErrRefused, fmt.Sprintf(format, args...))
	}
	switch {
	case a.Kind == KindEscalate:
		return refuse("escalation follows the ladder, not a person")
	case o.State == Met:
		return refuse("it is met; nothing follows")
	case !who.Liaison:
		return refuse("%s is not a liaison officer", who.Name)
	case who.Nation != o.Guarantor:
		return refuse("%s is a liaison of %s, and the obligation is %s's", who.Name, nationOrNone(who.Nation), o.Guarantor)
	}
	out := o
	out.History = append(slices.Clone(o.History), a)
	switch a.Kind {
	case KindAcknowledge:
		if o.State != Open {
			return refuse("it is %s already", o.State)
		}
		out.State = Acknowledged
	case KindRecordAction:
		out.State = Acknowledged
	case KindClose:
		out.State = Met
	}
	return out, nil
}

// nationOrNone names a nation, or says there is none.
func nationOrNone(nation string) string {
	if nation == "" {
		return "no nation"
	}
	return nation
}

// checkAction reports what is malformed in an action.
func checkAction(o Obligation, a ObligationAction) error {
	switch {
	case strings.TrimSpace(a.By) == "":
		return fmt.Errorf("%w: who acts is required", ErrInvalid)
	case a.At.IsZero():
		return fmt.Errorf("%w: the time is required", ErrInvalid)
	case a.At.Before(o.Created):
		return fmt.Errorf("%w: %s is before the obligation was created (%s)", ErrInvalid,
			a.At.UTC().Format(time.RFC3339), o.Created.UTC().Format(time.RFC3339))
	}
	switch a.Kind {
	case KindAcknowledge, KindEscalate:
	case KindRecordAction, KindClose:
		if strings.TrimSpace(a.Note) == "" {
			return fmt.Errorf("%w: a note saying what was done is required", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: unknown action %q (acknowledge, record_action or close)", ErrInvalid, a.Kind)
	}
	return nil
}

// Overdue reports whether an obligation is past its deadline and not met.
func Overdue(o Obligation, now time.Time) bool {
	return o.State != Met && !now.Before(o.Deadline)
}

// Approaching reports whether an obligation not met is due within warn:
// now in [Deadline-warn, Deadline). It is when guarantor sends
// obligation.deadline_approaching.
func Approaching(o Obligation, now time.Time, warn time.Duration) bool {
	return o.State != Met && warn > 0 && !now.Before(o.Deadline.Add(-warn)) && now.Before(o.Deadline)
}

// Whom a step of the escalation ladder notifies.
const (
	NotifyLiaison      = "liaison"
	NotifyNationAdmins = "nation_admins"
	NotifyCoalition    = "coalition"
)

// Step is a step of the escalation ladder: whom to notify, how long after
// the deadline of an obligation not met.
type Step struct {
	After time.Duration
	// Notify is liaison, nation_admins or coalition.
	Notify string
}

// Ladder is the escalation ladder: its steps, in the order of After.
type Ladder []Step

// DefaultLadder notifies the guarantor's liaison at the deadline, the
// nation's admins 12 hours later, and the whole coalition 24 hours later.
func DefaultLadder() Ladder {
	return Ladder{
		{After: 0, Notify: NotifyLiaison},
		{After: 12 * time.Hour, Notify: NotifyNationAdmins},
		{After: 24 * time.Hour, Notify: NotifyCoalition},
	}
}

// Validate reports what is wrong with a ladder: no steps, a step before
// the deadline or before the step above it, or an unknown Notify.
func (l Ladder) Validate() error {
	if len(l) == 0 {
		return errors.New("trigger: the escalation ladder has no steps")
	}
	var errs []error
	for i, s := range l {
		switch s.Notify {
		case NotifyLiaison, NotifyNationAdmins, NotifyCoalition:
		default:
			errs = append(errs, fmt.Errorf("step %d: unknown notify %q (liaison, nation_admins or coalition)", i+1, s.Notify))
		}
		if s.After < 0 {
			errs = append(errs, fmt.Errorf("step %d: %s is before the deadline", i+1, s.After))
		}
		if i > 0 && s.After < l[i-1].After {
			errs = append(errs, fmt.Errorf("step %d: %s after the deadline comes before step %d (%s)", i+1, s.After, i, l[i-1].After))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("trigger: escalation ladder: %w", errors.Join(errs...))
	}
	return nil
}

// Escalations returns the escalation actions due on an obligation at now:
// the steps of the ladder not yet taken (from o.Escalation on) whose time,
// the deadline plus the step's After, has come, in order. None once it is
// met. Each is dated now; apply them with Escalate.
func Escalations(o Obligation, now time.Time, l Ladder) []ObligationAction {
	if o.State == Met {
		return nil
	}
	var out []ObligationAction
	for i := max(o.Escalation, 0); i < len(l); i++ {
		due := o.Deadline.Add(l[i].After)
		if now.Before(due) {
			break
		}
		out = append(out, ObligationAction{
			Kind: KindEscalate, By: SystemActor, At: now, Step: l[i].Notify,
			Note: fmt.Sprintf("%s owes %s and has not met it: the deadline was %s; step %d of the ladder, due %s, notifies %s",
				o.Guarantor, o.Type, o.Deadline.UTC().Format(time.RFC3339), i+1, due.UTC().Format(time.RFC3339), l[i].Notify),
		})
	}
	return out
}

// Escalate applies an escalation action Escalations returned: one more
// step of the ladder taken, and the action in the history. Anything else,
// or an obligation met, is returned unchanged.
func Escalate(o Obligation, a ObligationAction) Obligation {
	if a.Kind != KindEscalate || o.State == Met {
		return o
	}
	out := o
	out.History = append(slices.Clone(o.History), a)
	out.Escalation++
	return out
}

// String writes a ladder as ParseLadder reads it: "0s=liaison,12h0m0s=nation_admins,…".
func (l Ladder) String() string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = s.After.String() + "=" + s.Notify
	}
	return strings.Join(parts, ",")
}

// ParseLadder reads a ladder written as comma-separated steps, each a
// duration after the deadline and whom it notifies:
// "0s=liaison,12h=nation_admins,24h=coalition". The ladder must validate.
func ParseLadder(s string) (Ladder, error) {
	var l Ladder
	for i, part := range strings.Split(s, ",") {
		after, who, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("trigger: escalation step %d %q: want DURATION=WHOM, such as 12h=nation_admins", i+1, part)
		}
		d, err := time.ParseDuration(strings.TrimSpace(after))
		if err != nil {
			return nil, fmt.Errorf("trigger: escalation step %d %q: %w", i+1, part, err)
		}
		l = append(l, Step{After: d, Notify: strings.TrimSpace(who)})
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

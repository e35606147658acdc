package trigger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	fraLiaison = Actor{Name: "claire", Nation: "FRA", Liaison: true}
	gbrLiaison = Actor{Name: "george", Nation: "GBR", Liaison: true}
	fraAdmin   = Actor{Name: "paul", Nation: "FRA"}
)

// confirmed is the FRA obligation of consult() confirmed at now.
func confirmed(t *testing.T) Obligation {
	t.Helper()
	_, obligations, err := Determine(proposed(), consult(), determination(true, now))
	if err != nil {
		t.Fatal(err)
	}
	return obligations[0]
}

func action(kind, note string, at time.Time) ObligationAction {
	return ObligationAction{Kind: kind, Note: note, At: at}
}

// TestObligationMet is an obligation's life to the end: acknowledged, an
// action recorded, closed as met, and nothing after.
func TestObligationMet(t *testing.T) {
	o := confirmed(t)
	steps := []struct {
		a    ObligationAction
		want ObligationState
	}{
		{action(KindAcknowledge, "", now.Add(time.Hour)), Acknowledged},
		{action(KindRecordAction, "Ambassadors met in Paris; a statement is agreed.", now.Add(5*time.Hour)), Acknowledged},
		{action(KindClose, "Consultations held at ministerial level.", now.Add(20*time.Hour)), Met},
	}
	for i, s := range steps {
		next, err := Act(o, fraLiaison, s.a)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, s.a.Kind, err)
		}
		if next.State != s.want || len(next.History) != i+1 {
			t.Fatalf("step %d (%s): %s with %d actions, want %s", i, s.a.Kind, next.State, len(next.History), s.want)
		}
		if h := next.History[i]; h.By != "claire" || h.Nation != "FRA" || h.Kind != s.a.Kind {
			t.Errorf("step %d: history %+v", i, h)
		}
		if len(o.History) != i {
			t.Fatal("Act changed the obligation it was given")
		}
		o = next
	}
	if _, err := Act(o, fraLiaison, action(KindRecordAction, "more", now.Add(21*time.Hour))); !errors.Is(err, ErrRefused) {
		t.Errorf("an action after met: %v, want ErrRefused", err)
	}
	if got := Escalations(o, now.Add(100*time.Hour), DefaultLadder()); len(got) != 0 {
		t.Errorf("escalations of a met obligation: %+v", got)
	}
	if Overdue(o, now.Add(100*time.Hour)) {
		t.Error("a met obligation is overdue")
	}
}

func TestAct(t *testing.T) {
	at := now.Add(time.Hour)
	acknowledged := func(t *testing.T) Obligation {
		o, err := Act(confirmed(t), fraLiaison, action(KindAcknowledge, "", at))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name  string
		o     func(*testing.T) Obligation
		who   Actor
		a     ObligationAction
		want  ObligationState
		err   error
		cause string // in the error
	}{
		{"acknowledge", confirmed, fraLiaison, action(KindAcknowledge, "", at), Acknowledged, nil, ""},
		{"record an action on an open one acknowledges it", confirmed, fraLiaison, action(KindRecordAction, "called", at), Acknowledged, nil, ""},
		{"close an open one", confirmed, fraLiaison, action(KindClose, "done", at), Met, nil, ""},
		{"acknowledge twice", acknowledged, fraLiaison, action(KindAcknowledge, "", at), "", ErrRefused, "acknowledged already"},
		{"another nation's liaison", confirmed, gbrLiaison, action(KindAcknowledge, "", at), "", ErrRefused, "george is a liaison of GBR, and the obligation is FRA's"},
		{"another nation's liaison closing", acknowledged, gbrLiaison, action(KindClose, "done", at), "", ErrRefused, "liaison of GBR"},
		{"not a liaison", confirmed, fraAdmin, action(KindAcknowledge, "", at), "", ErrRefused, "paul is not a liaison officer"},
		{"a liaison of no nation", confirmed, Actor{Name: "x", Liaison: true}, action(KindAcknowledge, "", at), "", ErrRefused, "liaison of no nation"},
		{"escalate by hand", confirmed, fraLiaison, action(KindEscalate, "", at), "", ErrRefused, "ladder"},
		{"an action without a note", confirmed, fraLiaison, action(KindRecordAction, " ", at), "", ErrInvalid, "note"},
		{"close without a note", acknowledged, fraLiaison, action(KindClose, "", at), "", ErrInvalid, "note"},
		{"no time", confirmed, fraLiaison, action(KindAcknowledge, "", time.Time{}), "", ErrInvalid, "time"},
		{"before the obligation", confirmed, fraLiaison, action(KindAcknowledge, "", now.Add(-time.Minute)), "", ErrInvalid, "before the obligation was created"},
		{"nobody", confirmed, Actor{Nation: "FRA", Liaison: true}, action(KindAcknowledge, "", at), "", ErrInvalid, "who acts"},
		{"an unknown kind", confirmed, fraLiaison, action("cancel", "x", at), "", ErrInvalid, `unknown action "cancel"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o(t)
			got, err := Act(o, tc.who, tc.a)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tc.want || len(got.History) != len(o.History)+1 {
					t.Errorf("%s with %d actions, want %s with %d", got.State, len(got.History), tc.want, len(o.History)+1)
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.cause) {
				t.Fatalf("Act() = %v, want %v saying %q", err, tc.err, tc.cause)
			}
			if got.State != o.State || len(got.History) != len(o.History) {
				t.Error("a refused action changed the obligation")
			}
		})
	}
}

// TestEscalation: an overdue obligation climbs the default ladder, each
// step once and at its time, and stops when met.
func TestEscalation(t *testing.T) {
	o := confirmed(t)
	deadline := o.Deadline
	steps := []struct {
		at   time.Duration // after the deadline
		want []string      // the steps due
	}{
		{-time.Minute, nil},
		{0, []string{NotifyLiaison}},
		{time.Hour, nil},
		{12*time.Hour - time.Second, nil},
		{12 * time.Hour, []string{NotifyNationAdmins}},
		{23 * time.Hour, nil},
		{24 * time.Hour, []string{NotifyCoalition}},
		{48 * time.Hour, nil},
	}
	for _, s := range steps {
		now := deadline.Add(s.at)
		if got, want := Overdue(o, now), s.at >= 0; got != want {
			t.Errorf("%v after the deadline: Overdue() = %v, want %v", s.at, got, want)
		}
		due := Escalations(o, now, DefaultLadder())
		var got []string
		for _, a := range due {
			got = append(got, a.Step)
			if a.Kind != KindEscalate || a.By != SystemActor || !a.At.Equal(now) || !strings.Contains(a.Note, "FRA owes consult") {
				t.Errorf("escalation %+v", a)
			}
			o = Escalate(o, a)
		}
		if strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Errorf("%v after the deadline: steps %q, want %q", s.at, got, s.want)
		}
	}
	if o.Escalation != 3 || len(o.History) != 3 {
		t.Errorf("escalation %d with %d actions, want 3 and 3", o.Escalation, len(o.History))
	}
}

func TestEscalationCatchesUp(t *testing.T) {
	o := confirmed(t)
	due := Escalations(o, o.Deadline.Add(30*time.Hour), DefaultLadder())
	if len(due) != 3 || due[0].Step != NotifyLiaison || due[1].Step != NotifyNationAdmins || due[2].Step != NotifyCoalition {
		t.Fatalf("escalations %+v, want the three steps in order", due)
	}
	o = Escalate(o, due[0])
	if got := Escalations(o, o.Deadline.Add(30*time.Hour), DefaultLadder()); len(got) != 2 || got[0].Step != NotifyNationAdmins {
		t.Errorf("after one step: %+v", got)
	}
	met, err := Act(o, fraLiaison, action(KindClose, "held", o.Deadline.Add(31*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if got := Escalations(met, met.Deadline.Add(40*time.Hour), DefaultLadder()); len(got) != 0 {
		t.Errorf("escalations after met: %+v", got)
	}
	if got := Escalate(met, due[1]); got.Escalation != met.Escalation || len(got.History) != len(met.History) {
		t.Error("Escalate changed a met obligation")
	}
	if got := Escalate(o, action(KindClose, "x", now)); got.Escalation != o.Escalation || got.State != o.State {
		t.Error("Escalate applied an action that is not an escalation")
	}
}

func TestApproaching(t *testing.T) {
	o := confirmed(t)
	warn := 2 * time.Hour
	tests := []struct {
		at   time.Duration // after the deadline
		want bool
	}{
		{-3 * time.Hour, false},
		{-2*time.Hour - time.Second, false},
		{-2 * time.Hour, true},
		{-time.Second, true},
		{0, false},
	}
	for _, tc := range tests {
		if got := Approaching(o, o.Deadline.Add(tc.at), warn); got != tc.want {
			t.Errorf("%v after the deadline: Approaching() = %v, want %v", tc.at, got, tc.want)
		}
	}
	met := o
	met.State = Met
	if Approaching(met, o.Deadline.Add(-time.Hour), warn) {
		t.Error("a met obligation is approaching its deadline")
	}
}

func TestLadderValidate(t *testing.T) {
	tests := []struct {
		name string
		l    Ladder
		want string // in the error; "" for none
	}{
		{"default", DefaultLadder(), ""},
		{"one step", Ladder{{After: time.Hour, Notify: NotifyCoalition}}, ""},
		{"two steps at once", Ladder{{0, NotifyLiaison}, {0, NotifyNationAdmins}}, ""},
		{"empty", nil, "no steps"},
		{"unknown notify", Ladder{{0, "press"}}, `unknown notify "press"`},
		{"before the deadline", Ladder{{-time.Hour, NotifyLiaison}}, "before the deadline"},
		{"descending", Ladder{{12 * time.Hour, NotifyLiaison}, {time.Hour, NotifyCoalition}}, "comes before step 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

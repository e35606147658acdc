package trigger

import (
	"errors"
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Kyiv, wherever the tests run
)

// consult is a clause that obliges FRA to consult within 24 hours and GBR
// to provide assistance within a week.
func consult() Clause {
	return Clause{ID: "consult-24h", Instrument: "paris-2026", Condition: `verified("major", "A", duration("72h")) >= 1`,
		Obligations: []ObligationSpec{
			{Guarantor: "FRA", Type: Consult, Deadline: Duration(24 * time.Hour)},
			{Guarantor: "GBR", Type: ProvideAssistance, Deadline: Duration(168 * time.Hour), Responsible: "liaison"},
		}}
}

func proposed() Activation {
	return Propose("act-1", Proposal{Clause: "consult-24h", Instrument: "paris-2026", Findings: []string{"f1", "f2"}, At: now})
}

func determination(confirm bool, at time.Time) Determination {
	return Determination{Confirm: confirm, By: "authority-1", Nation: "FRA", Reason: "the findings show an armed attack", At: at}
}

func TestPropose(t *testing.T) {
	p := Proposal{Clause: "c1", Instrument: "i1", Findings: []string{"f1"}, At: now}
	a := Propose("act-9", p)
	want := Activation{ID: "act-9", Clause: "c1", Instrument: "i1", Findings: []string{"f1"}, ProposedAt: now, State: Proposed}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("Propose() = %+v, want %+v", a, want)
	}
	p.Findings[0] = "changed"
	if a.Findings[0] != "f1" {
		t.Error("the activation shares the proposal's findings")
	}
}

func TestDetermineDecline(t *testing.T) {
	a, obligations, err := Determine(proposed(), consult(), determination(false, now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != Declined || len(obligations) != 0 || a.Determination == nil || a.Determination.Confirm {
		t.Errorf("declined: %+v, %d obligations", a, len(obligations))
	}
	if _, _, err := Determine(a, consult(), determination(true, now.Add(2*time.Hour))); !errors.Is(err, ErrRefused) {
		t.Errorf("confirming a declined activation: %v, want ErrRefused", err)
	}
}

func TestDetermineConfirm(t *testing.T) {
	at := now.Add(90 * time.Minute)
	a, obligations, err := Determine(proposed(), consult(), determination(true, at))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != Confirmed || a.Determination == nil || !a.Determination.Confirm || a.Determination.Reason == "" {
		t.Errorf("confirmed: %+v", a)
	}
	want := []Obligation{
		{ID: "act-1:FRA", Activation: "act-1", Clause: "consult-24h", Instrument: "paris-2026", Guarantor: "FRA", Type: Consult,
			Responsible: "liaison", Created: at, Deadline: at.Add(24 * time.Hour), State: Open},
		{ID: "act-1:GBR", Activation: "act-1", Clause: "consult-24h", Instrument: "paris-2026", Guarantor: "GBR", Type: ProvideAssistance,
			Responsible: "liaison", Created: at, Deadline: at.Add(168 * time.Hour), State: Open},
	}
	if !reflect.DeepEqual(obligations, want) {
		t.Errorf("obligations\n%+v\nwant\n%+v", obligations, want)
	}
	if _, _, err := Determine(a, consult(), determination(false, at)); !errors.Is(err, ErrRefused) {
		t.Errorf("declining a confirmed activation: %v, want ErrRefused", err)
	}
}

func TestDetermineInvalid(t *testing.T) {
	noReason := determination(true, now)
	noReason.Reason = " "
	noBy := determination(true, now)
	noBy.By = ""
	other := consult()
	other.ID = "other"
	tests := []struct {
		name string
		c    Clause
		d    Determination
	}{
		{"no reason", consult(), noReason},
		{"nobody", consult(), noBy},
		{"no time", consult(), determination(true, time.Time{})},
		{"before the proposal", consult(), determination(false, now.Add(-time.Second))},
		{"another clause", other, determination(true, now)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := proposed()
			got, obligations, err := Determine(a, tc.c, tc.d)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Determine() = %v, want ErrInvalid", err)
			}
			if !reflect.DeepEqual(got, a) || obligations != nil {
				t.Error("a refused determination changed the activation or made obligations")
			}
		})
	}
}

// TestDeadlineAcrossDST: a confirmation at noon in Kyiv on 28 March 2026,
// the day before the clocks go forward (29 March, 03:00 → 04:00), gives a
// 24-hour deadline 24 elapsed hours later: 13:00 in Kyiv, not noon.
func TestDeadlineAcrossDST(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 28, 12, 0, 0, 0, kyiv)
	if _, off := at.Zone(); off != 2*3600 {
		t.Fatalf("Kyiv is UTC%+d on 28 March, want +2", off/3600)
	}
	a := proposed()
	a.ProposedAt = at.Add(-time.Hour)
	_, obligations, err := Determine(a, consult(), determination(true, at))
	if err != nil {
		t.Fatal(err)
	}
	d := obligations[0].Deadline
	if d.Location() != time.UTC {
		t.Errorf("deadline in %v, want UTC", d.Location())
	}
	if got := d.Sub(at); got != 24*time.Hour {
		t.Errorf("deadline %v after the determination, want 24h", got)
	}
	if want := time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Errorf("deadline %v, want %v", d, want)
	}
	if local := d.In(kyiv); local.Hour() != 13 || local.Day() != 29 {
		t.Errorf("deadline in Kyiv %v, want 13:00 on 29 March (summer time)", local)
	}
	if naive := at.AddDate(0, 0, 1); naive.Sub(at) != 23*time.Hour {
		t.Errorf("the test does not cross the change: a calendar day is %v", naive.Sub(at))
	}
}

func TestNovel(t *testing.T) {
	act := func(clause string, state ActivationState, findings ...string) Activation {
		return Activation{ID: "a", Clause: clause, State: state, Findings: findings}
	}
	p := Proposal{Clause: "c1", Findings: []string{"f1", "f2"}, At: now}
	tests := []struct {
		name string
		p    Proposal
		open []Activation
		want bool
	}{
		{"nothing open", p, nil, true},
		{"proposed on the same findings", p, []Activation{act("c1", Proposed, "f1", "f2")}, false},
		{"confirmed on more findings", p, []Activation{act("c1", Confirmed, "f0", "f1", "f2")}, false},
		{"a new finding", p, []Activation{act("c1", Confirmed, "f1")}, true},
		{"another clause", p, []Activation{act("c2", Proposed, "f1", "f2")}, true},
		{"declined on the same findings: the decline stands", p, []Activation{act("c1", Declined, "f1", "f2")}, false},
		{"declined, then a new finding", p, []Activation{act("c1", Declined, "f1")}, true},
		{"one of several covers it", p, []Activation{act("c1", Confirmed, "f1"), act("c1", Proposed, "f2", "f1")}, false},
		{"no findings, one open", Proposal{Clause: "c1", Findings: []string{}}, []Activation{act("c1", Confirmed)}, false},
		{"no findings, one declined", Proposal{Clause: "c1", Findings: []string{}}, []Activation{act("c1", Declined)}, false},
		{"no findings, none", Proposal{Clause: "c1", Findings: []string{}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Novel(tc.p, tc.open); got != tc.want {
				t.Errorf("Novel() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLife follows a clause from the findings to its obligations: the
// condition holds, the proposal is novel once, the authority confirms,
// and the liaison meets the obligation; another proposal is declined.
func TestLife(t *testing.T) {
	s, err := Compile([]Clause{consult()})
	if err != nil {
		t.Fatal(err)
	}
	findings := []Finding{finding("f1", fire, "A", Major, 2*time.Hour), finding("f2", fire, "B", Major, time.Hour)}
	ps, err := s.Evaluate(findings, now, nil)
	if err != nil || len(ps) != 1 || !Novel(ps[0], nil) {
		t.Fatalf("Evaluate() = %+v, %v", ps, err)
	}
	a := Propose("act-1", ps[0])
	again, err := s.Evaluate(append(findings, finding("f3", same, "B", Minor, 0)), now, nil)
	if err != nil || len(again) != 1 || Novel(again[0], []Activation{a}) {
		t.Fatalf("evaluated again on an unrelated finding: %+v, %v; want it not novel", again, err)
	}
	c, _ := s.Clause(a.Clause)
	a, obligations, err := Determine(a, c, determination(true, now.Add(time.Hour)))
	if err != nil || a.State != Confirmed || len(obligations) != 2 {
		t.Fatalf("Determine() = %+v, %d obligations, %v", a, len(obligations), err)
	}
	o := obligations[0]
	for _, step := range []ObligationAction{
		action(KindAcknowledge, "", now.Add(2*time.Hour)),
		action(KindRecordAction, "The foreign ministers spoke.", now.Add(3*time.Hour)),
		action(KindClose, "Consultations held.", now.Add(4*time.Hour)),
	} {
		if o, err = Act(o, fraLiaison, step); err != nil {
			t.Fatal(err)
		}
	}
	if o.State != Met || len(o.History) != 3 || Overdue(o, o.Deadline.Add(time.Hour)) {
		t.Errorf("obligation %+v", o)
	}

	// A new major finding makes the clause novel again; the authority declines it.
	more, err := s.Evaluate(append(findings, finding("f4", fire, "A", Major, 0)), now.Add(5*time.Hour), nil)
	if err != nil || len(more) != 1 || !Novel(more[0], []Activation{a}) {
		t.Fatalf("a new finding: %+v, %v; want a novel proposal", more, err)
	}
	b := Propose("act-2", more[0])
	b, obligations, err = Determine(b, c, determination(false, now.Add(6*time.Hour)))
	if err != nil || b.State != Declined || obligations != nil {
		t.Errorf("declined: %+v, %d obligations, %v", b, len(obligations), err)
	}
}

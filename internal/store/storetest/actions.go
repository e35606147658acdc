package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// action returns a confirmation of a candidate by an analyst, as the n-th
// action of its history.
func action(id, candidate string, n int, analyst, nation string) store.ActionRecord {
	return store.ActionRecord{ID: id, Candidate: candidate, N: n, Action: verify.Action{
		Kind: verify.Confirm, Analyst: verify.Analyst{Name: analyst, Nation: nation},
		At: base.Add(time.Duration(n) * time.Minute), Reason: "the crater and the launch site agree"}}
}

func testCandidateWithdrawn(t *testing.T, h Harness) {
	s := h.Store
	a, b := Candidate("w-a", "major", 0), Candidate("w-b", "minor", time.Minute)
	b.Incident = a.Incident // two rules found the same incident
	other := Candidate("w-other", "serious", 0)
	mustPutCandidates(t, s, a, b, other)
	last := mustLastCandidateSeq(t, s)

	// The incident changed: only a is found now.
	if err := s.PutCandidates(ctx(t), []string{a.Incident}, []store.CandidateRecord{a}); err != nil {
		t.Fatal(err)
	}
	if got := queryCandidates(t, s, store.CandidateQuery{Limit: 100}); !slices.Equal(got, []string{"w-a", "w-other"}) {
		t.Errorf("queue after withdrawing w-b = %v, want w-a, w-other", got)
	}
	got := mustCandidate(t, s, "w-b")
	if !got.Withdrawn || got.Seq <= last {
		t.Errorf("w-b: withdrawn %v, seq %d; want withdrawn with a seq after %d (streams must see it)", got.Withdrawn, got.Seq, last)
	}
	if mustCandidate(t, s, "w-a").Withdrawn || mustCandidate(t, s, "w-other").Withdrawn {
		t.Error("a candidate still found, or of another incident, was withdrawn")
	}
	// Withdrawing again writes nothing.
	last = mustLastCandidateSeq(t, s)
	if err := s.PutCandidates(ctx(t), []string{a.Incident}, []store.CandidateRecord{a}); err != nil {
		t.Fatal(err)
	}
	if seq := mustLastCandidateSeq(t, s); seq != last {
		t.Errorf("withdrawing a withdrawn candidate moved the seq from %d to %d", last, seq)
	}
	// Found again, unchanged: it is current again.
	mustPutCandidates(t, s, b)
	if got := mustCandidate(t, s, "w-b"); got.Withdrawn {
		t.Error("a candidate found again is still withdrawn")
	}
	// An incident with no candidates left withdraws all the rules found,
	// but not a part an analyst split off.
	part := Candidate("w-a.split-1.1", "minor", 2*time.Minute)
	part.Incident, part.SplitFrom = a.Incident, "w-a"
	mustPutCandidates(t, s, part)
	if err := s.PutCandidates(ctx(t), []string{a.Incident}, nil); err != nil {
		t.Fatal(err)
	}
	if got := queryCandidates(t, s, store.CandidateQuery{Limit: 100}); !slices.Equal(got, []string{"w-other", "w-a.split-1.1"}) {
		t.Errorf("queue after its incident lost every candidate = %v, want w-other, w-a.split-1.1", got)
	}
	if got := mustCandidate(t, s, part.ID).SplitFrom; got != "w-a" {
		t.Errorf("the part's SplitFrom = %q, want w-a", got)
	}
}

func testCandidateState(t *testing.T, h Harness) {
	s := h.Store
	a, b := Candidate("st-a", "major", 0), Candidate("st-b", "minor", 0)
	mustPutCandidates(t, s, a, b)
	if got := mustCandidate(t, s, "st-a").State; got != string(verify.Open) {
		t.Errorf("a new candidate is %q, want open", got)
	}
	if _, err := s.AddAction(ctx(t), action("st-1", "st-a", 1, "ana", "FRA"), string(verify.Verified)); err != nil {
		t.Fatal(err)
	}
	if got := queryCandidates(t, s, store.CandidateQuery{State: string(verify.Verified), Limit: 100}); !slices.Equal(got, []string{"st-a"}) {
		t.Errorf("verified = %v, want st-a", got)
	}
	if got := queryCandidates(t, s, store.CandidateQuery{State: string(verify.Open), Limit: 100}); !slices.Equal(got, []string{"st-b"}) {
		t.Errorf("open = %v, want st-b", got)
	}
	// The rules finding it again, changed, do not touch its state.
	mustPutCandidates(t, s, withRevision(a, 2))
	if got := mustCandidate(t, s, "st-a").State; got != string(verify.Verified) {
		t.Errorf("after the rules found it again the state is %q, want verified", got)
	}
}

func testActions(t *testing.T, h Harness) {
	s := h.Store
	mustPutCandidates(t, s, Candidate("ac-a", "major", 0))
	before := mustCandidate(t, s, "ac-a")
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	first := action("ac-1", "ac-a", 1, "ana", "FRA")
	stored, err := s.AddAction(ctx(t), first, string(verify.Open))
	if err != nil {
		t.Fatal(err)
	}
	if stored.Leaf != head.Size {
		t.Errorf("the action is leaf %d, want %d, the next of the log", stored.Leaf, head.Size)
	}
	second := action("ac-2", "ac-a", 2, "ben", "GBR")
	second.Action.Kind, second.Action.Target, second.Action.Parts = verify.SplitInto, "", []string{"x", "y"}
	if _, err := s.AddAction(ctx(t), second, string(verify.Split)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Actions(ctx(t), "ac-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "ac-1" || got[1].ID != "ac-2" {
		t.Fatalf("history = %+v, want ac-1 then ac-2", got)
	}
	if got[0].Action.Analyst != first.Action.Analyst || got[0].Action.Reason != first.Action.Reason ||
		!got[0].Action.At.Equal(first.Action.At) || got[0].Action.Kind != verify.Confirm {
		t.Errorf("ac-1 came back as %+v, want %+v", got[0].Action, first.Action)
	}
	if !slices.Equal(got[1].Action.Parts, []string{"x", "y"}) {
		t.Errorf("ac-2 parts = %v", got[1].Action.Parts)
	}
	one, err := s.Action(ctx(t), "ac-2")
	if err != nil || one.Leaf != got[1].Leaf || one.Seq != got[1].Seq {
		t.Errorf("Action(ac-2) = %+v, %v; want %+v", one, err, got[1])
	}
	after := mustCandidate(t, s, "ac-a")
	if after.State != string(verify.Split) || after.Seq <= before.Seq {
		t.Errorf("candidate after the actions: state %q seq %d; want split, with a seq after %d", after.State, after.Seq, before.Seq)
	}
	// The leaf commits to the canonical bytes.
	entry, err := s.LogEntry(ctx(t), got[0].Leaf)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Kind != store.KindAction || entry.Record != "ac-1" {
		t.Errorf("log leaf %d is %s %s, want action ac-1", got[0].Leaf, entry.Kind, entry.Record)
	}
	if _, err := s.Action(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Action(nope) = %v, want ErrNotFound", err)
	}
}

func testQueryActions(t *testing.T, h Harness) {
	s := h.Store
	public := Candidate("qa-pub", "major", 0)
	secret := Candidate("qa-fra", "major", 0)
	secret.Label = label.Label{Classification: label.Secret, RelTo: []string{"FRA"}}
	mustPutCandidates(t, s, public, secret)
	for _, a := range []store.ActionRecord{
		action("qa-1", "qa-pub", 1, "ana", "FRA"),
		action("qa-2", "qa-fra", 1, "ana", "FRA"),
		action("qa-3", "qa-pub", 2, "ben", "GBR"),
		action("qa-4", "qa-fra", 2, "ben", "GBR"),
	} {
		if _, err := s.AddAction(ctx(t), a, "open"); err != nil {
			t.Fatal(err)
		}
	}
	gbr := label.DefaultScheme().VisibilityFor("GBR", label.Secret)
	tests := []struct {
		name string
		q    store.ActionQuery
		want []string
	}{
		{"all, newest first", store.ActionQuery{}, []string{"qa-4", "qa-3", "qa-2", "qa-1"}},
		{"one candidate", store.ActionQuery{Candidate: "qa-pub"}, []string{"qa-3", "qa-1"}},
		{"one analyst", store.ActionQuery{Analyst: "ana"}, []string{"qa-2", "qa-1"}},
		{"one nation", store.ActionQuery{Nation: "GBR"}, []string{"qa-4", "qa-3"}},
		{"one kind", store.ActionQuery{Kind: "reject"}, nil},
		{"from the second minute", store.ActionQuery{From: base.Add(2 * time.Minute)}, []string{"qa-4", "qa-3"}},
		{"before the second minute", store.ActionQuery{To: base.Add(2 * time.Minute)}, []string{"qa-2", "qa-1"}},
		{"what GBR may see", store.ActionQuery{Visible: &gbr}, []string{"qa-3", "qa-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			q := tc.q
			q.Limit = 1
			for {
				page, err := s.QueryActions(ctx(t), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range page.Actions {
					got = append(got, a.ID)
				}
				if page.Next == 0 {
					break
				}
				q.After = page.Next
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := s.QueryActions(ctx(t), store.ActionQuery{}); err == nil {
		t.Error("a query without a limit was accepted")
	}
}

func testActionRefusals(t *testing.T, h Harness) {
	s := h.Store
	mustPutCandidates(t, s, Candidate("ar-a", "major", 0))
	if _, err := s.AddAction(ctx(t), action("ar-1", "ar-a", 1, "ana", "FRA"), "open"); err != nil {
		t.Fatal(err)
	}
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    store.ActionRecord
		want error
	}{
		{"the same place in the history", action("ar-2", "ar-a", 1, "ben", "GBR"), store.ErrConflict},
		{"a place beyond the history", action("ar-3", "ar-a", 3, "ben", "GBR"), store.ErrConflict},
		{"an id stored already", action("ar-1", "ar-a", 2, "ben", "GBR"), store.ErrExists},
		{"no such candidate", action("ar-4", "nope", 1, "ben", "GBR"), store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.AddAction(ctx(t), tc.a, "open"); !errors.Is(err, tc.want) {
				t.Errorf("AddAction = %v, want %v", err, tc.want)
			}
		})
	}
	for _, bad := range []store.ActionRecord{action("", "ar-a", 2, "ben", "GBR"), action("ar-5", "", 1, "ben", "GBR"), action("ar-6", "ar-a", 0, "ben", "GBR")} {
		if _, err := s.AddAction(ctx(t), bad, "open"); err == nil {
			t.Errorf("AddAction accepted %+v", bad)
		}
	}
	if got, err := s.LogHead(ctx(t)); err != nil || got.Size != head.Size {
		t.Errorf("refused actions grew the log from %d to %d (%v)", head.Size, got.Size, err)
	}
	if got, _ := s.Actions(ctx(t), "ar-a"); len(got) != 1 {
		t.Errorf("history of %d actions after refusals, want 1", len(got))
	}
}

func testSubmitters(t *testing.T, h Harness) {
	s := h.Store
	for _, add := range []struct {
		who string
		ids []string
	}{{"sam", []string{"sb-1", "sb-2"}}, {"tom", []string{"sb-3"}}, {"", []string{"sb-4"}}} {
		var obs = make([]observe.Observation, 0, len(add.ids))
		for _, id := range add.ids {
			obs = append(obs, Obs(id, 37, 48, 0))
		}
		if _, err := s.AddObservations(ctx(t), add.who, obs); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate sent by someone else does not change who submitted it.
	if _, err := s.AddObservations(ctx(t), "eve", []observe.Observation{Obs("sb-3", 37, 48, 0)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ids  []string
		want []string
	}{
		{[]string{"sb-1", "sb-2"}, []string{"sam"}},
		{[]string{"sb-3", "sb-1", "nope"}, []string{"sam", "tom"}},
		{[]string{"sb-4"}, []string{}},
		{nil, []string{}},
	}
	for _, tc := range tests {
		got, err := s.Submitters(ctx(t), tc.ids)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Submitters(%v) = %v, want %v", tc.ids, got, tc.want)
		}
	}
}

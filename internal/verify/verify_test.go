package verify

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

func act(k Kind, name, nation string) Action {
	return Action{Kind: k, Analyst: Analyst{Name: name, Nation: nation}, At: t0, Reason: "seen on the evidence"}
}

func TestWorkflow(t *testing.T) {
	merge := act(MergeInto, "ana", "FRA")
	merge.Target = "fire_across_line/inc-2"
	split := act(SplitInto, "ana", "FRA")
	split.Parts = []string{"c-1a", "c-1b"}
	tests := []struct {
		name    string
		actions []Action
		// refused is the index of the action that must be refused (-1: none).
		refused int
		want    State
	}{
		{"two nations verify", []Action{act(Confirm, "ana", "FRA"), act(Confirm, "ben", "GBR")}, -1, Verified},
		{"the same nation twice is one", []Action{act(Confirm, "ana", "FRA"), act(Confirm, "cat", "FRA")}, -1, Open},
		{"the same analyst twice is refused", []Action{act(Confirm, "ana", "FRA"), act(Confirm, "ana", "FRA")}, 1, Open},
		{"a submitter cannot confirm", []Action{act(Confirm, "sam", "POL")}, 0, Open},
		{"a rejection sends it to a second review", []Action{act(Reject, "ana", "FRA")}, -1, SecondReview},
		{"confirmations before a rejection do not count after it", []Action{act(Confirm, "ana", "FRA"), act(Reject, "dan", "USA"), act(Confirm, "ben", "GBR")}, -1, SecondReview},
		{"verified in the second review", []Action{act(Reject, "dan", "USA"), act(Confirm, "ana", "FRA"), act(Confirm, "ben", "GBR")}, -1, Verified},
		{"rejected twice", []Action{act(Reject, "dan", "USA"), act(Reject, "ana", "FRA")}, -1, Rejected},
		{"more information, then confirmed", []Action{act(AskMore, "ana", "FRA"), act(Confirm, "ben", "GBR")}, -1, Open},
		{"a verified finding is not confirmed again", []Action{act(Confirm, "ana", "FRA"), act(Confirm, "ben", "GBR"), act(Confirm, "dan", "USA")}, 2, Verified},
		{"re-opening a verified finding", []Action{act(Confirm, "ana", "FRA"), act(Confirm, "ben", "GBR"), act(Reopen, "dan", "USA")}, -1, Open},
		{"re-opening an open one is refused", []Action{act(Reopen, "dan", "USA")}, 0, Open},
		{"merged", []Action{merge}, -1, Merged},
		{"split", []Action{split}, -1, Split},
		{"a merged one is not confirmed", []Action{merge, act(Confirm, "ben", "GBR")}, 1, Merged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New("fire_across_line/inc-1", []string{"sam"})
			for i, a := range tc.actions {
				next, err := Apply(r, a)
				if i == tc.refused {
					if !errors.Is(err, ErrRefused) {
						t.Fatalf("action %d (%s by %s): %v, want it refused", i, a.Kind, a.Analyst.Name, err)
					}
					if len(next.History) != len(r.History) {
						t.Fatal("a refused action entered the history")
					}
					continue
				}
				if err != nil {
					t.Fatalf("action %d (%s by %s): %v", i, a.Kind, a.Analyst.Name, err)
				}
				r = next
			}
			if r.State != tc.want {
				t.Errorf("state %s, want %s", r.State, tc.want)
			}
			wantHistory := len(tc.actions)
			if tc.refused >= 0 {
				wantHistory--
			}
			if len(r.History) != wantHistory {
				t.Errorf("history of %d actions, want %d", len(r.History), wantHistory)
			}
		})
	}
}

func TestInvalidActions(t *testing.T) {
	r := New("c", nil)
	noReason := act(Confirm, "ana", "FRA")
	noReason.Reason = "  "
	noNation := act(Confirm, "ana", "")
	noTime := act(Confirm, "ana", "FRA")
	noTime.At = time.Time{}
	self := act(MergeInto, "ana", "FRA")
	self.Target = "c"
	oneBit := act(SplitInto, "ana", "FRA")
	oneBit.Parts = []string{"c-1"}
	for name, a := range map[string]Action{
		"no reason": noReason, "no nation": noNation, "no time": noTime, "unknown": act("approve", "ana", "FRA"),
		"merge without a target": act(MergeInto, "ana", "FRA"), "split in one": oneBit,
	} {
		if _, err := Apply(r, a); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Apply(r, self); !errors.Is(err, ErrRefused) {
		t.Errorf("merge into itself: %v, want refused", err)
	}
}

func TestNeeded(t *testing.T) {
	r := New("c", nil)
	if got := r.Needed(); got != "confirmations by analysts of 2 nations" {
		t.Errorf("new: %q", got)
	}
	r, _ = Apply(r, act(Confirm, "ana", "FRA"))
	if got := r.Needed(); got != "a confirmation by an analyst of a nation other than FRA" {
		t.Errorf("one confirmation: %q", got)
	}
	r, _ = Apply(r, act(Confirm, "ben", "GBR"))
	if got := r.Needed(); got != "" || r.State != Verified {
		t.Errorf("verified: %q %s", got, r.State)
	}
}

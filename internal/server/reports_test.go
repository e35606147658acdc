package server

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// TestDailyReport reads the report of a day with three candidates: one
// verified and public, one open and released to FRA only, one rejected.
func TestDailyReport(t *testing.T) {
	a := newAPI(t)
	if res := a.do("GET", "/api/v1/reports/daily?date=2026-11-21", "", nil); res.status != 404 || !strings.Contains(string(res.body), "no terms") {
		t.Errorf("a report before any terms: %d %s", res.status, res.body)
	}
	terms, err := os.ReadFile("../report/testdata/terms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if res := a.do("POST", "/api/v1/terms", "application/yaml", terms); res.status != 201 {
		t.Fatalf("POST terms: %d %s", res.status, res.body)
	}
	fra := label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		id    string
		l     label.Label
		at    time.Duration
		state verify.State
	}{
		{"c-verified", label.PublicLabel(), 2 * time.Hour, verify.Verified},
		{"c-open", fra, 5 * time.Hour, verify.Open},
		{"c-rejected", label.PublicLabel(), 6 * time.Hour, verify.Rejected},
		{"c-yesterday", label.PublicLabel(), -time.Hour, verify.Open},
	} {
		rec := candidateAt(t, c.id, c.l, day.Add(c.at), "o-1")
		if err := a.store.PutCandidates(context.Background(), nil, []store.CandidateRecord{rec}); err != nil {
			t.Fatal(err)
		}
		if c.state != verify.Open {
			act := store.ActionRecord{ID: "a-" + c.id, Candidate: c.id, N: 1, Action: verify.Action{Kind: verify.Confirm,
				Analyst: verify.Analyst{Name: "x", Nation: "FRA"}, At: now, Reason: "test"}}
			if _, err := a.store.AddAction(context.Background(), act, string(c.state)); err != nil {
				t.Fatal(err)
			}
		}
	}
	gbr := a.as(a.newUser("gbr", "GBR", label.Secret, "viewer"))
	type figures struct {
		Public     bool `json:"public"`
		Violations struct {
			Total, Verified, Unverified, Previous int
		} `json:"violations"`
		Rejected int `json:"rejected"`
	}
	tests := []struct {
		who                         *api
		query                       string
		total, verified, unverified int
		public                      bool
	}{
		{a, "", 2, 1, 1, false},
		{gbr, "", 1, 1, 0, false},
		{a, "&public=true", 1, 1, 0, true},
	}
	for _, tc := range tests {
		res := tc.who.do("GET", "/api/v1/reports/daily?date=2026-11-21"+tc.query, "", nil)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", tc.query, res.status, res.body)
		}
		var f figures
		res.json(t, &f)
		if f.Violations.Total != tc.total || f.Violations.Verified != tc.verified || f.Violations.Unverified != tc.unverified ||
			f.Violations.Previous != 1 || f.Rejected != 1 || f.Public != tc.public {
			t.Errorf("%s: %+v, want %d violations (%d verified, %d not), 1 the day before, 1 rejected", tc.query, f, tc.total, tc.verified, tc.unverified)
		}
	}
	res := a.do("GET", "/api/v1/reports/daily?date=2026-11-21&format=html", "", nil)
	if ct := res.header.Get("Content-Type"); res.status != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(res.body), "<svg") {
		t.Errorf("HTML report: %d %s", res.status, ct)
	}
	if res := a.do("GET", "/api/v1/reports/daily?date=2026-11-21&public=true&format=html", "", nil); strings.Contains(string(res.body), "c-open") {
		t.Error("the public HTML report names a restricted candidate")
	}
	for _, q := range []string{"date=21.11.2026", "", "date=2026-11-21&public=maybe", "date=2026-11-21&format=pdf", "date=2026-11-21&colour=red"} {
		if res := a.do("GET", "/api/v1/reports/daily?"+q, "", nil); res.status != 400 {
			t.Errorf("%q: %d, want 400", q, res.status)
		}
	}
	var errBody struct{ Error string }
	json.Unmarshal(a.do("GET", "/api/v1/reports/daily?date=2026-11-21&format=pdf", "", nil).body, &errBody)
	if !strings.Contains(errBody.Error, "pdf") {
		t.Errorf("a bad format is not named: %q", errBody.Error)
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/terms"
)

func TestReportDaily(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errOut := runCLI(t, nil, "report", "daily", "--db", db, "--date", "2026-11-21"); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("a report of a missing database: %d %q", code, errOut)
	}
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../internal/report/testdata/terms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := terms.Parse(b, "terms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTerms(context.Background(), tm); err != nil {
		t.Fatal(err)
	}
	// Two candidates on the 21st (one restricted) and one on the 20th.
	restricted := storetest.Candidate("c-2", "major", 3*time.Hour)
	restricted.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}
	if err := st.PutCandidates(context.Background(), nil, []store.CandidateRecord{
		storetest.Candidate("c-1", "serious", 2*time.Hour), restricted, storetest.Candidate("c-0", "minor", -time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, tc := range []struct {
		args        []string
		total, prev int
	}{
		{nil, 2, 1},
		{[]string{"--public"}, 1, 1},
		{[]string{"--cutoff-hour", "3"}, 1, 2}, // c-2, at 03:00, opens the day
	} {
		args := append([]string{"report", "daily", "--db", db, "--date", "2026-11-21", "--format", "json"}, tc.args...)
		code, out, errOut := runCLI(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", tc.args, code, errOut)
		}
		var rep struct {
			Violations struct{ Total, Previous int }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		if rep.Violations.Total != tc.total || rep.Violations.Previous != tc.prev {
			t.Errorf("%v: %d violations, %d the day before; want %d, %d", tc.args, rep.Violations.Total, rep.Violations.Previous, tc.total, tc.prev)
		}
	}
	page := filepath.Join(dir, "daily.html")
	if code, _, errOut := runCLI(t, nil, "report", "daily", "--db", db, "--date", "2026-11-21", "--out", page); code != 0 {
		t.Fatal(errOut)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("the HTML report has no map: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--date", "21/11/2026"}, "--date"},
		{[]string{"--date", "2026-11-21", "--cutoff-hour", "24"}, "--cutoff-hour"},
		{[]string{"--date", "2026-11-21", "--format", "pdf"}, "--format"},
	} {
		code, _, errOut := runCLI(t, nil, append([]string{"report", "daily", "--db", db}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %q, want exit 2 naming %s", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runCLI(t, nil, "report", "daily", "--db", db, "--date", "2026-10-01"); code != 1 || !strings.Contains(errOut, "no terms") {
		t.Errorf("a day before the terms: %d %q", code, errOut)
	}
}

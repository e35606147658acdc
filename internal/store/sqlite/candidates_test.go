package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// TestCandidateQueryPlans checks that the candidates' queries walk an
// index in the queue's order: none scans the table, none sorts.
func TestCandidateQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vis := label.DefaultScheme().VisibilityFor("FRA", label.Secret)
	after := &store.CandidateCursor{Severity: "serious", Time: time.Unix(0, 1), ID: "x"}
	from := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		q     store.CandidateQuery
		index string
	}{
		{"the queue", store.CandidateQuery{}, "candidates_queue"},
		{"the queue, filtered and seen by a reader", store.CandidateQuery{Type: "fire_across_line", Party: "none", Severity: "major", From: from, Visible: &vis, After: after}, "candidates_queue"},
		{"a state", store.CandidateQuery{State: "verified", Visible: &vis}, "candidates_state"},
		{"an incident", store.CandidateQuery{Incident: "inc-1"}, "candidates_incident"},
		{"an incident, from a cursor", store.CandidateQuery{Incident: "inc-1", After: after}, "candidates_incident"},
		{"an incident and a state, seen by a reader", store.CandidateQuery{Incident: "inc-1", State: "open", Party: "A", Visible: &vis}, "candidates_incident"},
		{"an incident's whole history", store.CandidateQuery{Incident: "inc-1", Withdrawn: true, Visible: &vis}, "candidates_incident"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 10
			sqlText, args, ok, err := candidateQuerySQL(tc.q)
			if err != nil || !ok {
				t.Fatalf("candidateQuerySQL: ok %v, %v", ok, err)
			}
			checkPlan(t, db, sqlText, args, tc.index)
		})
	}
	t.Run("the candidates an incident's change may withdraw", func(t *testing.T) {
		checkPlan(t, db, withdrawableSQL, []any{"inc-1"}, "candidates_incident")
	})
}

// checkPlan fails unless the plan of the query searches the index and
// neither scans the table nor sorts.
func checkPlan(t *testing.T, db *DB, sqlText string, args []any, index string) {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+sqlText, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(steps, "; ")
	t.Log(plan)
	if !strings.Contains(plan, "SEARCH candidates USING INDEX "+index+" ") && !strings.Contains(plan, "SCAN candidates USING INDEX "+index) {
		t.Errorf("plan %q does not walk the index %s", plan, index)
	}
	if strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan %q sorts", plan)
	}
	if index == "candidates_incident" && !strings.Contains(plan, "SEARCH") {
		t.Errorf("plan %q scans the whole index for one incident", plan)
	}
}

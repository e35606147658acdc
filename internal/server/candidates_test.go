package server

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// candidateOn is a candidate of fire across the line resting on an
// incident, with a severity, a label and a time.
func candidateOn(t *testing.T, id, incident, severity string, l label.Label, at time.Time) store.CandidateRecord {
	t.Helper()
	f, err := json.Marshal(map[string]any{"type": "Feature", "id": id,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{37.8, 48.1}},
		"properties": map[string]any{"violation_type": "fire_across_line", "rule": "fire_across_line", "party": nil,
			"severity": severity, "incident": incident, "time": at, "releasability": l,
			"reason": "fire landed across the line", "observations": []string{"o-" + id}}})
	if err != nil {
		t.Fatal(err)
	}
	return store.CandidateRecord{ID: id, Type: "fire_across_line", Severity: severity, Incident: incident,
		Time: at, Label: l, Feature: f}
}

// TestCandidatesOfIncident lists the candidates of one incident through
// GET /api/v1/candidates?incident=… and /api/v1/findings?incident=…: only
// that incident's, only those the reader may see, with the other filters,
// page by page; and a bad incident parameter is a 400 that names it.
func TestCandidatesOfIncident(t *testing.T) {
	a := newAPI(t)
	fra := a.as(a.newUser("ana", "FRA", label.Secret, access.Analyst))
	gbr := a.as(a.newUser("ben", "GBR", label.Secret, access.Viewer))
	public, forFRA := label.PublicLabel(), label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}
	at := func(m int) time.Time { return now.Add(time.Duration(m-120) * time.Minute) }
	ctx := context.Background()
	all := []store.CandidateRecord{
		candidateOn(t, "one-major", "inc-1", "major", public, at(10)),
		candidateOn(t, "one-serious-fra", "inc-1", "serious", forFRA, at(0)),
		candidateOn(t, "one-minor", "inc-1", "minor", public, at(5)),
		candidateOn(t, "one-gone", "inc-1", "major", public, at(0)),
		candidateOn(t, "two-major", "inc-2", "major", public, at(1)),
		candidateOn(t, "ten-serious", "inc-10", "serious", public, at(2)),
	}
	if err := a.store.PutCandidates(ctx, nil, all); err != nil {
		t.Fatal(err)
	}
	// The rules no longer find one-gone: it is withdrawn and not listed.
	if err := a.store.PutCandidates(ctx, []string{"inc-1"}, all[:3]); err != nil {
		t.Fatal(err)
	}
	verified := store.ActionRecord{ID: "act-1", Candidate: "one-minor", N: 1, Action: verify.Action{
		Kind: verify.Confirm, Analyst: verify.Analyst{Name: "cat", Nation: "POL"}, At: at(20), Reason: "seen"}}
	if _, err := a.store.AddAction(ctx, verified, string(verify.Verified)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		who   *api
		query string
		want  []string
	}{
		{"one incident's, in queue order", fra, "/api/v1/candidates?incident=inc-1", []string{"one-major", "one-serious-fra", "one-minor"}},
		{"in pages of one", fra, "/api/v1/candidates?incident=inc-1&limit=1", []string{"one-major", "one-serious-fra", "one-minor"}},
		{"a reader who may not see one", gbr, "/api/v1/candidates?incident=inc-1", []string{"one-major", "one-minor"}},
		{"a reader who may not see one, in pages of one", gbr, "/api/v1/candidates?incident=inc-1&limit=1", []string{"one-major", "one-minor"}},
		{"another incident", gbr, "/api/v1/candidates?incident=inc-2", []string{"two-major"}},
		{"an id that begins with another's", fra, "/api/v1/candidates?incident=inc-10", []string{"ten-serious"}},
		{"no such incident", fra, "/api/v1/candidates?incident=inc-3", nil},
		{"a track's id, escaped", fra, "/api/v1/candidates?incident=" + url.QueryEscape("trk/1 a&b"), nil},
		{"and a severity", fra, "/api/v1/candidates?incident=inc-1&severity=serious", []string{"one-serious-fra"}},
		{"and a state", fra, "/api/v1/candidates?incident=inc-1&state=open", []string{"one-major", "one-serious-fra"}},
		{"and a party", fra, "/api/v1/candidates?incident=inc-1&party=none", []string{"one-major", "one-serious-fra", "one-minor"}},
		{"and a time", fra, "/api/v1/candidates?incident=inc-1&from=" + url.QueryEscape(at(5).Format(time.RFC3339)), []string{"one-major", "one-minor"}},
		{"withdrawn ones too", fra, "/api/v1/candidates?incident=inc-1&withdrawn=include", []string{"one-gone", "one-major", "one-serious-fra", "one-minor"}},
		{"withdrawn ones left out, said", fra, "/api/v1/candidates?incident=inc-1&withdrawn=exclude", []string{"one-major", "one-serious-fra", "one-minor"}},
		{"findings", fra, "/api/v1/findings?incident=inc-1", []string{"one-minor"}},
		{"findings of another incident", fra, "/api/v1/findings?incident=inc-2", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := listAll(t, tc.who, tc.query)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name, query string
	}{
		{"empty", "/api/v1/candidates?incident="},
		{"twice", "/api/v1/candidates?incident=inc-1&incident=inc-2"},
		{"a control character", "/api/v1/candidates?incident=inc-%00"},
		{"not UTF-8", "/api/v1/candidates?incident=inc-%FF"},
		{"empty, of the findings", "/api/v1/findings?incident="},
		{"withdrawn, neither include nor exclude", "/api/v1/candidates?incident=inc-1&withdrawn=yes"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			res := fra.do("GET", tc.query, "", nil)
			param := "incident"
			if strings.Contains(tc.query, "withdrawn=") {
				param = "withdrawn"
			}
			if res.status != 400 || !strings.Contains(string(res.body), param) {
				t.Errorf("%s: %d %s, want 400 naming the incident parameter", tc.query, res.status, res.body)
			}
		})
	}
}

// listAll follows a list's pages and returns the ids of its features,
// checking that each rests on the incident the query names.
func listAll(t *testing.T, u *api, query string) []string {
	t.Helper()
	want := ""
	if i := strings.Index(query, "?"); i >= 0 {
		v, err := url.ParseQuery(query[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		want = v.Get("incident")
	}
	var ids []string
	next := query
	for range 100 {
		res := u.do("GET", next, "", nil)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", next, res.status, res.body)
		}
		var fc struct {
			Features []struct {
				ID         string `json:"id"`
				Properties struct {
					Incident string `json:"incident"`
				} `json:"properties"`
			} `json:"features"`
			Next string `json:"next"`
		}
		res.json(t, &fc)
		for _, f := range fc.Features {
			if want != "" && f.Properties.Incident != want {
				t.Errorf("%s listed %s, which rests on %s", next, f.ID, f.Properties.Incident)
			}
			ids = append(ids, f.ID)
		}
		if fc.Next == "" {
			return ids
		}
		next = query + "&cursor=" + url.QueryEscape(fc.Next)
	}
	t.Fatalf("%s: the pages do not end", query)
	return nil
}

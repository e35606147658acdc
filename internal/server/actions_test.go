package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// putCandidate stores a candidate resting on the given observations, an
// hour before the test clock.
func putCandidate(t *testing.T, a *api, id string, l label.Label, obs ...string) store.CandidateRecord {
	t.Helper()
	c := candidateAt(t, id, l, now.Add(-time.Hour), obs...)
	if err := a.store.PutCandidates(context.Background(), nil, []store.CandidateRecord{c}); err != nil {
		t.Fatal(err)
	}
	return c
}

// candidateAt is a candidate of fire across the line at a time.
func candidateAt(t *testing.T, id string, l label.Label, at time.Time, obs ...string) store.CandidateRecord {
	t.Helper()
	f, err := json.Marshal(map[string]any{"type": "Feature", "id": id,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{37.8, 48.1}},
		"properties": map[string]any{"violation_type": "fire_across_line", "rule": "fire_across_line", "party": nil,
			"severity": "serious", "incident": "inc-" + id, "time": at, "releasability": l,
			"reason": "fire landed across the line", "observations": obs}})
	if err != nil {
		t.Fatal(err)
	}
	return store.CandidateRecord{ID: id, Type: "fire_across_line", Severity: "serious", Incident: "inc-" + id,
		Time: at, Label: l, Feature: f}
}

// reviewAnswer is the answer to an action.
type reviewAnswer struct {
	Action struct {
		ID   string `json:"id"`
		Leaf uint64 `json:"leaf"`
		N    int    `json:"n"`
	} `json:"action"`
	Review struct {
		State         string `json:"state"`
		Needed        string `json:"needed"`
		Confirmations []struct {
			Analyst, Nation string
		} `json:"confirmations"`
		SplitInto []string          `json:"split_into"`
		Actions   []json.RawMessage `json:"actions"`
	} `json:"review"`
}

func TestActions(t *testing.T) {
	a := newAPI(t)
	users := map[string]*api{}
	for _, u := range []struct{ name, nation string }{{"ana", "FRA"}, {"cat", "FRA"}, {"ben", "GBR"}, {"sam", "GBR"}} {
		users[u.name] = a.as(a.newUser(u.name, u.nation, label.Secret, access.Analyst))
	}
	users["vic"] = a.as(a.newUser("vic", "GBR", label.Secret, access.Viewer))
	users["pol"] = a.as(a.newUser("pol", "POL", label.Secret, access.Analyst)) // not released to
	// sam submits an observation the candidate rests on.
	if r, status := ingest(t, users["sam"], "application/x-ndjson", ndjson(t, storetest.Obs("o-1", 37.8, 48.1, 0))); status != 200 || r.Accepted != 1 {
		t.Fatalf("ingest: %d %+v", status, r)
	}
	c := putCandidate(t, a, "fire_across_line:inc-1", label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}, "o-1", "o-2")
	path := "/api/v1/candidates/" + c.ID + "/actions"
	head := func() uint64 {
		h, err := a.store.LogHead(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return h.Size
	}
	start := head()

	steps := []struct {
		who, body string
		status    int
		state     string // after the step, when it succeeds
		says      string // in the answer
	}{
		{"vic", `{"kind":"confirm","reason":"seen"}`, 403, "", "do not allow verify"},
		{"pol", `{"kind":"confirm","reason":"seen"}`, 404, "", "not found"},
		{"sam", `{"kind":"confirm","reason":"my own report"}`, 409, "", "submitted an observation"},
		{"ana", `{"kind":"confirm"}`, 400, "", "reason is required"},
		{"ana", `{"kind":"approve","reason":"x"}`, 400, "", "unknown action"},
		{"ana", `{"kind":"confirm","reason":"x","colour":"red"}`, 400, "", "colour"},
		{"ana", `{"kind":"confirm","reason":"crater analysis agrees"}`, 201, "open", "nation other than FRA"},
		{"ana", `{"kind":"confirm","reason":"again"}`, 409, "", "confirmed it already"},
		{"cat", `{"kind":"confirm","reason":"same nation"}`, 201, "open", "nation other than FRA"},
		{"ben", `{"kind":"reject","reason":"the launch site is unclear"}`, 201, "second_review", ""},
		{"ana", `{"kind":"confirm","reason":"imagery shows the launcher"}`, 201, "second_review", ""},
		{"ben", `{"kind":"confirm","reason":"imagery convinces me"}`, 201, "verified", ""},
		{"cat", `{"kind":"reject","reason":"too late"}`, 409, "", "re-open it first"},
		{"cat", `{"kind":"reopen","reason":"a new report contradicts it"}`, 201, "open", ""},
	}
	accepted := 0
	for i, st := range steps {
		res := users[st.who].do("POST", path, "application/json", []byte(st.body))
		if res.status != st.status {
			t.Fatalf("step %d (%s %s): %d %s, want %d", i, st.who, st.body, res.status, res.body, st.status)
		}
		if !strings.Contains(string(res.body), st.says) {
			t.Errorf("step %d (%s %s): %s does not say %q", i, st.who, st.body, res.body, st.says)
		}
		if st.status != 201 {
			continue
		}
		accepted++
		var ans reviewAnswer
		res.json(t, &ans)
		if ans.Review.State != st.state || ans.Action.N != accepted || len(ans.Review.Actions) != accepted {
			t.Errorf("step %d: state %s, action %d, history of %d; want %s, %d, %d", i, ans.Review.State, ans.Action.N, len(ans.Review.Actions), st.state, accepted, accepted)
		}
		if ans.Action.Leaf != start+uint64(accepted)-1 {
			t.Errorf("step %d: leaf %d, want %d", i, ans.Action.Leaf, start+uint64(accepted)-1)
		}
	}
	if got := head(); got != start+uint64(accepted) {
		t.Errorf("the log grew by %d leaves for %d actions", got-start, accepted)
	}
	var history reviewAnswer
	res := users["ben"].do("GET", path, "", nil)
	json.Unmarshal(res.body, &history.Review)
	if res.status != 200 || history.Review.State != "open" || len(history.Review.Actions) != accepted {
		t.Errorf("history: %d %s", res.status, res.body)
	}
	if users["pol"].do("GET", path, "", nil).status != 404 {
		t.Error("a user the candidate is not released to read its history")
	}
	// The list of actions across the queue, by analyst and by nation.
	for _, tc := range []struct {
		who, query string
		want       int
	}{
		{"ben", "", accepted},
		{"ben", "?analyst=ana", 2},
		{"ben", "?nation=GBR&kind=confirm", 1},
		{"ben", "?limit=2", 2},
		{"pol", "", 0},
	} {
		var list struct {
			Actions []struct{ Analyst string } `json:"actions"`
			Next    string                     `json:"next"`
		}
		res := users[tc.who].do("GET", "/api/v1/actions"+tc.query, "", nil)
		res.json(t, &list)
		if res.status != 200 || len(list.Actions) != tc.want {
			t.Errorf("%s lists actions%s: %d, %d actions; want %d", tc.who, tc.query, res.status, len(list.Actions), tc.want)
		}
		if tc.query == "?limit=2" {
			var rest struct{ Actions []json.RawMessage }
			users[tc.who].do("GET", "/api/v1/actions?limit=100&cursor="+list.Next, "", nil).json(t, &rest)
			if len(rest.Actions) != accepted-2 {
				t.Errorf("the second page holds %d actions, want %d", len(rest.Actions), accepted-2)
			}
		}
	}
	for _, q := range []string{"?colour=red", "?cursor=x", "?from=yesterday", "?limit=0"} {
		if res := a.do("GET", "/api/v1/actions"+q, "", nil); res.status != 400 {
			t.Errorf("actions%s: %d, want 400", q, res.status)
		}
	}

	var got map[string]any
	users["ben"].do("GET", "/api/v1/candidates/"+c.ID, "", nil).json(t, &got)
	if props := got["properties"].(map[string]any); props["state"] != "open" {
		t.Errorf("the candidate's state is %v, want open", props["state"])
	}
}

func TestActionRetryAndFindings(t *testing.T) {
	a := newAPI(t)
	ana := a.as(a.newUser("ana", "FRA", label.Secret, access.Analyst))
	ben := a.as(a.newUser("ben", "GBR", label.Secret, access.Analyst))
	c := putCandidate(t, a, "c-1", label.PublicLabel(), "o-1")
	putCandidate(t, a, "c-2", label.PublicLabel(), "o-2")
	path := "/api/v1/candidates/c-1/actions"
	body := []byte(`{"id":"ana-1","kind":"confirm","reason":"seen from the OP"}`)
	first := ana.do("POST", path, "application/json", body)
	again := ana.do("POST", path, "application/json", body)
	if first.status != 201 || again.status != 200 {
		t.Fatalf("first %d, retry %d %s", first.status, again.status, again.body)
	}
	var f, g reviewAnswer
	first.json(t, &f)
	again.json(t, &g)
	if f.Action.Leaf != g.Action.Leaf || len(g.Review.Actions) != 1 {
		t.Errorf("the retry made a second action: leaves %d and %d, history of %d", f.Action.Leaf, g.Action.Leaf, len(g.Review.Actions))
	}
	if res := ben.do("POST", path, "application/json", []byte(`{"id":"ana-1","kind":"confirm","reason":"mine"}`)); res.status != 409 {
		t.Errorf("another action with a taken id: %d %s", res.status, res.body)
	}
	if res := ben.do("POST", path, "application/json", []byte(`{"kind":"confirm","reason":"agreed"}`)); res.status != 201 {
		t.Fatalf("ben confirms: %d %s", res.status, res.body)
	}
	list := func(q string) []string {
		var fc struct {
			Features []struct{ ID string } `json:"features"`
		}
		a.do("GET", q, "", nil).json(t, &fc)
		var ids []string
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		return ids
	}
	if got := list("/api/v1/findings"); !slices.Equal(got, []string{c.ID}) {
		t.Errorf("findings = %v, want %s", got, c.ID)
	}
	if got := list("/api/v1/candidates?state=open"); !slices.Equal(got, []string{"c-2"}) {
		t.Errorf("open candidates = %v, want c-2", got)
	}
	if res := a.do("GET", "/api/v1/candidates?state=done", "", nil); res.status != 400 || !strings.Contains(string(res.body), "done") {
		t.Errorf("unknown state: %d %s", res.status, res.body)
	}
}

func TestMergeAndSplit(t *testing.T) {
	a := newAPI(t)
	ana := a.as(a.newUser("ana", "FRA", label.Secret, access.Analyst))
	putCandidate(t, a, "c-1", label.PublicLabel(), "o-1", "o-2", "o-3")
	putCandidate(t, a, "c-2", label.PublicLabel(), "o-4")
	putCandidate(t, a, "c-3", label.PublicLabel(), "o-5")
	post := func(id, body string) response {
		return ana.do("POST", "/api/v1/candidates/"+id+"/actions", "application/json", []byte(body))
	}
	for _, tc := range []struct {
		id, body string
		says     string
	}{
		{"c-1", `{"kind":"split","reason":"two fires","parts":[["o-1"]]}`, "at least two parts"},
		{"c-1", `{"kind":"split","reason":"two fires","parts":[["o-1"],["o-9"]]}`, `o-9\" is not one`},
		{"c-1", `{"kind":"split","reason":"two fires","parts":[["o-1"],["o-1","o-2"]]}`, "in parts 1 and 2"},
		{"c-1", `{"kind":"split","reason":"two fires","parts":[["o-1"],[]]}`, "part 2 is empty"},
	} {
		if res := post(tc.id, tc.body); res.status != 400 || !strings.Contains(string(res.body), tc.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, res.status, res.body, tc.says)
		}
	}
	res := post("c-1", `{"kind":"split","reason":"two fires at once","parts":[["o-2","o-1"],["o-3"]]}`)
	if res.status != 201 {
		t.Fatalf("split: %d %s", res.status, res.body)
	}
	var ans reviewAnswer
	res.json(t, &ans)
	want := []string{"c-1.split-1.1", "c-1.split-1.2"}
	if ans.Review.State != "split" || !slices.Equal(ans.Review.SplitInto, want) {
		t.Errorf("split: state %s into %v, want split into %v", ans.Review.State, ans.Review.SplitInto, want)
	}
	var part struct {
		Properties struct {
			State        string
			Observations []string
			SplitFrom    string `json:"split_from"`
		}
	}
	a.do("GET", "/api/v1/candidates/"+want[0], "", nil).json(t, &part)
	if part.Properties.State != "open" || !slices.Equal(part.Properties.Observations, []string{"o-1", "o-2"}) || part.Properties.SplitFrom != "c-1" {
		t.Errorf("part 1 = %+v", part.Properties)
	}

	if res := post("c-2", `{"kind":"merge","reason":"the same fire","target":"nope"}`); res.status != 404 {
		t.Errorf("merge into a missing candidate: %d %s", res.status, res.body)
	}
	if res := post("c-2", `{"kind":"merge","reason":"the same fire","target":"c-2"}`); res.status != 409 {
		t.Errorf("merge into itself: %d %s", res.status, res.body)
	}
	if res := post("c-2", `{"kind":"merge","reason":"the same fire","target":"c-3"}`); res.status != 201 || !strings.Contains(string(res.body), `"merged_into":"c-3"`) {
		t.Errorf("merge: %d %s", res.status, res.body)
	}
	if res := post("nope", `{"kind":"confirm","reason":"x"}`); res.status != 404 {
		t.Errorf("an action on a missing candidate: %d", res.status)
	}
}

// TestConcurrentActions has analysts act on one candidate at once: each
// action is stored, or answered with a conflict; none is lost silently.
func TestConcurrentActions(t *testing.T) {
	a := newAPI(t)
	a.skipDoc = true
	putCandidate(t, a, "c-1", label.PublicLabel(), "o-1")
	const n = 8
	analysts := make([]*api, n)
	for i := range analysts {
		analysts[i] = a.as(a.newUser(fmt.Sprintf("a%d", i), "FRA", label.Secret, access.Analyst))
	}
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for _, u := range analysts {
		wg.Go(func() {
			statuses <- u.do("POST", "/api/v1/candidates/c-1/actions", "application/json",
				[]byte(`{"kind":"request_information","reason":"which battery?"}`)).status
		})
	}
	wg.Wait()
	close(statuses)
	stored := 0
	for st := range statuses {
		switch st {
		case 201:
			stored++
		case 409:
		default:
			t.Errorf("status %d, want 201 or 409", st)
		}
	}
	history, err := a.store.Actions(context.Background(), "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if stored == 0 || len(history) != stored {
		t.Errorf("%d actions answered 201, %d stored", stored, len(history))
	}
}

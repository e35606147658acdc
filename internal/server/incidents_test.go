package server

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// event is one server-sent event.
type event struct {
	id         int64
	name, data string
}

// readStream reads the server-sent events at path until one with an id of
// at least last arrives (at once, for last 0), and then any that follow
// within a moment, and returns the status and the events. A stream that
// is refused returns its status and no events.
func readStream(t *testing.T, a *api, path string, last int64) (int, []event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", a.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	var events []event
	var cur event
	done := last == 0
	for {
		wait := 10 * time.Second
		if done {
			wait = 30 * time.Millisecond
		}
		select {
		case line, ok := <-lines:
			if !ok {
				return 200, events
			}
			switch {
			case line == "":
				if cur.name != "" {
					events = append(events, cur)
					if cur.id >= last {
						done = true
					}
				}
				cur = event{}
			case strings.HasPrefix(line, "id: "):
				cur.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				cur.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				cur.data += strings.TrimPrefix(line, "data: ")
			}
		case <-time.After(wait):
			if !done {
				t.Fatalf("the stream at %s sent no event %d within %s (got %d events)", path, last, wait, len(events))
			}
			return 200, events
		}
	}
}

// simulated posts 90 minutes of a simulated scenario through the API: its
// terms, sensors and observations.
func simulated(t *testing.T, a *api) sim.Scenario {
	t.Helper()
	sc, err := sim.Generate(sim.Config{Seed: 3, Duration: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	files, err := sc.Files()
	if err != nil {
		t.Fatal(err)
	}
	if res := a.do("POST", "/api/v1/terms", "application/yaml", files[sim.TermsFile]); res.status != 201 {
		t.Fatalf("terms: %d %s", res.status, res.body)
	}
	if res := a.do("POST", "/api/v1/sensors", "application/json", files[sim.SensorsFile]); res.status != 200 {
		t.Fatalf("sensors: %d %.300s", res.status, res.body)
	}
	if r, status := ingest(t, a, "application/x-ndjson", files[sim.ObservationsFile]); status != 200 || r.Rejected != 0 {
		t.Fatalf("ingest: %d %+v", status, r)
	}
	return sc
}

// TestFusionIncidents runs fusion over an hour of a simulated scenario
// stored through the API, and reads the incidents back: listed and
// filtered, one with its observations, and as a stream. Fusing again from
// the start, as after a restart, writes nothing new.
func TestFusionIncidents(t *testing.T) {
	a := newAPI(t)
	sc := simulated(t, a)
	f, err := a.srv.newFuser(t.Context(), incident.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.catchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			ID         string `json:"id"`
			Properties struct {
				Class       string `json:"class"`
				Role        string `json:"role"`
				Linked      string `json:"linked"`
				Attribution struct {
					Party *string `json:"party"`
				} `json:"attribution"`
				Observations []string `json:"observations"`
			} `json:"properties"`
		} `json:"features"`
	}
	a.do("GET", "/api/v1/incidents?limit=1000", "", nil).json(t, &fc)
	if len(fc.Features) < 20 {
		t.Fatalf("%d incidents from an hour of a scenario", len(fc.Features))
	}
	attributed, linked := 0, 0
	for _, f := range fc.Features {
		if f.Properties.Attribution.Party != nil {
			attributed++
		}
		if f.Properties.Linked != "" {
			linked++
		}
	}
	if attributed == 0 || linked == 0 {
		t.Errorf("%d incidents attributed and %d linked to the other end of their fire: want some of each", attributed, linked)
	}
	for _, tc := range []struct {
		query string
		keep  func(class, role string, party *string) bool
	}{
		{"class=equipment", func(c, _ string, _ *string) bool { return c == "equipment" }},
		{"party=none", func(_, _ string, p *string) bool { return p == nil }},
	} {
		var got struct {
			NumberReturned int `json:"numberReturned"`
		}
		a.do("GET", "/api/v1/incidents?limit=1000&"+tc.query, "", nil).json(t, &got)
		want := 0
		for _, f := range fc.Features {
			if tc.keep(f.Properties.Class, f.Properties.Role, f.Properties.Attribution.Party) {
				want++
			}
		}
		if got.NumberReturned != want {
			t.Errorf("%s: %d incidents, want %d", tc.query, got.NumberReturned, want)
		}
	}

	first := fc.Features[0]
	var one struct {
		ID           string `json:"id"`
		Observations struct {
			Features []struct {
				ID string `json:"id"`
			} `json:"features"`
		} `json:"observations"`
	}
	a.do("GET", "/api/v1/incidents/"+first.ID, "", nil).json(t, &one)
	if one.ID != first.ID || len(one.Observations.Features) != len(first.Properties.Observations) {
		t.Errorf("incident %s came with %d observations, want %d", one.ID, len(one.Observations.Features), len(first.Properties.Observations))
	}
	if res := a.do("GET", "/api/v1/incidents/no-such-incident", "", nil); res.status != 404 {
		t.Errorf("a missing incident: %d", res.status)
	}
	for _, q := range []string{"class=weapons", "confidence=high", "party=A&color=red", "cursor=bad", "from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z"} {
		if res := a.do("GET", "/api/v1/incidents?"+q, "", nil); res.status != 400 || !strings.Contains(string(res.body), "error") {
			t.Errorf("GET /api/v1/incidents?%s: %d %s", q, res.status, res.body)
		}
	}

	vis := label.DefaultScheme().VisibilityFor("FRA", label.Secret) // the tester's
	// The detections no event explains stay visible.
	var un struct {
		Features []struct {
			ID         string `json:"id"`
			Properties struct {
				Kind string `json:"kind"`
			} `json:"properties"`
		} `json:"features"`
	}
	a.do("GET", "/api/v1/observations?unassociated=true&limit=1000", "", nil).json(t, &un)
	inIncident := map[string]bool{}
	for _, f := range fc.Features {
		for _, id := range f.Properties.Observations {
			inIncident[id] = true
		}
	}
	if len(un.Features) == 0 {
		t.Error("no detection was left unassociated in an hour of a scenario with false detections")
	}
	for _, f := range un.Features {
		if f.Properties.Kind != "acoustic" || inIncident[f.ID] {
			t.Errorf("%s (%s) is listed as unassociated", f.ID, f.Properties.Kind)
		}
	}
	if res := a.do("GET", "/api/v1/observations?unassociated=maybe", "", nil); res.status != 400 {
		t.Errorf("unassociated=maybe: %d", res.status)
	}

	head, err := a.store.IncidentsSince(t.Context(), 0, &vis, 100000)
	if err != nil {
		t.Fatal(err)
	}
	all, err := a.store.IncidentsSince(t.Context(), 0, nil, 100000)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1].Seq
	status, events := readStream(t, a, "/api/v1/incidents/stream?after=0", head[len(head)-1].Seq)
	if status != 200 || len(events) != len(head) {
		t.Errorf("the stream from the start sent %d events (status %d), want %d", len(events), status, len(head))
	}

	// The rules found candidate violations, in the queue's order, each
	// citing the clause of the simulator's terms that forbids it.
	var queue struct {
		Features []struct {
			ID         string `json:"id"`
			Properties struct {
				Type     string `json:"violation_type"`
				Clause   string `json:"clause"`
				Severity string `json:"severity"`
				Incident string `json:"incident"`
			} `json:"properties"`
		} `json:"features"`
	}
	a.do("GET", "/api/v1/candidates?limit=1000", "", nil).json(t, &queue)
	if len(queue.Features) == 0 {
		t.Fatal("no candidate violation in an hour of a scenario")
	}
	rank := map[string]int{"major": 2, "serious": 1, "minor": 0}
	for i, c := range queue.Features {
		if c.Properties.Clause == "" || c.Properties.Incident == "" {
			t.Errorf("candidate %s cites no clause or incident: %+v", c.ID, c.Properties)
		}
		if i > 0 && rank[c.Properties.Severity] > rank[queue.Features[i-1].Properties.Severity] {
			t.Errorf("candidate %s (%s) comes after a less grave one", c.ID, c.Properties.Severity)
		}
	}
	if res := a.do("GET", "/api/v1/candidates/"+queue.Features[0].ID, "", nil); res.status != 200 {
		t.Errorf("GET candidate %s: %d", queue.Features[0].ID, res.status)
	}
	// Each drone flight of the scenario that crossed the line and was
	// tracked is a candidate.
	flights := 0
	for _, ev := range sc.Truth.Events {
		if ev.Type == sim.EventDroneCrossing && ev.Drone != nil && len(ev.Drone.TrackIDs) > 0 {
			flights++
		}
	}
	var airspace struct {
		NumberReturned int `json:"numberReturned"`
	}
	a.do("GET", "/api/v1/candidates?type=airspace_crossing&limit=1000", "", nil).json(t, &airspace)
	if flights == 0 || airspace.NumberReturned < flights {
		t.Errorf("%d airspace candidates for %d tracked flights across the line", airspace.NumberReturned, flights)
	}
	if res := a.do("GET", "/api/v1/candidates?severity=catastrophic", "", nil); res.status != 400 {
		t.Errorf("severity=catastrophic: %d", res.status)
	}
	lastCandidate, err := a.store.LastCandidateSeq(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	// A restart replays every observation: nothing a reader sees changes,
	// so nothing is written.
	again, err := a.srv.newFuser(t.Context(), incident.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.catchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, err := a.store.IncidentsSince(t.Context(), last, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 0 {
		t.Errorf("a replay rewrote %d incidents, first %s", len(after), after[0].ID)
	}
	if again, err := a.store.LastCandidateSeq(t.Context()); err != nil || again != lastCandidate {
		t.Errorf("a replay rewrote candidates: last seq %d, was %d (%v)", again, lastCandidate, err)
	}
}

// TestFusionFollows runs the fusion loop as serve does and checks that an
// observation posted later reaches a stream opened before it.
func TestFusionFollows(t *testing.T) {
	a := newAPI(t)
	if res := a.do("POST", "/api/v1/terms", "application/yaml", readTestdata(t, "example.yaml")); res.status != 201 {
		t.Fatalf("terms: %d %s", res.status, res.body)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.srv.RunFusion(ctx, incident.Config{}) }()
	defer func() { cancel(); <-done }()

	o := storetest.Obs("late-report", 37.6, 48.3, time.Hour)
	o.Kind, o.Acoustic, o.Source.Type = observe.KindReport, nil, observe.SourceMonitor
	observer := [2]float64{37.55, 48.3}
	o.Report = &observe.Report{Means: observe.MeansPatrolSaw, EventType: observe.EventShot, Count: 2, Observer: &observer}
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		time.Sleep(100 * time.Millisecond) // after the stream below is open
		if r, status := ingest(t, a, "application/x-ndjson", ndjson(t, o)); status != 200 || r.Accepted != 1 {
			t.Errorf("ingest: %d %+v", status, r)
		}
	}()
	status, events := readStream(t, a, "/api/v1/incidents/stream", 1)
	<-posted
	if status != 200 || len(events) == 0 || !strings.Contains(events[0].data, `"id":"inc-late-report"`) {
		t.Fatalf("the stream sent %+v (status %d), want the new incident", events, status)
	}
}

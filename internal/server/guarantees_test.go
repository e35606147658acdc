package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/notify"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// testRegistry has one bilateral instrument whose clause holds on a major
// verified violation by party B in the last three days: France consults
// within 24 hours, the United Kingdom assists within a week.
const testRegistry = `guarantors:
  - {code: FRA, name: France, kind: nation}
  - {code: GBR, name: United Kingdom, kind: nation}
instruments:
  - id: test-agreement
    title: Test agreement
    kind: multilateral
    signatories: [FRA, GBR, UKR]
    signed: 2024-01-01
    binding: political
    clauses:
      - id: attack-b
        title: Consultations after an armed attack by B
        condition: 'verified("major", "B", duration("72h")) >= 1'
        obligations:
          - {guarantor: FRA, type: consult, deadline: 24h}
          - {guarantor: GBR, type: provide_assistance, deadline: 168h}
commitments:
  - {id: fra-1, instrument: test-agreement, guarantor: FRA, category: air_defence, description: Air defence systems, quantity: 4, unit: systems, committed: 4, allocated: 2}
  - {id: gbr-1, instrument: test-agreement, guarantor: GBR, category: financial, description: Budget support, value: 1000000, currency: EUR, committed: 1000000, allocated: 800000}
`

// guaranteeWorld is a server with testRegistry and the people of the
// guarantees: two analysts, the authority, two liaison officers.
type guaranteeWorld struct {
	*api
	clock                         *clock
	ana, ben, authority, fra, gbr *api
}

func newGuaranteeWorld(t *testing.T) *guaranteeWorld {
	c := &clock{t: now}
	a := newAPI(t, func(cfg *Config) { cfg.Now = c.now })
	w := &guaranteeWorld{api: a, clock: c}
	w.ana = a.as(a.newUser("ana", "FRA", label.Secret, access.Analyst))
	w.ben = a.as(a.newUser("ben", "GBR", label.Secret, access.Analyst))
	w.authority = a.as(a.newUser("auth", "UKR", label.Secret, access.Authority))
	w.fra = a.as(a.newUser("liaison-fra", "FRA", label.Restricted, access.Liaison))
	w.gbr = a.as(a.newUser("liaison-gbr", "GBR", label.Restricted, access.Liaison))
	if res := a.do("POST", "/api/v1/registry", "application/yaml", []byte(testRegistry)); res.status != 200 {
		t.Fatalf("registry: %d %s", res.status, res.body)
	}
	return w
}

// finding makes a verified major candidate attributed to party.
func (w *guaranteeWorld) finding(t *testing.T, id, party string, l label.Label) {
	t.Helper()
	c := candidateAt(t, id, l, w.clock.now().Add(-time.Hour), "o-"+id)
	c.Severity, c.Party = "major", party
	if err := w.store.PutCandidates(context.Background(), nil, []store.CandidateRecord{c}); err != nil {
		t.Fatal(err)
	}
	// Verified by two nations (the actions' API is tested in actions_test.go).
	for n, nation := range []string{"GBR", "USA"} {
		a := store.ActionRecord{ID: fmt.Sprintf("confirm-%d-%s", n, id), Candidate: id, N: n + 1, Action: verify.Action{Kind: verify.Confirm,
			Analyst: verify.Analyst{Name: "analyst-" + nation, Nation: nation}, At: w.clock.now(), Reason: "seen"}}
		if _, err := w.store.AddAction(context.Background(), a, string([]verify.State{verify.Open, verify.Verified}[n])); err != nil {
			t.Fatal(err)
		}
	}
	w.srv.wakeGuarantees()
}

func (w *guaranteeWorld) activations(t *testing.T, q string) []activationJSON {
	t.Helper()
	var out []activationJSON
	w.do("GET", "/api/v1/activations"+q, "", nil).json(t, &out)
	return out
}

func (w *guaranteeWorld) pass(t *testing.T) {
	t.Helper()
	if err := w.srv.GuaranteesOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestActivationLife walks an activation from a verified attack to met and
// escalated obligations, and a second proposal to its decline.
func TestActivationLife(t *testing.T) {
	w := newGuaranteeWorld(t)
	w.finding(t, "f-a", "A", label.PublicLabel()) // party A: the clause watches B
	w.pass(t)
	if got := w.activations(t, ""); len(got) != 0 {
		t.Fatalf("a finding against A proposed %v", got)
	}
	w.finding(t, "f-b1", "B", label.PublicLabel())
	w.pass(t)
	w.pass(t) // again: the same proposal is not made twice
	acts := w.activations(t, "")
	if len(acts) != 1 || acts[0].State != "proposed" || strings.Join(acts[0].Findings, ",") != "f-b1" {
		t.Fatalf("activations = %+v, want one proposed on f-b1", acts)
	}
	id := acts[0].ID
	path := "/api/v1/activations/" + id + "/determination"
	for _, tc := range []struct {
		who    *api
		body   string
		status int
	}{
		{w.ana, `{"confirm":true,"reason":"x"}`, 403},
		{w.authority, `{"confirm":true}`, 400},
		{w.authority, `{"reason":"no decision"}`, 400},
		{w.authority, `{"confirm":true,"reason":"The verified fire across the line is an armed attack."}`, 200},
		{w.authority, `{"confirm":false,"reason":"changed my mind"}`, 409},
	} {
		if res := tc.who.do("POST", path, "application/json", []byte(tc.body)); res.status != tc.status {
			t.Fatalf("determination %s: %d %s, want %d", tc.body, res.status, res.body, tc.status)
		}
	}
	var act activationJSON
	w.do("GET", "/api/v1/activations/"+id, "", nil).json(t, &act)
	if act.State != "confirmed" || act.Obligations == nil || act.Obligations.Total != 2 || act.Obligations.Open != 2 ||
		act.Determination == nil || act.Determination.Leaf == nil {
		t.Fatalf("after the determination: %+v", act)
	}

	type obligation struct {
		ID         string  `json:"ID"`
		State      string  `json:"State"`
		Deadline   string  `json:"Deadline"`
		Escalation int     `json:"Escalation"`
		Overdue    bool    `json:"overdue"`
		RemainingS float64 `json:"remaining_s"`
	}
	obligations := func(q string) []obligation {
		var out []obligation
		w.do("GET", "/api/v1/obligations"+q, "", nil).json(t, &out)
		return out
	}
	fra := obligations("?guarantor=FRA")
	if len(fra) != 1 || fra[0].RemainingS != 24*3600 || fra[0].State != "open" {
		t.Fatalf("France's obligation = %+v, want one open with 24 hours to run", fra)
	}
	oPath := "/api/v1/obligations/" + fra[0].ID + "/actions"
	for _, tc := range []struct {
		who    *api
		body   string
		status int
		state  string
	}{
		{w.gbr, `{"kind":"acknowledge"}`, 403, ""},
		{w.ana, `{"kind":"acknowledge"}`, 403, ""},
		{w.fra, `{"kind":"acknowledge"}`, 200, "acknowledged"},
		{w.fra, `{"kind":"acknowledge"}`, 409, ""},
		{w.fra, `{"kind":"record_action"}`, 400, ""},
		{w.fra, `{"kind":"record_action","note":"Consultations convened with the Ukrainian delegation."}`, 200, "acknowledged"},
		{w.fra, `{"kind":"close","note":"Consultations held within 24 hours."}`, 200, "met"},
		{w.fra, `{"kind":"record_action","note":"late"}`, 409, ""},
	} {
		res := tc.who.do("POST", oPath, "application/json", []byte(tc.body))
		if res.status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.body, res.status, res.body, tc.status)
		}
		if tc.state != "" {
			var o obligation
			res.json(t, &o)
			if o.State != tc.state {
				t.Errorf("%s: state %s, want %s", tc.body, o.State, tc.state)
			}
		}
	}

	// The United Kingdom's week runs out: escalated at the deadline, 12
	// hours later, and 24 hours later, once each.
	for _, tc := range []struct {
		after time.Duration
		level int
	}{{167 * time.Hour, 0}, {time.Hour, 1}, {time.Hour, 1}, {11 * time.Hour, 2}, {12 * time.Hour, 3}, {48 * time.Hour, 3}} {
		w.clock.advance(tc.after)
		w.pass(t)
		gbr := obligations("?guarantor=GBR")
		if len(gbr) != 1 || gbr[0].Escalation != tc.level {
			t.Fatalf("after %s more: %+v, want escalation level %d", tc.after, gbr, tc.level)
		}
	}
	if got := obligations("?overdue=true"); len(got) != 1 || !got[0].Overdue {
		t.Errorf("overdue = %+v, want the United Kingdom's", got)
	}
	var fraDone []obligation
	w.do("GET", "/api/v1/obligations?guarantor=FRA", "", nil).json(t, &fraDone)
	if fraDone[0].Escalation != 0 {
		t.Error("a met obligation was escalated")
	}

	// A second finding: a new proposal, which the authority declines.
	w.finding(t, "f-b2", "B", label.PublicLabel())
	w.pass(t)
	proposed := w.activations(t, "?state=proposed")
	if len(proposed) != 1 {
		t.Fatalf("proposed after a second finding: %+v", proposed)
	}
	res := w.authority.do("POST", "/api/v1/activations/"+proposed[0].ID+"/determination", "application/json", []byte(`{"confirm":false,"reason":"The same attack, answered already."}`))
	if res.status != 200 || !strings.Contains(string(res.body), `"declined"`) {
		t.Fatalf("decline: %d %s", res.status, res.body)
	}
	if got := obligations("?activation=" + proposed[0].ID); len(got) != 0 {
		t.Errorf("a declined activation made obligations: %+v", got)
	}
	w.pass(t) // the decline stands: the same findings are not proposed again
	if got := w.activations(t, "?state=proposed"); len(got) != 0 {
		t.Errorf("proposed again after a decline: %+v", got)
	}

	// Every step is in the stream of events, in order.
	_, events := readStream(t, w.api, "/api/v1/guarantees/stream?after=0", 1)
	var types []string
	for _, e := range events {
		var body struct{ Type string }
		json.Unmarshal([]byte(e.data), &body)
		types = append(types, body.Type)
	}
	want := "activation.proposed activation.determined obligation.created obligation.created obligation.updated obligation.updated obligation.updated " +
		"obligation.deadline_approaching obligation.escalated obligation.escalated obligation.escalated activation.proposed activation.determined"
	if strings.Join(types, " ") != want {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(types, " "), want)
	}
}

// TestProposalHidesRestrictedFindings: a proposal shows a reader only the
// findings released to them, and counts the others.
func TestProposalHidesRestrictedFindings(t *testing.T) {
	w := newGuaranteeWorld(t)
	w.finding(t, "f-pub", "B", label.PublicLabel())
	w.finding(t, "f-gbr", "B", label.Label{Classification: label.Restricted, RelTo: []string{"GBR"}})
	w.pass(t)
	for _, tc := range []struct {
		who    *api
		shown  string
		hidden int
	}{{w.gbr, "f-gbr,f-pub", 0}, {w.fra, "f-pub", 1}} {
		acts := tc.who.activations(t, "")
		if len(acts) != 1 || strings.Join(acts[0].Findings, ",") != tc.shown || acts[0].HiddenFinding != tc.hidden {
			t.Errorf("%+v, want %s shown and %d hidden", acts, tc.shown, tc.hidden)
		}
	}
}

func (a *api) activations(t *testing.T, q string) []activationJSON {
	t.Helper()
	var out []activationJSON
	a.do("GET", "/api/v1/activations"+q, "", nil).json(t, &out)
	return out
}

// TestWebhooks delivers the events to a receiver that checks their
// signatures, records the attempts, and retries a receiver that is down.
func TestWebhooks(t *testing.T) {
	w := newGuaranteeWorld(t)
	const secret = "a shared secret of some length"
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notify.Verify([]byte(secret), body, r.Header.Get(notify.HeaderSignature)) {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, r.Header.Get(notify.HeaderEvent))
		mu.Unlock()
	}))
	defer recv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	for _, body := range []string{
		`{"url":"` + recv.URL + `","secret":"` + secret + `","events":["activation.proposed","activation.determined"]}`,
		`{"url":"` + downURL + `","secret":"` + secret + `"}`,
	} {
		if res := w.do("POST", "/api/v1/webhooks", "application/json", []byte(body)); res.status != 201 {
			t.Fatalf("webhook: %d %s", res.status, res.body)
		}
	}
	for _, bad := range []string{`{"url":"ftp://x","secret":"0123456789abcdef"}`, `{"url":"http://x","secret":"short"}`,
		`{"url":"http://x","secret":"0123456789abcdef","events":["everything"]}`} {
		if res := w.do("POST", "/api/v1/webhooks", "application/json", []byte(bad)); res.status != 400 {
			t.Errorf("%s: %d", bad, res.status)
		}
	}
	if res := w.ana.do("GET", "/api/v1/webhooks", "", nil); res.status != 403 {
		t.Errorf("an analyst read the webhooks: %d", res.status)
	}
	if strings.Contains(string(w.do("GET", "/api/v1/webhooks", "", nil).body), secret) {
		t.Error("the list of webhooks shows a secret")
	}
	w.finding(t, "f-b", "B", label.PublicLabel())
	w.pass(t)
	sender := notify.New(notify.Config{Outbox: w.store, Now: w.clock.now, Rand: func() float64 { return 0.5 }})
	if _, err := sender.DeliverOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != notify.ActivationProposed {
		t.Fatalf("the receiver got %v, want one activation.proposed", got)
	}
	type attempt struct {
		Delivered bool   `json:"delivered"`
		Status    int    `json:"status"`
		Error     string `json:"error"`
	}
	var ok, failed []attempt
	w.do("GET", "/api/v1/webhooks/1/deliveries", "", nil).json(t, &ok)
	w.do("GET", "/api/v1/webhooks/2/deliveries", "", nil).json(t, &failed)
	if len(ok) != 1 || !ok[0].Delivered || ok[0].Status != 200 {
		t.Errorf("delivery log of the receiver: %+v", ok)
	}
	if len(failed) != 1 || failed[0].Delivered || failed[0].Status != 0 || failed[0].Error == "" {
		t.Errorf("delivery log of the receiver that is down: %+v", failed)
	}
	// It is retried after its backoff, not before.
	if n, _ := sender.DeliverOnce(context.Background()); n != 0 {
		t.Errorf("%d attempts before the backoff ran out", n)
	}
	w.clock.advance(2 * time.Second)
	if n, _ := sender.DeliverOnce(context.Background()); n != 1 {
		t.Errorf("%d attempts after the backoff, want 1", n)
	}
	// A disabled webhook gets nothing more.
	if res := w.do("DELETE", "/api/v1/webhooks/2", "", nil); res.status != 204 {
		t.Fatalf("disable: %d", res.status)
	}
	w.clock.advance(time.Hour)
	if n, _ := sender.DeliverOnce(context.Background()); n != 0 {
		t.Errorf("%d attempts to a disabled webhook", n)
	}
}

// TestRegistryAPI loads, exports and reloads the registry, records a
// delivery, and reads the gap analytics.
func TestRegistryAPI(t *testing.T) {
	w := newGuaranteeWorld(t)
	for _, tc := range []struct {
		ct, body, says string
		status         int
	}{
		{"application/yaml", "guarantors:\n  - {code: FRA, name: France, kind: nation, colour: blue}\n", "colour", 422},
		{"application/yaml", "commitments:\n  - {id: x, instrument: nope, guarantor: FRA, category: training, description: d, quantity: 1, unit: u, committed: 1}\n", "nope", 422},
		{"application/yaml", strings.Replace(testRegistry, `verified("major", "B", duration("72h")) >= 1`, `verified("major") >= 1`, 1), "attack-b", 422},
		{"text/plain", "x", "Content-Type", 415},
	} {
		res := w.do("POST", "/api/v1/registry", tc.ct, []byte(tc.body))
		if res.status != tc.status || !strings.Contains(string(res.body), tc.says) {
			t.Errorf("%.60q: %d %s, want %d naming %s", tc.body, res.status, res.body, tc.status, tc.says)
		}
	}
	if res := w.ana.do("POST", "/api/v1/registry", "application/yaml", []byte(testRegistry)); res.status != 403 {
		t.Errorf("an analyst loaded the registry: %d", res.status)
	}
	// What GET gives, POST takes back unchanged.
	yaml := w.do("GET", "/api/v1/registry", "", nil).body
	if res := w.do("POST", "/api/v1/registry", "application/yaml", yaml); res.status != 200 {
		t.Fatalf("re-posting the export: %d %s", res.status, res.body)
	}
	if again := w.do("GET", "/api/v1/registry", "", nil).body; string(again) != string(yaml) {
		t.Errorf("the registry changed on a round trip:\n%s\n---\n%s", yaml, again)
	}
	csv := w.do("GET", "/api/v1/commitments?format=csv", "", nil)
	if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.Contains(string(csv.body), "fra-1") {
		t.Fatalf("commitments as CSV: %s %s", csv.header.Get("Content-Type"), csv.body)
	}
	if res := w.do("POST", "/api/v1/registry", "text/csv", csv.body); res.status != 200 {
		t.Fatalf("re-posting the CSV: %d %s", res.status, res.body)
	}
	if res := w.do("POST", "/api/v1/commitments/gbr-1/deliveries", "application/json", []byte(`{"date":"2026-11-20","amount":300000,"note":"first tranche"}`)); res.status != 201 {
		t.Fatalf("delivery: %d %s", res.status, res.body)
	}
	if res := w.do("POST", "/api/v1/commitments/gbr-1/deliveries", "application/json", []byte(`{"date":"2026-11-20","amount":-5}`)); res.status != 422 {
		t.Errorf("a negative delivery: %d %s", res.status, res.body)
	}
	var totals struct {
		Rows []struct {
			Key                             string
			Measure                         string
			Committed, Allocated, Delivered float64
		} `json:"rows"`
	}
	w.do("GET", "/api/v1/analytics/commitments?by=guarantor&measure=EUR", "", nil).json(t, &totals)
	if len(totals.Rows) != 1 || totals.Rows[0].Key != "GBR" || totals.Rows[0].Committed != 1e6 || totals.Rows[0].Delivered != 3e5 {
		t.Errorf("totals = %+v", totals.Rows)
	}
	if res := w.do("GET", "/api/v1/analytics/commitments?by=category&format=csv", "", nil); !strings.Contains(string(res.body), "air_defence") {
		t.Errorf("totals as CSV: %s", res.body)
	}
	if res := w.do("GET", "/api/v1/analytics/commitments/series?by=guarantor", "", nil); res.status != 200 || !strings.Contains(string(res.body), "2026-11") {
		t.Errorf("series: %d %s", res.status, res.body)
	}
	for _, q := range []string{"?by=colour", "?category=weapons", "?from=yesterday", "?format=pdf", "?colour=blue"} {
		if res := w.do("GET", "/api/v1/analytics/commitments"+q, "", nil); res.status != 400 {
			t.Errorf("analytics%s: %d", q, res.status)
		}
	}
	var g struct {
		Code        string
		Instruments []string `json:"instruments"`
	}
	w.do("GET", "/api/v1/guarantors/FRA", "", nil).json(t, &g)
	if g.Code != "FRA" || len(g.Instruments) != 1 {
		t.Errorf("guarantor FRA: %+v", g)
	}
	for _, p := range []string{"/api/v1/guarantors/XXX", "/api/v1/instruments/nope", "/api/v1/commitments/nope", "/api/v1/clauses/nope", "/api/v1/activations/nope", "/api/v1/obligations/nope"} {
		if res := w.do("GET", p, "", nil); res.status != 404 {
			t.Errorf("%s: %d", p, res.status)
		}
	}
}

// TestConcurrentDeliveries records deliveries to one commitment from many
// clients at once: every one acknowledged is stored, none lost to another
// written over it.
func TestConcurrentDeliveries(t *testing.T) {
	w := newGuaranteeWorld(t)
	w.skipDoc = true
	const n = 16
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"date":"2026-11-20","amount":%d,"note":"tranche %d"}`, 1000+i, i)
			statuses[i] = w.do("POST", "/api/v1/commitments/gbr-1/deliveries", "application/json", []byte(body)).status
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 201 {
			t.Errorf("delivery %d: %d", i, st)
		}
	}
	var c struct {
		Deliveries []struct{ Note string } `json:"deliveries"`
	}
	w.do("GET", "/api/v1/commitments/gbr-1", "", nil).json(t, &c)
	if len(c.Deliveries) != n {
		t.Fatalf("%d deliveries stored after %d acknowledged", len(c.Deliveries), n)
	}
	seen := map[string]bool{}
	for _, d := range c.Deliveries {
		seen[d.Note] = true
	}
	for i := range n {
		if !seen[fmt.Sprintf("tranche %d", i)] {
			t.Errorf("tranche %d was acknowledged and lost", i)
		}
	}
}

// TestDeliveryRetried sends one delivery again with its id, as a client
// that lost the answer does: it is recorded once.
func TestDeliveryRetried(t *testing.T) {
	w := newGuaranteeWorld(t)
	count := func() int {
		var c struct {
			Deliveries []struct{ ID string } `json:"deliveries"`
		}
		w.do("GET", "/api/v1/commitments/gbr-1", "", nil).json(t, &c)
		return len(c.Deliveries)
	}
	before := count()
	body := `{"id":"lux-2026-11-20.1","date":"2026-11-20","amount":1500,"note":"tranche"}`
	for i, tc := range []struct {
		body   string
		status int
		says   string
	}{
		{body, 201, ""},
		{body, 200, ""},
		{body, 200, ""},
		{`{"id":"lux-2026-11-20.1","date":"2026-11-20","amount":2500,"note":"tranche"}`, 409, "already has a delivery with id"},
		{`{"id":"lux 1","date":"2026-11-20","amount":1}`, 422, "deliveries"},
		{`{"date":"2026-11-20","amount":1}`, 201, ""},
	} {
		res := w.do("POST", "/api/v1/commitments/gbr-1/deliveries", "application/json", []byte(tc.body))
		if res.status != tc.status || !strings.Contains(string(res.body), tc.says) {
			t.Errorf("post %d: %d %s, want %d naming %q", i, res.status, res.body, tc.status, tc.says)
		}
	}
	if got := count(); got != before+2 {
		t.Errorf("%d deliveries after one sent three times and one without an id, want %d", got, before+2)
	}
}

package server

import (
	"fmt"
	"slices"
	"testing"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/store"
)

// secRegistry is the registry of the releasability test: one instrument
// whose clause holds on any verified finding, owed by France and the United
// Kingdom. The registry itself carries no labels: what was promised is known
// to every member of the coalition; what a proposal rests on is not.
const secRegistry = `guarantors:
  - {code: FRA, name: France, kind: nation}
  - {code: GBR, name: United Kingdom, kind: nation}
instruments:
  - id: sec-instrument
    title: Test instrument
    kind: multilateral
    signatories: [FRA, GBR, UKR]
    signed: 2024-01-01
    binding: political
    clauses:
      - id: sec-any
        condition: 'verified("minor", "", duration("87600h")) >= 1'
        obligations:
          - {guarantor: FRA, type: consult, deadline: 24h}
          - {guarantor: GBR, type: consult, deadline: 24h}
commitments:
  - {id: sec-c1, instrument: sec-instrument, guarantor: FRA, category: training, description: Test, quantity: 10, unit: courses, committed: 10, allocated: 5}
`

// seedGuarantees loads secRegistry and lets the guarantees loop propose the
// activation of its clause on the verified candidates, of all labels.
func (w *secWorld) seedGuarantees(t *testing.T) {
	if res := w.a.do("POST", "/api/v1/registry", "application/yaml", []byte(secRegistry)); res.status != 200 {
		t.Fatalf("registry: %d %s", res.status, res.body)
	}
	if err := w.a.srv.GuaranteesOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	acts, err := w.a.store.QueryActivations(t.Context(), store.ActivationQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || len(acts[0].Activation.Findings) < 2 {
		t.Fatalf("the clause proposed %d activations: %+v", len(acts), acts)
	}
	w.activation = acts[0].Activation.ID
}

// checkActivation reads the activation: a user sees exactly the findings
// they may see, and the count of the others.
func (w *secWorld) checkActivation(list bool) checker {
	return func(t *testing.T, u secUser, allowed bool) {
		path := "/api/v1/activations/" + w.activation
		if list {
			path = "/api/v1/activations"
		}
		res := u.api.do("GET", path, "", nil)
		w.cases++
		if !allowed {
			if res.status != 403 {
				t.Fatalf("%s read %s: %d", u.Name, path, res.status)
			}
			return
		}
		var a activationJSON
		if list {
			var all []activationJSON
			res.json(t, &all)
			if len(all) != 1 {
				t.Fatalf("%s: %d activations", u.Name, len(all))
			}
			a = all[0]
		} else {
			res.json(t, &a)
		}
		want, hidden := 0, 0
		for _, c := range w.candidates {
			if c.State != "verified" {
				continue
			}
			if u.vis.Allows(c.Label) {
				want++
			} else {
				hidden++
			}
		}
		for _, id := range a.Findings {
			w.cases++
			if c, ok := w.candidates[id]; !ok || !u.vis.Allows(c.Label) {
				t.Fatalf("%s sees finding %s of the activation, labelled %s", u.Name, id, c.Label)
			}
		}
		if len(a.Findings) != want || a.HiddenFinding != hidden {
			t.Fatalf("%s sees %d findings and %d hidden; may see %d of %d", u.Name, len(a.Findings), a.HiddenFinding, want, want+hidden)
		}
	}
}

// checkDetermination has each user with the permission try to determine
// the activation: the first confirms it, later ones find it determined.
func (w *secWorld) checkDetermination(t *testing.T, u secUser, allowed bool) {
	res := u.api.do("POST", "/api/v1/activations/"+w.activation+"/determination", "application/json",
		[]byte(`{"confirm": true, "reason": "determined in the test"}`))
	w.cases++
	switch {
	case !allowed && res.status != 403:
		t.Fatalf("%s determined without the permission: %d", u.Name, res.status)
	case allowed && res.status != 200 && res.status != 409:
		t.Fatalf("%s determined: %d %s", u.Name, res.status, res.body)
	}
}

// checkObligationAction has each user try to acknowledge France's
// obligation: only liaison officers of France may.
func (w *secWorld) checkObligationAction(t *testing.T, u secUser, allowed bool) {
	res := u.api.do("POST", "/api/v1/obligations/"+w.activation+":FRA/actions", "application/json", []byte(`{"kind": "acknowledge"}`))
	w.cases++
	mine := slices.Contains(u.Roles, access.Liaison) && u.Nation == "FRA"
	switch {
	case !allowed && res.status != 403:
		t.Fatalf("%s acted on an obligation without the permission: %d", u.Name, res.status)
	case allowed && !mine && res.status != 403 && res.status != 404:
		t.Fatalf("%s (%s) acted on France's obligation: %d %s", u.Name, u.Nation, res.status, res.body)
	case allowed && mine && res.status != 200 && res.status != 409 && res.status != 404:
		t.Fatalf("%s acknowledged France's obligation: %d %s", u.Name, res.status, res.body)
	}
}

// guaranteeCheckers are the checkers of the guarantees' routes. The
// registry carries no labels, so its routes are checked for their
// permissions; activations for the findings they show.
func (w *secWorld) guaranteeCheckers(gate func(method, path, contentType string, body func() []byte, then func(t *testing.T, u secUser, res response)) checker) map[string]checker {
	n := 0
	delivery := func() []byte {
		n++
		return []byte(fmt.Sprintf(`{"date": "2026-11-%02d", "amount": 1, "note": "test"}`, 1+n%28))
	}
	hook := func() []byte {
		return []byte(`{"url": "http://127.0.0.1:1/hook", "secret": "a secret of sixteen or more"}`)
	}
	webhookDeliveries := func(t *testing.T, u secUser, allowed bool) {
		res := u.api.do("GET", "/api/v1/webhooks/1/deliveries", "", nil)
		w.cases++
		if allowed != (res.status == 200) {
			t.Fatalf("%s read the delivery log: %d (allowed %v)", u.Name, res.status, allowed)
		}
	}
	deleteHook := func(t *testing.T, u secUser, allowed bool) {
		res := u.api.do("DELETE", "/api/v1/webhooks/1", "", nil)
		w.cases++
		if allowed != (res.status == 204) {
			t.Fatalf("%s disabled a webhook: %d (allowed %v)", u.Name, res.status, allowed)
		}
	}
	readObligation := func(t *testing.T, u secUser, allowed bool) {
		res := u.api.do("GET", "/api/v1/obligations/"+w.activation+":FRA", "", nil)
		w.cases++
		if allowed != (res.status == 200 || res.status == 404) || (!allowed && res.status != 403) {
			t.Fatalf("%s read an obligation: %d (allowed %v)", u.Name, res.status, allowed)
		}
	}
	return map[string]checker{
		"GET /api/v1/registry":                        gate("GET", "/api/v1/registry", "", nil, nil),
		"POST /api/v1/registry":                       gate("POST", "/api/v1/registry", "application/yaml", func() []byte { return []byte(secRegistry) }, nil),
		"GET /api/v1/guarantors":                      gate("GET", "/api/v1/guarantors", "", nil, nil),
		"GET /api/v1/guarantors/{code}":               gate("GET", "/api/v1/guarantors/FRA", "", nil, nil),
		"GET /api/v1/instruments":                     gate("GET", "/api/v1/instruments", "", nil, nil),
		"GET /api/v1/instruments/{id}":                gate("GET", "/api/v1/instruments/sec-instrument", "", nil, nil),
		"GET /api/v1/commitments":                     gate("GET", "/api/v1/commitments", "", nil, nil),
		"GET /api/v1/commitments/{id}":                gate("GET", "/api/v1/commitments/sec-c1", "", nil, nil),
		"POST /api/v1/commitments/{id}/deliveries":    gate("POST", "/api/v1/commitments/sec-c1/deliveries", "application/json", delivery, nil),
		"GET /api/v1/clauses":                         gate("GET", "/api/v1/clauses", "", nil, nil),
		"GET /api/v1/clauses/{id}":                    gate("GET", "/api/v1/clauses/sec-any", "", nil, nil),
		"GET /api/v1/activations":                     w.checkActivation(true),
		"GET /api/v1/activations/{id}":                w.checkActivation(false),
		"POST /api/v1/activations/{id}/determination": w.checkDetermination,
		"GET /api/v1/obligations":                     gate("GET", "/api/v1/obligations", "", nil, nil),
		"GET /api/v1/obligations/{id}":                readObligation,
		"POST /api/v1/obligations/{id}/actions":       w.checkObligationAction,
		"GET /api/v1/guarantees/stream": func(t *testing.T, u secUser, allowed bool) {
			status, _ := readStream(t, u.api, "/api/v1/guarantees/stream?after=0", 1)
			w.cases++
			if allowed != (status == 200) {
				t.Fatalf("%s read the guarantees stream: %d (allowed %v)", u.Name, status, allowed)
			}
		},
		"GET /api/v1/analytics/commitments":        gate("GET", "/api/v1/analytics/commitments?by=category", "", nil, nil),
		"GET /api/v1/analytics/commitments/series": gate("GET", "/api/v1/analytics/commitments/series", "", nil, nil),
		"GET /api/v1/webhooks":                     gate("GET", "/api/v1/webhooks", "", nil, nil),
		"POST /api/v1/webhooks":                    gate("POST", "/api/v1/webhooks", "application/json", hook, nil),
		"DELETE /api/v1/webhooks/{id}":             deleteHook,
		"GET /api/v1/webhooks/{id}/deliveries":     webhookDeliveries,
	}
}

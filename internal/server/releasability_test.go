package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// secWorld is the data of the releasability test: records with random
// labels, and what the test knows about each.
type secWorld struct {
	a       *api
	scheme  label.Scheme
	obs     map[string]label.Label // observation id → label
	sensors map[string]label.Label // sensor id → label
	ids     []string               // observation ids in order
	sensIDs []string
	// incidents are those fusion made of the observations and did not
	// merge into others, by id; incLabels has the labels of all, merged
	// ones too, and lastSeq is the last incident written.
	incidents map[string]store.IncidentRecord
	incIDs    []string
	incLabels map[string]label.Label
	lastSeq   int64
	// candidates are those the rules found in the incidents, by id.
	candidates map[string]store.CandidateRecord
	candIDs    []string
	fused      int // how many of ids fusion saw
	// checkpointed is how many of ids the latest checkpoint covers.
	checkpointed int
	cases        int // assertions made, reported in docs/security.md
	// restrictions are the restrictions of access posted (restrictions_test.go).
	restrictions secRestrictions
	// activation is the activation the guarantees loop proposed on the
	// verified candidates (guarantees_sec_test.go).
	activation string
}

// secUser is one reader of the test.
type secUser struct {
	access.User
	api *api
	vis label.Visibility
}

// randomLabel draws a label of the scheme: any level, and for a level that
// is not public one or more of nations.
func randomLabel(rng *rand.Rand, scheme label.Scheme, nations []string) label.Label {
	l := label.Label{Classification: scheme.Levels[rng.IntN(len(scheme.Levels))]}
	if scheme.IsPublic(l.Classification) {
		return l
	}
	for _, n := range nations {
		if rng.IntN(3) == 0 {
			l.RelTo = append(l.RelTo, n)
		}
	}
	if len(l.RelTo) == 0 {
		l.RelTo = []string{nations[rng.IntN(len(nations))]}
	}
	return l
}

// TestReleasability is the property the platform's sharing rests on: for
// every endpoint, every role and records labelled at random, no user
// receives a record, a field of one, or a count that their nation and
// clearance do not allow, and no route lets a role do what its permissions
// do not grant. A record a user may not see is indistinguishable from one
// that does not exist. Every route must have a checker here: a new route
// fails the test until its releasability is checked.
func TestReleasability(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			w := newSecWorld(t, seed)
			users := w.users(t)
			checkers := w.checkers()
			for _, r := range w.a.srv.routes() {
				check, ok := checkers[r.method+" "+r.pattern]
				if !ok {
					t.Fatalf("%s %s has no releasability checker: add one to TestReleasability", r.method, r.pattern)
				}
				for _, u := range users {
					allowed := r.perm == public || r.perm == signedIn || access.Allowed(u.Roles, r.perm)
					check(t, u, allowed)
				}
			}
			t.Logf("seed %d: %d users, %d assertions", seed, len(users), w.cases)
		})
	}
}

func newSecWorld(t *testing.T, seed uint64) *secWorld {
	rng := rand.New(rand.NewPCG(seed, 99))
	// The example terms take effect on 1 December: the records are of the
	// days after, so that the rules apply to the incidents made of them.
	later := func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC) } }
	w := &secWorld{a: newAPI(t, withLogKey(t), later), scheme: label.DefaultScheme(), obs: map[string]label.Label{}, sensors: map[string]label.Label{}}
	if res := w.a.do("POST", "/api/v1/terms", "application/yaml", readTestdata(t, "example.yaml")); res.status != 201 {
		t.Fatalf("terms: %d %s", res.status, res.body)
	}
	nations := []string{"FRA", "GBR", "POL", "UKR", "USA"}
	var obs []observe.Observation
	kinds := []observe.Kind{observe.KindAcoustic, observe.KindReport}
	const inForce = 11 * 24 * time.Hour // after 21 November, when storetest.Obs times start
	// Every fifth observation starts a place and time that the next four
	// report again, so that fusion makes incidents of several observations
	// whose labels differ.
	var lon, lat float64
	for i := range 50 {
		if i%5 == 0 {
			lon, lat = 37+rng.Float64(), 48+rng.Float64()
		}
		o := storetest.Obs(fmt.Sprintf("sec-%d-%02d", seed, i), lon+0.001*rng.Float64(), lat+0.001*rng.Float64(), inForce+time.Duration(i/5)*time.Hour+time.Duration(i%5)*time.Second)
		o.LocationUncertaintyM = 300
		if kinds[rng.IntN(2)] == observe.KindReport {
			o.Kind, o.Acoustic = observe.KindReport, nil
			o.Source.Type = observe.SourceMonitor
			observer := [2]float64{o.Location.Lon - 0.01, o.Location.Lat}
			o.Report = &observe.Report{Means: observe.MeansPatrolHeard, EventType: observe.EventUndeterminedExplosion, Count: 3, Observer: &observer, Text: "heard shelling to the east"}
		}
		o.Releasability = randomLabel(rng, w.scheme, nations)
		w.obs[o.ID] = o.Releasability
		w.ids = append(w.ids, o.ID)
		obs = append(obs, o)
	}
	if r, status := ingest(t, w.a, "application/x-ndjson", ndjson(t, obs...)); status != 200 || r.Accepted != len(obs) {
		t.Fatalf("ingest: %d %+v", status, r)
	}
	var sensors []observe.Sensor
	for i := range 20 {
		pos := [2]float64{37 + rng.Float64(), 48 + rng.Float64()}
		s := observe.Sensor{ID: fmt.Sprintf("SEC-%02d", i), Type: observe.SensorAcoustic, Position: &pos,
			Clock: observe.Clock{Source: "gnss", UncertaintyS: 1e-6}, Releasability: randomLabel(rng, w.scheme, nations)}
		w.sensors[s.ID] = s.Releasability
		w.sensIDs = append(w.sensIDs, s.ID)
		sensors = append(sensors, s)
	}
	body, _ := json.Marshal(sensors)
	if res := w.a.do("POST", "/api/v1/sensors", "application/json", body); res.status != 200 {
		t.Fatalf("sensors: %d %s", res.status, res.body)
	}
	if _, err := w.a.srv.IssueCheckpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.checkpointed = len(w.ids)
	w.fuseIncidents(t)
	w.seedRestrictions(t, rng, nations)
	w.seedGuarantees(t)
	return w
}

// fuseIncidents runs fusion over the observations, so that incidents carry
// the most restrictive labels of random observations, and records them.
func (w *secWorld) fuseIncidents(t *testing.T) {
	f, err := w.a.srv.newFuser(t.Context(), incident.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.catchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.fused = len(w.ids)
	recs, err := w.a.store.IncidentsSince(t.Context(), 0, nil, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	w.incidents, w.incLabels = map[string]store.IncidentRecord{}, map[string]label.Label{}
	for _, r := range recs {
		w.incLabels[r.ID], w.lastSeq = r.Label, r.Seq
		if r.MergedInto == "" {
			w.incidents[r.ID] = r
			w.incIDs = append(w.incIDs, r.ID)
		}
	}
	multi := 0
	for _, r := range w.incidents {
		if len(r.Observations) > 1 {
			multi++
		}
	}
	if len(w.incidents) < 10 || multi == 0 {
		t.Fatalf("fusion made %d incidents, %d of several observations: too few to check", len(w.incidents), multi)
	}
	// Every third candidate is verified: the findings.
	all, err := w.a.store.CandidatesSince(t.Context(), 0, nil, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range all {
		if i%3 != 0 {
			continue
		}
		for n, nation := range []string{"FRA", "GBR"} {
			a := store.ActionRecord{ID: fmt.Sprintf("confirm-%d-%s", n, c.ID), Candidate: c.ID, N: n + 1, Action: verify.Action{Kind: verify.Confirm,
				Analyst: verify.Analyst{Name: "checker-" + nation, Nation: nation}, At: now, Reason: "seen"}}
			state := []verify.State{verify.Open, verify.Verified}[n]
			if _, err := w.a.store.AddAction(t.Context(), a, string(state)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cands, err := w.a.store.CandidatesSince(t.Context(), 0, nil, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	w.candidates = map[string]store.CandidateRecord{}
	for _, c := range cands {
		w.candidates[c.ID] = c
		w.candIDs = append(w.candIDs, c.ID)
	}
	if len(w.candidates) < 5 {
		t.Fatalf("the rules found %d candidates: too few to check", len(w.candidates))
	}
}

// users makes one user per role, nation and clearance, among them nations
// no record is released to, and a disabled one.
func (w *secWorld) users(t *testing.T) []secUser {
	var out []secUser
	for _, role := range access.Roles() {
		for _, nation := range []string{"FRA", "GBR", "DEU"} { // no record is released to DEU
			for _, c := range w.scheme.Levels {
				name := strings.ToLower(fmt.Sprintf("%s-%s-%s", role, nation, c))
				tok := w.a.newUser(name, nation, c, role)
				u := access.User{Name: name, Nation: nation, Clearance: c, Roles: []access.Role{role}}
				api := w.a.as(tok)
				// The answers to one nation's users are checked against the
				// OpenAPI document too; checking every one is slow and adds nothing.
				api.skipDoc = nation != "FRA"
				out = append(out, secUser{User: u, api: api,
					vis: label.Visibility{Nation: nation, Classifications: w.scheme.Covered(c), Public: w.scheme.Public}})
			}
		}
	}
	// Two roles at once grant the union of their permissions.
	tok := w.a.newUser("viewer-ingest-gbr", "GBR", label.Restricted, access.Viewer, access.Ingest)
	out = append(out, secUser{User: access.User{Name: "viewer-ingest-gbr", Nation: "GBR", Clearance: label.Restricted, Roles: []access.Role{access.Viewer, access.Ingest}},
		api: w.a.as(tok), vis: label.Visibility{Nation: "GBR", Classifications: w.scheme.Covered(label.Restricted), Public: w.scheme.Public}})
	return out
}

// checker makes the requests of one route as user u and asserts what u may
// receive; allowed says whether u's roles grant the route.
type checker func(t *testing.T, u secUser, allowed bool)

func (w *secWorld) checkers() map[string]checker {
	// denied checks that a route refuses a user without its permission,
	// and reveals nothing but the refusal.
	denied := func(t *testing.T, u secUser, res response) {
		t.Helper()
		w.cases++
		if res.status != 403 {
			t.Fatalf("%s (%v) was not refused: %d %.200s", u.Name, u.Roles, res.status, res.body)
		}
	}
	// gate runs a route for users it allows, and checks the refusal of others.
	gate := func(method, path, contentType string, body func() []byte, then func(t *testing.T, u secUser, res response)) checker {
		return func(t *testing.T, u secUser, allowed bool) {
			var b []byte
			if body != nil {
				b = body()
			}
			res := u.api.do(method, path, contentType, b)
			if !allowed {
				denied(t, u, res)
				return
			}
			w.cases++
			if res.status >= 400 {
				t.Fatalf("%s %s as %s: %d %s", method, path, u.Name, res.status, res.body)
			}
			if then != nil {
				then(t, u, res)
			}
		}
	}
	noRecords := func(t *testing.T, u secUser, res response) {
		t.Helper()
		w.noRecordContent(t, u, res)
	}
	nextID := 0
	newID := func() string { return fmt.Sprintf("sec-new-%d", nextID) }
	newObs := func() []byte {
		nextID++
		return ndjson(w.a.t, storetest.Obs(newID(), 37, 48, time.Duration(nextID)*time.Second))
	}
	checkers := map[string]checker{
		"GET /healthz":             gate("GET", "/healthz", "", nil, noRecords),
		"GET /api/v1/openapi.json": gate("GET", "/api/v1/openapi.json", "", nil, nil),
		"POST /api/v1/session": func(t *testing.T, u secUser, _ bool) {
			// Sign-in is public; these users have no password, so it fails
			// for everyone, soon slowed down (429) for the address.
			res := u.api.as("").do("POST", "/api/v1/session", "application/json", []byte(`{"name":"`+u.Name+`","password":"no password here"}`))
			w.noRecordContent(t, u, res)
			if res.status != 401 && res.status != 429 {
				t.Fatalf("sign in as %s without a password: %d", u.Name, res.status)
			}
		},
		"GET /api/v1/session": gate("GET", "/api/v1/session", "", nil, func(t *testing.T, u secUser, res response) {
			var s sessionJSON
			res.json(t, &s)
			if s.User.Name != u.Name {
				t.Fatalf("%s was told they are %q", u.Name, s.User.Name)
			}
		}),
		"DELETE /api/v1/session": func(t *testing.T, u secUser, _ bool) {
			// A token holder has no session to end.
			w.cases++
			if res := u.api.do("DELETE", "/api/v1/session", "", nil); res.status != 400 {
				t.Fatalf("DELETE session with a token as %s: %d", u.Name, res.status)
			}
		},
		"POST /api/v1/observations": gate("POST", "/api/v1/observations", "application/x-ndjson", newObs, func(t *testing.T, u secUser, res response) {
			var r IngestResult
			res.json(t, &r)
			if r.Accepted != 1 || r.Duplicates != 0 || r.Rejected != 0 {
				t.Fatalf("ingest of one new record as %s: %+v", u.Name, r)
			}
			w.obs[newID()] = label.PublicLabel() // storetest.Obs is public
			w.ids = append(w.ids, newID())
		}),
		"GET /api/v1/observations":      w.checkList,
		"GET /api/v1/observations/{id}": w.checkGetObservation,
		"POST /api/v1/sensors": gate("POST", "/api/v1/sensors", "application/json", func() []byte {
			return []byte(`[{"id":"SEC-ADMIN","type":"acoustic","position":[37.1,48.2],"clock":{"source":"gnss","uncertainty_s":1e-6},"releasability":{"classification":"SECRET","rel_to":["GBR"]}}]`)
		}, func(t *testing.T, u secUser, res response) {
			w.sensors["SEC-ADMIN"] = label.Label{Classification: label.Secret, RelTo: []string{"GBR"}}
			if !slices.Contains(w.sensIDs, "SEC-ADMIN") {
				w.sensIDs = append(w.sensIDs, "SEC-ADMIN")
			}
		}),
		"GET /api/v1/incidents":                w.checkIncidentList,
		"GET /api/v1/incidents/{id}":           w.checkGetIncident,
		"GET /api/v1/incidents/stream":         w.checkIncidentStream,
		"GET /api/v1/incidents/grid":           w.checkIncidentGrid,
		"GET /api/v1/candidates":               w.checkCandidateList,
		"GET /api/v1/candidates/{id}":          w.checkGetCandidate,
		"GET /api/v1/candidates/{id}/actions":  w.checkCandidateActions,
		"POST /api/v1/candidates/{id}/actions": w.checkPostAction,
		"GET /api/v1/findings":                 w.checkFindings,
		"GET /api/v1/reports/daily":            w.checkDailyReport,
		"GET /api/v1/actions":                  w.checkActionList,
		"GET /api/v1/candidates/stream":        w.checkCandidateStream,
		"GET /api/v1/sensors":                  w.checkSensorList,
		"GET /api/v1/sensors/{id}":             w.checkGetSensor,
		"POST /api/v1/restrictions":            w.checkPostRestriction,
		"GET /api/v1/restrictions":             w.checkRestrictionList,
		"GET /api/v1/restrictions/counts":      w.checkRestrictionCounts,
		"GET /api/v1/restrictions/{id}":        w.checkGetRestriction,
		// The terms are the agreement between the parties, published to
		// everyone who may read records; they carry no nation's intelligence.
		"GET /api/v1/terms":          gate("GET", "/api/v1/terms?at=2026-12-11T00:00:00Z", "", nil, nil),
		"GET /api/v1/terms/versions": gate("GET", "/api/v1/terms/versions", "", nil, nil),
		"GET /api/v1/terms/locate":   gate("GET", "/api/v1/terms/locate?lon=37.5&lat=48.5&at=2026-12-11T00:00:00Z", "", nil, nil),
		"POST /api/v1/terms": func(t *testing.T, u secUser, allowed bool) {
			res := u.api.do("POST", "/api/v1/terms", "application/yaml", []byte("not: [valid"))
			if !allowed {
				denied(t, u, res)
				return
			}
			w.cases++
			if res.status != 400 && res.status != 422 {
				t.Fatalf("bad terms as %s: %d", u.Name, res.status)
			}
		},
		"GET /api/v1/log/checkpoint":        gate("GET", "/api/v1/log/checkpoint", "", nil, noRecords),
		"GET /api/v1/log/key":               gate("GET", "/api/v1/log/key", "", nil, noRecords),
		"GET /api/v1/log/checkpoints":       gate("GET", "/api/v1/log/checkpoints", "", nil, noRecords),
		"GET /api/v1/log/proof/consistency": gate("GET", "/api/v1/log/proof/consistency?from=10", "", nil, noRecords),
		"GET /api/v1/log/proof/inclusion":   w.checkInclusion,
	}
	maps.Copy(checkers, w.guaranteeCheckers(gate))
	return checkers
}

// noRecordContent checks that an answer holds nothing of any stored
// record: none of their ids, and none of their texts.
func (w *secWorld) noRecordContent(t *testing.T, u secUser, res response) {
	t.Helper()
	w.cases++
	body := string(res.body)
	for _, id := range w.ids {
		if strings.Contains(body, id) {
			t.Fatalf("an answer to %s names record %s: %.300s", u.Name, id, body)
		}
	}
	if strings.Contains(body, "shelling") {
		t.Fatalf("an answer to %s holds a record's text: %.300s", u.Name, body)
	}
}

// checkList pages through every observation, and through a filtered
// query, and requires exactly the visible ones: no more (a record), no fewer
// (the count must be the count of what the user may see, nothing else).
func (w *secWorld) checkList(t *testing.T, u secUser, allowed bool) {
	for _, q := range []string{"", "&kind=report", "&bbox=37,48,37.5,49", "&unassociated=true"} {
		res := u.api.do("GET", "/api/v1/observations?limit=7"+q, "", nil)
		if !allowed {
			w.cases++
			if res.status != 403 {
				t.Fatalf("%s listed observations: %d", u.Name, res.status)
			}
			return
		}
		var got []string
		for {
			var fc struct {
				Features []json.RawMessage `json:"features"`
				Next     string            `json:"next"`
			}
			res.json(t, &fc)
			for _, f := range fc.Features {
				o, errs := observe.Decode(f, observe.Checks{})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				w.cases++
				if !u.vis.Allows(o.Releasability) {
					t.Fatalf("%s (%s, cleared %s) received %s labelled %s", u.Name, u.Nation, u.Clearance, o.ID, o.Releasability)
				}
				got = append(got, o.ID)
			}
			if fc.Next == "" {
				break
			}
			res = u.api.do("GET", "/api/v1/observations?limit=7"+q+"&cursor="+url.QueryEscape(fc.Next), "", nil)
		}
		want := 0
		for _, id := range w.ids {
			l := w.obs[id]
			if u.vis.Allows(l) && w.matches(id, q) {
				want++
			}
		}
		w.cases++
		if len(got) != want {
			t.Fatalf("%s listed %d observations with %q, may see %d", u.Name, len(got), q, want)
		}
	}
}

// matches says whether a seeded observation matches one of checkList's
// filters, from the stored record itself.
func (w *secWorld) matches(id, q string) bool {
	if q == "" {
		return true
	}
	o, err := w.a.store.Observation(w.a.t.Context(), id)
	if err != nil {
		w.a.t.Fatal(err)
	}
	dec, _ := observe.Decode(o.Feature, observe.Checks{})
	switch q {
	case "&kind=report":
		return dec.Kind == observe.KindReport
	case "&bbox=37,48,37.5,49":
		return dec.Location.Lon >= 37 && dec.Location.Lon <= 37.5 && dec.Location.Lat >= 48 && dec.Location.Lat <= 49
	case "&unassociated=true":
		// Their sensors are not registered: fusion could place none of the
		// ones it saw (those posted later by the ingest checker it did not).
		return dec.Kind == observe.KindAcoustic && slices.Index(w.ids, id) < w.fused
	}
	panic("unknown filter " + q)
}

// notFoundLike checks that a refusal of a hidden record is the answer for
// a record that does not exist, with only the id changed.
func (w *secWorld) notFoundLike(t *testing.T, u secUser, hidden response, hiddenID string, missing response, missingID string) {
	t.Helper()
	w.cases++
	if hidden.status != 404 || strings.ReplaceAll(string(hidden.body), hiddenID, "ID") != strings.ReplaceAll(string(missing.body), missingID, "ID") {
		t.Fatalf("%s asked for hidden %s: %d %s; a missing record answers %d %s", u.Name, hiddenID, hidden.status, hidden.body, missing.status, missing.body)
	}
}

// checkGetEach reads every record of ids at prefix+id as user u: refused
// without the permission, served when u may see it, and otherwise answered
// as a missing record is.
func (w *secWorld) checkGetEach(t *testing.T, u secUser, allowed bool, prefix string, ids []string, labels map[string]label.Label) {
	w.checkEach(t, u, allowed, "GET", func(id string) string { return prefix + id }, nil, 200, ids, labels)
}

// checkEach sends a request about each record: one the user may see
// answers okStatus, one they may not is answered exactly as a record that
// does not exist, and without the permission every request is refused.
func (w *secWorld) checkEach(t *testing.T, u secUser, allowed bool, method string, path func(id string) string, body []byte,
	okStatus int, ids []string, labels map[string]label.Label) {
	const missingID = "NO-SUCH-RECORD"
	contentType := ""
	if body != nil {
		contentType = "application/json"
	}
	missing := u.api.do(method, path(missingID), contentType, body)
	for _, id := range ids {
		res := u.api.do(method, path(id), contentType, body)
		switch {
		case !allowed:
			w.cases++
			if res.status != 403 {
				t.Fatalf("%s: %s %s without the permission: %d", u.Name, method, path(id), res.status)
			}
		case u.vis.Allows(labels[id]):
			w.cases++
			if res.status != okStatus {
				t.Fatalf("%s may see %s but %s answered %d %s, want %d", u.Name, id, path(id), res.status, res.body, okStatus)
			}
		default:
			w.notFoundLike(t, u, res, id, missing, missingID)
		}
	}
}

func (w *secWorld) checkGetObservation(t *testing.T, u secUser, allowed bool) {
	w.checkGetEach(t, u, allowed, "/api/v1/observations/", w.ids, w.obs)
}

func (w *secWorld) checkSensorList(t *testing.T, u secUser, allowed bool) {
	res := u.api.do("GET", "/api/v1/sensors", "", nil)
	w.cases++
	if !allowed {
		if res.status != 403 {
			t.Fatalf("%s listed sensors: %d", u.Name, res.status)
		}
		return
	}
	var list []observe.Sensor
	res.json(t, &list)
	want := 0
	for _, id := range w.sensIDs {
		if u.vis.Allows(w.sensors[id]) {
			want++
		}
	}
	for _, s := range list {
		w.cases++
		if !u.vis.Allows(s.Releasability) {
			t.Fatalf("%s received sensor %s labelled %s", u.Name, s.ID, s.Releasability)
		}
	}
	if len(list) != want {
		t.Fatalf("%s listed %d sensors, may see %d", u.Name, len(list), want)
	}
}

func (w *secWorld) checkGetSensor(t *testing.T, u secUser, allowed bool) {
	w.checkGetEach(t, u, allowed, "/api/v1/sensors/", w.sensIDs, w.sensors)
}

// checkInclusion asks for the proof of every record by id (served only for
// a record the user may see) and by leaf index (served to any reader of
// the log, as it carries hashes only).
func (w *secWorld) checkInclusion(t *testing.T, u secUser, allowed bool) {
	missing := u.api.do("GET", "/api/v1/log/proof/inclusion?record=no-such-record", "", nil)
	for i, id := range w.ids[:w.checkpointed] {
		res := u.api.do("GET", "/api/v1/log/proof/inclusion?record="+id, "", nil)
		byLeaf := u.api.do("GET", fmt.Sprintf("/api/v1/log/proof/inclusion?leaf=%d", i), "", nil)
		switch {
		case !allowed:
			w.cases += 2
			if res.status != 403 || byLeaf.status != 403 {
				t.Fatalf("%s asked for proofs without the permission: %d %d", u.Name, res.status, byLeaf.status)
			}
			continue
		case u.vis.Allows(w.obs[id]):
			w.cases++
			if res.status != 200 {
				t.Fatalf("%s may see %s but its proof answered %d", u.Name, id, res.status)
			}
		default:
			w.notFoundLike(t, u, res, id, missing, "no-such-record")
		}
		w.cases++
		if byLeaf.status != 200 {
			t.Fatalf("proof of leaf %d for %s: %d", i, u.Name, byLeaf.status)
		}
		w.noRecordContent(t, u, byLeaf)
	}
}

// checkIncidentList pages through the incidents, unfiltered and filtered,
// and requires exactly those the user may see.
func (w *secWorld) checkIncidentList(t *testing.T, u secUser, allowed bool) {
	for _, q := range []string{"", "&class=fire", "&party=none", "&bbox=37,48,37.5,49"} {
		res := u.api.do("GET", "/api/v1/incidents?limit=4"+q, "", nil)
		if !allowed {
			w.cases++
			if res.status != 403 {
				t.Fatalf("%s listed incidents: %d", u.Name, res.status)
			}
			return
		}
		got := map[string]bool{}
		for {
			var fc struct {
				Features []struct {
					ID         string `json:"id"`
					Properties struct {
						Releasability label.Label `json:"releasability"`
					} `json:"properties"`
				} `json:"features"`
				Next string `json:"next"`
			}
			res.json(t, &fc)
			for _, f := range fc.Features {
				w.cases++
				if !u.vis.Allows(f.Properties.Releasability) || !u.vis.Allows(w.incidents[f.ID].Label) {
					t.Fatalf("%s (%s, cleared %s) received incident %s labelled %s", u.Name, u.Nation, u.Clearance, f.ID, w.incidents[f.ID].Label)
				}
				if got[f.ID] {
					t.Fatalf("%s received incident %s twice", u.Name, f.ID)
				}
				got[f.ID] = true
			}
			if fc.Next == "" {
				break
			}
			res = u.api.do("GET", "/api/v1/incidents?limit=4"+q+"&cursor="+url.QueryEscape(fc.Next), "", nil)
		}
		want := 0
		for _, id := range w.incIDs {
			r := w.incidents[id]
			if u.vis.Allows(r.Label) && incidentMatches(r, q) {
				want++
			}
		}
		w.cases++
		if len(got) != want {
			t.Fatalf("%s listed %d incidents with %q, may see %d", u.Name, len(got), q, want)
		}
	}
}

// incidentMatches says whether an incident matches one of
// checkIncidentList's filters.
func incidentMatches(r store.IncidentRecord, q string) bool {
	switch q {
	case "":
		return true
	case "&class=fire":
		return r.Class == "fire"
	case "&party=none":
		return r.Party == ""
	case "&bbox=37,48,37.5,49":
		return r.BBox[0] <= 37.5 && r.BBox[2] >= 37 && r.BBox[1] <= 49 && r.BBox[3] >= 48
	}
	panic("unknown filter " + q)
}

func (w *secWorld) checkGetIncident(t *testing.T, u secUser, allowed bool) {
	labels := map[string]label.Label{}
	for id, r := range w.incidents {
		labels[id] = r.Label
	}
	w.checkGetEach(t, u, allowed, "/api/v1/incidents/", w.incIDs, labels)
	if !allowed {
		return
	}
	// The observations an incident is served with are ones the user may see.
	for _, id := range w.incIDs {
		if !u.vis.Allows(w.incidents[id].Label) {
			continue
		}
		var in struct {
			Observations struct {
				Features []json.RawMessage `json:"features"`
			} `json:"observations"`
		}
		u.api.do("GET", "/api/v1/incidents/"+id, "", nil).json(t, &in)
		w.cases++
		if len(in.Observations.Features) != len(w.incidents[id].Observations) {
			t.Fatalf("%s got incident %s with %d of its %d observations", u.Name, id, len(in.Observations.Features), len(w.incidents[id].Observations))
		}
		for _, f := range in.Observations.Features {
			o, errs := observe.Decode(f, observe.Checks{})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			w.cases++
			if !u.vis.Allows(o.Releasability) {
				t.Fatalf("%s got observation %s labelled %s with incident %s", u.Name, o.ID, o.Releasability, id)
			}
		}
	}
}

// checkIncidentStream reads the stream from its beginning and requires
// exactly the incidents the user may see.
func (w *secWorld) checkIncidentStream(t *testing.T, u secUser, allowed bool) {
	want := 0
	var lastVisible int64
	for _, id := range w.incIDs {
		if u.vis.Allows(w.incidents[id].Label) {
			want++
		}
	}
	for id, l := range w.incLabels {
		if u.vis.Allows(l) {
			r, err := w.a.store.Incident(t.Context(), id, nil)
			if err != nil {
				t.Fatal(err)
			}
			lastVisible = max(lastVisible, r.Seq)
		}
	}
	status, events := readStream(t, u.api, "/api/v1/incidents/stream?after=0", lastVisible)
	w.cases++
	if !allowed {
		if status != 403 {
			t.Fatalf("%s read the incident stream: %d", u.Name, status)
		}
		return
	}
	got := 0
	for _, ev := range events {
		var f struct {
			ID         string `json:"id"`
			Properties struct {
				MergedInto string `json:"merged_into"`
			} `json:"properties"`
		}
		if err := json.Unmarshal([]byte(ev.data), &f); err != nil {
			t.Fatal(err)
		}
		l, ok := w.incLabels[f.ID]
		w.cases++
		if !ok || !u.vis.Allows(l) {
			t.Fatalf("%s received incident %s labelled %s on the stream", u.Name, f.ID, l)
		}
		if f.Properties.MergedInto == "" {
			got++
		}
	}
	if got != want {
		t.Fatalf("%s received %d incidents on the stream, may see %d", u.Name, got, want)
	}
}

// checkCandidateList pages through the candidate queue, unfiltered and
// filtered, and requires exactly the candidates the user may see.
func (w *secWorld) checkCandidateList(t *testing.T, u secUser, allowed bool) {
	for _, q := range []string{"", "&party=none", "&severity=minor"} {
		res := u.api.do("GET", "/api/v1/candidates?limit=3"+q, "", nil)
		if !allowed {
			w.cases++
			if res.status != 403 {
				t.Fatalf("%s listed candidates: %d", u.Name, res.status)
			}
			return
		}
		got := map[string]bool{}
		for {
			var fc struct {
				Features []struct {
					ID string `json:"id"`
				} `json:"features"`
				Next string `json:"next"`
			}
			res.json(t, &fc)
			for _, f := range fc.Features {
				w.cases++
				c, ok := w.candidates[f.ID]
				if !ok || !u.vis.Allows(c.Label) || got[f.ID] {
					t.Fatalf("%s (%s, cleared %s) received candidate %s labelled %s (known %v, twice %v)", u.Name, u.Nation, u.Clearance, f.ID, c.Label, ok, got[f.ID])
				}
				got[f.ID] = true
			}
			if fc.Next == "" {
				break
			}
			res = u.api.do("GET", "/api/v1/candidates?limit=3"+q+"&cursor="+url.QueryEscape(fc.Next), "", nil)
		}
		want := 0
		for _, id := range w.candIDs {
			c := w.candidates[id]
			match := q == "" || (q == "&party=none" && c.Party == "") || (q == "&severity=minor" && c.Severity == "minor")
			if u.vis.Allows(c.Label) && match {
				want++
			}
		}
		w.cases++
		if len(got) != want {
			t.Fatalf("%s listed %d candidates with %q, may see %d", u.Name, len(got), q, want)
		}
	}
}

func (w *secWorld) checkGetCandidate(t *testing.T, u secUser, allowed bool) {
	labels := map[string]label.Label{}
	for id, c := range w.candidates {
		labels[id] = c.Label
	}
	w.checkGetEach(t, u, allowed, "/api/v1/candidates/", w.candIDs, labels)
}

// checkIncidentGrid counts the incidents on a grid: exactly those the user
// may see.
func (w *secWorld) checkIncidentGrid(t *testing.T, u secUser, allowed bool) {
	res, ok := w.readIf(t, u, allowed, "/api/v1/incidents/grid?cell=1")
	if !ok {
		return
	}
	var grid struct{ Total int }
	res.json(t, &grid)
	want := 0
	for _, r := range w.incidents {
		if r.MergedInto == "" && u.vis.Allows(r.Label) {
			want++
		}
	}
	if grid.Total != want {
		t.Fatalf("%s: the grid counts %d incidents, the user may see %d", u.Name, grid.Total, want)
	}
}

// candidateLabels are the labels of the candidates, by id.
func (w *secWorld) candidateLabels() map[string]label.Label {
	labels := map[string]label.Label{}
	for id, c := range w.candidates {
		labels[id] = c.Label
	}
	return labels
}

// checkCandidateActions reads the history of every candidate.
func (w *secWorld) checkCandidateActions(t *testing.T, u secUser, allowed bool) {
	w.checkEach(t, u, allowed, "GET", func(id string) string { return "/api/v1/candidates/" + id + "/actions" }, nil, 200, w.candIDs, w.candidateLabels())
}

// checkPostAction sends an action without a reason about every candidate:
// refused as malformed (400) on one the user may see, and as missing on
// one they may not, so that acting does not reveal what exists.
func (w *secWorld) checkPostAction(t *testing.T, u secUser, allowed bool) {
	w.checkEach(t, u, allowed, "POST", func(id string) string { return "/api/v1/candidates/" + id + "/actions" },
		[]byte(`{"kind":"confirm","reason":""}`), 400, w.candIDs, w.candidateLabels())
}

// readIf reads path as u: without the permission it must be refused (and
// false is returned); with it, the answer is returned for the caller to
// check.
func (w *secWorld) readIf(t *testing.T, u secUser, allowed bool, path string) (response, bool) {
	t.Helper()
	res := u.api.do("GET", path, "", nil)
	w.cases++
	if !allowed {
		if res.status != 403 {
			t.Fatalf("%s read %s without the permission: %d", u.Name, path, res.status)
		}
		return res, false
	}
	return res, true
}

// checkActionList lists every action and requires exactly those on the
// candidates the user may see.
func (w *secWorld) checkActionList(t *testing.T, u secUser, allowed bool) {
	res, ok := w.readIf(t, u, allowed, "/api/v1/actions?limit=1000")
	if !ok {
		return
	}
	var list struct {
		Actions []struct {
			Candidate string `json:"candidate"`
		} `json:"actions"`
	}
	res.json(t, &list)
	want := 0
	for _, c := range w.candidates {
		if c.State == "verified" && u.vis.Allows(c.Label) {
			want++
		}
	}
	want *= 2 // two confirmations each (newSecWorld)
	for _, a := range list.Actions {
		w.cases++
		if c, ok := w.candidates[a.Candidate]; !ok || !u.vis.Allows(c.Label) {
			t.Fatalf("%s received an action on candidate %s labelled %s", u.Name, a.Candidate, c.Label)
		}
	}
	if len(list.Actions) != want {
		t.Fatalf("%s listed %d actions, may see %d", u.Name, len(list.Actions), want)
	}
}

// checkFindings lists the findings and requires exactly the verified
// candidates the user may see.
func (w *secWorld) checkFindings(t *testing.T, u secUser, allowed bool) {
	res, ok := w.readIf(t, u, allowed, "/api/v1/findings?limit=500")
	if !ok {
		return
	}
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	res.json(t, &fc)
	want := 0
	for _, c := range w.candidates {
		if c.State == "verified" && u.vis.Allows(c.Label) {
			want++
		}
	}
	for _, f := range fc.Features {
		if c, ok := w.candidates[f.ID]; !ok || c.State != "verified" || !u.vis.Allows(c.Label) {
			t.Fatalf("%s received finding %s labelled %s", u.Name, f.ID, c.Label)
		}
	}
	if len(fc.Features) != want {
		t.Fatalf("%s listed %d findings, may see %d", u.Name, len(fc.Features), want)
	}
}

// checkCandidateStream reads the candidate stream from its beginning and
// requires exactly the candidates the user may see.
func (w *secWorld) checkCandidateStream(t *testing.T, u secUser, allowed bool) {
	want, lastVisible := 0, int64(0)
	for _, id := range w.candIDs {
		if c := w.candidates[id]; u.vis.Allows(c.Label) {
			want++
			lastVisible = max(lastVisible, c.Seq)
		}
	}
	status, events := readStream(t, u.api, "/api/v1/candidates/stream?after=0", lastVisible)
	w.cases++
	if !allowed {
		if status != 403 {
			t.Fatalf("%s read the candidate stream: %d", u.Name, status)
		}
		return
	}
	for _, ev := range events {
		var f struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(ev.data), &f); err != nil {
			t.Fatal(err)
		}
		w.cases++
		if c, ok := w.candidates[f.ID]; !ok || !u.vis.Allows(c.Label) || ev.name != "candidate" {
			t.Fatalf("%s received candidate %s labelled %s on the stream", u.Name, f.ID, c.Label)
		}
	}
	if len(events) != want {
		t.Fatalf("%s received %d candidates on the stream, may see %d", u.Name, len(events), want)
	}
}

// checkDailyReport reads the daily report of each day the candidates and
// restrictions fall on: every record it names is one the user may see,
// and its count of violations is that of the candidates they may see.
func (w *secWorld) checkDailyReport(t *testing.T, u secUser, allowed bool) {
	days := map[string]bool{}
	for _, c := range w.candidates {
		days[c.Time.UTC().Format(time.DateOnly)] = true
	}
	for _, r := range w.restrictions.byID {
		days[r.Time.UTC().Format(time.DateOnly)] = true
	}
	for day := range days {
		for _, public := range []bool{false, true} {
			res := u.api.do("GET", fmt.Sprintf("/api/v1/reports/daily?date=%s&public=%v", day, public), "", nil)
			w.cases++
			if !allowed {
				if res.status != 403 {
					t.Fatalf("%s read the daily report: %d", u.Name, res.status)
				}
				return
			}
			if res.status != 200 {
				t.Fatalf("%s: daily report of %s: %d %s", u.Name, day, res.status, res.body)
			}
			var rep struct {
				Violations struct{ Total int } `json:"violations"`
				Rejected   int                 `json:"rejected"`
			}
			res.json(t, &rep)
			var any map[string]any
			res.json(t, &any)
			for _, id := range jsonIDs(any) {
				w.cases++
				if c, ok := w.candidates[id]; ok && (!u.vis.Allows(c.Label) || public && c.Label.Classification != label.Public) {
					t.Fatalf("%s: the daily report (public %v) names candidate %s labelled %s", u.Name, public, id, c.Label)
				}
				if r, ok := w.restrictions.byID[id]; ok && (!u.vis.Allows(r.Label) || public && r.Label.Classification != label.Public) {
					t.Fatalf("%s: the daily report (public %v) names restriction %s labelled %s", u.Name, public, id, r.Label)
				}
			}
			want := 0
			for _, c := range w.candidates {
				if c.Time.UTC().Format(time.DateOnly) == day && !c.Withdrawn && u.vis.Allows(c.Label) &&
					(!public || c.Label.Classification == label.Public) && (c.State == "open" || c.State == "verified") {
					want++
				}
			}
			w.cases++
			if rep.Violations.Total != want {
				t.Fatalf("%s: the daily report of %s (public %v) counts %d violations, the user may see %d", u.Name, day, public, rep.Violations.Total, want)
			}
		}
	}
}

// jsonIDs collects every "id" string in a decoded JSON value.
func jsonIDs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "id" {
				out = append(out, s)
			}
			out = append(out, jsonIDs(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, jsonIDs(x)...)
		}
	}
	return out
}

package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// now is the server clock in tests: a day after the test observations.
var now = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// api is a real server over loopback HTTP, backed by a real SQLite file,
// whose every request and response is checked against the OpenAPI document.
type api struct {
	t      *testing.T
	url    string
	store  *sqlite.DB
	srv    *Server
	router routers.Router
	doc    *openapi3.T
	// token is sent as the bearer token of every request; newAPI signs in
	// an administrator and analyst of FRA cleared for SECRET.
	token string
	// skipDoc skips the check of answers against the OpenAPI document, for
	// tests that make the same requests many times over.
	skipDoc bool
}

func newAPI(t *testing.T, mutate ...func(*Config)) *api {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The clock stands still, so rate limits are off unless a test sets them.
	cfg := Config{Store: st, Now: func() time.Time { return now }, RateLimit: -1}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); st.Close() })
	doc, router := loadOpenAPI(t)
	a := &api{t: t, url: hs.URL, store: st, srv: srv, router: router, doc: doc}
	a.token = a.newUser("tester", "FRA", label.Secret, access.Admin, access.Analyst)
	return a
}

// newUser adds a user and returns an API token for them.
func (a *api) newUser(name, nation string, clearance label.Classification, roles ...access.Role) string {
	a.t.Helper()
	u := access.User{Name: name, Nation: nation, Clearance: clearance, Roles: roles, CreatedAt: now}
	if err := a.store.AddUser(context.Background(), u, ""); err != nil {
		a.t.Fatal(err)
	}
	tok, err := access.NewToken(rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.AddToken(context.Background(), store.Token{Hash: access.TokenHash(tok), User: name, CreatedAt: now}); err != nil {
		a.t.Fatal(err)
	}
	return tok
}

// as returns a copy of a that sends token instead ("" for none).
func (a *api) as(token string) *api {
	b := *a
	b.token = token
	return &b
}

func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// response is what a request returned.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request and checks the response against the OpenAPI document:
// the operation must exist, and the status, content type and body must be
// described there.
func (a *api) do(method, path, contentType string, body []byte) response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if !a.skipDoc {
		a.checkAgainstDoc(req, res, got)
	}
	return response{status: res.StatusCode, header: res.Header, body: got}
}

func (a *api) checkAgainstDoc(req *http.Request, res *http.Response, body []byte) {
	a.t.Helper()
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		a.t.Errorf("%s %s is not in openapi.json: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		// A page is checked for its status and content type; its body is
		// not JSON to validate.
		Options: &openapi3filter.Options{IncludeResponseStatus: true,
			ExcludeResponseBody: strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")},
	})
	if err != nil {
		a.t.Errorf("%s %s answered %d, which openapi.json does not describe: %v\nbody: %.500s", req.Method, req.URL, res.StatusCode, err, body)
	}
}

func ndjson(t *testing.T, obs ...observe.Observation) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, o := range obs {
		b, err := observe.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func featureJSON(t *testing.T, o observe.Observation) string {
	b, err := observe.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ingest(t *testing.T, a *api, contentType string, body []byte) (IngestResult, int) {
	t.Helper()
	res := a.do("POST", "/api/v1/observations", contentType, body)
	var r IngestResult
	res.json(t, &r)
	return r, res.status
}

func TestIngestAndGet(t *testing.T) {
	a := newAPI(t)
	o1 := storetest.Obs("o-1", 37.5, 48.0, 1500*time.Millisecond+7)
	o2 := storetest.Obs("o-2", 37.6, 48.1, time.Hour)
	r, status := ingest(t, a, "application/x-ndjson", ndjson(t, o1, o2))
	if status != 200 || r.Accepted != 2 || r.Duplicates != 0 || r.Rejected != 0 {
		t.Fatalf("first post: %d %+v", status, r)
	}
	got := a.do("GET", "/api/v1/observations/o-1", "", nil)
	if got.status != 200 || strings.TrimSpace(string(got.body)) != featureJSON(t, o1) {
		t.Fatalf("GET o-1 = %d %s", got.status, got.body)
	}
	if a.do("GET", "/api/v1/observations/missing", "", nil).status != 404 {
		t.Errorf("missing observation is not 404")
	}

	// What GET returns posts back as it is, and every item is a duplicate.
	list := a.do("GET", "/api/v1/observations", "", nil)
	r, status = ingest(t, a, "application/geo+json", list.body)
	if status != 200 || r.Accepted != 0 || r.Duplicates != 2 {
		t.Fatalf("re-post of GET output: %d %+v", status, r)
	}
}

func TestIngestFeatureCollection(t *testing.T) {
	a := newAPI(t)
	body := fmt.Sprintf(`{"type":"FeatureCollection","bbox":[0,0,1,1],"features":[%s,%s]}`,
		featureJSON(t, storetest.Obs("fc-1", 37, 48, 0)), featureJSON(t, storetest.Obs("fc-2", 37, 48, 0)))
	r, status := ingest(t, a, "application/geo+json", []byte(body))
	if status != 200 || r.Accepted != 2 {
		t.Fatalf("%d %+v", status, r)
	}
}

// TestBadInput checks every kind of bad input: each gets a 4xx that names the
// item, the field and the reason; the good items of the same request are stored.
func TestBadInput(t *testing.T) {
	good := func(id string) string { return featureJSON(t, storetest.Obs(id, 37.5, 48, 0)) }
	edit := func(id string, from, to string) string {
		s := good(id)
		if !strings.Contains(s, from) {
			t.Fatalf("%q not in %s", from, s)
		}
		return strings.Replace(s, from, to, 1)
	}
	future := storetest.Obs("future", 37.5, 48, 0)
	future.ObservedAt = now.Add(time.Hour)
	unknownKind := edit("kind", `"kind":"acoustic"`, `"kind":"rumour"`)

	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		wantErr     []ItemError // index and field; reason must be non-empty
		stored      []string    // ids that must be stored afterwards
	}{
		{"malformed JSON line", "application/x-ndjson", good("g1") + "\n{\"type\":\"Feature\",\n" + good("g2") + "\n", 200,
			[]ItemError{{Index: 1, Field: ""}}, []string{"g1", "g2"}},
		{"wrong type", "application/x-ndjson", good("g1") + "\n" + edit("w", `"location_uncertainty_m":5`, `"location_uncertainty_m":"five"`), 200,
			[]ItemError{{Index: 1, Field: "properties.location_uncertainty_m"}}, []string{"g1"}},
		{"longitude outside WGS84", "application/x-ndjson", edit("lon", `[37.5,48]`, `[237.5,48]`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, ID: "lon", Field: "geometry.coordinates"}}, []string{"g1"}},
		{"latitude outside WGS84", "application/x-ndjson", edit("lat", `[37.5,48]`, `[37.5,-91]`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, ID: "lat", Field: "geometry.coordinates"}}, []string{"g1"}},
		{"time far in the future", "application/x-ndjson", good("g1") + "\n" + featureJSON(t, future), 200,
			[]ItemError{{Index: 1, ID: "future", Field: "properties.observed_at"}}, []string{"g1"}},
		{"unknown kind", "application/x-ndjson", unknownKind + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, ID: "kind", Field: "properties.kind"}}, []string{"g1"}},
		{"missing id", "application/x-ndjson", edit("", `"id":""`, `"id":null`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, Field: "id"}}, []string{"g1"}},
		{"bad grading", "application/x-ndjson", edit("gr", `"grading":"B2"`, `"grading":"Z9"`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, ID: "gr", Field: "properties.source.grading"}}, []string{"g1"}},
		{"unknown field", "application/x-ndjson", edit("uf", `"kind":`, `"knd":"x","kind":`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, Field: "properties.knd"}}, []string{"g1"}},
		{"releasability without nations", "application/x-ndjson", edit("rel", `"classification":"PUBLIC"`, `"classification":"SECRET"`) + "\n" + good("g1"), 200,
			[]ItemError{{Index: 0, ID: "rel", Field: "properties.releasability.rel_to"}}, []string{"g1"}},
		{"line too long", "application/x-ndjson", good("g1") + "\n" + strings.Repeat("x", MaxFeatureBytes+10) + "\n" + good("g2"), 200,
			[]ItemError{{Index: 1, Field: ""}}, []string{"g1", "g2"}},
		{"every item rejected", "application/x-ndjson", unknownKind, 422,
			[]ItemError{{Index: 0, ID: "kind", Field: "properties.kind"}}, nil},
		{"empty body", "application/x-ndjson", "\n\n", 400, nil, nil},
		{"collection broken midway", "application/geo+json", `{"type":"FeatureCollection","features":[` + good("g1") + `,{"type":`, 400,
			nil, []string{"g1"}},
		{"collection with a feature too large", "application/geo+json", `{"type":"FeatureCollection","features":[` + good("g1") + `,` +
			edit("huge", `"sensor_id":"S-huge"`, `"sensor_id":"`+strings.Repeat("x", 2*MaxFeatureBytes)+`"`) + `,` + good("g2") + `]}`, 413,
			nil, []string{"g1"}},
		{"collection with a feature over the feature limit", "application/geo+json", `{"type":"FeatureCollection","features":[` + good("g1") + `,` +
			edit("big", `"sensor_id":"S-big"`, `"sensor_id":"`+strings.Repeat("x", MaxFeatureBytes)+`"`) + `,` + good("g2") + `]}`, 200,
			[]ItemError{{Index: 1, Field: ""}}, []string{"g1", "g2"}},
		{"collection with a member too large", "application/geo+json", `{"type":"FeatureCollection","features":[` + good("g1") + `],"x":"` + strings.Repeat("x", 2*MaxFeatureBytes) + `"}`, 413,
			nil, []string{"g1"}},
		{"empty collection", "application/geo+json", `{"type":"FeatureCollection","features":[]}`, 200, nil, nil},
		{"collection of the wrong type", "application/geo+json", `{"type":"Feature","features":[]}`, 400, nil, nil},
		{"not an object", "application/json", `[1,2]`, 400, nil, nil},
		{"unsupported content type", "text/plain", good("g1"), 415, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t)
			res := a.do("POST", "/api/v1/observations", tc.contentType, []byte(tc.body))
			if res.status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", res.status, tc.status, res.body)
			}
			var r IngestResult
			res.json(t, &r)
			if tc.status >= 400 && tc.status != 422 && r.Error == "" {
				t.Errorf("a %d answer must say what is wrong: %s", tc.status, res.body)
			}
			for _, want := range tc.wantErr {
				i := slices.IndexFunc(r.Errors, func(e ItemError) bool {
					return e.Index == want.Index && e.Field == want.Field && (want.ID == "" || e.ID == want.ID)
				})
				if i < 0 || r.Errors[i].Reason == "" {
					t.Errorf("no error for index %d field %q with a reason; got %+v", want.Index, want.Field, r.Errors)
				}
			}
			if len(tc.wantErr) > 0 && r.Rejected != 1 {
				t.Errorf("rejected = %d, want 1", r.Rejected)
			}
			if r.Accepted != len(tc.stored) {
				t.Errorf("accepted = %d, want %d", r.Accepted, len(tc.stored))
			}
			for _, id := range tc.stored {
				if _, err := a.store.Observation(context.Background(), id); err != nil {
					t.Errorf("good item %s of the same request was not stored: %v", id, err)
				}
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	const limit = 4096
	a := newAPI(t, func(c *Config) { c.MaxBody = limit })
	var body strings.Builder
	for i := 0; body.Len() < 3*limit; i++ {
		body.WriteString(featureJSON(t, storetest.Obs(fmt.Sprintf("big-%d", i), 37, 48, 0)) + "\n")
	}

	// With a Content-Length, the body is refused before it is read.
	res := a.do("POST", "/api/v1/observations", "application/x-ndjson", []byte(body.String()))
	if res.status != 413 {
		t.Fatalf("status = %d, want 413", res.status)
	}

	// Streamed without a length, the items before the limit are stored and counted.
	req, _ := http.NewRequest("POST", a.url+"/api/v1/observations", io.MultiReader(strings.NewReader(body.String())))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-ndjson")
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer hres.Body.Close()
	b, _ := io.ReadAll(hres.Body)
	a.checkAgainstDoc(req, hres, b)
	var r IngestResult
	json.Unmarshal(b, &r)
	if hres.StatusCode != 413 || r.Accepted == 0 || r.Error == "" {
		t.Fatalf("streamed: %d %s; want 413 with the items before the limit accepted", hres.StatusCode, b)
	}
	page, err := a.store.QueryObservations(context.Background(), store.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Observations) != r.Accepted {
		t.Errorf("stored %d observations, answer says %d accepted", len(page.Observations), r.Accepted)
	}
}

func TestQueryParameters(t *testing.T) {
	a := newAPI(t)
	var obs []observe.Observation
	for i := range 25 {
		obs = append(obs, storetest.Obs(fmt.Sprintf("q-%02d", i), 37.5+float64(i)*0.01, 48, time.Duration(i)*time.Minute))
	}
	ingest(t, a, "application/x-ndjson", ndjson(t, obs...))

	// Page through with the next links.
	var seen []string
	path := "/api/v1/observations?limit=10&bbox=37,47,38,49&from=2026-11-21T00:00:00Z&to=2026-11-21T01:00:00Z"
	for path != "" {
		res := a.do("GET", path, "", nil)
		if res.status != 200 {
			t.Fatalf("GET %s = %d %s", path, res.status, res.body)
		}
		var fc struct {
			Features []struct {
				ID string `json:"id"`
			} `json:"features"`
			Links []struct{ Rel, Href string } `json:"links"`
		}
		res.json(t, &fc)
		for _, f := range fc.Features {
			seen = append(seen, f.ID)
		}
		path = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				path = l.Href
			}
		}
	}
	if len(seen) != 25 || seen[0] != "q-00" || seen[24] != "q-24" {
		t.Errorf("paged through %v", seen)
	}

	bad := []string{
		"bbox=1,2,3", "bbox=a,b,c,d", "bbox=0,50,1,40", "bbox=0,0,200,1",
		"from=yesterday", "from=2026-11-21T02:00:00Z&to=2026-11-21T01:00:00Z",
		"bbox=nan,40,40,50", "bbox=0,0,inf,1", "from=1500-01-01T00:00:00Z", "to=2300-01-01T00:00:00Z",
		"limit=0", "limit=1001", "limit=x", "kind=rumour", "cursor=%%%", "cursor=bm9wZQ", "colour=red",
	}
	for _, q := range bad {
		res := a.do("GET", "/api/v1/observations?"+q, "", nil)
		var e errorBody
		res.json(t, &e)
		if res.status != 400 || e.Error == "" {
			t.Errorf("?%s: %d %s; want 400 naming the problem", q, res.status, res.body)
		}
	}
}

func TestSensors(t *testing.T) {
	a := newAPI(t)
	body := `[{"id":"S-1","type":"acoustic","position":[37.1,48.2],"altitude_m":120,"clock":{"source":"gnss","uncertainty_s":1e-6},"position_uncertainty_m":3,"releasability":{"classification":"PUBLIC"}},
	          {"id":"S-2","type":"sonar","position":[37.1,98.2],"clock":{"source":"gnss","uncertainty_s":1e-6},"releasability":{"classification":"PUBLIC"}}]`
	res := a.do("POST", "/api/v1/sensors", "application/json", []byte(body))
	var r SensorsResult
	res.json(t, &r)
	if res.status != 200 || r.Accepted != 1 || r.Rejected != 1 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	fields := map[string]bool{}
	for _, e := range r.Errors {
		fields[e.Field] = e.Index == 1
	}
	if !fields["type"] || !fields["position"] {
		t.Errorf("errors %+v; want type and position of item 1", r.Errors)
	}
	if res := a.do("GET", "/api/v1/sensors/S-1", "", nil); res.status != 200 {
		t.Errorf("GET S-1 = %d", res.status)
	}
	if res := a.do("GET", "/api/v1/sensors/S-2", "", nil); res.status != 404 {
		t.Errorf("GET S-2 = %d, want 404", res.status)
	}
	var list []observe.Sensor
	a.do("GET", "/api/v1/sensors", "", nil).json(t, &list)
	if len(list) != 1 {
		t.Errorf("list = %+v", list)
	}
	if res := a.do("POST", "/api/v1/sensors", "application/json", []byte(`{"id":1}`)); res.status != 400 {
		t.Errorf("non-array body = %d, want 400", res.status)
	}
}

// TestRoutesMatchOpenAPI checks that the document describes exactly the
// operations the server routes.
func TestRoutesMatchOpenAPI(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	s := &Server{}
	for _, r := range s.routes() {
		key := r.method + " " + r.pattern
		if !documented[key] {
			t.Errorf("%s is served but not in openapi.json", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("%s is in openapi.json but not served", key)
	}
	a := newAPI(t)
	if res := a.do("GET", "/api/v1/openapi.json", "", nil); res.status != 200 || !bytes.Equal(res.body, OpenAPI()) {
		t.Errorf("GET /api/v1/openapi.json = %d", res.status)
	}
}

func TestGzipBody(t *testing.T) {
	const limit = 64 << 10
	a := newAPI(t, func(c *Config) { c.MaxBody = limit })
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	post := func(body []byte, encoding string) (int, IngestResult) {
		req, _ := http.NewRequest("POST", a.url+"/api/v1/observations", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Content-Encoding", encoding)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		a.checkAgainstDoc(req, res, b)
		var r IngestResult
		json.Unmarshal(b, &r)
		return res.StatusCode, r
	}
	small := ndjson(t, storetest.Obs("gz-1", 37, 48, 0), storetest.Obs("gz-2", 37, 48, time.Second))
	if status, r := post(gz(small), "gzip"); status != 200 || r.Accepted != 2 {
		t.Errorf("gzip body: %d %+v", status, r)
	}
	// A small compressed body that expands past the limit stops at the limit.
	var big []observe.Observation
	for i := range 400 {
		big = append(big, storetest.Obs(fmt.Sprintf("gz-big-%d", i), 37, 48, 0))
	}
	bomb := gz(ndjson(t, big...))
	if len(bomb) >= limit {
		t.Fatalf("compressed test body is %d bytes, not under the limit", len(bomb))
	}
	if status, r := post(bomb, "gzip"); status != 413 || r.Accepted == 0 || r.Accepted >= 400 {
		t.Errorf("expanding past the limit: %d %+v; want 413 with the items before the limit accepted", status, r)
	}
	if status, _ := post(small, "gzip"); status != 400 {
		t.Errorf("a body that is not gzip: %d, want 400", status)
	}
	if status, r := post(gz(ndjson(t, storetest.Obs("gz-3", 37, 48, 0))), "GZIP"); status != 200 || r.Accepted != 1 {
		t.Errorf("Content-Encoding GZIP (codings are case-insensitive): %d %+v", status, r)
	}
	if status, _ := post(small, "br"); status != 415 {
		t.Errorf("Content-Encoding br: %d, want 415", status)
	}
}

package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// restrictionCollection renders restrictions as a FeatureCollection.
func restrictionCollection(t *testing.T, rs ...restriction.Restriction) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, r := range rs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(restrictionFeature(t, r))
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

func restrictionFeature(t *testing.T, r restriction.Restriction) []byte {
	t.Helper()
	b, err := restriction.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postRestrictions posts a body of restrictions and decodes the answer.
func postRestrictions(t *testing.T, a *api, body []byte) (IngestResult, int) {
	t.Helper()
	res := a.do("POST", "/api/v1/restrictions", "application/geo+json", body)
	var r IngestResult
	res.json(t, &r)
	return r, res.status
}

func logSize(t *testing.T, a *api) uint64 {
	t.Helper()
	head, err := a.store.LogHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return head.Size
}

func TestRestrictionsIngestAndGet(t *testing.T) {
	a := newAPI(t)
	r1, r2 := storetest.Restriction("ror-1", time.Hour), storetest.Restriction("ror-2", 2*time.Hour)
	r2.Denied, r2.Delay, r2.Party, r2.Reason = true, 0, "", "No reason given."
	r2.Label = label.Label{Classification: label.Secret, RelTo: []string{"GBR", "FRA"}}
	before := logSize(t, a)

	res, status := postRestrictions(t, a, restrictionCollection(t, r1, r2))
	if status != 200 || res.Accepted != 2 || res.Duplicates != 0 || res.Rejected != 0 {
		t.Fatalf("post: %d %+v", status, res)
	}
	if size := logSize(t, a); size != before+2 {
		t.Fatalf("the log has %d leaves after two restrictions, want %d: one leaf each", size, before+2)
	}
	for _, r := range []restriction.Restriction{r1, r2} {
		got := a.do("GET", "/api/v1/restrictions/"+r.ID, "", nil)
		if got.status != 200 || got.header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("GET %s: %d %s", r.ID, got.status, got.body)
		}
		if want := restrictionFeature(t, r); !bytes.Equal(bytes.TrimSpace(got.body), want) {
			t.Errorf("GET %s =\n%s\nwant the canonical Feature\n%s", r.ID, got.body, want)
		}
		rec, err := a.store.Restriction(t.Context(), r.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Submitter != "tester" {
			t.Errorf("%s was submitted by %q, want the signed-in user, tester", r.ID, rec.Submitter)
		}
		if leaf := got.header.Get(LogLeafHeader); leaf != strconv.FormatUint(rec.Leaf, 10) || rec.Leaf < before {
			t.Errorf("%s: leaf header %q, stored leaf %d", r.ID, leaf, rec.Leaf)
		}
		e, err := a.store.LogEntry(t.Context(), rec.Leaf)
		if err != nil || e.Kind != "restriction" || e.Record != r.ID {
			t.Errorf("%s: log leaf %d is %+v, %v", r.ID, rec.Leaf, e, err)
		}
	}

	// A retry is a duplicate: nothing stored, nothing logged, even when the
	// content differs; the first one stays.
	changed := r1
	changed.Notes = "sent again with more to say"
	res, status = postRestrictions(t, a, restrictionCollection(t, changed, r2))
	if status != 200 || res.Accepted != 0 || res.Duplicates != 2 {
		t.Fatalf("retry: %d %+v", status, res)
	}
	if size := logSize(t, a); size != before+2 {
		t.Errorf("a retry grew the log to %d leaves, want %d", size, before+2)
	}
	if got := a.do("GET", "/api/v1/restrictions/ror-1", "", nil); !bytes.Equal(bytes.TrimSpace(got.body), restrictionFeature(t, r1)) {
		t.Errorf("a retry changed the stored restriction: %s", got.body)
	}

	// One Feature on its own, and a page of GET posted back.
	r3 := storetest.Restriction("ror-3", 3*time.Hour)
	if res, status := postRestrictions(t, a, restrictionFeature(t, r3)); status != 200 || res.Accepted != 1 {
		t.Fatalf("post of one Feature: %d %+v", status, res)
	}
	page := a.do("GET", "/api/v1/restrictions", "", nil)
	if res, status := postRestrictions(t, a, page.body); status != 200 || res.Accepted != 0 || res.Duplicates != 3 {
		t.Errorf("a page posted back: %d %+v; want three duplicates", status, res)
	}
	if size := logSize(t, a); size != before+3 {
		t.Errorf("the log has %d leaves after three restrictions, want %d", size, before+3)
	}
	if res, status := postRestrictions(t, a, []byte(`{"type":"FeatureCollection","features":[]}`)); status != 200 || res.Accepted+res.Duplicates+res.Rejected != 0 {
		t.Errorf("an empty collection: %d %+v", status, res)
	}

	missing := a.do("GET", "/api/v1/restrictions/nope", "", nil)
	if missing.status != 404 || !strings.Contains(string(missing.body), "nope") {
		t.Errorf("GET of a missing restriction: %d %s", missing.status, missing.body)
	}
}

func TestRestrictionsBadInput(t *testing.T) {
	later := func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC) } }
	a := newAPI(t, later)
	if res := a.do("POST", "/api/v1/terms", "application/yaml", readTestdata(t, "example.yaml")); res.status != 201 {
		t.Fatalf("terms: %d %s", res.status, res.body)
	}
	inForce := 20 * 24 * time.Hour // 11 December, after the example terms take effect
	good := storetest.Restriction("bad-good", inForce)
	feature := func(mutate func(r *restriction.Restriction)) string {
		r := storetest.Restriction("bad-item", inForce)
		mutate(&r)
		return string(restrictionFeature(t, r))
	}
	goodText := string(restrictionFeature(t, good))
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		field       string // the field an item error names, for 422
		message     string // a part of the error, for 400 and 415
	}{
		{"delayed without a delay", "", feature(func(r *restriction.Restriction) { r.Delay = 0 }), 422, "properties.delay_s", ""},
		{"no patrol", "", feature(func(r *restriction.Restriction) { r.PatrolSize = 0 }), 422, "properties.patrol_size", ""},
		{"no id", "", strings.Replace(goodText, `"id":"bad-good",`, ``, 1), 422, "id", ""},
		{"no time", "", strings.Replace(goodText, `"time":"2026-12-11T00:00:00Z",`, ``, 1), 422, "properties.time", ""},
		{"out of the world", "", feature(func(r *restriction.Restriction) { r.Position = geo.LonLat{Lon: 200, Lat: 48} }), 422, "geometry.coordinates", ""},
		{"unknown outcome", "", strings.Replace(goodText, `"outcome":"delayed"`, `"outcome":"turned back"`, 1), 422, "properties.outcome", ""},
		{"unknown member", "", strings.Replace(goodText, `"outcome":`, `"colour":"red","outcome":`, 1), 422, "properties.colour", ""},
		{"party the terms do not know", "", feature(func(r *restriction.Restriction) { r.Party = "C" }), 422, "properties.party", ""},
		{"party in lower case", "", feature(func(r *restriction.Restriction) { r.Party = "a" }), 422, "properties.party", ""},
		{"in the future", "", feature(func(r *restriction.Restriction) { r.Time = time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC) }), 422, "properties.time", ""},
		{"bad label", "", feature(func(r *restriction.Restriction) { r.Label = label.Label{Classification: label.Secret} }), 422, "properties.releasability.rel_to", ""},
		{"a feature too long", "", feature(func(r *restriction.Restriction) { r.Notes = strings.Repeat("n", MaxFeatureBytes) }), 422, "", ""},
		{"empty body", "", "", 400, "", "empty"},
		{"malformed JSON", "", `{"type":"FeatureCollection","features":[`, 400, "", "malformed JSON"},
		{"an array", "", `[` + goodText + `]`, 400, "", "malformed JSON"},
		{"neither Feature nor collection", "", `{"type":"Point","coordinates":[1,2]}`, 400, "", `"type" must be "Feature" or "FeatureCollection"`},
		{"collection without features", "", `{"type":"FeatureCollection"}`, 400, "", `"features"`},
		{"NDJSON", "application/x-ndjson", goodText, 415, "", "application/geo+json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := logSize(t, a)
			res := a.do("POST", "/api/v1/restrictions", tc.contentType, []byte(tc.body))
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if size := logSize(t, a); size != before {
				t.Errorf("a refused request grew the log from %d to %d", before, size)
			}
			if tc.status != 422 {
				var e errorBody
				res.json(t, &e)
				if !strings.Contains(e.Error, tc.message) {
					t.Errorf("error %q does not say %q", e.Error, tc.message)
				}
				return
			}
			var r IngestResult
			res.json(t, &r)
			if r.Rejected != 1 || r.Accepted != 0 || len(r.Errors) == 0 {
				t.Fatalf("answer %+v, want one rejected item", r)
			}
			if !slices.ContainsFunc(r.Errors, func(e ItemError) bool { return e.Field == tc.field && e.Reason != "" && e.Index == 0 }) {
				t.Errorf("errors %+v do not name %q", r.Errors, tc.field)
			}
		})
	}

	// Good items of a request are stored when others are bad.
	bad := feature(func(r *restriction.Restriction) { r.ID = "bad-mixed"; r.PatrolSize = 0 })
	res, status := postRestrictions(t, a, []byte(`{"type":"FeatureCollection","features":[`+bad+`,`+goodText+`]}`))
	if status != 200 || res.Accepted != 1 || res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Index != 0 || res.Errors[0].ID != "bad-mixed" {
		t.Fatalf("mixed request: %d %+v", status, res)
	}
}

func TestRestrictionsQuery(t *testing.T) {
	a := newAPI(t)
	var all []restriction.Restriction
	for i := range 23 {
		r := storetest.Restriction(fmt.Sprintf("q-%02d", i), time.Duration(i/2)*time.Hour)
		r.Party = []string{"A", "B", ""}[i%3]
		r.Denied = i%4 == 0
		r.Position = geo.LonLat{Lon: 37 + float64(i)/23, Lat: 48}
		all = append(all, r)
	}
	if res, status := postRestrictions(t, a, restrictionCollection(t, all...)); status != 200 || res.Accepted != len(all) {
		t.Fatalf("post: %d %+v", status, res)
	}
	from, to := storetest.Restriction("", 2*time.Hour).Time, storetest.Restriction("", 8*time.Hour).Time
	for _, tc := range []struct {
		query string
		match func(restriction.Restriction) bool
	}{
		{"", func(restriction.Restriction) bool { return true }},
		{"&party=B", func(r restriction.Restriction) bool { return r.Party == "B" }},
		{"&party=none", func(r restriction.Restriction) bool { return r.Party == "" }},
		{"&from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339), func(r restriction.Restriction) bool {
			return !r.Time.Before(from) && r.Time.Before(to)
		}},
		{"&bbox=37,47,37.5,49", func(r restriction.Restriction) bool { return r.Position.Lon <= 37.5 }},
	} {
		var want []string
		for _, r := range slices.Backward(all) { // newest first: later ones have later times, then greater ids
			if tc.match(r) {
				want = append(want, r.ID)
			}
		}
		var got []string
		path := "/api/v1/restrictions?limit=4" + tc.query
		for {
			res := a.do("GET", path, "", nil)
			if res.status != 200 {
				t.Fatalf("GET %s: %d %s", path, res.status, res.body)
			}
			var fc struct {
				Features       []json.RawMessage `json:"features"`
				NumberReturned int               `json:"numberReturned"`
				Next           string            `json:"next"`
			}
			res.json(t, &fc)
			if fc.NumberReturned != len(fc.Features) {
				t.Errorf("numberReturned %d for %d features", fc.NumberReturned, len(fc.Features))
			}
			for _, f := range fc.Features {
				r, err := restriction.Parse(f, label.Scheme{})
				if err != nil {
					t.Fatalf("a listed feature does not parse: %v", err)
				}
				got = append(got, r.ID)
			}
			if fc.Next == "" {
				break
			}
			path = "/api/v1/restrictions?limit=4" + tc.query + "&cursor=" + url.QueryEscape(fc.Next)
		}
		if !slices.Equal(got, want) {
			t.Errorf("GET with %q listed %v\nwant %v", tc.query, got, want)
		}
	}

	counts := a.do("GET", "/api/v1/restrictions/counts?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339), "", nil)
	if counts.status != 200 {
		t.Fatalf("counts: %d %s", counts.status, counts.body)
	}
	var got RestrictionCounts
	counts.json(t, &got)
	var in []restriction.Restriction
	for _, r := range all {
		if !r.Time.Before(from) && r.Time.Before(to) {
			in = append(in, r)
		}
	}
	if want := restrictionCountsOf(restriction.Count(in)); !slices.EqualFunc(got.Counts, want, sameCount) || got.From != "2026-11-21T02:00:00Z" || got.To != "2026-11-21T08:00:00Z" {
		t.Errorf("counts = %+v\nwant %+v in the window", got, want)
	}
	if got.Counts[0].Party != nil || *got.Counts[1].Party != "A" || got.Counts[1].TotalDelayS == 0 {
		t.Errorf("counts %+v: want the unknown party first as null, then A with its delays", got.Counts)
	}

	for _, tc := range []struct{ path, says string }{
		{"/api/v1/restrictions?color=red", `"color"`},
		{"/api/v1/restrictions?party=b", "party"},
		{"/api/v1/restrictions?limit=0", "limit"},
		{"/api/v1/restrictions?bbox=1,2,3", "bbox"},
		{"/api/v1/restrictions?from=yesterday", "from"},
		{"/api/v1/restrictions?cursor=nonsense", "cursor"},
		{"/api/v1/restrictions/counts?party=A", `"party"`},
		{"/api/v1/restrictions/counts?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z", "from"},
	} {
		res := a.do("GET", tc.path, "", nil)
		var e errorBody
		res.json(t, &e)
		if res.status != 400 || !strings.Contains(e.Error, tc.says) {
			t.Errorf("GET %s: %d %q; want 400 naming %s", tc.path, res.status, e.Error, tc.says)
		}
	}
}

// restrictionCountsOf renders counts as the API answers them.
func restrictionCountsOf(counts []restriction.PartyCount) []RestrictionCount {
	out := []RestrictionCount{}
	for _, c := range counts {
		rc := RestrictionCount{Denied: c.Denied, Delayed: c.Delayed, Total: c.Total, TotalDelayS: c.TotalDelay.Seconds()}
		if c.Party != "" {
			rc.Party = &c.Party
		}
		out = append(out, rc)
	}
	return out
}

func sameCount(a, b RestrictionCount) bool {
	return (a.Party == nil) == (b.Party == nil) && (a.Party == nil || *a.Party == *b.Party) &&
		a.Denied == b.Denied && a.Delayed == b.Delayed && a.Total == b.Total && a.TotalDelayS == b.TotalDelayS
}

// secRestrictions are the restrictions of access of the releasability
// test: by id, and their ids in the order they were posted.
type secRestrictions struct {
	byID map[string]restriction.Restriction
	ids  []string
}

// seedRestrictions posts restrictions with random labels, parties and
// outcomes for the releasability test, and records them in the world.
func (w *secWorld) seedRestrictions(t *testing.T, rng *rand.Rand, nations []string) {
	w.restrictions.byID = map[string]restriction.Restriction{}
	var rs []restriction.Restriction
	for i := range 40 {
		r := storetest.Restriction(fmt.Sprintf("sec-ror-%02d", i), 20*24*time.Hour+time.Duration(i)*time.Hour)
		r.Position = geo.LonLat{Lon: 37 + rng.Float64(), Lat: 48 + rng.Float64()}
		r.Party = []string{"", "A", "B"}[rng.IntN(3)]
		r.Denied = rng.IntN(2) == 0
		r.Delay = time.Duration(1+rng.IntN(7200)) * time.Second
		r.Label = randomLabel(rng, w.scheme, nations).Normalize()
		rs = append(rs, r)
		w.restrictions.byID[r.ID] = r
		w.restrictions.ids = append(w.restrictions.ids, r.ID)
	}
	if res, status := postRestrictions(t, w.a, restrictionCollection(t, rs...)); status != 200 || res.Accepted != len(rs) {
		t.Fatalf("restrictions: %d %+v", status, res)
	}
}

// checkPostRestriction posts a new restriction as u, and then again: the
// second is a duplicate. Users without the permission are refused.
func (w *secWorld) checkPostRestriction(t *testing.T, u secUser, allowed bool) {
	r := storetest.Restriction(fmt.Sprintf("sec-ror-new-%d", len(w.restrictions.ids)), 20*24*time.Hour)
	body := restrictionCollection(t, r)
	for attempt := range 2 {
		res := u.api.do("POST", "/api/v1/restrictions", "application/geo+json", body)
		w.cases++
		if !allowed {
			if res.status != 403 {
				t.Fatalf("%s (%v) posted a restriction: %d %.200s", u.Name, u.Roles, res.status, res.body)
			}
			return
		}
		var got IngestResult
		res.json(t, &got)
		if res.status != 200 || got.Accepted != 1-attempt || got.Duplicates != attempt {
			t.Fatalf("post %d of restriction %s as %s: %d %+v", attempt+1, r.ID, u.Name, res.status, got)
		}
	}
	w.restrictions.byID[r.ID] = r
	w.restrictions.ids = append(w.restrictions.ids, r.ID)
}

// checkRestrictionList pages through the restrictions, unfiltered and
// filtered, and requires exactly those the user may see.
func (w *secWorld) checkRestrictionList(t *testing.T, u secUser, allowed bool) {
	filters := map[string]func(restriction.Restriction) bool{
		"":                    func(restriction.Restriction) bool { return true },
		"&party=none":         func(r restriction.Restriction) bool { return r.Party == "" },
		"&party=A":            func(r restriction.Restriction) bool { return r.Party == "A" },
		"&bbox=37,48,37.5,49": func(r restriction.Restriction) bool { return r.Position.Lon <= 37.5 && r.Position.Lat <= 49 },
	}
	for q, match := range filters {
		res := u.api.do("GET", "/api/v1/restrictions?limit=4"+q, "", nil)
		if !allowed {
			w.cases++
			if res.status != 403 {
				t.Fatalf("%s listed restrictions: %d", u.Name, res.status)
			}
			return
		}
		got := map[string]bool{}
		for {
			var fc struct {
				Features []json.RawMessage `json:"features"`
				Next     string            `json:"next"`
			}
			res.json(t, &fc)
			for _, f := range fc.Features {
				r, err := restriction.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				w.cases++
				known, ok := w.restrictions.byID[r.ID]
				if !ok || !u.vis.Allows(r.Label) || !u.vis.Allows(known.Label) || got[r.ID] {
					t.Fatalf("%s (%s, cleared %s) received restriction %s labelled %s (known %v, twice %v)", u.Name, u.Nation, u.Clearance, r.ID, known.Label, ok, got[r.ID])
				}
				got[r.ID] = true
			}
			if fc.Next == "" {
				break
			}
			res = u.api.do("GET", "/api/v1/restrictions?limit=4"+q+"&cursor="+url.QueryEscape(fc.Next), "", nil)
		}
		want := 0
		for _, r := range w.restrictions.byID {
			if u.vis.Allows(r.Label) && match(r) {
				want++
			}
		}
		w.cases++
		if len(got) != want {
			t.Fatalf("%s listed %d restrictions with %q, may see %d", u.Name, len(got), q, want)
		}
	}
}

func (w *secWorld) checkGetRestriction(t *testing.T, u secUser, allowed bool) {
	labels := map[string]label.Label{}
	for id, r := range w.restrictions.byID {
		labels[id] = r.Label
	}
	w.checkGetEach(t, u, allowed, "/api/v1/restrictions/", w.restrictions.ids, labels)
}

// checkRestrictionCounts requires the counts, over everything and over a
// window, to be those of the restrictions the user may see, and nothing of
// the others.
func (w *secWorld) checkRestrictionCounts(t *testing.T, u secUser, allowed bool) {
	from, to := time.Date(2026, 12, 11, 5, 0, 0, 0, time.UTC), time.Date(2026, 12, 12, 3, 0, 0, 0, time.UTC)
	for _, window := range [][2]time.Time{{}, {from, to}} {
		path := "/api/v1/restrictions/counts"
		if !window[0].IsZero() {
			path += "?from=" + window[0].Format(time.RFC3339) + "&to=" + window[1].Format(time.RFC3339)
		}
		res := u.api.do("GET", path, "", nil)
		w.cases++
		if !allowed {
			if res.status != 403 {
				t.Fatalf("%s counted restrictions: %d", u.Name, res.status)
			}
			return
		}
		var got RestrictionCounts
		res.json(t, &got)
		var visible []restriction.Restriction
		for _, r := range w.restrictions.byID {
			in := window[0].IsZero() || (!r.Time.Before(window[0]) && r.Time.Before(window[1]))
			if in && u.vis.Allows(r.Label) {
				visible = append(visible, r)
			}
		}
		if want := restrictionCountsOf(restriction.Count(visible)); res.status != 200 || !slices.EqualFunc(got.Counts, want, sameCount) {
			may, _ := json.Marshal(want)
			t.Fatalf("%s (%s, cleared %s) counted %s: %d %s\nmay see %s", u.Name, u.Nation, u.Clearance, path, res.status, res.body, may)
		}
	}
}

package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// incidentTests are the conformance tests of store.Incidents and of
// ObservationsSince, each run on a fresh store.
var incidentTests = []struct {
	name string
	fn   func(t *testing.T, h Harness)
}{
	{"IncidentRoundTrip", testIncidentRoundTrip},
	{"IncidentVersions", testIncidentVersions},
	{"IncidentMerged", testIncidentMerged},
	{"IncidentFilters", testIncidentFilters},
	{"IncidentPagination", testIncidentPagination},
	{"IncidentVisibility", testIncidentVisibility},
	{"IncidentBadInputs", testIncidentBadInputs},
	{"IncidentsSince", testIncidentsSince},
	{"IncidentsConcurrent", testIncidentsConcurrent},
	{"IncidentsDurable", testIncidentsDurable},
	{"ObservationsSince", testObservationsSince},
	{"IncidentGrid", testIncidentGrid},
}

// Incident returns a valid public incident of class "fire", version 1,
// with the given id and bbox, starting at the given offset from
// 2026-11-21T00:00:00Z and lasting d.
func Incident(id string, bbox [4]float64, start, d time.Duration) store.IncidentRecord {
	r := store.IncidentRecord{
		ID:           id,
		Class:        "fire",
		Start:        base.Add(start),
		End:          base.Add(start + d),
		BBox:         bbox,
		Confidence:   "single_source",
		Label:        label.PublicLabel(),
		Observations: []string{"obs-" + id},
	}
	return withVersion(r, 1)
}

// withVersion returns r at version v, with a Feature that differs from
// that of every other version.
func withVersion(r store.IncidentRecord, v int) store.IncidentRecord {
	r.Version = v
	f, err := json.Marshal(map[string]any{
		"type": "Feature", "id": r.ID, "geometry": nil,
		"properties": map[string]any{"class": r.Class, "version": v},
	})
	if err != nil {
		panic(err)
	}
	r.Feature = f
	return r
}

func mustPut(t *testing.T, s store.Store, rs ...store.IncidentRecord) {
	t.Helper()
	if err := s.PutIncidents(ctx(t), rs); err != nil {
		t.Fatalf("PutIncidents: %v", err)
	}
}

func mustIncident(t *testing.T, s store.Store, id string) store.IncidentRecord {
	t.Helper()
	r, err := s.Incident(ctx(t), id, nil)
	if err != nil {
		t.Fatalf("Incident(%s): %v", id, err)
	}
	return r
}

// since returns every incident vis allows with Seq after after, read in
// pages of limit.
func since(t *testing.T, s store.Store, after int64, vis *label.Visibility, limit int) []store.IncidentRecord {
	t.Helper()
	var out []store.IncidentRecord
	for range 10_000 {
		got, err := s.IncidentsSince(ctx(t), after, vis, limit)
		if err != nil {
			t.Fatalf("IncidentsSince(%d): %v", after, err)
		}
		if len(got) > limit {
			t.Fatalf("IncidentsSince(%d, limit %d) returned %d", after, limit, len(got))
		}
		if len(got) == 0 {
			return out
		}
		for _, r := range got {
			if r.Seq <= after {
				t.Fatalf("IncidentsSince(%d) returned %s with seq %d: not after, or out of order", after, r.ID, r.Seq)
			}
			after = r.Seq
		}
		out = append(out, got...)
	}
	t.Fatal("IncidentsSince does not end")
	return nil
}

// query returns the ids of every incident matching q, read in pages of
// q.Limit, checking that every page but the last is full.
func query(t *testing.T, s store.Store, q store.IncidentQuery) []string {
	t.Helper()
	var out []string
	for range 10_000 {
		p, err := s.QueryIncidents(ctx(t), q)
		if err != nil {
			t.Fatalf("QueryIncidents: %v", err)
		}
		if p.Next != nil && len(p.Incidents) != q.Limit {
			t.Fatalf("a page of %d before the last, want %d", len(p.Incidents), q.Limit)
		}
		out = append(out, incidentIDs(p.Incidents)...)
		if p.Next == nil {
			return out
		}
		q.After = p.Next
	}
	t.Fatal("QueryIncidents pagination does not end")
	return nil
}

func incidentIDs(rs []store.IncidentRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// incidentDiff describes how got differs from want in every field but Seq,
// or returns "".
func incidentDiff(got, want store.IncidentRecord) string {
	var d []string
	diff := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s = %v, want %v", field, g, w)) }
	if got.ID != want.ID {
		diff("ID", got.ID, want.ID)
	}
	if got.Version != want.Version {
		diff("Version", got.Version, want.Version)
	}
	if got.Class != want.Class {
		diff("Class", got.Class, want.Class)
	}
	if !got.Start.Equal(want.Start) {
		diff("Start", got.Start, want.Start)
	}
	if !got.End.Equal(want.End) {
		diff("End", got.End, want.End)
	}
	if got.BBox != want.BBox {
		diff("BBox", got.BBox, want.BBox)
	}
	if got.Party != want.Party {
		diff("Party", got.Party, want.Party)
	}
	if got.Confidence != want.Confidence {
		diff("Confidence", got.Confidence, want.Confidence)
	}
	if got.Label.Classification != want.Label.Classification || !slices.Equal(got.Label.RelTo, want.Label.RelTo) {
		diff("Label", got.Label, want.Label)
	}
	if !slices.Equal(got.Observations, want.Observations) {
		diff("Observations", got.Observations, want.Observations)
	}
	if got.MergedInto != want.MergedInto {
		diff("MergedInto", got.MergedInto, want.MergedInto)
	}
	if string(got.Feature) != string(want.Feature) {
		diff("Feature", string(got.Feature), string(want.Feature))
	}
	return strings.Join(d, "; ")
}

func testIncidentRoundTrip(t *testing.T, h Harness) {
	full := withVersion(store.IncidentRecord{
		ID:           "rt-full",
		Seq:          999, // set by the store: ignored
		Class:        "equipment",
		Start:        base.Add(time.Hour + 123456789*time.Nanosecond),
		End:          base.Add(2*time.Hour + 987654321*time.Nanosecond),
		BBox:         [4]float64{37.123456789, 48.01, 37.2, 48.0987654321},
		Party:        "A",
		Confidence:   "corroborated",
		Label:        label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}},
		Observations: []string{"o-3", "o-1", "o-2"}, // in the order given, not sorted
	}, 7)
	bare := Incident("rt-bare", [4]float64{30, 50, 30, 50}, 0, 0) // a point, an instant
	bare.Observations = nil
	merged := Incident("rt-merged", [4]float64{37, 48, 37.1, 48.1}, time.Minute, time.Minute)
	merged.MergedInto = "rt-full"
	mustPut(t, h.Store, full, bare, merged)
	for _, want := range []store.IncidentRecord{full, bare, merged} {
		got := mustIncident(t, h.Store, want.ID)
		if d := incidentDiff(got, want); d != "" {
			t.Errorf("incident %s: %s", want.ID, d)
		}
		if got.Seq <= 0 {
			t.Errorf("incident %s: seq %d, want it set", want.ID, got.Seq)
		}
	}
	p, err := h.Store.QueryIncidents(ctx(t), store.IncidentQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range p.Incidents {
		want := full
		if got.ID == bare.ID {
			want = bare
		}
		if d := incidentDiff(got, want); d != "" {
			t.Errorf("queried incident %s: %s", got.ID, d)
		}
	}
	if _, err := h.Store.Incident(ctx(t), "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Incident(nope) error = %v, want ErrNotFound", err)
	}
	if err := h.Store.PutIncidents(ctx(t), nil); err != nil {
		t.Errorf("PutIncidents of nothing: %v", err)
	}
}

func testIncidentVersions(t *testing.T, h Harness) {
	s := h.Store
	v2 := withVersion(Incident("ver", [4]float64{37, 48, 37.1, 48.1}, 0, time.Minute), 2)
	mustPut(t, s, v2)
	first := mustIncident(t, s, "ver")

	older := v2
	older.Class, older.Party, older.Observations = "equipment", "B", []string{"other"}
	older = withVersion(older, 1)
	same := v2
	same.Class, same.Confidence = "equipment", "corroborated"
	same = withVersion(same, 2)
	for _, tc := range []struct {
		name string
		r    store.IncidentRecord
	}{{"older version", older}, {"same version", same}} {
		mustPut(t, s, tc.r)
		got := mustIncident(t, s, "ver")
		if d := incidentDiff(got, v2); d != "" {
			t.Errorf("after putting the %s: %s", tc.name, d)
		}
		if got.Seq != first.Seq {
			t.Errorf("after putting the %s: seq %d, want %d (nothing written)", tc.name, got.Seq, first.Seq)
		}
	}

	v3 := v2
	v3.Class, v3.End, v3.BBox, v3.Party = "equipment", v2.End.Add(time.Hour), [4]float64{36, 47, 37.1, 48.1}, "B"
	v3.Label = label.Label{Classification: label.Secret, RelTo: []string{"UKR"}}
	v3.Observations = append(slices.Clone(v2.Observations), "obs-2")
	v3 = withVersion(v3, 3)
	mustPut(t, s, v3)
	got := mustIncident(t, s, "ver")
	if d := incidentDiff(got, v3); d != "" {
		t.Errorf("after putting a newer version: %s", d)
	}
	if got.Seq <= first.Seq {
		t.Errorf("a newer version has seq %d, want more than %d", got.Seq, first.Seq)
	}

	// In one batch, each write sees the one before it.
	v4, v5 := withVersion(v3, 4), withVersion(v3, 5)
	mustPut(t, s, v5, v4)
	if got := mustIncident(t, s, "ver"); got.Version != 5 {
		t.Errorf("after putting versions 5 and 4 together: version %d, want 5", got.Version)
	}
	mustPut(t, s, withVersion(v3, 6), withVersion(v3, 7))
	last := mustIncident(t, s, "ver")
	if last.Version != 7 {
		t.Errorf("after putting versions 6 and 7 together: version %d, want 7", last.Version)
	}
	all := since(t, s, 0, nil, 100)
	if len(all) != 1 || all[0].Seq != last.Seq || all[0].Version != 7 {
		t.Errorf("IncidentsSince(0) = %v, want the one incident, at version 7 and seq %d", all, last.Seq)
	}
}

func testIncidentMerged(t *testing.T, h Harness) {
	s := h.Store
	box := [4]float64{37, 48, 37.1, 48.1}
	a, b := Incident("m-a", box, 0, time.Minute), Incident("m-b", box, time.Minute, time.Minute)
	mustPut(t, s, a, b)
	merged := a
	merged.MergedInto = "m-b"
	merged = withVersion(merged, 2)
	mustPut(t, s, merged)

	for _, q := range []store.IncidentQuery{
		{Limit: 10},
		{Limit: 10, BBox: &box, From: base, To: base.Add(time.Hour), Class: "fire", Party: "none", Confidence: "single_source"},
	} {
		if got := query(t, s, q); !slices.Equal(got, []string{"m-b"}) {
			t.Errorf("query %+v = %v, want only the incident not merged", q, got)
		}
	}
	got := mustIncident(t, s, "m-a")
	if got.MergedInto != "m-b" {
		t.Errorf("merged incident: MergedInto = %q, want m-b", got.MergedInto)
	}
	if ids := incidentIDs(since(t, s, 0, nil, 10)); !slices.Equal(ids, []string{"m-b", "m-a"}) {
		t.Errorf("IncidentsSince = %v, want m-b, then the merge of m-a", ids)
	}

	// A later version may undo the merge.
	unmerged := withVersion(a, 3)
	mustPut(t, s, unmerged)
	if got := query(t, s, store.IncidentQuery{Limit: 10}); !slices.Equal(got, []string{"m-b", "m-a"}) {
		t.Errorf("after the merge was undone: %v, want m-b, m-a", got)
	}
}

func testIncidentFilters(t *testing.T, h Harness) {
	inc := func(id, class, party, confidence string, bbox [4]float64, start, d time.Duration) store.IncidentRecord {
		r := Incident(id, bbox, start, d)
		r.Class, r.Party, r.Confidence = class, party, confidence
		return withVersion(r, 1)
	}
	merged := inc("f-merged", "fire", "A", "corroborated", [4]float64{37.0, 48.0, 37.2, 48.2}, 0, 10*time.Minute)
	merged.MergedInto = "f-fire-a"
	mustPut(t, h.Store,
		inc("f-fire-a", "fire", "A", "corroborated", [4]float64{37.0, 48.0, 37.2, 48.2}, 0, 10*time.Minute),
		inc("f-fire-none", "fire", "", "single_source", [4]float64{37.5, 48.5, 37.6, 48.6}, time.Hour, 0),
		inc("f-equip-b", "equipment", "B", "corroborated", [4]float64{30, 50, 30.1, 50.1}, 2*time.Hour, 3*time.Hour),
		inc("f-dateline", "fire", "", "single_source", [4]float64{179.5, 10, -179.5, 11}, 30*time.Minute, 10*time.Minute),
		inc("f-east", "fire", "A", "single_source", [4]float64{179.0, 10, 179.4, 11}, 3*time.Hour, 0),
		merged,
	)
	box := func(w, s, e, n float64) *[4]float64 { return &[4]float64{w, s, e, n} }
	at := func(d time.Duration) time.Time { return base.Add(d) }
	tests := []struct {
		name string
		q    store.IncidentQuery
		want []string
	}{
		{"all, newest start first", store.IncidentQuery{}, []string{"f-east", "f-equip-b", "f-fire-none", "f-dateline", "f-fire-a"}},
		{"bbox around two", store.IncidentQuery{BBox: box(37, 48, 38, 49)}, []string{"f-fire-none", "f-fire-a"}},
		{"bbox inside one", store.IncidentQuery{BBox: box(37.1, 48.1, 37.15, 48.15)}, []string{"f-fire-a"}},
		{"bbox touching a corner", store.IncidentQuery{BBox: box(37.2, 48.2, 37.4, 48.4)}, []string{"f-fire-a"}},
		{"bbox beside", store.IncidentQuery{BBox: box(37.21, 48.0, 37.4, 48.2)}, nil},
		{"bbox above", store.IncidentQuery{BBox: box(37.0, 48.21, 37.2, 48.4)}, nil},
		{"bbox east of the antimeridian", store.IncidentQuery{BBox: box(179.0, 0, 180, 20)}, []string{"f-east", "f-dateline"}},
		{"bbox west of the antimeridian", store.IncidentQuery{BBox: box(-180, 0, -179.0, 20)}, []string{"f-dateline"}},
		{"bbox across the antimeridian", store.IncidentQuery{BBox: box(179.6, 0, -179.0, 20)}, []string{"f-dateline"}},
		{"bbox across the antimeridian, wider", store.IncidentQuery{BBox: box(179.3, 0, -170, 20)}, []string{"f-east", "f-dateline"}},
		{"bbox across the antimeridian, elsewhere", store.IncidentQuery{BBox: box(179.6, 40, -179.0, 50)}, nil},
		{"time", store.IncidentQuery{From: at(time.Hour), To: at(2 * time.Hour)}, []string{"f-fire-none"}},
		{"time inside a long incident", store.IncidentQuery{From: at(4 * time.Hour), To: at(6 * time.Hour)}, []string{"f-equip-b"}},
		{"end is inclusive", store.IncidentQuery{From: at(10 * time.Minute), To: at(20 * time.Minute)}, []string{"f-fire-a"}},
		{"to is exclusive", store.IncidentQuery{To: base}, nil},
		{"from only", store.IncidentQuery{From: at(3 * time.Hour)}, []string{"f-east", "f-equip-b"}},
		{"to only", store.IncidentQuery{To: at(time.Hour)}, []string{"f-dateline", "f-fire-a"}},
		{"class", store.IncidentQuery{Class: "equipment"}, []string{"f-equip-b"}},
		{"party", store.IncidentQuery{Party: "A"}, []string{"f-east", "f-fire-a"}},
		{"party none", store.IncidentQuery{Party: "none"}, []string{"f-fire-none", "f-dateline"}},
		{"unknown party", store.IncidentQuery{Party: "Z"}, nil},
		{"confidence", store.IncidentQuery{Confidence: "corroborated"}, []string{"f-equip-b", "f-fire-a"}},
		{"all together", store.IncidentQuery{BBox: box(37, 48, 38, 49), From: base, To: at(3 * time.Hour), Class: "fire", Party: "none", Confidence: "single_source"},
			[]string{"f-fire-none"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 100
			p, err := h.Store.QueryIncidents(ctx(t), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := incidentIDs(p.Incidents); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if p.Next != nil {
				t.Errorf("next cursor on the only page")
			}
		})
	}
	for _, limit := range []int{0, -1} {
		if _, err := h.Store.QueryIncidents(ctx(t), store.IncidentQuery{Limit: limit}); err == nil {
			t.Errorf("a query with limit %d must be refused", limit)
		}
	}
}

// byStartDesc orders incidents as QueryIncidents returns them.
func byStartDesc(a, b store.IncidentRecord) int {
	if c := b.Start.Compare(a.Start); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

func testIncidentPagination(t *testing.T, h Harness) {
	var all []store.IncidentRecord
	for i := range 57 {
		// Ids out of time order, and pairs sharing a start, so that the
		// cursor must break ties by id.
		r := Incident(fmt.Sprintf("p-%02d", (i*23)%57), [4]float64{37, 48, 37.1, 48.1}, time.Duration(i/2)*time.Minute, time.Minute)
		if i%3 == 0 {
			r.Class = "equipment"
		}
		if i%7 == 0 {
			r.MergedInto = "p-survivor"
		}
		all = append(all, withVersion(r, 1))
	}
	mustPut(t, h.Store, all...)
	to := base.Add(20 * time.Minute)
	for _, tc := range []struct {
		name  string
		q     store.IncidentQuery
		match func(store.IncidentRecord) bool
	}{
		{"all", store.IncidentQuery{Limit: 10}, func(store.IncidentRecord) bool { return true }},
		{"one a page", store.IncidentQuery{Limit: 1}, func(store.IncidentRecord) bool { return true }},
		{"class and window", store.IncidentQuery{Limit: 4, Class: "fire", From: base.Add(5 * time.Minute), To: to},
			func(r store.IncidentRecord) bool {
				return r.Class == "fire" && r.Start.Before(to) && !r.End.Before(base.Add(5*time.Minute))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []store.IncidentRecord
			for _, r := range all {
				if r.MergedInto == "" && tc.match(r) {
					want = append(want, r)
				}
			}
			slices.SortFunc(want, byStartDesc)
			got := query(t, h.Store, tc.q)
			if w := incidentIDs(want); !slices.Equal(got, w) {
				t.Errorf("paged through %v\nwant %v", got, w)
			}
		})
	}
}

// testIncidentVisibility stores incidents with random labels and checks,
// for readers of every nation and clearance, that queries, IncidentsSince
// and Incident return exactly the incidents Visibility.Allows, and that
// a hidden incident is reported exactly as a missing one.
func testIncidentVisibility(t *testing.T, h Harness) {
	rng := rand.New(rand.NewPCG(13, 17))
	nations := []string{"FRA", "GBR", "DEU", "POL", "UKR"}
	scheme := label.DefaultScheme()
	var all []store.IncidentRecord
	for i := range 120 {
		r := Incident(fmt.Sprintf("vis-%03d", i), [4]float64{37, 48, 37.1, 48.1}, time.Duration(rng.IntN(600))*time.Minute, time.Minute)
		c := scheme.Levels[rng.IntN(len(scheme.Levels))]
		r.Label = label.Label{Classification: c}
		if c != scheme.Public {
			for _, n := range nations {
				if rng.IntN(3) == 0 {
					r.Label.RelTo = append(r.Label.RelTo, n)
				}
			}
			if len(r.Label.RelTo) == 0 {
				r.Label.RelTo = []string{nations[rng.IntN(len(nations))]}
			}
		}
		if i%10 == 5 {
			// What label.MostRestrictive gives for observations released
			// to no nation in common: visible to no one.
			r.Label = label.Label{Classification: label.Restricted}
		}
		if i%9 == 0 && i > 0 {
			r.MergedInto = "vis-000"
		}
		all = append(all, r)
	}
	mustPut(t, h.Store, all...)
	// IncidentsSince returns them in the order they were written.
	bySeq := since(t, h.Store, 0, nil, 1000)
	if got, want := incidentIDs(bySeq), incidentIDs(all); !slices.Equal(got, want) {
		t.Fatalf("IncidentsSince(0) = %v\nwant the order of the batch, %v", got, want)
	}
	_, missing := h.Store.Incident(ctx(t), "vis-missing", nil)
	if !errors.Is(missing, store.ErrNotFound) {
		t.Fatalf("Incident(vis-missing) = %v, want ErrNotFound", missing)
	}

	for _, nation := range append(nations, "USA", "") {
		for _, clearance := range scheme.Levels {
			v := scheme.VisibilityFor(nation, clearance)
			var wantListed, wantSince []store.IncidentRecord
			for _, r := range all {
				if !v.Allows(r.Label) {
					continue
				}
				wantSince = append(wantSince, r)
				if r.MergedInto == "" {
					wantListed = append(wantListed, r)
				}
			}
			slices.SortFunc(wantListed, byStartDesc)
			who := fmt.Sprintf("nation %q cleared %s", nation, clearance)

			if got, want := query(t, h.Store, store.IncidentQuery{Visible: &v, Limit: 7}), incidentIDs(wantListed); !slices.Equal(got, want) {
				t.Errorf("%s: query returned %v\nwant %v", who, got, want)
			}
			if got, want := incidentIDs(since(t, h.Store, 0, &v, 5)), incidentIDs(wantSince); !slices.Equal(got, want) {
				t.Errorf("%s: IncidentsSince returned %v\nwant %v", who, got, want)
			}
			for _, r := range all {
				got, err := h.Store.Incident(ctx(t), r.ID, &v)
				switch {
				case v.Allows(r.Label) && err != nil:
					t.Errorf("%s: Incident(%s) labelled %v: %v", who, r.ID, r.Label, err)
				case v.Allows(r.Label) && got.ID != r.ID:
					t.Errorf("%s: Incident(%s) returned %s", who, r.ID, got.ID)
				case !v.Allows(r.Label) && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s: Incident(%s) labelled %v = %v, want ErrNotFound", who, r.ID, r.Label, err)
				case !v.Allows(r.Label):
					// Hidden must read as missing, but for the id.
					if hidden, absent := strings.ReplaceAll(err.Error(), r.ID, "ID"), strings.ReplaceAll(missing.Error(), "vis-missing", "ID"); hidden != absent {
						t.Errorf("%s: a hidden incident reads %q, a missing one %q", who, hidden, absent)
					}
				}
			}
		}
	}

	none := label.Visibility{Nation: "FRA"}
	if got := query(t, h.Store, store.IncidentQuery{Visible: &none, Limit: 10}); len(got) != 0 {
		t.Errorf("a reader cleared for nothing listed %v", got)
	}
	if got := since(t, h.Store, 0, &none, 10); len(got) != 0 {
		t.Errorf("a reader cleared for nothing followed %v", incidentIDs(got))
	}
	if _, err := h.Store.Incident(ctx(t), all[0].ID, &none); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reader cleared for nothing read %s: %v", all[0].ID, err)
	}
}

func testIncidentBadInputs(t *testing.T, h Harness) {
	tests := []struct {
		name string
		bad  func(*store.IncidentRecord)
	}{
		{"empty id", func(r *store.IncidentRecord) { r.ID = "" }},
		{"version 0", func(r *store.IncidentRecord) { r.Version = 0 }},
		{"negative version", func(r *store.IncidentRecord) { r.Version = -1 }},
		{"empty class", func(r *store.IncidentRecord) { r.Class = "" }},
		{"end before start", func(r *store.IncidentRecord) { r.End = r.Start.Add(-time.Nanosecond) }},
		{"no start", func(r *store.IncidentRecord) { r.Start = time.Time{} }},
		{"no end", func(r *store.IncidentRecord) { r.End = time.Time{} }},
		{"south of north", func(r *store.IncidentRecord) { r.BBox = [4]float64{37, 48.2, 37.1, 48.1} }},
		{"latitude past the pole", func(r *store.IncidentRecord) { r.BBox = [4]float64{37, 89, 37.1, 90.5} }},
		{"longitude out of range", func(r *store.IncidentRecord) { r.BBox = [4]float64{37, 48, 181, 48.1} }},
		{"NaN in bbox", func(r *store.IncidentRecord) { r.BBox[1] = math.NaN() }},
		{"infinite bbox", func(r *store.IncidentRecord) { r.BBox[0] = math.Inf(-1) }},
		{"label without classification", func(r *store.IncidentRecord) { r.Label = label.Label{RelTo: []string{"FRA"}} }},
		{"rel_to not a nation", func(r *store.IncidentRecord) {
			r.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA,GBR"}}
		}},
		{"merged into itself", func(r *store.IncidentRecord) { r.MergedInto = r.ID }},
		{"empty observation id", func(r *store.IncidentRecord) { r.Observations = []string{"o-1", ""} }},
		{"feature not JSON", func(r *store.IncidentRecord) { r.Feature = []byte(`{"type":"Feature"`) }},
		{"no feature", func(r *store.IncidentRecord) { r.Feature = nil }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := Incident(fmt.Sprintf("good-%02d", i), [4]float64{37, 48, 37.1, 48.1}, 0, time.Minute)
			bad := Incident(fmt.Sprintf("bad-%02d", i), [4]float64{37, 48, 37.1, 48.1}, 0, time.Minute)
			tc.bad(&bad)
			err := h.Store.PutIncidents(ctx(t), []store.IncidentRecord{good, bad})
			if err == nil {
				t.Fatalf("PutIncidents accepted %+v", bad)
			}
			if bad.ID != "" && !strings.Contains(err.Error(), bad.ID) {
				t.Errorf("error %q does not name the bad incident %s", err, bad.ID)
			}
			if _, err := h.Store.Incident(ctx(t), good.ID, nil); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the good incident of a batch with a bad one was written: %v", err)
			}
		})
	}
	if got := since(t, h.Store, 0, nil, 100); len(got) != 0 {
		t.Errorf("bad batches wrote %v", incidentIDs(got))
	}
}

func testIncidentsSince(t *testing.T, h Harness) {
	s := h.Store
	if last, err := s.LastIncidentSeq(ctx(t)); err != nil || last != 0 {
		t.Fatalf("LastIncidentSeq of an empty store = %d, %v; want 0", last, err)
	}
	box := [4]float64{37, 48, 37.1, 48.1}
	a, b, c := Incident("s-a", box, 3*time.Hour, 0), Incident("s-b", box, 2*time.Hour, 0), Incident("s-c", box, time.Hour, 0)
	d, e := Incident("s-d", box, 0, 0), Incident("s-e", box, 5*time.Hour, 0)
	mustPut(t, s, a, b, c)
	mustPut(t, s, d, e)
	mustPut(t, s, withVersion(a, 2))
	all := since(t, s, 0, nil, 100)
	if last, err := s.LastIncidentSeq(ctx(t)); err != nil || last != all[len(all)-1].Seq {
		t.Errorf("LastIncidentSeq = %d, %v; want %d, the seq of the last write", last, err, all[len(all)-1].Seq)
	}
	// Write order, whatever the times: the rewrite of s-a comes last.
	if got, want := incidentIDs(all), []string{"s-b", "s-c", "s-d", "s-e", "s-a"}; !slices.Equal(got, want) {
		t.Fatalf("IncidentsSince(0) = %v, want %v", got, want)
	}
	for _, r := range all {
		if got := mustIncident(t, s, r.ID); got.Seq != r.Seq || got.Version != r.Version {
			t.Errorf("%s: IncidentsSince has seq %d version %d, Incident seq %d version %d", r.ID, r.Seq, r.Version, got.Seq, got.Version)
		}
	}
	for limit := 1; limit <= 6; limit++ {
		first, err := s.IncidentsSince(ctx(t), 0, nil, limit)
		if err != nil {
			t.Fatal(err)
		}
		if n := min(limit, len(all)); len(first) != n {
			t.Errorf("IncidentsSince(0, limit %d) returned %d, want %d", limit, len(first), n)
		}
		if got := since(t, s, 0, nil, limit); !slices.Equal(incidentIDs(got), incidentIDs(all)) {
			t.Errorf("in pages of %d: %v, want %v", limit, incidentIDs(got), incidentIDs(all))
		}
	}
	if got := incidentIDs(since(t, s, all[1].Seq, nil, 100)); !slices.Equal(got, incidentIDs(all[2:])) {
		t.Errorf("IncidentsSince(seq of %s) = %v, want %v", all[1].ID, got, incidentIDs(all[2:]))
	}
	// A replay after a restart writes nothing, so a follower sees nothing new.
	last := all[len(all)-1].Seq
	mustPut(t, s, withVersion(a, 2), b, c, d, e)
	if got := since(t, s, last, nil, 100); len(got) != 0 {
		t.Errorf("a replay made changes %v", incidentIDs(got))
	}
}

func testIncidentsConcurrent(t *testing.T, h Harness) {
	const workers, each = 8, 20
	box := [4]float64{37, 48, 37.1, 48.1}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Every worker also writes its own version of one shared
				// incident: the highest version must win, whatever the order.
				shared := withVersion(Incident("shared", box, 0, 0), w+1)
				own := Incident(fmt.Sprintf("c-%d-%02d", w, i), box, time.Duration(i)*time.Minute, 0)
				if err := h.Store.PutIncidents(ctx(t), []store.IncidentRecord{own, shared}); err != nil {
					t.Errorf("PutIncidents: %v", err)
				}
			}
		})
	}
	wg.Wait()
	all := since(t, h.Store, 0, nil, 37)
	seen := map[string]bool{}
	for _, r := range all {
		if seen[r.ID] {
			t.Errorf("IncidentsSince returned %s twice", r.ID)
		}
		seen[r.ID] = true
	}
	if len(all) != workers*each+1 {
		t.Errorf("IncidentsSince returned %d incidents, want %d", len(all), workers*each+1)
	}
	if got := mustIncident(t, h.Store, "shared"); got.Version != workers {
		t.Errorf("shared incident at version %d, want %d", got.Version, workers)
	}
}

func testIncidentsDurable(t *testing.T, h Harness) {
	box := [4]float64{37, 48, 37.1, 48.1}
	a, b := Incident("dur-a", box, 0, time.Minute), Incident("dur-b", box, time.Minute, time.Minute)
	b.MergedInto, b.Label = "dur-a", label.Label{Classification: label.Confidential, RelTo: []string{"POL"}}
	mustPut(t, h.Store, a, b)
	before := since(t, h.Store, 0, nil, 10)
	s := h.Reopen()
	after := since(t, s, 0, nil, 10)
	if len(after) != len(before) {
		t.Fatalf("after reopen: %d incidents, want %d", len(after), len(before))
	}
	for i := range before {
		if d := incidentDiff(after[i], before[i]); d != "" || after[i].Seq != before[i].Seq {
			t.Errorf("after reopen, %s: %s; seq %d, want %d", before[i].ID, d, after[i].Seq, before[i].Seq)
		}
	}
	last := before[len(before)-1].Seq
	mustPut(t, s, a, b)
	if got := since(t, s, last, nil, 10); len(got) != 0 {
		t.Errorf("a replay after reopen made changes %v", incidentIDs(got))
	}
	mustPut(t, s, withVersion(a, 2))
	if got := mustIncident(t, s, "dur-a"); got.Seq <= last {
		t.Errorf("a write after reopen got seq %d, want more than %d", got.Seq, last)
	}
}

func testObservationsSince(t *testing.T, h Harness) {
	s := h.Store
	// Later batches observed earlier, so that arrival order is not time order.
	first := []string{"os-1", "os-2", "os-3"}
	mustAdd(t, s, Obs("os-1", 37, 48, 3*time.Hour), Obs("os-2", 37, 48, 2*time.Hour), Obs("os-3", 37.5, 48.5, 4*time.Hour))
	mustAdd(t, s, Obs("os-4", 37, 48, time.Hour), Obs("os-2", 37, 48, 2*time.Hour), Obs("os-5", 37, 48, 0))
	wantIDs := append(first, "os-4", "os-5")

	all, err := s.ObservationsSince(ctx(t), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(store.Page{Observations: all}); !slices.Equal(got, wantIDs) {
		t.Fatalf("ObservationsSince(0) = %v, want arrival order %v", got, wantIDs)
	}
	for i, o := range all {
		if i > 0 && o.Seq <= all[i-1].Seq {
			t.Errorf("seq %d after %d: not increasing", o.Seq, all[i-1].Seq)
		}
		want, err := s.Observation(ctx(t), wantIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		if o.Seq != want.Seq || !o.ReceivedAt.Equal(want.ReceivedAt) || string(o.Feature) != string(want.Feature) ||
			o.Leaf != want.Leaf || o.Label.String() != want.Label.String() {
			t.Errorf("ObservationsSince gave %s as %+v, Observation as %+v", wantIDs[i], o, want)
		}
	}
	for limit := 1; limit <= 6; limit++ {
		var got []string
		after := int64(0)
		for range 100 {
			page, err := s.ObservationsSince(ctx(t), after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("ObservationsSince(%d, limit %d) returned %d", after, limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, ids(store.Page{Observations: page})...)
			after = page[len(page)-1].Seq
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("in pages of %d: %v, want %v", limit, got, wantIDs)
		}
	}
	rest, err := s.ObservationsSince(ctx(t), all[2].Seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(store.Page{Observations: rest}); !slices.Equal(got, wantIDs[3:]) {
		t.Errorf("ObservationsSince(seq of os-3) = %v, want %v", got, wantIDs[3:])
	}
}

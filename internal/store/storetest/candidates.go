package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// candidateTests are the conformance tests of store.Candidates, each run
// on a fresh store.
var candidateTests = []struct {
	name string
	fn   func(t *testing.T, h Harness)
}{
	{"CandidateRoundTrip", testCandidateRoundTrip},
	{"CandidateUpsert", testCandidateUpsert},
	{"CandidateQueueOrder", testCandidateQueueOrder},
	{"CandidateFilters", testCandidateFilters},
	{"CandidatePagination", testCandidatePagination},
	{"CandidateIncident", testCandidateIncident},
	{"CandidateVisibility", testCandidateVisibility},
	{"CandidateBadInputs", testCandidateBadInputs},
	{"CandidatesSince", testCandidatesSince},
	{"CandidatesDurable", testCandidatesDurable},
	{"CandidateWithdrawn", testCandidateWithdrawn},
	{"CandidateState", testCandidateState},
	{"Actions", testActions},
	{"ActionRefusals", testActionRefusals},
	{"QueryActions", testQueryActions},
	{"Submitters", testSubmitters},
}

// severityRank orders severities as the queue does: the graver, the higher.
var severityRank = map[string]int{"minor": 0, "serious": 1, "major": 2}

// Candidate returns a valid public candidate of type "fire_across_line",
// not attributable, with the given id and severity, at the given offset
// from 2026-11-21T00:00:00Z, resting on incident "inc-" + id.
func Candidate(id, severity string, at time.Duration) store.CandidateRecord {
	r := store.CandidateRecord{
		ID:       id,
		Type:     "fire_across_line",
		Severity: severity,
		Incident: "inc-" + id,
		Time:     base.Add(at),
		Label:    label.PublicLabel(),
	}
	return withRevision(r, 1)
}

// withRevision returns r with a Feature that describes its fields and that
// differs from that of every other revision.
func withRevision(r store.CandidateRecord, rev int) store.CandidateRecord {
	f, err := json.Marshal(map[string]any{
		"type": "Feature", "id": r.ID, "geometry": nil,
		"properties": map[string]any{
			"type": r.Type, "party": r.Party, "severity": r.Severity, "incident": r.Incident,
			"time": r.Time, "revision": rev,
		},
	})
	if err != nil {
		panic(err)
	}
	r.Feature = f
	return r
}

func mustPutCandidates(t *testing.T, s store.Store, rs ...store.CandidateRecord) {
	t.Helper()
	if err := s.PutCandidates(ctx(t), nil, rs); err != nil {
		t.Fatalf("PutCandidates: %v", err)
	}
}

func mustCandidate(t *testing.T, s store.Store, id string) store.CandidateRecord {
	t.Helper()
	r, err := s.Candidate(ctx(t), id, nil)
	if err != nil {
		t.Fatalf("Candidate(%s): %v", id, err)
	}
	return r
}

func mustLastCandidateSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	seq, err := s.LastCandidateSeq(ctx(t))
	if err != nil {
		t.Fatalf("LastCandidateSeq: %v", err)
	}
	return seq
}

// candidatesSince returns every candidate vis allows with Seq after after,
// read in pages of limit.
func candidatesSince(t *testing.T, s store.Store, after int64, vis *label.Visibility, limit int) []store.CandidateRecord {
	t.Helper()
	var out []store.CandidateRecord
	for range 10_000 {
		got, err := s.CandidatesSince(ctx(t), after, vis, limit)
		if err != nil {
			t.Fatalf("CandidatesSince(%d): %v", after, err)
		}
		if len(got) > limit {
			t.Fatalf("CandidatesSince(%d, limit %d) returned %d", after, limit, len(got))
		}
		if len(got) == 0 {
			return out
		}
		for _, r := range got {
			if r.Seq <= after {
				t.Fatalf("CandidatesSince(%d) returned %s with seq %d: not after, or out of order", after, r.ID, r.Seq)
			}
			after = r.Seq
		}
		out = append(out, got...)
	}
	t.Fatal("CandidatesSince does not end")
	return nil
}

// queryCandidates returns the ids of every candidate matching q, read in
// pages of q.Limit, checking that every page but the last is full.
func queryCandidates(t *testing.T, s store.Store, q store.CandidateQuery) []string {
	t.Helper()
	var out []string
	for range 10_000 {
		p, err := s.QueryCandidates(ctx(t), q)
		if err != nil {
			t.Fatalf("QueryCandidates: %v", err)
		}
		if p.Next != nil && len(p.Candidates) != q.Limit {
			t.Fatalf("a page of %d before the last, want %d", len(p.Candidates), q.Limit)
		}
		if p.Next == nil && len(p.Candidates) > q.Limit {
			t.Fatalf("a last page of %d, more than the limit %d", len(p.Candidates), q.Limit)
		}
		out = append(out, candidateIDs(p.Candidates)...)
		if p.Next == nil {
			return out
		}
		q.After = p.Next
	}
	t.Fatal("QueryCandidates pagination does not end")
	return nil
}

func candidateIDs(rs []store.CandidateRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// candidateDiff describes how got differs from want in every field but
// Seq, or returns "".
func candidateDiff(got, want store.CandidateRecord) string {
	var d []string
	diff := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s = %v, want %v", field, g, w)) }
	if got.ID != want.ID {
		diff("ID", got.ID, want.ID)
	}
	if got.Type != want.Type {
		diff("Type", got.Type, want.Type)
	}
	if got.Party != want.Party {
		diff("Party", got.Party, want.Party)
	}
	if got.Severity != want.Severity {
		diff("Severity", got.Severity, want.Severity)
	}
	if got.Incident != want.Incident {
		diff("Incident", got.Incident, want.Incident)
	}
	if !got.Time.Equal(want.Time) {
		diff("Time", got.Time, want.Time)
	}
	if got.Label.Classification != want.Label.Classification || !slices.Equal(got.Label.RelTo, want.Label.RelTo) {
		diff("Label", got.Label, want.Label)
	}
	if string(got.Feature) != string(want.Feature) {
		diff("Feature", string(got.Feature), string(want.Feature))
	}
	return strings.Join(d, "; ")
}

// byQueue orders candidates as QueryCandidates returns them: gravest
// first, then oldest first, then by id.
func byQueue(a, b store.CandidateRecord) int {
	if c := severityRank[b.Severity] - severityRank[a.Severity]; c != 0 {
		return c
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func testCandidateRoundTrip(t *testing.T, h Harness) {
	full := store.CandidateRecord{
		ID:       "rt-full",
		Seq:      999, // set by the store: ignored
		Type:     "heavy_weapon_in_zone",
		Party:    "A",
		Severity: "major",
		Incident: "inc-7",
		Time:     base.Add(time.Hour + 123456789*time.Nanosecond),
		Label:    label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}},
	}
	full = withRevision(full, 3)
	bare := Candidate("rt-bare", "minor", 0)
	// The feature is kept as given, byte for byte, not re-encoded.
	bare.Feature = json.RawMessage(` { "type" : "Feature",  "id":"rt-bare", "geometry":null, "properties":{} }`)
	mustPutCandidates(t, h.Store, full, bare)

	byID := map[string]store.CandidateRecord{full.ID: full, bare.ID: bare}
	check := func(how string, got store.CandidateRecord) {
		t.Helper()
		want, ok := byID[got.ID]
		if !ok {
			t.Errorf("%s returned unknown candidate %q", how, got.ID)
			return
		}
		if d := candidateDiff(got, want); d != "" {
			t.Errorf("%s %s: %s", how, want.ID, d)
		}
		if got.Seq <= 0 || got.Seq == 999 {
			t.Errorf("%s %s: seq %d, want it set by the store", how, want.ID, got.Seq)
		}
	}
	for _, id := range []string{full.ID, bare.ID} {
		check("Candidate", mustCandidate(t, h.Store, id))
	}
	p, err := h.Store.QueryCandidates(ctx(t), store.CandidateQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := candidateIDs(p.Candidates); !slices.Equal(got, []string{full.ID, bare.ID}) {
		t.Errorf("QueryCandidates = %v, want %s, %s", got, full.ID, bare.ID)
	}
	for _, got := range p.Candidates {
		check("QueryCandidates", got)
	}
	all := candidatesSince(t, h.Store, 0, nil, 10)
	if got := candidateIDs(all); !slices.Equal(got, []string{full.ID, bare.ID}) {
		t.Errorf("CandidatesSince = %v, want %s, %s in write order", got, full.ID, bare.ID)
	}
	for _, got := range all {
		check("CandidatesSince", got)
		if one := mustCandidate(t, h.Store, got.ID); one.Seq != got.Seq {
			t.Errorf("%s: CandidatesSince has seq %d, Candidate %d", got.ID, got.Seq, one.Seq)
		}
	}
	if _, err := h.Store.Candidate(ctx(t), "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Candidate(nope) error = %v, want ErrNotFound", err)
	}
	if err := h.Store.PutCandidates(ctx(t), nil, nil); err != nil {
		t.Errorf("PutCandidates of nothing: %v", err)
	}
}

func testCandidateUpsert(t *testing.T, h Harness) {
	s := h.Store
	orig := Candidate("up", "minor", time.Hour)
	mustPutCandidates(t, s, orig)
	first := mustCandidate(t, s, "up")
	last := mustLastCandidateSeq(t, s)

	// The same feature: nothing is written, whatever the other fields say
	// (the feature is the candidate; the columns are derived from it).
	relabelled := orig
	relabelled.Severity, relabelled.Party = "major", "B"
	relabelled.Label = label.Label{Classification: label.Secret, RelTo: []string{"UKR"}}
	for _, tc := range []struct {
		name string
		rs   []store.CandidateRecord
	}{
		{"the same candidate", []store.CandidateRecord{orig}},
		{"the same candidate twice in a batch", []store.CandidateRecord{orig, orig}},
		{"other fields, the same feature", []store.CandidateRecord{relabelled}},
		{"a copy of the feature", []store.CandidateRecord{{
			ID: orig.ID, Type: orig.Type, Severity: orig.Severity, Incident: orig.Incident, Time: orig.Time,
			Label: orig.Label, Feature: slices.Clone(orig.Feature),
		}}},
	} {
		mustPutCandidates(t, s, tc.rs...)
		got := mustCandidate(t, s, "up")
		if d := candidateDiff(got, orig); d != "" {
			t.Errorf("after putting %s: %s", tc.name, d)
		}
		if got.Seq != first.Seq {
			t.Errorf("after putting %s: seq %d, want %d (nothing written)", tc.name, got.Seq, first.Seq)
		}
		if seq := mustLastCandidateSeq(t, s); seq != last {
			t.Errorf("after putting %s: LastCandidateSeq %d, want %d", tc.name, seq, last)
		}
	}

	// A different feature replaces every field and gets a new seq.
	changed := orig
	changed.Type, changed.Party, changed.Severity, changed.Incident = "shelling", "B", "serious", "inc-other"
	changed.Time = orig.Time.Add(-30 * time.Minute)
	changed.Label = label.Label{Classification: label.Secret, RelTo: []string{"UKR"}}
	changed = withRevision(changed, 2)
	mustPutCandidates(t, s, changed)
	got := mustCandidate(t, s, "up")
	if d := candidateDiff(got, changed); d != "" {
		t.Errorf("after putting a changed feature: %s", d)
	}
	if got.Seq <= first.Seq {
		t.Errorf("a changed feature has seq %d, want more than %d", got.Seq, first.Seq)
	}
	if seq := mustLastCandidateSeq(t, s); seq != got.Seq {
		t.Errorf("LastCandidateSeq = %d, want %d, the seq of the change", seq, got.Seq)
	}
	// Whitespace alone makes another feature: features are compared as
	// bytes, not as JSON.
	spaced := changed
	spaced.Feature = append(slices.Clone(changed.Feature), ' ')
	mustPutCandidates(t, s, spaced)
	if again := mustCandidate(t, s, "up"); again.Seq <= got.Seq || string(again.Feature) != string(spaced.Feature) {
		t.Errorf("a feature differing only in a space: seq %d (was %d), feature %s", again.Seq, got.Seq, again.Feature)
	}

	// In one batch, each write sees the one before it.
	r3, r4 := withRevision(changed, 3), withRevision(changed, 4)
	before := mustLastCandidateSeq(t, s)
	mustPutCandidates(t, s, r3, r4, r4)
	if got := mustCandidate(t, s, "up"); string(got.Feature) != string(r4.Feature) || got.Seq != before+2 {
		t.Errorf("after putting revisions 3, 4 and 4 together: %s at seq %d, want revision 4 at seq %d", got.Feature, got.Seq, before+2)
	}
	all := candidatesSince(t, s, 0, nil, 100)
	if len(all) != 1 || string(all[0].Feature) != string(r4.Feature) {
		t.Errorf("CandidatesSince(0) = %v, want the one candidate, at revision 4", candidateIDs(all))
	}
	// The change moved it in the queue: it is now serious.
	if ids := queryCandidates(t, s, store.CandidateQuery{Severity: "minor", Limit: 10}); len(ids) != 0 {
		t.Errorf("minor candidates after the change: %v, want none", ids)
	}
	if ids := queryCandidates(t, s, store.CandidateQuery{Severity: "serious", Limit: 10}); !slices.Equal(ids, []string{"up"}) {
		t.Errorf("serious candidates after the change: %v, want up", ids)
	}
}

func testCandidateQueueOrder(t *testing.T, h Harness) {
	// Put in an order that is neither the queue's nor the ids'.
	rs := []store.CandidateRecord{
		Candidate("q-minor-early", "minor", 0),
		Candidate("q-major-late", "major", 3*time.Hour),
		Candidate("q-serious-mid", "serious", time.Hour),
		Candidate("q-major-early", "major", -time.Hour),
		Candidate("q-minor-late", "minor", 5*time.Hour),
		Candidate("q-serious-early", "serious", -2*time.Hour),
		// Three sharing a severity and a time: by id.
		Candidate("q-major-tie-b", "major", time.Hour),
		Candidate("q-major-tie-c", "major", time.Hour),
		Candidate("q-major-tie-a", "major", time.Hour),
		// A nanosecond apart.
		Candidate("q-serious-ns-1", "serious", time.Hour+time.Nanosecond),
	}
	mustPutCandidates(t, h.Store, rs...)
	want := []string{
		"q-major-early", "q-major-tie-a", "q-major-tie-b", "q-major-tie-c", "q-major-late",
		"q-serious-early", "q-serious-mid", "q-serious-ns-1",
		"q-minor-early", "q-minor-late",
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, byQueue)
	if got := candidateIDs(sorted); !slices.Equal(got, want) {
		t.Fatalf("byQueue sorts to %v, want %v", got, want)
	}
	for _, limit := range []int{1, 3, 10, 100} {
		if got := queryCandidates(t, h.Store, store.CandidateQuery{Limit: limit}); !slices.Equal(got, want) {
			t.Errorf("in pages of %d: %v\nwant %v", limit, got, want)
		}
	}
}

func testCandidateFilters(t *testing.T, h Harness) {
	cand := func(id, typ, party, severity string, at time.Duration) store.CandidateRecord {
		r := Candidate(id, severity, at)
		r.Type, r.Party = typ, party
		return withRevision(r, 1)
	}
	mustPutCandidates(t, h.Store,
		cand("f-shell-a-major", "shelling", "A", "major", 2*time.Hour),
		cand("f-shell-b-minor", "shelling", "B", "minor", 0),
		cand("f-fire-none-serious", "fire_across_line", "", "serious", time.Hour),
		cand("f-fire-a-serious", "fire_across_line", "A", "serious", 3*time.Hour),
		cand("f-move-none-minor", "movement", "", "minor", 4*time.Hour),
		cand("f-move-b-major", "movement", "B", "major", -time.Hour),
	)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	tests := []struct {
		name string
		q    store.CandidateQuery
		want []string
	}{
		{"all, in queue order", store.CandidateQuery{},
			[]string{"f-move-b-major", "f-shell-a-major", "f-fire-none-serious", "f-fire-a-serious", "f-shell-b-minor", "f-move-none-minor"}},
		{"from is inclusive", store.CandidateQuery{From: at(2 * time.Hour)},
			[]string{"f-shell-a-major", "f-fire-a-serious", "f-move-none-minor"}},
		{"to is exclusive", store.CandidateQuery{To: at(time.Hour)}, []string{"f-move-b-major", "f-shell-b-minor"}},
		{"from and to", store.CandidateQuery{From: base, To: at(3 * time.Hour)},
			[]string{"f-shell-a-major", "f-fire-none-serious", "f-shell-b-minor"}},
		{"empty window", store.CandidateQuery{From: at(time.Hour), To: at(time.Hour)}, nil},
		{"before everything", store.CandidateQuery{To: at(-time.Hour)}, nil},
		{"type", store.CandidateQuery{Type: "movement"}, []string{"f-move-b-major", "f-move-none-minor"}},
		{"unknown type", store.CandidateQuery{Type: "nope"}, nil},
		{"party", store.CandidateQuery{Party: "A"}, []string{"f-shell-a-major", "f-fire-a-serious"}},
		{"party none", store.CandidateQuery{Party: "none"}, []string{"f-fire-none-serious", "f-move-none-minor"}},
		{"unknown party", store.CandidateQuery{Party: "Z"}, nil},
		{"severity major", store.CandidateQuery{Severity: "major"}, []string{"f-move-b-major", "f-shell-a-major"}},
		{"severity serious", store.CandidateQuery{Severity: "serious"}, []string{"f-fire-none-serious", "f-fire-a-serious"}},
		{"severity minor", store.CandidateQuery{Severity: "minor"}, []string{"f-shell-b-minor", "f-move-none-minor"}},
		{"severity and time", store.CandidateQuery{Severity: "major", From: base}, []string{"f-shell-a-major"}},
		{"type and party", store.CandidateQuery{Type: "shelling", Party: "B"}, []string{"f-shell-b-minor"}},
		{"all together", store.CandidateQuery{Type: "fire_across_line", Party: "none", Severity: "serious", From: base, To: at(2 * time.Hour)},
			[]string{"f-fire-none-serious"}},
		{"all together, nothing", store.CandidateQuery{Type: "fire_across_line", Party: "none", Severity: "major"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 100
			p, err := h.Store.QueryCandidates(ctx(t), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := candidateIDs(p.Candidates); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if p.Next != nil {
				t.Errorf("next cursor on the only page")
			}
		})
	}
	for _, tc := range []struct {
		name string
		q    store.CandidateQuery
	}{
		{"limit 0", store.CandidateQuery{}},
		{"negative limit", store.CandidateQuery{Limit: -1}},
		{"unknown severity", store.CandidateQuery{Limit: 10, Severity: "grave"}},
		{"cursor with an unknown severity", store.CandidateQuery{Limit: 10, After: &store.CandidateCursor{Severity: "grave", Time: base, ID: "x"}}},
	} {
		if _, err := h.Store.QueryCandidates(ctx(t), tc.q); err == nil {
			t.Errorf("a query with %s must be refused", tc.name)
		}
	}
}

func testCandidatePagination(t *testing.T, h Harness) {
	severities := []string{"minor", "serious", "major"}
	var all []store.CandidateRecord
	for i := range 61 {
		// Ids out of queue order, and runs sharing a severity and a time,
		// so that the cursor must break ties by id and cross severities.
		r := Candidate(fmt.Sprintf("p-%02d", (i*23)%61), severities[i%3], time.Duration(i/6)*time.Minute)
		if i%4 == 0 {
			r.Type = "shelling"
		}
		if i%5 == 0 {
			r.Party = "A"
		}
		all = append(all, withRevision(r, 1))
	}
	mustPutCandidates(t, h.Store, all...)
	from, to := base.Add(2*time.Minute), base.Add(8*time.Minute)
	for _, tc := range []struct {
		name  string
		q     store.CandidateQuery
		match func(store.CandidateRecord) bool
	}{
		{"all", store.CandidateQuery{Limit: 10}, func(store.CandidateRecord) bool { return true }},
		{"one a page", store.CandidateQuery{Limit: 1}, func(store.CandidateRecord) bool { return true }},
		{"a page of all but one", store.CandidateQuery{Limit: 60}, func(store.CandidateRecord) bool { return true }},
		{"a page of exactly all", store.CandidateQuery{Limit: 61}, func(store.CandidateRecord) bool { return true }},
		{"type and window", store.CandidateQuery{Limit: 3, Type: "fire_across_line", From: from, To: to},
			func(r store.CandidateRecord) bool {
				return r.Type == "fire_across_line" && !r.Time.Before(from) && r.Time.Before(to)
			}},
		{"party none", store.CandidateQuery{Limit: 4, Party: "none"}, func(r store.CandidateRecord) bool { return r.Party == "" }},
		{"severity", store.CandidateQuery{Limit: 4, Severity: "serious"}, func(r store.CandidateRecord) bool { return r.Severity == "serious" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []store.CandidateRecord
			for _, r := range all {
				if tc.match(r) {
					want = append(want, r)
				}
			}
			slices.SortFunc(want, byQueue)
			got := queryCandidates(t, h.Store, tc.q)
			if w := candidateIDs(want); !slices.Equal(got, w) {
				t.Errorf("paged through %v\nwant %v", got, w)
			}
		})
	}
	// A full page that holds the last candidate is the last page.
	p, err := h.Store.QueryCandidates(ctx(t), store.CandidateQuery{Limit: 61})
	if err != nil {
		t.Fatal(err)
	}
	if p.Next != nil {
		t.Errorf("a page holding every candidate has a next cursor %+v", p.Next)
	}
}

// testCandidateIncident checks the candidates of one incident: exactly
// those that rest on it, current ones only (a part split off included),
// with the other filters and a reader's labels, in the queue's order and
// in pages of every size.
func testCandidateIncident(t *testing.T, h Harness) {
	s := h.Store
	on := func(incident, id, severity, party string, at time.Duration, l label.Label) store.CandidateRecord {
		r := Candidate(id, severity, at)
		r.Incident, r.Party, r.Label = incident, party, l
		return withRevision(r, 1)
	}
	public := label.PublicLabel()
	forFRA := label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}
	forGBR := label.Label{Classification: label.Restricted, RelTo: []string{"GBR"}}
	x := []store.CandidateRecord{
		on("inc-x", "x-major", "major", "A", time.Hour, public),
		on("inc-x", "x-serious-fra", "serious", "A", 0, forFRA),
		on("inc-x", "x-minor-gbr", "minor", "", 2*time.Hour, forGBR),
		on("inc-x", "x-minor-early", "minor", "", -time.Hour, public),
		on("inc-x", "x-withdrawn", "major", "A", 0, public),
	}
	// Another incident's candidates fall between incident x's in the
	// queue's order, and one incident's id begins with the other's.
	others := []store.CandidateRecord{
		on("inc-y", "y-major", "major", "B", 30*time.Minute, public),
		on("inc-y", "y-serious", "serious", "", 0, forFRA),
		on("inc-y", "y-minor", "minor", "B", 90*time.Minute, public),
		on("inc-x0", "x0-major", "major", "A", -2*time.Hour, public),
	}
	mustPutCandidates(t, s, append(slices.Clone(x), others...)...)
	// The rules no longer find x-withdrawn; an analyst split x-major.
	if err := s.PutCandidates(ctx(t), []string{"inc-x"}, x[:4]); err != nil {
		t.Fatal(err)
	}
	part := on("inc-x", "x-major.split-1.1", "major", "A", time.Hour, public)
	part.SplitFrom = "x-major"
	mustPutCandidates(t, s, part)
	if _, err := s.AddAction(ctx(t), action("inc-ask", "x-minor-early", 1, "ana", "FRA"), string(verify.MoreInformation)); err != nil {
		t.Fatal(err)
	}

	scheme := label.DefaultScheme()
	fra := scheme.VisibilityFor("FRA", label.Restricted)
	gbr := scheme.VisibilityFor("GBR", label.Secret)
	publicOnly := scheme.VisibilityFor("FRA", label.Public)
	nobody := label.Visibility{Nation: "FRA"}
	allX := []string{"x-major", "x-major.split-1.1", "x-serious-fra", "x-minor-early", "x-minor-gbr"}
	tests := []struct {
		name string
		q    store.CandidateQuery
		want []string
	}{
		{"one incident's, in queue order", store.CandidateQuery{Incident: "inc-x"}, allX},
		{"another's", store.CandidateQuery{Incident: "inc-y"}, []string{"y-major", "y-serious", "y-minor"}},
		{"an id that begins with another's", store.CandidateQuery{Incident: "inc-x0"}, []string{"x0-major"}},
		{"the start of an id", store.CandidateQuery{Incident: "inc-"}, nil},
		{"an id in other capitals", store.CandidateQuery{Incident: "INC-X"}, nil},
		{"no such incident", store.CandidateQuery{Incident: "inc-none"}, nil},
		{"a reader of FRA", store.CandidateQuery{Incident: "inc-x", Visible: &fra},
			[]string{"x-major", "x-major.split-1.1", "x-serious-fra", "x-minor-early"}},
		{"a reader of GBR", store.CandidateQuery{Incident: "inc-x", Visible: &gbr},
			[]string{"x-major", "x-major.split-1.1", "x-minor-early", "x-minor-gbr"}},
		{"a reader of public records only", store.CandidateQuery{Incident: "inc-x", Visible: &publicOnly},
			[]string{"x-major", "x-major.split-1.1", "x-minor-early"}},
		{"a reader who may see nothing", store.CandidateQuery{Incident: "inc-x", Visible: &nobody}, nil},
		{"a reader of GBR, another incident", store.CandidateQuery{Incident: "inc-y", Visible: &gbr}, []string{"y-major", "y-minor"}},
		{"and a state", store.CandidateQuery{Incident: "inc-x", State: string(verify.MoreInformation)}, []string{"x-minor-early"}},
		{"and a state another incident's candidates are not in", store.CandidateQuery{Incident: "inc-y", State: string(verify.MoreInformation)}, nil},
		{"and open", store.CandidateQuery{Incident: "inc-x", State: string(verify.Open)},
			[]string{"x-major", "x-major.split-1.1", "x-serious-fra", "x-minor-gbr"}},
		{"and a severity", store.CandidateQuery{Incident: "inc-x", Severity: "minor"}, []string{"x-minor-early", "x-minor-gbr"}},
		{"and a party", store.CandidateQuery{Incident: "inc-x", Party: "A"}, []string{"x-major", "x-major.split-1.1", "x-serious-fra"}},
		{"and not attributable", store.CandidateQuery{Incident: "inc-x", Party: "none"}, []string{"x-minor-early", "x-minor-gbr"}},
		{"and a party of another incident", store.CandidateQuery{Incident: "inc-x", Party: "B"}, nil},
		{"and a type", store.CandidateQuery{Incident: "inc-x", Type: "fire_across_line"}, allX},
		{"and a window", store.CandidateQuery{Incident: "inc-x", From: base, To: base.Add(2 * time.Hour)},
			[]string{"x-major", "x-major.split-1.1", "x-serious-fra"}},
		{"and a reader and a party", store.CandidateQuery{Incident: "inc-x", Party: "A", Visible: &gbr}, []string{"x-major", "x-major.split-1.1"}},
		{"withdrawn ones too", store.CandidateQuery{Incident: "inc-x", Withdrawn: true}, append([]string{"x-withdrawn"}, allX...)},
		{"withdrawn ones too, for a reader of GBR", store.CandidateQuery{Incident: "inc-x", Withdrawn: true, Visible: &gbr},
			[]string{"x-withdrawn", "x-major", "x-major.split-1.1", "x-minor-early", "x-minor-gbr"}},
		{"withdrawn ones too, where none is", store.CandidateQuery{Incident: "inc-y", Withdrawn: true}, []string{"y-major", "y-serious", "y-minor"}},
		{"withdrawn ones too, and a severity", store.CandidateQuery{Incident: "inc-x", Withdrawn: true, Severity: "major"},
			[]string{"x-withdrawn", "x-major", "x-major.split-1.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 100} {
				tc.q.Limit = limit
				if got := queryCandidates(t, s, tc.q); !slices.Equal(got, tc.want) {
					t.Errorf("in pages of %d: %v\nwant %v", limit, got, tc.want)
				}
			}
		})
	}
	// A page's cursor carries on within the incident: the first page of
	// two, then the rest.
	first, err := s.QueryCandidates(ctx(t), store.CandidateQuery{Incident: "inc-x", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := candidateIDs(first.Candidates); !slices.Equal(got, allX[:2]) || first.Next == nil {
		t.Fatalf("first page of 2 = %v (next %v), want %v and a cursor", got, first.Next, allX[:2])
	}
	rest, err := s.QueryCandidates(ctx(t), store.CandidateQuery{Incident: "inc-x", Limit: 100, After: first.Next})
	if err != nil {
		t.Fatal(err)
	}
	if got := candidateIDs(rest.Candidates); !slices.Equal(got, allX[2:]) || rest.Next != nil {
		t.Errorf("after the first page = %v (next %v), want %v and no cursor", got, rest.Next, allX[2:])
	}
}

// testCandidateVisibility stores candidates with random labels and checks,
// for readers of every nation and clearance, that queries,
// CandidatesSince and Candidate return exactly the candidates
// Visibility.Allows, and that a hidden candidate is reported exactly as a
// missing one.
func testCandidateVisibility(t *testing.T, h Harness) {
	rng := rand.New(rand.NewPCG(19, 23))
	nations := []string{"FRA", "GBR", "DEU", "POL", "UKR"}
	severities := []string{"minor", "serious", "major"}
	scheme := label.DefaultScheme()
	var all []store.CandidateRecord
	for i := range 120 {
		r := Candidate(fmt.Sprintf("vis-%03d", i), severities[rng.IntN(3)], time.Duration(rng.IntN(600))*time.Minute)
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
			// Released to no nation: visible to no one.
			r.Label = label.Label{Classification: label.Restricted}
		}
		all = append(all, r)
	}
	mustPutCandidates(t, h.Store, all...)
	bySeq := candidatesSince(t, h.Store, 0, nil, 1000)
	if got, want := candidateIDs(bySeq), candidateIDs(all); !slices.Equal(got, want) {
		t.Fatalf("CandidatesSince(0) = %v\nwant the order of the batch, %v", got, want)
	}
	_, missing := h.Store.Candidate(ctx(t), "vis-missing", nil)
	if !errors.Is(missing, store.ErrNotFound) {
		t.Fatalf("Candidate(vis-missing) = %v, want ErrNotFound", missing)
	}

	for _, nation := range append(nations, "USA", "") {
		for _, clearance := range scheme.Levels {
			v := scheme.VisibilityFor(nation, clearance)
			var wantSince []store.CandidateRecord
			for _, r := range all {
				if v.Allows(r.Label) {
					wantSince = append(wantSince, r)
				}
			}
			wantListed := slices.Clone(wantSince)
			slices.SortFunc(wantListed, byQueue)
			who := fmt.Sprintf("nation %q cleared %s", nation, clearance)

			if got, want := queryCandidates(t, h.Store, store.CandidateQuery{Visible: &v, Limit: 7}), candidateIDs(wantListed); !slices.Equal(got, want) {
				t.Errorf("%s: query returned %v\nwant %v", who, got, want)
			}
			if got, want := candidateIDs(candidatesSince(t, h.Store, 0, &v, 5)), candidateIDs(wantSince); !slices.Equal(got, want) {
				t.Errorf("%s: CandidatesSince returned %v\nwant %v", who, got, want)
			}
			for _, r := range all {
				got, err := h.Store.Candidate(ctx(t), r.ID, &v)
				switch {
				case v.Allows(r.Label) && err != nil:
					t.Errorf("%s: Candidate(%s) labelled %v: %v", who, r.ID, r.Label, err)
				case v.Allows(r.Label) && got.ID != r.ID:
					t.Errorf("%s: Candidate(%s) returned %s", who, r.ID, got.ID)
				case !v.Allows(r.Label) && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s: Candidate(%s) labelled %v = %v, want ErrNotFound", who, r.ID, r.Label, err)
				case !v.Allows(r.Label):
					// Hidden must read as missing, but for the id.
					if hidden, absent := strings.ReplaceAll(err.Error(), r.ID, "ID"), strings.ReplaceAll(missing.Error(), "vis-missing", "ID"); hidden != absent {
						t.Errorf("%s: a hidden candidate reads %q, a missing one %q", who, hidden, absent)
					}
				}
			}
		}
	}

	none := label.Visibility{Nation: "FRA"}
	if got := queryCandidates(t, h.Store, store.CandidateQuery{Visible: &none, Limit: 10}); len(got) != 0 {
		t.Errorf("a reader cleared for nothing listed %v", got)
	}
	if got := candidatesSince(t, h.Store, 0, &none, 10); len(got) != 0 {
		t.Errorf("a reader cleared for nothing followed %v", candidateIDs(got))
	}
	if _, err := h.Store.Candidate(ctx(t), all[0].ID, &none); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reader cleared for nothing read %s: %v", all[0].ID, err)
	}
}

func testCandidateBadInputs(t *testing.T, h Harness) {
	tests := []struct {
		name string
		bad  func(*store.CandidateRecord)
	}{
		{"empty id", func(r *store.CandidateRecord) { r.ID = "" }},
		{"empty type", func(r *store.CandidateRecord) { r.Type = "" }},
		{"empty incident", func(r *store.CandidateRecord) { r.Incident = "" }},
		{"empty severity", func(r *store.CandidateRecord) { r.Severity = "" }},
		{"unknown severity", func(r *store.CandidateRecord) { r.Severity = "grave" }},
		{"severity in capitals", func(r *store.CandidateRecord) { r.Severity = "Major" }},
		{"no time", func(r *store.CandidateRecord) { r.Time = time.Time{} }},
		{"time before 1678", func(r *store.CandidateRecord) { r.Time = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"time after 2262", func(r *store.CandidateRecord) { r.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"label without classification", func(r *store.CandidateRecord) { r.Label = label.Label{RelTo: []string{"FRA"}} }},
		{"rel_to not a nation", func(r *store.CandidateRecord) {
			r.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA,GBR"}}
		}},
		{"feature not JSON", func(r *store.CandidateRecord) { r.Feature = []byte(`{"type":"Feature"`) }},
		{"no feature", func(r *store.CandidateRecord) { r.Feature = nil }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := Candidate(fmt.Sprintf("good-%02d", i), "major", 0)
			bad := Candidate(fmt.Sprintf("bad-%02d", i), "major", 0)
			tc.bad(&bad)
			err := h.Store.PutCandidates(ctx(t), nil, []store.CandidateRecord{good, bad})
			if err == nil {
				t.Fatalf("PutCandidates accepted %+v", bad)
			}
			if bad.ID != "" && !strings.Contains(err.Error(), bad.ID) {
				t.Errorf("error %q does not name the bad candidate %s", err, bad.ID)
			}
			if !strings.Contains(err.Error(), "#1") {
				t.Errorf("error %q does not give the bad candidate's index, #1", err)
			}
			if _, err := h.Store.Candidate(ctx(t), good.ID, nil); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the good candidate of a batch with a bad one was written: %v", err)
			}
		})
	}
	if got := candidatesSince(t, h.Store, 0, nil, 100); len(got) != 0 {
		t.Errorf("bad batches wrote %v", candidateIDs(got))
	}
	if seq := mustLastCandidateSeq(t, h.Store); seq != 0 {
		t.Errorf("bad batches moved LastCandidateSeq to %d", seq)
	}
}

func testCandidatesSince(t *testing.T, h Harness) {
	s := h.Store
	if last := mustLastCandidateSeq(t, s); last != 0 {
		t.Fatalf("LastCandidateSeq of an empty store = %d; want 0", last)
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.CandidatesSince(ctx(t), 0, nil, limit); err == nil {
			t.Errorf("CandidatesSince with limit %d must be refused", limit)
		}
	}
	a, b, c := Candidate("s-a", "minor", 3*time.Hour), Candidate("s-b", "major", 2*time.Hour), Candidate("s-c", "serious", time.Hour)
	d, e := Candidate("s-d", "major", 0), Candidate("s-e", "minor", 5*time.Hour)
	mustPutCandidates(t, s, a, b, c)
	mustPutCandidates(t, s, d, e)
	mustPutCandidates(t, s, withRevision(a, 2))
	all := candidatesSince(t, s, 0, nil, 100)
	if last := mustLastCandidateSeq(t, s); last != all[len(all)-1].Seq {
		t.Errorf("LastCandidateSeq = %d; want %d, the seq of the last write", last, all[len(all)-1].Seq)
	}
	// Write order, whatever the times and severities: the rewrite of s-a
	// comes last.
	if got, want := candidateIDs(all), []string{"s-b", "s-c", "s-d", "s-e", "s-a"}; !slices.Equal(got, want) {
		t.Fatalf("CandidatesSince(0) = %v, want %v", got, want)
	}
	for _, r := range all {
		if got := mustCandidate(t, s, r.ID); got.Seq != r.Seq || string(got.Feature) != string(r.Feature) {
			t.Errorf("%s: CandidatesSince has seq %d, Candidate seq %d", r.ID, r.Seq, got.Seq)
		}
	}
	for limit := 1; limit <= 6; limit++ {
		first, err := s.CandidatesSince(ctx(t), 0, nil, limit)
		if err != nil {
			t.Fatal(err)
		}
		if n := min(limit, len(all)); len(first) != n {
			t.Errorf("CandidatesSince(0, limit %d) returned %d, want %d", limit, len(first), n)
		}
		if got := candidatesSince(t, s, 0, nil, limit); !slices.Equal(candidateIDs(got), candidateIDs(all)) {
			t.Errorf("in pages of %d: %v, want %v", limit, candidateIDs(got), candidateIDs(all))
		}
	}
	if got := candidateIDs(candidatesSince(t, s, all[1].Seq, nil, 100)); !slices.Equal(got, candidateIDs(all[2:])) {
		t.Errorf("CandidatesSince(seq of %s) = %v, want %v", all[1].ID, got, candidateIDs(all[2:]))
	}
	// Finding the same candidates again writes nothing, so a follower sees
	// nothing new.
	last := all[len(all)-1].Seq
	mustPutCandidates(t, s, withRevision(a, 2), b, c, d, e)
	if got := candidatesSince(t, s, last, nil, 100); len(got) != 0 {
		t.Errorf("putting the same candidates again made changes %v", candidateIDs(got))
	}
	if seq := mustLastCandidateSeq(t, s); seq != last {
		t.Errorf("putting the same candidates again moved LastCandidateSeq from %d to %d", last, seq)
	}
}

func testCandidatesDurable(t *testing.T, h Harness) {
	a, b := Candidate("dur-a", "major", 0), Candidate("dur-b", "minor", time.Minute)
	b.Party, b.Label = "B", label.Label{Classification: label.Confidential, RelTo: []string{"POL"}}
	b = withRevision(b, 1)
	mustPutCandidates(t, h.Store, a, b)
	before := candidatesSince(t, h.Store, 0, nil, 10)
	s := h.Reopen()
	after := candidatesSince(t, s, 0, nil, 10)
	if len(after) != len(before) {
		t.Fatalf("after reopen: %d candidates, want %d", len(after), len(before))
	}
	for i := range before {
		if d := candidateDiff(after[i], before[i]); d != "" || after[i].Seq != before[i].Seq {
			t.Errorf("after reopen, %s: %s; seq %d, want %d", before[i].ID, d, after[i].Seq, before[i].Seq)
		}
	}
	last := before[len(before)-1].Seq
	mustPutCandidates(t, s, a, b)
	if got := candidatesSince(t, s, last, nil, 10); len(got) != 0 {
		t.Errorf("putting the same candidates after reopen made changes %v", candidateIDs(got))
	}
	mustPutCandidates(t, s, withRevision(a, 2))
	if got := mustCandidate(t, s, "dur-a"); got.Seq <= last {
		t.Errorf("a write after reopen got seq %d, want more than %d", got.Seq, last)
	}
}

package storetest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/store"
)

// restrictionTests are the conformance tests of store.Restrictions, each
// run on a fresh store.
var restrictionTests = []struct {
	name string
	fn   func(t *testing.T, h Harness)
}{
	{"RestrictionRoundTrip", testRestrictionRoundTrip},
	{"RestrictionDuplicates", testRestrictionDuplicates},
	{"RestrictionLog", testRestrictionLog},
	{"RestrictionConcurrentAdds", testRestrictionConcurrentAdds},
	{"RestrictionFilters", testRestrictionFilters},
	{"RestrictionPagination", testRestrictionPagination},
	{"RestrictionVisibility", testRestrictionVisibility},
	{"RestrictionCounts", testRestrictionCounts},
	{"RestrictionBadInputs", testRestrictionBadInputs},
	{"RestrictionsDurable", testRestrictionsDurable},
}

// Restriction returns a valid public restriction with the given id: a
// patrol of four delayed for 30 minutes by party A at 37.5, 48.1, at the
// given offset from 2026-11-21T00:00:00Z.
func Restriction(id string, at time.Duration) restriction.Restriction {
	return restriction.Restriction{
		ID:         id,
		Time:       base.Add(at),
		Position:   geo.LonLat{Lon: 37.5, Lat: 48.1},
		Checkpoint: "checkpoint " + id,
		Party:      "A",
		Delay:      30 * time.Minute,
		PatrolSize: 4,
		Label:      label.PublicLabel(),
	}
}

func mustAddRestrictions(t *testing.T, s store.Store, submitter string, rs ...restriction.Restriction) []store.Outcome {
	t.Helper()
	out, err := s.AddRestrictions(ctx(t), submitter, rs)
	if err != nil {
		t.Fatalf("AddRestrictions: %v", err)
	}
	if len(out) != len(rs) {
		t.Fatalf("AddRestrictions returned %d outcomes for %d restrictions", len(out), len(rs))
	}
	return out
}

func mustRestriction(t *testing.T, s store.Store, id string) store.RestrictionRecord {
	t.Helper()
	r, err := s.Restriction(ctx(t), id, nil)
	if err != nil {
		t.Fatalf("Restriction(%s): %v", id, err)
	}
	return r
}

// queryRestrictions returns the ids of every restriction matching q, read
// in pages of q.Limit, checking that every page but the last is full.
func queryRestrictions(t *testing.T, s store.Store, q store.RestrictionQuery) []string {
	t.Helper()
	var out []string
	for range 10_000 {
		p, err := s.QueryRestrictions(ctx(t), q)
		if err != nil {
			t.Fatalf("QueryRestrictions: %v", err)
		}
		if p.Next != nil && len(p.Restrictions) != q.Limit {
			t.Fatalf("a page of %d before the last, want %d", len(p.Restrictions), q.Limit)
		}
		if len(p.Restrictions) > q.Limit {
			t.Fatalf("a page of %d, more than the limit %d", len(p.Restrictions), q.Limit)
		}
		for _, r := range p.Restrictions {
			out = append(out, r.Restriction.ID)
		}
		if p.Next == nil {
			return out
		}
		q.After = p.Next
	}
	t.Fatal("QueryRestrictions pagination does not end")
	return nil
}

// restrictionIDs returns the ids of rs.
func restrictionIDs(rs []restriction.Restriction) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// newestFirst orders restrictions as QueryRestrictions returns them.
func newestFirst(a, b restriction.Restriction) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// canonical returns r as Parse would give it back from its canonical
// bytes: in UTC, its label's nations sorted.
func canonical(r restriction.Restriction) restriction.Restriction {
	r.Time = r.Time.UTC()
	r.Label = r.Label.Normalize()
	return r
}

// checkRestrictionRecord checks a record against the restriction it
// stores: its canonical bytes, the restriction read back, its label and
// its submitter.
func checkRestrictionRecord(t *testing.T, how string, got store.RestrictionRecord, want restriction.Restriction, submitter string) {
	t.Helper()
	body, err := restriction.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Feature, body) {
		t.Errorf("%s %s: feature\n%s\nwant the canonical bytes\n%s", how, want.ID, got.Feature, body)
	}
	if !reflect.DeepEqual(got.Restriction, canonical(want)) {
		t.Errorf("%s %s: restriction %+v\nwant %+v", how, want.ID, got.Restriction, canonical(want))
	}
	if l := canonical(want).Label; got.Label.Classification != l.Classification || !slices.Equal(got.Label.RelTo, l.RelTo) {
		t.Errorf("%s %s: label %v, want %v", how, want.ID, got.Label, l)
	}
	if got.Submitter != submitter {
		t.Errorf("%s %s: submitter %q, want %q", how, want.ID, got.Submitter, submitter)
	}
	if got.Seq <= 0 || got.ReceivedAt.IsZero() {
		t.Errorf("%s %s: seq %d, received at %v; want both set", how, want.ID, got.Seq, got.ReceivedAt)
	}
}

func testRestrictionRoundTrip(t *testing.T, h Harness) {
	s := h.Store
	full := restriction.Restriction{
		ID:         "rt-full",
		Time:       time.Date(2026, 11, 21, 11, 40, 12, 123456789, time.FixedZone("EET", 2*3600)),
		Position:   geo.LonLat{Lon: 37.8123, Lat: 48.0456},
		Checkpoint: "Checkpoint 4",
		Party:      "B",
		Denied:     true,
		Delay:      95*time.Minute + time.Nanosecond,
		Reason:     "No permission from the commander.",
		PatrolSize: 6,
		Notes:      "Turned back after waiting.",
		Label:      label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}},
	}
	bare := restriction.Restriction{ID: "rt-bare", Time: base, Denied: true, PatrolSize: 1, Label: label.PublicLabel()}
	if got := mustAddRestrictions(t, s, "monitor-7", full, bare); !slices.Equal(got, []store.Outcome{store.Added, store.Added}) {
		t.Fatalf("outcomes = %v, want both added", got)
	}
	for _, want := range []restriction.Restriction{full, bare} {
		checkRestrictionRecord(t, "Restriction", mustRestriction(t, s, want.ID), want, "monitor-7")
	}
	p, err := s.QueryRestrictions(ctx(t), store.RestrictionQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Restrictions) != 2 || p.Next != nil {
		t.Fatalf("QueryRestrictions returned %d, next %v; want 2 on one page", len(p.Restrictions), p.Next)
	}
	for _, got := range p.Restrictions {
		want := map[string]restriction.Restriction{full.ID: full, bare.ID: bare}[got.Restriction.ID]
		checkRestrictionRecord(t, "QueryRestrictions", got, want, "monitor-7")
		if one := mustRestriction(t, s, want.ID); one.Seq != got.Seq || one.Leaf != got.Leaf || !one.ReceivedAt.Equal(got.ReceivedAt) {
			t.Errorf("%s: the query and Restriction disagree: %+v and %+v", want.ID, got, one)
		}
	}
	if _, err := s.Restriction(ctx(t), "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Restriction(nope) error = %v, want ErrNotFound", err)
	}
	if out, err := s.AddRestrictions(ctx(t), "monitor-7", nil); err != nil || len(out) != 0 {
		t.Errorf("AddRestrictions of nothing = %v, %v", out, err)
	}
}

func testRestrictionDuplicates(t *testing.T, h Harness) {
	s := h.Store
	a, b := Restriction("dup-a", 0), Restriction("dup-b", time.Minute)
	mustAddRestrictions(t, s, "first", a)
	changed := a
	changed.Denied, changed.Reason, changed.Party = true, "another story", "B" // the same id: the first one stays
	got := mustAddRestrictions(t, s, "second", changed, b, b)
	if want := []store.Outcome{store.Duplicate, store.Added, store.Duplicate}; !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
	checkRestrictionRecord(t, "after a duplicate", mustRestriction(t, s, a.ID), a, "first")
	checkRestrictionRecord(t, "added with duplicates", mustRestriction(t, s, b.ID), b, "second")
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != 2 {
		t.Errorf("log size %d after two distinct restrictions, want 2", head.Size)
	}
	counts, err := s.CountRestrictions(ctx(t), time.Time{}, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := restriction.Count([]restriction.Restriction{a, b}); !slices.Equal(counts, want) {
		t.Errorf("counts after duplicates = %+v, want %+v", counts, want)
	}
}

// testRestrictionLog checks that every added restriction is logged once,
// among observations, under the hash of its canonical bytes, at the leaf
// its record names.
func testRestrictionLog(t *testing.T, h Harness) {
	s := h.Store
	type logged struct{ kind, id string }
	var want []logged
	for i := range 6 {
		if i%2 == 0 {
			o := Obs(fmt.Sprintf("rl-obs-%d", i), 37, 48, time.Duration(i)*time.Second)
			mustAdd(t, s, o)
			want = append(want, logged{store.KindObservation, o.ID})
			continue
		}
		r1, r2 := Restriction(fmt.Sprintf("rl-%d-a", i), time.Duration(i)*time.Minute), Restriction(fmt.Sprintf("rl-%d-b", i), time.Duration(i)*time.Minute)
		mustAddRestrictions(t, s, "m", r1, r2, r1)
		want = append(want, logged{store.KindRestriction, r1.ID}, logged{store.KindRestriction, r2.ID})
	}
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != uint64(len(want)) {
		t.Fatalf("log size %d, want %d: one leaf per record", head.Size, len(want))
	}
	var leaves [][]byte
	for i, w := range want {
		e, err := s.LogEntry(ctx(t), uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != w.kind || e.Record != w.id {
			t.Fatalf("leaf %d logs %s %s, want %s %s", i, e.Kind, e.Record, w.kind, w.id)
		}
		leaves = append(leaves, e.LeafHash)
		if w.kind != store.KindRestriction {
			continue
		}
		r := mustRestriction(t, s, w.id)
		if r.Leaf != uint64(i) {
			t.Errorf("restriction %s has leaf %d, the log has it at %d", w.id, r.Leaf, i)
		}
		if h := ledger.RecordHash(store.KindRestriction, r.Feature); !bytes.Equal(e.LeafHash, h) {
			t.Errorf("leaf %d hash %x is not the hash of the stored restriction (%x)", i, e.LeafHash, h)
		}
	}
	if r := rootOf(leaves); !bytes.Equal(head.Root, r) {
		t.Errorf("log root %x is not the Merkle root of its leaves %x", head.Root, r)
	}
}

// testRestrictionConcurrentAdds adds overlapping batches from several
// goroutines: each id is added once, and logged once.
func testRestrictionConcurrentAdds(t *testing.T, h Harness) {
	const writers, perWriter = 4, 40
	added := make([]int, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				batch := []restriction.Restriction{
					Restriction(fmt.Sprintf("ca-%d-%d", w, i), time.Duration(i)*time.Second),
					Restriction(fmt.Sprintf("ca-shared-%d", i), time.Duration(i)*time.Second),
				}
				out, err := h.Store.AddRestrictions(ctx(t), fmt.Sprintf("writer-%d", w), batch)
				if err != nil {
					t.Errorf("AddRestrictions: %v", err)
					return
				}
				for _, o := range out {
					if o == store.Added {
						added[w]++
					}
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range added {
		total += n
	}
	if want := writers*perWriter + perWriter; total != want {
		t.Errorf("%d added, want %d: every id once", total, want)
	}
	head, err := h.Store.LogHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != uint64(total) {
		t.Errorf("log size %d, want %d", head.Size, total)
	}
}

// filterWorld stores restrictions of several parties, outcomes, places and
// times, for the filter tests.
func filterWorld(t *testing.T, s store.Store) []restriction.Restriction {
	at := func(id, party string, denied bool, lon, lat float64, offset time.Duration) restriction.Restriction {
		r := Restriction(id, offset)
		r.Party, r.Denied, r.Position = party, denied, geo.LonLat{Lon: lon, Lat: lat}
		return r
	}
	all := []restriction.Restriction{
		at("f-a-1", "A", false, 37.2, 48.2, 0),
		at("f-a-2", "A", true, 37.8, 48.6, time.Hour),
		at("f-b-1", "B", false, 37.4, 48.4, 2*time.Hour),
		at("f-b-2", "B", true, 38.2, 47.9, 3*time.Hour),
		at("f-x-1", "", true, 37.1, 48.1, 4*time.Hour),
		at("f-x-2", "", false, 179.5, 10, 5*time.Hour),
		at("f-b-3", "B", false, -179.5, 10, -time.Hour),
	}
	mustAddRestrictions(t, s, "m", all...)
	return all
}

func testRestrictionFilters(t *testing.T, h Harness) {
	all := filterWorld(t, h.Store)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	tests := []struct {
		name  string
		q     store.RestrictionQuery
		match func(restriction.Restriction) bool
	}{
		{"everything", store.RestrictionQuery{}, func(restriction.Restriction) bool { return true }},
		{"from is inclusive", store.RestrictionQuery{From: at(2 * time.Hour)}, func(r restriction.Restriction) bool { return !r.Time.Before(at(2 * time.Hour)) }},
		{"to is exclusive", store.RestrictionQuery{To: at(time.Hour)}, func(r restriction.Restriction) bool { return r.Time.Before(at(time.Hour)) }},
		{"empty window", store.RestrictionQuery{From: at(time.Hour), To: at(time.Hour)}, func(restriction.Restriction) bool { return false }},
		{"party", store.RestrictionQuery{Party: "B"}, func(r restriction.Restriction) bool { return r.Party == "B" }},
		{"party none", store.RestrictionQuery{Party: "none"}, func(r restriction.Restriction) bool { return r.Party == "" }},
		{"unknown party", store.RestrictionQuery{Party: "Z"}, func(restriction.Restriction) bool { return false }},
		{"box", store.RestrictionQuery{BBox: &[4]float64{37, 48, 37.5, 48.5}}, func(r restriction.Restriction) bool {
			return r.Position.Lon >= 37 && r.Position.Lon <= 37.5 && r.Position.Lat >= 48 && r.Position.Lat <= 48.5
		}},
		{"box across the antimeridian", store.RestrictionQuery{BBox: &[4]float64{179, 0, -179, 20}}, func(r restriction.Restriction) bool {
			return (r.Position.Lon >= 179 || r.Position.Lon <= -179) && r.Position.Lat >= 0 && r.Position.Lat <= 20
		}},
		{"party and window", store.RestrictionQuery{Party: "B", From: base, To: at(3 * time.Hour)}, func(r restriction.Restriction) bool {
			return r.Party == "B" && !r.Time.Before(base) && r.Time.Before(at(3*time.Hour))
		}},
		{"all together", store.RestrictionQuery{Party: "none", From: at(4 * time.Hour), BBox: &[4]float64{37, 48, 38, 49}}, func(r restriction.Restriction) bool {
			return r.ID == "f-x-1"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []restriction.Restriction
			for _, r := range all {
				if tc.match(r) {
					want = append(want, r)
				}
			}
			slices.SortFunc(want, newestFirst)
			tc.q.Limit = 100
			if got := queryRestrictions(t, h.Store, tc.q); !slices.Equal(got, restrictionIDs(want)) {
				t.Errorf("got %v, want %v", got, restrictionIDs(want))
			}
		})
	}
	for _, limit := range []int{0, -1} {
		if _, err := h.Store.QueryRestrictions(ctx(t), store.RestrictionQuery{Limit: limit}); err == nil {
			t.Errorf("a query with limit %d must be refused", limit)
		}
	}
}

func testRestrictionPagination(t *testing.T, h Harness) {
	var all []restriction.Restriction
	for i := range 61 {
		// Ids out of order, and runs sharing a time, so that the cursor
		// must break ties by id.
		r := Restriction(fmt.Sprintf("p-%02d", (i*23)%61), time.Duration(i/6)*time.Minute)
		if i%4 == 0 {
			r.Party = "B"
		}
		if i%5 == 0 {
			r.Party = ""
		}
		all = append(all, r)
	}
	mustAddRestrictions(t, h.Store, "m", all...)
	from, to := base.Add(2*time.Minute), base.Add(8*time.Minute)
	for _, tc := range []struct {
		name  string
		q     store.RestrictionQuery
		match func(restriction.Restriction) bool
	}{
		{"all", store.RestrictionQuery{Limit: 10}, func(restriction.Restriction) bool { return true }},
		{"one a page", store.RestrictionQuery{Limit: 1}, func(restriction.Restriction) bool { return true }},
		{"a page of all but one", store.RestrictionQuery{Limit: 60}, func(restriction.Restriction) bool { return true }},
		{"a page of exactly all", store.RestrictionQuery{Limit: 61}, func(restriction.Restriction) bool { return true }},
		{"party and window", store.RestrictionQuery{Limit: 3, Party: "A", From: from, To: to}, func(r restriction.Restriction) bool {
			return r.Party == "A" && !r.Time.Before(from) && r.Time.Before(to)
		}},
		{"party none", store.RestrictionQuery{Limit: 4, Party: "none"}, func(r restriction.Restriction) bool { return r.Party == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []restriction.Restriction
			for _, r := range all {
				if tc.match(r) {
					want = append(want, r)
				}
			}
			slices.SortFunc(want, newestFirst)
			if got := queryRestrictions(t, h.Store, tc.q); !slices.Equal(got, restrictionIDs(want)) {
				t.Errorf("paged through %v\nwant %v", got, restrictionIDs(want))
			}
		})
	}
	p, err := h.Store.QueryRestrictions(ctx(t), store.RestrictionQuery{Limit: 61})
	if err != nil {
		t.Fatal(err)
	}
	if p.Next != nil {
		t.Errorf("a page holding every restriction has a next cursor %+v", p.Next)
	}
}

// testRestrictionVisibility stores restrictions with random labels and
// checks, for readers of every nation and clearance, that queries,
// Restriction and CountRestrictions see exactly the restrictions
// Visibility.Allows, and that a hidden restriction reads as a missing one.
func testRestrictionVisibility(t *testing.T, h Harness) {
	rng := rand.New(rand.NewPCG(29, 31))
	nations := []string{"FRA", "GBR", "DEU", "POL", "UKR"}
	parties := []string{"", "A", "B"}
	scheme := label.DefaultScheme()
	var all []restriction.Restriction
	for i := range 120 {
		r := Restriction(fmt.Sprintf("vis-%03d", i), time.Duration(rng.IntN(600))*time.Minute)
		r.Party, r.Denied = parties[rng.IntN(len(parties))], rng.IntN(2) == 0
		r.Delay = time.Duration(rng.IntN(7200)) * time.Second
		if !r.Denied && r.Delay == 0 {
			r.Delay = time.Second
		}
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
	mustAddRestrictions(t, h.Store, "m", all...)
	_, missing := h.Store.Restriction(ctx(t), "vis-missing", nil)
	if !errors.Is(missing, store.ErrNotFound) {
		t.Fatalf("Restriction(vis-missing) = %v, want ErrNotFound", missing)
	}
	for _, nation := range append(nations, "USA", "") {
		for _, clearance := range scheme.Levels {
			v := scheme.VisibilityFor(nation, clearance)
			var visible []restriction.Restriction
			for _, r := range all {
				if v.Allows(r.Label) {
					visible = append(visible, r)
				}
			}
			slices.SortFunc(visible, newestFirst)
			who := fmt.Sprintf("nation %q cleared %s", nation, clearance)
			if got := queryRestrictions(t, h.Store, store.RestrictionQuery{Visible: &v, Limit: 7}); !slices.Equal(got, restrictionIDs(visible)) {
				t.Errorf("%s: query returned %v\nwant %v", who, got, restrictionIDs(visible))
			}
			counts, err := h.Store.CountRestrictions(ctx(t), time.Time{}, time.Time{}, &v)
			if err != nil {
				t.Fatal(err)
			}
			if want := restriction.Count(visible); !slices.Equal(counts, want) {
				t.Errorf("%s: counts %+v\nwant %+v", who, counts, want)
			}
			for _, r := range all {
				got, err := h.Store.Restriction(ctx(t), r.ID, &v)
				switch {
				case v.Allows(r.Label) && (err != nil || got.Restriction.ID != r.ID):
					t.Errorf("%s: Restriction(%s) labelled %v = %s, %v", who, r.ID, r.Label, got.Restriction.ID, err)
				case !v.Allows(r.Label) && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s: Restriction(%s) labelled %v = %v, want ErrNotFound", who, r.ID, r.Label, err)
				case !v.Allows(r.Label):
					if hidden, absent := strings.ReplaceAll(err.Error(), r.ID, "ID"), strings.ReplaceAll(missing.Error(), "vis-missing", "ID"); hidden != absent {
						t.Errorf("%s: a hidden restriction reads %q, a missing one %q", who, hidden, absent)
					}
				}
			}
		}
	}
	none := label.Visibility{Nation: "FRA"}
	if got := queryRestrictions(t, h.Store, store.RestrictionQuery{Visible: &none, Limit: 10}); len(got) != 0 {
		t.Errorf("a reader cleared for nothing listed %v", got)
	}
	if counts, err := h.Store.CountRestrictions(ctx(t), time.Time{}, time.Time{}, &none); err != nil || len(counts) != 0 {
		t.Errorf("a reader cleared for nothing counted %+v, %v", counts, err)
	}
	if _, err := h.Store.Restriction(ctx(t), all[0].ID, &none); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reader cleared for nothing read %s: %v", all[0].ID, err)
	}
}

func testRestrictionCounts(t *testing.T, h Harness) {
	if counts, err := h.Store.CountRestrictions(ctx(t), time.Time{}, time.Time{}, nil); err != nil || len(counts) != 0 {
		t.Fatalf("counts of an empty store = %+v, %v", counts, err)
	}
	all := filterWorld(t, h.Store)
	extra := Restriction("c-long", 90*time.Minute)
	extra.Party, extra.Delay = "B", restriction.MaxDelay
	mustAddRestrictions(t, h.Store, "m", extra)
	all = append(all, extra)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{"everything", time.Time{}, time.Time{}},
		{"from", at(time.Hour), time.Time{}},
		{"to", time.Time{}, at(2 * time.Hour)},
		{"window", at(time.Hour), at(4 * time.Hour)},
		{"empty window", at(10 * time.Hour), at(11 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []restriction.Restriction
			for _, r := range all {
				if (tc.from.IsZero() || !r.Time.Before(tc.from)) && (tc.to.IsZero() || r.Time.Before(tc.to)) {
					in = append(in, r)
				}
			}
			got, err := h.Store.CountRestrictions(ctx(t), tc.from, tc.to, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := restriction.Count(in); !slices.Equal(got, want) {
				t.Errorf("counts %+v\nwant %+v", got, want)
			}
			if !slices.IsSortedFunc(got, func(a, b restriction.PartyCount) int { return cmp.Compare(a.Party, b.Party) }) {
				t.Errorf("counts are not sorted by party: %+v", got)
			}
		})
	}
}

func testRestrictionBadInputs(t *testing.T, h Harness) {
	tests := []struct {
		name string
		bad  func(*restriction.Restriction)
	}{
		{"empty id", func(r *restriction.Restriction) { r.ID = "" }},
		{"no time", func(r *restriction.Restriction) { r.Time = time.Time{} }},
		{"time before 1678", func(r *restriction.Restriction) { r.Time = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"time after 2262", func(r *restriction.Restriction) { r.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"party none", func(r *restriction.Restriction) { r.Party = "none" }},
		{"label without classification", func(r *restriction.Restriction) { r.Label = label.Label{RelTo: []string{"FRA"}} }},
		{"rel_to not a nation", func(r *restriction.Restriction) {
			r.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA,GBR"}}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := Restriction(fmt.Sprintf("good-%02d", i), 0)
			bad := Restriction(fmt.Sprintf("bad-%02d", i), 0)
			tc.bad(&bad)
			out, err := h.Store.AddRestrictions(ctx(t), "m", []restriction.Restriction{good, bad})
			if err == nil {
				t.Fatalf("AddRestrictions accepted %+v: %v", bad, out)
			}
			if bad.ID != "" && !strings.Contains(err.Error(), bad.ID) {
				t.Errorf("error %q does not name the bad restriction %s", err, bad.ID)
			}
			if !strings.Contains(err.Error(), "#1") {
				t.Errorf("error %q does not give the bad restriction's index, #1", err)
			}
			if _, err := h.Store.Restriction(ctx(t), good.ID, nil); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the good restriction of a batch with a bad one was written: %v", err)
			}
		})
	}
	head, err := h.Store.LogHead(ctx(t))
	if err != nil || head.Size != 0 {
		t.Errorf("bad batches grew the log to %d (%v)", head.Size, err)
	}
}

func testRestrictionsDurable(t *testing.T, h Harness) {
	a, b := Restriction("dur-a", 0), Restriction("dur-b", time.Minute)
	b.Party, b.Label = "", label.Label{Classification: label.Confidential, RelTo: []string{"POL"}}
	mustAddRestrictions(t, h.Store, "m", a, b)
	before := []store.RestrictionRecord{mustRestriction(t, h.Store, a.ID), mustRestriction(t, h.Store, b.ID)}
	s := h.Reopen()
	for _, want := range before {
		got, err := s.Restriction(ctx(t), want.Restriction.ID, nil)
		if err != nil {
			t.Fatalf("after reopen: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after reopen:\n got %+v\nwant %+v", got, want)
		}
	}
	if out := mustAddRestrictions(t, s, "m", a, b); !slices.Equal(out, []store.Outcome{store.Duplicate, store.Duplicate}) {
		t.Errorf("adding the same restrictions after reopen: %v", out)
	}
}

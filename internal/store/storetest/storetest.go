// Package storetest is the conformance suite for implementations of
// store.Store. Every implementation runs it from its own tests:
//
//	storetest.Run(t, func(t *testing.T) storetest.Harness { ... })
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Harness is a fresh, empty store and a way to close and reopen it on the
// same underlying data.
type Harness struct {
	Store store.Store
	// Reopen closes Store and opens the same data again.
	Reopen func() store.Store
}

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"AddAndGet", testAddAndGet},
		{"Duplicates", testDuplicates},
		{"NotFound", testNotFound},
		{"QueryFilters", testQueryFilters},
		{"QueryPagination", testQueryPagination},
		{"ConcurrentAdds", testConcurrentAdds},
		{"Durable", testDurable},
		{"Sensors", testSensors},
		{"Terms", testTerms},
		{"Log", testLog},
		{"Accounts", testAccounts},
		{"Visibility", testVisibility},
	}
	tests = append(tests, incidentTests...)
	tests = append(tests, candidateTests...)
	tests = append(tests, restrictionTests...)
	tests = append(tests, guaranteeTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := open(t)
			tc.fn(t, h)
		})
	}
}

var base = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Obs returns a valid acoustic observation with the given id at the given
// position and time offset from 2026-11-21T00:00:00Z.
func Obs(id string, lon, lat float64, offset time.Duration) observe.Observation {
	return observe.Observation{
		ID:                   id,
		Kind:                 observe.KindAcoustic,
		Source:               observe.Source{ID: "sensor-" + id, Type: observe.SourceAcoustic, Grading: "B2"},
		ObservedAt:           base.Add(offset),
		TimeUncertainty:      time.Millisecond,
		Location:             observe.Point{Lon: lon, Lat: lat},
		LocationUncertaintyM: 5,
		Releasability:        label.PublicLabel(),
		Acoustic:             &observe.Acoustic{SensorID: "S-" + id},
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustAdd(t *testing.T, s store.Store, obs ...observe.Observation) []store.Outcome {
	t.Helper()
	out, err := s.AddObservations(ctx(t), "", obs)
	if err != nil {
		t.Fatalf("AddObservations: %v", err)
	}
	if len(out) != len(obs) {
		t.Fatalf("AddObservations returned %d outcomes for %d observations", len(out), len(obs))
	}
	return out
}

func testAddAndGet(t *testing.T, h Harness) {
	o := Obs("a-1", 37.5, 48.1, 1234567891*time.Nanosecond)
	o.Releasability = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
	if got := mustAdd(t, h.Store, o); got[0] != store.Added {
		t.Fatalf("outcome = %v, want Added", got[0])
	}
	got, err := h.Store.Observation(ctx(t), "a-1")
	if err != nil {
		t.Fatalf("Observation: %v", err)
	}
	want, _ := observe.Marshal(o)
	if string(got.Feature) != string(want) {
		t.Errorf("stored feature differs:\n got %s\nwant %s", got.Feature, want)
	}
	back, errs := observe.Decode(got.Feature, observe.Checks{})
	if len(errs) > 0 {
		t.Fatalf("stored feature does not decode: %v", errs)
	}
	if !back.ObservedAt.Equal(o.ObservedAt) {
		t.Errorf("observed_at = %v, want %v (nanoseconds must survive)", back.ObservedAt, o.ObservedAt)
	}
	if got.Seq <= 0 || got.ReceivedAt.IsZero() {
		t.Errorf("seq = %d, received_at = %v; want both set", got.Seq, got.ReceivedAt)
	}
}

func testDuplicates(t *testing.T, h Harness) {
	a, b := Obs("d-1", 37, 48, 0), Obs("d-2", 37, 48, time.Second)
	mustAdd(t, h.Store, a)
	changed := a
	changed.LocationUncertaintyM = 999 // same id, other content: still the first one wins
	got := mustAdd(t, h.Store, changed, b, b)
	want := []store.Outcome{store.Duplicate, store.Added, store.Duplicate}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
	stored, err := h.Store.Observation(ctx(t), "d-1")
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := observe.Marshal(a)
	if string(stored.Feature) != string(orig) {
		t.Errorf("a duplicate changed the stored observation")
	}
}

func testNotFound(t *testing.T, h Harness) {
	if _, err := h.Store.Observation(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Observation(nope) error = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Sensor(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Sensor(nope) error = %v, want ErrNotFound", err)
	}
}

func ids(p store.Page) []string {
	var out []string
	for _, o := range p.Observations {
		var f struct {
			ID string `json:"id"`
		}
		json.Unmarshal(o.Feature, &f)
		out = append(out, f.ID)
	}
	return out
}

func testQueryFilters(t *testing.T, h Harness) {
	osint := Obs("q-osint", 37.52, 48.02, 5*time.Minute)
	osint.Kind, osint.Acoustic = observe.KindOSINT, nil
	osint.Source = observe.Source{ID: "press", Type: observe.SourceOSINT, Grading: "C3"}
	osint.OSINT = &observe.OSINT{URL: "https://example.org/a", Claim: "shelling"}
	mustAdd(t, h.Store,
		Obs("q-in-early", 37.5, 48.0, 0),
		Obs("q-in-late", 37.6, 48.1, 2*time.Hour),
		Obs("q-out", 30.0, 50.0, time.Minute),
		Obs("q-dateline-e", 179.9, 10, time.Minute),
		Obs("q-dateline-w", -179.9, 10, time.Minute),
		osint,
	)
	// Fusion left two detections unassociated, then placed one in an event;
	// unknown ids are ignored.
	if err := h.Store.SetUnassociated(ctx(t), []string{"q-in-early", "q-out", "no-such-id"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetUnassociated(ctx(t), []string{"q-in-late"}, []string{"q-out", "no-such-id"}); err != nil {
		t.Fatal(err)
	}
	box := &[4]float64{37.0, 47.5, 38.0, 48.5}
	wide := &[4]float64{-180, -90, 180, 90}
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"all", store.Query{}, []string{"q-in-early", "q-out", "q-dateline-e", "q-dateline-w", "q-osint", "q-in-late"}},
		{"bbox", store.Query{BBox: box}, []string{"q-in-early", "q-osint", "q-in-late"}},
		{"wide bbox scans by time", store.Query{BBox: wide}, []string{"q-in-early", "q-out", "q-dateline-e", "q-dateline-w", "q-osint", "q-in-late"}},
		{"bbox and time", store.Query{BBox: box, From: base, To: base.Add(time.Hour)}, []string{"q-in-early", "q-osint"}},
		{"bbox and a long window", store.Query{BBox: box, From: base.Add(-24 * time.Hour), To: base.Add(48 * time.Hour)}, []string{"q-in-early", "q-osint", "q-in-late"}},
		{"source and time", store.Query{SourceID: "press", From: base, To: base.Add(time.Hour)}, []string{"q-osint"}},
		{"source and other time", store.Query{SourceID: "press", From: base.Add(time.Hour), To: base.Add(3 * time.Hour)}, nil},
		{"antimeridian and time", store.Query{BBox: &[4]float64{179, 0, -179, 20}, From: base, To: base.Add(time.Hour)}, []string{"q-dateline-e", "q-dateline-w"}},
		{"to is exclusive", store.Query{To: base}, nil},
		{"from is inclusive", store.Query{From: base.Add(2 * time.Hour)}, []string{"q-in-late"}},
		{"kind", store.Query{Kind: observe.KindOSINT}, []string{"q-osint"}},
		{"source", store.Query{SourceID: "sensor-q-out"}, []string{"q-out"}},
		{"source and bbox", store.Query{SourceID: "press", BBox: box}, []string{"q-osint"}},
		{"antimeridian", store.Query{BBox: &[4]float64{179, 0, -179, 20}}, []string{"q-dateline-e", "q-dateline-w"}},
		{"unassociated", store.Query{Unassociated: true}, []string{"q-in-early", "q-in-late"}},
		{"unassociated and time", store.Query{Unassociated: true, From: base.Add(time.Hour)}, []string{"q-in-late"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 100
			p, err := h.Store.QueryObservations(ctx(t), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if p.Next != nil {
				t.Errorf("next cursor on the only page")
			}
		})
	}
	if _, err := h.Store.QueryObservations(ctx(t), store.Query{}); err == nil {
		t.Errorf("a query without a limit must be refused")
	}
}

func testQueryPagination(t *testing.T, h Harness) {
	var all []observe.Observation
	for i := range 57 {
		// Pairs share a time, so the cursor must break ties by arrival order.
		all = append(all, Obs(fmt.Sprintf("p-%02d", i), 37.5, 48.0, time.Duration(i/2)*time.Second))
	}
	mustAdd(t, h.Store, all...)
	var got []string
	q := store.Query{Limit: 10, BBox: &[4]float64{37, 47, 38, 49}}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p, err := h.Store.QueryObservations(ctx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p)...)
		if p.Next == nil {
			break
		}
		q.After = p.Next
	}
	var want []string
	for _, o := range all {
		want = append(want, o.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged through %v\nwant %v", got, want)
	}
}

func testConcurrentAdds(t *testing.T, h Harness) {
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var batch []observe.Observation
			for i := range each {
				// Every worker also sends the ids of worker 0: exactly one Added per id.
				batch = append(batch, Obs(fmt.Sprintf("c-%d-%d", w, i), 37, 48, time.Duration(i)*time.Second))
				batch = append(batch, Obs(fmt.Sprintf("c-0-%d", i), 37, 48, time.Duration(i)*time.Second))
			}
			out, err := h.Store.AddObservations(context.Background(), "", batch)
			if err != nil {
				errs <- err
				return
			}
			for i, o := range out {
				if i%2 == 0 && w != 0 && o != store.Added {
					errs <- fmt.Errorf("worker %d item %d: %v, want Added", w, i, o)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p, err := h.Store.QueryObservations(ctx(t), store.Query{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Observations); n != workers*each {
		t.Errorf("stored %d observations, want %d", n, workers*each)
	}
}

func testDurable(t *testing.T, h Harness) {
	mustAdd(t, h.Store, Obs("durable-1", 37, 48, 0))
	if err := h.Store.PutSensors(ctx(t), []observe.Sensor{sensor("S-durable")}); err != nil {
		t.Fatal(err)
	}
	s := h.Reopen()
	if _, err := s.Observation(ctx(t), "durable-1"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if _, err := s.Sensor(ctx(t), "S-durable"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if got := mustAdd(t, s, Obs("durable-1", 37, 48, 0)); got[0] != store.Duplicate {
		t.Errorf("re-sent after reopen: %v, want Duplicate", got[0])
	}
}

func sensor(id string) observe.Sensor {
	return observe.Sensor{
		ID: id, Type: observe.SensorAcoustic, Position: &[2]float64{37.1, 48.2}, AltitudeM: 120,
		Clock: observe.Clock{Source: "gnss", UncertaintyS: 1e-6}, PositionUncertaintyM: 3,
		Releasability: label.PublicLabel(),
	}
}

func testSensors(t *testing.T, h Harness) {
	a, b := sensor("S-b"), sensor("S-a")
	if err := h.Store.PutSensors(ctx(t), []observe.Sensor{a, b}); err != nil {
		t.Fatal(err)
	}
	a.Position = &[2]float64{38, 47}
	if err := h.Store.PutSensors(ctx(t), []observe.Sensor{a}); err != nil {
		t.Fatal(err)
	}
	list, err := h.Store.ListSensors(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "S-a" || list[1].ID != "S-b" {
		t.Fatalf("ListSensors = %+v, want S-a, S-b", list)
	}
	got, err := h.Store.Sensor(ctx(t), "S-b")
	if err != nil {
		t.Fatal(err)
	}
	if *got.Position != *a.Position {
		t.Errorf("sensor not replaced: position %v, want %v", got.Position, a.Position)
	}
}

func testTerms(t *testing.T, h Harness) {
	v1 := terms.Terms{ID: "t", Version: "1", EffectiveFrom: base, Parties: []terms.Party{{Code: "A", Name: "A", Side: terms.Left}}}
	v2 := v1
	v2.Version, v2.EffectiveFrom = "2", base.Add(24*time.Hour)
	got1, err := h.Store.AddTerms(ctx(t), v1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.Store.AddTerms(ctx(t), v1)
	if err != nil {
		t.Fatal(err)
	}
	if again.Seq != got1.Seq {
		t.Errorf("loading the same terms twice made version %d, want %d", again.Seq, got1.Seq)
	}
	if _, err := h.Store.AddTerms(ctx(t), v2); err != nil {
		t.Fatal(err)
	}
	list, err := h.Store.ListTerms(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Terms.Version != "1" || list[1].Terms.Version != "2" {
		t.Fatalf("ListTerms = %+v", list)
	}
	if v, ok := store.InForce(list, base.Add(time.Hour)); !ok || v.Terms.Version != "1" {
		t.Errorf("in force on day 1: %v %v, want version 1", v.Terms.Version, ok)
	}
	if v, ok := store.InForce(list, base.Add(25*time.Hour)); !ok || v.Terms.Version != "2" {
		t.Errorf("in force on day 2: %v %v, want version 2", v.Terms.Version, ok)
	}
	if _, ok := store.InForce(list, base.Add(-time.Hour)); ok {
		t.Errorf("terms in force before any took effect")
	}
}

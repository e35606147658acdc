package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// testVisibility stores observations with random labels and checks, for
// readers of every nation and clearance, that a query returns exactly the
// ones Visibility.Allows, in full pages, and that each stored label comes
// back as it was given.
func testVisibility(t *testing.T, h Harness) {
	rng := rand.New(rand.NewPCG(7, 11))
	nations := []string{"FRA", "GBR", "DEU", "POL", "UKR"}
	scheme := label.DefaultScheme()
	labels := map[string]label.Label{}
	var obs []observe.Observation
	for i := range 300 {
		o := Obs(fmt.Sprintf("v-%03d", i), 37+rng.Float64(), 48+rng.Float64(), time.Duration(i)*time.Minute)
		c := scheme.Levels[rng.IntN(len(scheme.Levels))]
		l := label.Label{Classification: c}
		if c != scheme.Public {
			for _, n := range nations {
				if rng.IntN(3) == 0 {
					l.RelTo = append(l.RelTo, n)
				}
			}
			if len(l.RelTo) == 0 {
				l.RelTo = []string{nations[rng.IntN(len(nations))]}
			}
		}
		o.Releasability = l
		labels[o.ID] = l
		obs = append(obs, o)
	}
	mustAdd(t, h.Store, obs...)
	for _, o := range obs {
		got, err := h.Store.Observation(ctx(t), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Label.Classification != o.Releasability.Classification || !slices.Equal(got.Label.RelTo, o.Releasability.RelTo) {
			t.Fatalf("observation %s: label %v, stored as %v", o.ID, got.Label, o.Releasability)
		}
	}
	for _, nation := range append(nations, "USA") {
		for _, clearance := range scheme.Levels {
			v := label.Visibility{Nation: nation, Classifications: scheme.Covered(clearance), Public: scheme.Public}
			var want []string
			for _, o := range obs {
				if v.Allows(labels[o.ID]) {
					want = append(want, o.ID)
				}
			}
			var got []string
			q := store.Query{Visible: &v, Limit: 7}
			for {
				page, err := h.Store.QueryObservations(ctx(t), q)
				if err != nil {
					t.Fatal(err)
				}
				if page.Next != nil && len(page.Observations) != q.Limit {
					t.Fatalf("%s/%s: a page of %d before the last, want %d", nation, clearance, len(page.Observations), q.Limit)
				}
				for _, o := range page.Observations {
					if !v.Allows(o.Label) {
						t.Fatalf("%s cleared %s received %s labelled %v", nation, clearance, o.Feature, o.Label)
					}
					b, _ := observe.Decode(o.Feature, observe.Checks{})
					got = append(got, b.ID)
				}
				if page.Next == nil {
					break
				}
				q.After = page.Next
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s cleared %s: %d observations, want %d", nation, clearance, len(got), len(want))
			}
		}
	}
	none := label.Visibility{Nation: "FRA"}
	if page, err := h.Store.QueryObservations(ctx(t), store.Query{Visible: &none, Limit: 10}); err != nil || len(page.Observations) != 0 {
		t.Errorf("a reader cleared for nothing: %d observations, %v", len(page.Observations), err)
	}
}

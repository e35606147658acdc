package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// testIncidentGrid counts incidents on a grid: by the centre of each box,
// by class, within the query's filters and what the reader may see.
func testIncidentGrid(t *testing.T, h Harness) {
	s := h.Store
	box := func(lon, lat float64) [4]float64 { return [4]float64{lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01} }
	secret := Incident("g-secret", box(37.5, 48.5), 3*time.Hour, time.Minute)
	secret.Label = label.Label{Classification: label.Secret, RelTo: []string{"GBR"}}
	equipment := Incident("g-equip", box(37.6, 48.6), 2*time.Hour, time.Minute)
	equipment.Class = "equipment"
	merged := Incident("g-merged", box(37.5, 48.5), time.Hour, time.Minute)
	merged.MergedInto = "g-a"
	// A box across the antimeridian: its centre is at 180 (= -180), 10.1.
	dateline := Incident("g-dateline", [4]float64{179.9, 10, -179.9, 10.2}, time.Hour, time.Minute)
	if err := s.PutIncidents(ctx(t), []store.IncidentRecord{
		Incident("g-a", box(37.5, 48.5), 0, time.Minute),
		Incident("g-b", box(37.2, 48.2), time.Hour, time.Minute),
		Incident("g-c", box(38.5, 48.5), time.Hour, time.Minute),
		secret, equipment, merged, dateline,
	}); err != nil {
		t.Fatal(err)
	}
	cells := func(q store.IncidentQuery, cell float64) string {
		t.Helper()
		got, err := s.CountIncidents(ctx(t), q, cell)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range got {
			var classes []string
			for k, v := range c.ByClass {
				classes = append(classes, fmt.Sprintf("%s=%d", k, v))
			}
			slices.Sort(classes)
			out = append(out, fmt.Sprintf("(%g,%g):%d[%s]", c.Lon, c.Lat, c.Count, strings.Join(classes, " ")))
		}
		return strings.Join(out, " ")
	}
	gbr := label.DefaultScheme().VisibilityFor("GBR", label.Secret)
	fra := label.DefaultScheme().VisibilityFor("FRA", label.Secret)
	tests := []struct {
		name string
		q    store.IncidentQuery
		cell float64
		want string
	}{
		{"one-degree cells", store.IncidentQuery{Visible: &gbr}, 1, "(-179.5,10.5):1[fire=1] (37.5,48.5):4[equipment=1 fire=3] (38.5,48.5):1[fire=1]"},
		{"what FRA may see", store.IncidentQuery{Visible: &fra}, 1, "(-179.5,10.5):1[fire=1] (37.5,48.5):3[equipment=1 fire=2] (38.5,48.5):1[fire=1]"},
		{"half-degree cells", store.IncidentQuery{Visible: &fra, BBox: &[4]float64{37, 48, 39, 49}}, 0.5, "(37.25,48.25):1[fire=1] (37.75,48.75):2[equipment=1 fire=1] (38.75,48.75):1[fire=1]"},
		{"a class and a window", store.IncidentQuery{Class: "fire", From: base.Add(30 * time.Minute), To: base.Add(90 * time.Minute)}, 1, "(-179.5,10.5):1[fire=1] (37.5,48.5):1[fire=1] (38.5,48.5):1[fire=1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cells(tc.q, tc.cell); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, bad := range []float64{0, -1, 91} {
		if _, err := s.CountIncidents(ctx(t), store.IncidentQuery{}, bad); err == nil {
			t.Errorf("a cell of %v degrees was accepted", bad)
		}
	}
}

package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// BenchmarkAddObservations measures the store alone: batches of 1,000
// observations from one caller, each batch a durable commit.
func BenchmarkAddObservations(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const batch = 1000
	n := (b.N + batch - 1) / batch
	obs := storetest.Synthetic(1, 0, n*batch)
	b.ResetTimer()
	for i := range n {
		if _, err := db.AddObservations(context.Background(), "", obs[i*batch:(i+1)*batch]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkQuery measures the query the ingest benchmark times: a box of
// 0.65° × 0.45° and a one-hour window, 1,000 observations a page, over a
// million synthetic observations, for a reader who may see everything
// (no label filter) and for one whose labels are checked in the query.
//
//	go test ./internal/store/sqlite -run '^$' -bench BenchmarkQuery -benchtime 500x
func BenchmarkQuery(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "query.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for first := 0; first < n; first += 10_000 {
		if _, err := db.AddObservations(ctx, "", storetest.Synthetic(1, first, 10_000)); err != nil {
			b.Fatal(err)
		}
	}
	span := time.Duration(n) * storetest.SyntheticSpacing
	scheme := label.DefaultScheme()
	for _, tc := range []struct {
		name string
		vis  *label.Visibility
	}{
		{"unfiltered", nil},
		{"labels", &label.Visibility{Nation: "GBR", Classifications: scheme.Covered(label.Secret), Public: scheme.Public}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			rows := 0
			for b.Loop() {
				lon, lat := 32+rng.Float64()*5.85, 46.3+rng.Float64()*3.55
				from := storetest.SyntheticStart.Add(time.Duration(rng.Int64N(int64(span - time.Hour))))
				page, err := db.QueryObservations(ctx, store.Query{BBox: &[4]float64{lon, lat, lon + 0.65, lat + 0.45},
					From: from, To: from.Add(time.Hour), Limit: 1000, Visible: tc.vis})
				if err != nil {
					b.Fatal(err)
				}
				rows += len(page.Observations)
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}

// benchIncidents makes n incidents numbered from first, spread over eastern
// Ukraine and a day like the synthetic observations, each a few hundred
// metres across and a few minutes long.
func benchIncidents(rng *rand.Rand, first, n int) []store.IncidentRecord {
	out := make([]store.IncidentRecord, n)
	for i := range out {
		lon, lat := 32+rng.Float64()*6.5, 46.3+rng.Float64()*4
		start := time.Duration(rng.Int64N(int64(24 * time.Hour)))
		r := storetest.Incident(fmt.Sprintf("inc-%07d", first+i), [4]float64{lon, lat, lon + 0.005, lat + 0.003}, start, time.Duration(rng.IntN(600))*time.Second)
		if i%4 == 0 {
			r.Class, r.Party = "equipment", "A"
		}
		if i%3 == 0 {
			r.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR", "UKR"}}
		}
		out[i] = r
	}
	return out
}

// BenchmarkPutIncidents measures batches of 100 new incidents from one
// caller, each batch a durable commit.
func BenchmarkPutIncidents(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "incidents.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const batch = 100
	n := (b.N + batch - 1) / batch
	all := benchIncidents(rand.New(rand.NewPCG(5, 6)), 0, n*batch)
	b.ResetTimer()
	for i := range n {
		if err := db.PutIncidents(ctx, all[i*batch:(i+1)*batch]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "incidents/s")
}

// BenchmarkQueryIncidents measures the first page (100) of incidents in a
// box of 0.65° × 0.45° and a one-hour window, over 100,000 incidents, for a
// reader who may see everything and for one whose labels are checked in
// the query.
//
//	go test ./internal/store/sqlite -run '^$' -bench BenchmarkQueryIncidents
func BenchmarkQueryIncidents(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "incidents.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	for first := 0; first < n; first += 10_000 {
		if err := db.PutIncidents(ctx, benchIncidents(rng, first, 10_000)); err != nil {
			b.Fatal(err)
		}
	}
	scheme := label.DefaultScheme()
	for _, tc := range []struct {
		name string
		vis  *label.Visibility
	}{
		{"unfiltered", nil},
		{"labels", &label.Visibility{Nation: "POL", Classifications: scheme.Covered(label.Secret), Public: scheme.Public}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			rows := 0
			for b.Loop() {
				lon, lat := 32+rng.Float64()*5.85, 46.3+rng.Float64()*3.55
				from := storetest.SyntheticStart.Add(time.Duration(rng.Int64N(int64(23 * time.Hour))))
				page, err := db.QueryIncidents(ctx, store.IncidentQuery{BBox: &[4]float64{lon, lat, lon + 0.65, lat + 0.45},
					From: from, To: from.Add(time.Hour), Limit: 100, Visible: tc.vis})
				if err != nil {
					b.Fatal(err)
				}
				rows += len(page.Incidents)
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}

package sqlite

import (
	"context"
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
		if _, err := db.AddObservations(context.Background(), obs[i*batch:(i+1)*batch]); err != nil {
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
		if _, err := db.AddObservations(ctx, storetest.Synthetic(1, first, 10_000)); err != nil {
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

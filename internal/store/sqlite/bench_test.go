package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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

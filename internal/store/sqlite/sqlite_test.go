package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		path := filepath.Join(t.TempDir(), "test.db")
		db, err := Open(context.Background(), path, Options{MaxBatch: 100})
		if err != nil {
			t.Fatal(err)
		}
		current := store.Store(db)
		t.Cleanup(func() { current.Close() })
		return storetest.Harness{Store: db, Reopen: func() store.Store {
			if err := current.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			current = db
			return db
		}}
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.Migrations(ctx)
	if err != nil || len(list) == 0 || !list[0].AppliedAt.IsZero() {
		t.Fatalf("fresh database: %+v %v; want pending migrations", list, err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != len(list) {
		t.Fatalf("Migrate: %+v %v", applied, err)
	}
	if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
		t.Errorf("second Migrate applied %+v %v", again, err)
	}
	// A database written by a newer binary is refused, not silently used.
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer guarantor") {
		t.Errorf("opening a newer database: %v", err)
	}
}

// TestConcurrentMigrate migrates one file from two processes' worth of
// connections at once: each migration is applied exactly once, no error.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	a, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	type result struct {
		applied int
		err     error
	}
	results := make(chan result, 2)
	for _, db := range []*DB{a, b} {
		go func() {
			applied, err := db.Migrate(ctx)
			results <- result{len(applied), err}
		}()
	}
	r1, r2 := <-results, <-results
	all, _ := migrations()
	if r1.err != nil || r2.err != nil || r1.applied+r2.applied != len(all) {
		t.Errorf("concurrent migrations: %+v %+v; want %d applied in all, no errors", r1, r2, len(all))
	}
}

// TestWALStaysBounded writes without pause from several goroutines, so that
// the WAL is never idle long enough to start over by itself, with a low
// restart threshold, and checks that the WAL file stays small: the writer
// restarts it.
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := Open(ctx, path, Options{checkpointEvery: 5 * time.Millisecond, walRestartFrames: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const writers, batches, size = 4, 10, 500
	var written atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range batches {
				obs := storetest.Synthetic(uint64(w+1), i*size, size)
				if _, err := db.AddObservations(ctx, "", obs); err != nil {
					t.Error(err)
					return
				}
				for _, o := range obs {
					b, _ := observe.Marshal(o)
					written.Add(int64(len(b)))
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Without restarts the WAL holds every page written, about two and a
	// half times the observations' bytes; with them, a few transactions'
	// worth, about a quarter.
	if fi.Size() > written.Load() {
		t.Errorf("WAL is %d bytes after writing %d bytes of observations; it is not being restarted", fi.Size(), written.Load())
	}
	t.Logf("WAL %d bytes after %d bytes of observations", fi.Size(), written.Load())
}

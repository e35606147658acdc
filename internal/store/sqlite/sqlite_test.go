package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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

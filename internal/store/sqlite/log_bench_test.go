package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

// BenchmarkInclusionProof measures an inclusion proof read from the store
// at 5 million leaves, at random leaves (the pages of the log are as cold
// or as warm as a random leaf's are). The log is built once, by the
// writer's own appender, with synthetic leaf hashes: the proof reads only
// log_leaves and log_nodes.
//
//	go test ./internal/store/sqlite -run XXX -bench InclusionProof -benchtime 20000x
func BenchmarkInclusionProof(b *testing.B) {
	const size = 5_000_000
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "proof.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	const chunk = 100_000
	for first := 0; first < size; first += chunk {
		err := db.write(ctx, chunk, func(tx *sql.Tx, lg *logAppender) error {
			for i := first; i < first+chunk; i++ {
				var data [8]byte
				binary.BigEndian.PutUint64(data[:], uint64(i))
				h := sha256.Sum256(data[:])
				if _, err := lg.append("bench", fmt.Sprint(i), h[:]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built a log of %d leaves in %s", size, time.Since(start).Round(time.Second))
	head, err := db.LogHead(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, treeSize := range []uint64{size, size - 12345} {
		root, err := ledger.RootAt(treeSize, nodeFunc(ctx, db.r))
		if err != nil {
			b.Fatal(err)
		}
		if treeSize == size && string(root) != string(head.Root) {
			b.Fatal("RootAt and LogHead disagree")
		}
		b.Run(fmt.Sprintf("size=%d", treeSize), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				index := rng.Uint64N(treeSize)
				p, err := db.InclusionProof(ctx, index, treeSize)
				if err != nil {
					b.Fatal(err)
				}
				e, err := db.LogEntry(ctx, index)
				if err != nil {
					b.Fatal(err)
				}
				if err := ledger.VerifyInclusion(index, treeSize, e.LeafHash, p, root); err != nil {
					b.Fatalf("proof of %d does not verify: %v", index, err)
				}
			}
		})
	}
}

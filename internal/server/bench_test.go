package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

func ndjsonBody(b *testing.B, obs []observe.Observation) []byte {
	var buf bytes.Buffer
	for _, o := range obs {
		f, err := observe.Marshal(o)
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(f)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

const benchBatch = 1000

// BenchmarkIngest measures observations per second through the whole ingest
// path, HTTP included, into the embedded store, with clients posting NDJSON
// batches of 1,000 concurrently; and, in the same run, the baseline of
// inserting the same rows straight into SQLite in batched transactions.
// The ratio of the two is the cost of HTTP, validation and encoding.
func BenchmarkIngest(b *testing.B) {
	b.Run("http", benchIngestHTTP)
	b.Run("raw-sqlite", benchInsertRaw)
}

func benchIngestHTTP(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := New(context.Background(), Config{Store: st, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	token := benchToken(b, st, access.Ingest)

	batches := (b.N + benchBatch - 1) / benchBatch
	bodies := make([][]byte, batches)
	for i := range bodies {
		bodies[i] = ndjsonBody(b, storetest.Synthetic(1, i*benchBatch, benchBatch))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	const clients = 4
	b.SetBytes(int64(len(bodies[0]) / benchBatch))
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(batches) {
					return
				}
				req, err := http.NewRequest("POST", hs.URL+"/api/v1/observations", bytes.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var r IngestResult
				decodeJSON(res, &r)
				if res.StatusCode != 200 || r.Accepted != benchBatch {
					b.Errorf("batch %d: %d %+v", i, res.StatusCode, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(batches*benchBatch)/b.Elapsed().Seconds(), "obs/s")
}

func benchInsertRaw(b *testing.B) {
	path := filepath.Join(b.TempDir(), "raw.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{}) // creates the same schema
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-32768)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	type row struct {
		id, kind, src string
		t             int64
		lon, lat      float64
		body          []byte
	}
	batches := (b.N + benchBatch - 1) / benchBatch
	rows := make([][]row, batches)
	for i := range rows {
		for _, o := range storetest.Synthetic(1, i*benchBatch, benchBatch) {
			body, _ := observe.Marshal(o)
			rows[i] = append(rows[i], row{o.ID, string(o.Kind), o.Source.ID, o.ObservedAt.UnixNano(), o.Location.Lon, o.Location.Lat, body})
		}
	}
	b.ResetTimer()
	for _, batch := range rows {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT INTO observations (id, kind, source_id, observed_at, minute, lon, lat, cell, classification, rel_to, received_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PUBLIC', '', ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range batch {
			minute, cell := sqlite.IndexKeys(time.Unix(0, r.t), r.lon, r.lat)
			if _, err := stmt.Exec(r.id, r.kind, r.src, r.t, minute, r.lon, r.lat, cell, time.Now().UnixNano(), r.body); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batches*benchBatch)/b.Elapsed().Seconds(), "obs/s")
}

func decodeJSON(res *http.Response, v any) {
	defer res.Body.Close()
	json.NewDecoder(res.Body).Decode(v)
}

// benchToken adds a user of FRA cleared for SECRET with the given roles and
// returns an API token for them.
func benchToken(b *testing.B, st store.Store, roles ...access.Role) string {
	b.Helper()
	bot := access.User{Name: "bench", Nation: "FRA", Clearance: label.Secret, Roles: roles}
	if err := st.AddUser(context.Background(), bot, ""); err != nil {
		b.Fatal(err)
	}
	token, err := access.NewToken(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.AddToken(context.Background(), store.Token{Hash: access.TokenHash(token), User: bot.Name}); err != nil {
		b.Fatal(err)
	}
	return token
}

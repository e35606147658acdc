package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// BenchmarkDailyReport50k measures the daily report of a day of 50,000
// incidents and 50,000 candidate violations from the store: reading the
// records (both days), building the figures and rendering the HTML page,
// for a reader whose visibility filters the queries.
func BenchmarkDailyReport50k(b *testing.B) {
	const n = 50_000
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "report.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	raw, err := os.ReadFile("../report/testdata/terms.yaml")
	if err != nil {
		b.Fatal(err)
	}
	tm, err := terms.Parse(raw, "terms.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.AddTerms(ctx, tm); err != nil {
		b.Fatal(err)
	}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	base := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) // storetest's epoch
	rng := rand.New(rand.NewPCG(5, 5))
	types := []string{terms.FireAcrossLine, terms.FireSameSide, terms.FireUnresolved, terms.WeaponInWithdrawalZone}
	severities := []string{"minor", "serious", "major"}
	fra := label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
	for start := 0; start < n; start += 5000 {
		incs := make([]store.IncidentRecord, 0, 5000)
		cands := make([]store.CandidateRecord, 0, 5000)
		for i := start; i < start+5000; i++ {
			lon, lat := 37+rng.Float64()*1.4, 47+rng.Float64()*2
			at := time.Duration(rng.Int64N(int64(24 * time.Hour)))
			inc := storetest.Incident(fmt.Sprintf("inc-%d", i), [4]float64{lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01}, day.Sub(base)+at, time.Second)
			c := store.CandidateRecord{ID: fmt.Sprintf("c-%d", i), Type: types[i%len(types)], Severity: severities[i%3],
				Incident: inc.ID, Time: day.Add(at), Label: label.PublicLabel()}
			if i%4 == 0 {
				inc.Label, c.Label = fra, fra
			}
			if i%3 == 0 {
				c.Party = "A"
			}
			c.Feature, err = json.Marshal(map[string]any{"type": "Feature", "id": c.ID,
				"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
				"properties": map[string]any{"violation_type": c.Type, "severity": c.Severity, "clause": "1",
					"weapon_class": "mlrs", "distance_m": 12000.0, "withdrawal_m": 50000.0,
					"reason": "fire landed across the line", "releasability": c.Label}})
			if err != nil {
				b.Fatal(err)
			}
			incs, cands = append(incs, inc), append(cands, c)
		}
		if err := st.PutIncidents(ctx, incs); err != nil {
			b.Fatal(err)
		}
		if err := st.PutCandidates(ctx, nil, cands); err != nil {
			b.Fatal(err)
		}
	}
	vis := label.DefaultScheme().VisibilityFor("FRA", label.Secret)
	b.ResetTimer()
	for b.Loop() {
		rep, err := DailyReport(ctx, st, DailyQuery{Date: day, Visible: &vis, Generated: day})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Violations.Total != n {
			b.Fatalf("%d violations in the report, want %d", rep.Violations.Total, n)
		}
		if err := rep.HTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalytics100k measures GET /api/v1/analytics/commitments over
// 100,000 commitments with three deliveries each: the totals by guarantor
// from the server's copy of the registry, and (first-ms) the first request
// after a change, which reads the registry from the store.
func BenchmarkAnalytics100k(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "analytics.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg := guarantee.Demo()
	rng := rand.New(rand.NewPCG(7, 7))
	cats := guarantee.Categories()
	var cs []guarantee.Commitment
	for i := range 100_000 {
		g := reg.Guarantors[i%len(reg.Guarantors)]
		var in guarantee.Instrument
		for _, x := range reg.Instruments {
			if slices.Contains(x.Signatories, g.Code) {
				in = x
				break
			}
		}
		committed := float64(1 + rng.IntN(1000))
		c := guarantee.Commitment{ID: fmt.Sprintf("bench-%06d", i), Instrument: in.ID, Guarantor: g.Code, Category: cats[i%len(cats)],
			Description: "bench", Value: committed * 1e6, Currency: "EUR", Committed: committed, Allocated: committed / 2,
			CommittedOn: guarantee.NewDate(2025, time.Month(1+i%12), 1)}
		for d := range 3 {
			c.Deliveries = append(c.Deliveries, guarantee.Delivery{Date: guarantee.NewDate(2026, time.Month(1+d), 10), Amount: committed / 10})
		}
		cs = append(cs, c)
	}
	reg.Commitments = append(reg.Commitments, cs...)
	if err := st.PutRegistry(ctx, reg); err != nil {
		b.Fatal(err)
	}
	srv, err := New(ctx, Config{Store: st, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	tok := benchToken(b, st, access.Viewer)
	get := func() {
		req := httptest.NewRequest("GET", "/api/v1/analytics/commitments?by=guarantor", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	// The first request after the registry changed reads it from the
	// store; the others use the server's copy.
	start := time.Now()
	get()
	first := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		get()
	}
	b.ReportMetric(float64(first.Milliseconds()), "first-ms")
}

// BenchmarkIncidentGrid100k measures GET /api/v1/incidents/grid with
// 100,000 incidents in the store: what the map asks for when there are too
// many incidents to draw one by one, for the whole front in 0.1° cells and
// a zoomed-in box in 0.01° cells, for a reader whose labels filter them.
func BenchmarkIncidentGrid100k(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "grid.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 3))
	fra := label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
	for start := 0; start < 100_000; start += 5000 {
		recs := make([]store.IncidentRecord, 0, 5000)
		for i := start; i < start+5000; i++ {
			lon, lat := 35+rng.Float64()*5, 46+rng.Float64()*4
			r := storetest.Incident(fmt.Sprintf("inc-%06d", i), [4]float64{lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005},
				time.Duration(rng.Int64N(int64(30*24*time.Hour))), time.Minute)
			if i%4 == 0 {
				r.Label = fra
			}
			recs = append(recs, r)
		}
		if err := st.PutIncidents(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := New(ctx, Config{Store: st, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	tok := benchToken(b, st, access.Viewer)
	for _, q := range []string{"cell=0.1", "cell=0.01&bbox=37,48,38,49"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/v1/incidents/grid?"+q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

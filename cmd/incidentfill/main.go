// Command incidentfill fills a guarantor database with incidents, for
// measuring the map with many of them (web/e2e/mapbench.mjs): it copies the
// incidents the database holds, such as a demo day's, back in time one day
// after another, until the database holds -n.
//
//	go run ./cmd/incidentfill -db guarantor.db -n 100000
//
// A copy is its original moved back k days: every time in its GeoJSON
// Feature is k days earlier, its id (and the ids of its linked ends) gain
// the suffix "~dK", and it keeps its place, class, party, confidence and
// releasability. The copies rest on their originals' observations, which are
// not copied: they are for drawing, not for review. Run it while no server
// uses the database.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
)

func main() {
	db := flag.String("db", "", "the SQLite database `FILE` to fill (required)")
	n := flag.Int("n", 100_000, "how many incidents the database should hold")
	flag.Parse()
	if *db == "" {
		fmt.Fprintln(os.Stderr, "incidentfill: -db is required")
		os.Exit(2)
	}
	if err := run(context.Background(), *db, *n); err != nil {
		fmt.Fprintln(os.Stderr, "incidentfill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string, n int) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	originals, err := allIncidents(ctx, st)
	if err != nil {
		return err
	}
	if len(originals) == 0 {
		return fmt.Errorf("%s holds no incidents to copy (start it once with serve --demo)", path)
	}
	ids := make(map[string]bool, len(originals))
	for _, r := range originals {
		ids[r.ID] = true
	}
	have := len(originals)
	const batch = 5000
	var recs []store.IncidentRecord
	for day := 1; have < n; day++ {
		for _, r := range originals {
			if have >= n {
				break
			}
			c, err := copyBack(r, day, ids)
			if err != nil {
				return err
			}
			recs = append(recs, c)
			have++
			if len(recs) == batch {
				if err := st.PutIncidents(ctx, recs); err != nil {
					return fmt.Errorf("put incidents: %w", err)
				}
				recs = recs[:0]
			}
		}
	}
	if len(recs) > 0 {
		if err := st.PutIncidents(ctx, recs); err != nil {
			return fmt.Errorf("put incidents: %w", err)
		}
	}
	fmt.Printf("incidentfill: %s holds %d incidents (%d copied)\n", path, have, have-len(originals))
	return nil
}

// allIncidents reads the newest version of every incident not merged into another.
func allIncidents(ctx context.Context, st *sqlite.DB) ([]store.IncidentRecord, error) {
	var out []store.IncidentRecord
	q := store.IncidentQuery{Limit: 1000}
	for {
		page, err := st.QueryIncidents(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("read incidents: %w", err)
		}
		for _, r := range page.Incidents {
			if r.MergedInto == "" {
				out = append(out, r)
			}
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// copyBack returns r moved back by the given number of days, under a new id.
func copyBack(r store.IncidentRecord, days int, ids map[string]bool) (store.IncidentRecord, error) {
	shift := -time.Duration(days) * 24 * time.Hour
	suffix := fmt.Sprintf("~d%d", days)
	var f any
	if err := json.Unmarshal(r.Feature, &f); err != nil {
		return r, fmt.Errorf("incident %s: read feature: %w", r.ID, err)
	}
	f = rewrite(f, func(s string) string {
		if ids[s] {
			return s + suffix
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Add(shift).Format(time.RFC3339Nano)
		}
		return s
	})
	b, err := json.Marshal(f)
	if err != nil {
		return r, fmt.Errorf("incident %s: write feature: %w", r.ID, err)
	}
	c := r
	c.ID = r.ID + suffix
	c.Seq = 0
	c.Start = r.Start.Add(shift)
	c.End = r.End.Add(shift)
	c.Feature = b
	return c, nil
}

// rewrite returns v with every string replaced by f's answer.
func rewrite(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for i := range x {
			x[i] = rewrite(x[i], f)
		}
	case map[string]any:
		for k := range x {
			x[k] = rewrite(x[k], f)
		}
	}
	return v
}

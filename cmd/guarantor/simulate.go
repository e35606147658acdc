package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/server"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/store"
)

func simulateCommand() command {
	return command{
		name:  "simulate",
		short: "write a reproducible scenario with its ground truth",
		long: `Writes a simulated scenario into a directory: an illustrative contact line of
about 1,100 km across eastern and southern Ukraine (not any official line), a few
hundred acoustic sensors, monitor patrols, and a day of events (fire across the
line and on one side, heavy weapons inside withdrawal zones, drones crossing the
line) with realistic noise. The same seed always gives the same files:

  observations.ndjson  what a client would POST to /api/v1/observations
  sensors.json         what a client would POST to /api/v1/sensors
  terms.yaml           the agreement terms (POST /api/v1/terms, or serve --terms)
  truth.json           what really happened, to measure guarantor against`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			seed := fs.Uint64("seed", 1, "the scenario `SEED`")
			out := fs.String("out", "", "the `DIR`ectory to write into (created if needed; required)")
			duration := fs.Duration("duration", 24*time.Hour, "the scenario's length, 1h to 168h")
			return func(ctx context.Context, env *environment) error {
				if *out == "" {
					return fmt.Errorf("%w: --out DIR is required", errUsage)
				}
				sc, err := sim.Generate(sim.Config{Seed: *seed, Duration: *duration})
				if err != nil {
					return err
				}
				files, err := sc.Files()
				if err != nil {
					return err
				}
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return fmt.Errorf("create %s: %w", *out, err)
				}
				names := make([]string, 0, len(files))
				for name := range files {
					names = append(names, name)
				}
				slices.Sort(names)
				for _, name := range names {
					path := filepath.Join(*out, name)
					if err := os.WriteFile(path, files[name], 0o644); err != nil {
						return fmt.Errorf("write %s: %w", path, err)
					}
					fmt.Fprintf(env.stdout, "wrote %s (%d bytes)\n", path, len(files[name]))
				}
				fmt.Fprintf(env.stdout, "%d observations, %d sensors, %d events in the truth\n", len(sc.Observations), len(sc.Sensors), len(sc.Truth.Events))
				return nil
			}
		},
	}
}

// lastUnique returns the id of the last observation sent only once: it is
// stored only when every chunk before it was (a re-sent id could have been
// stored by an earlier chunk).
func lastUnique(obs []observe.Observation) (string, bool) {
	count := make(map[string]int, len(obs))
	for _, o := range obs {
		count[o.ID]++
	}
	for i := len(obs) - 1; i >= 0; i-- {
		if count[obs[i].ID] == 1 {
			return obs[i].ID, true
		}
	}
	return "", false
}

// loadDemo fills a database with a simulated scenario: its terms, sensors
// and observations. Loading is idempotent, so a load that was interrupted is
// completed on the next start; a database whose demo data is complete (its
// last observation is stored) is left alone, and one that holds other
// terms is refused rather than mixed with demonstration data.
func loadDemo(ctx context.Context, st store.Store, srv *server.Server, seed int64, log *slog.Logger) error {
	start := time.Now()
	sc, err := sim.Generate(sim.Config{Seed: uint64(seed)})
	if err != nil {
		return err
	}
	if last, ok := lastUnique(sc.Observations); ok {
		if _, err := st.Observation(ctx, last); err == nil {
			log.Info("demo data already loaded", "seed", seed)
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	versions, err := st.ListTerms(ctx)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.Terms.ID != sc.Terms.ID {
			return fmt.Errorf("the database holds terms %q, not demonstration data; use --demo with a new --db file", v.Terms.ID)
		}
	}
	if _, err := srv.LoadTerms(ctx, sc.Terms); err != nil {
		return err
	}
	if err := st.PutSensors(ctx, sc.Sensors); err != nil {
		return err
	}
	checks := observe.Checks{}
	for _, c := range sc.Terms.WeaponClasses {
		checks.WeaponClasses = append(checks.WeaponClasses, c.Code)
	}
	added := 0
	for chunk := range slices.Chunk(sc.Observations, server.ChunkSize) {
		for _, o := range chunk {
			if errs := observe.Check(o, checks); len(errs) > 0 {
				return fmt.Errorf("simulated observation %s is invalid: %v", o.ID, errs)
			}
		}
		outcomes, err := st.AddObservations(ctx, chunk)
		if err != nil {
			return err
		}
		for _, o := range outcomes {
			if o == store.Added {
				added++
			}
		}
	}
	log.Info("demo data loaded", "seed", seed, "terms", sc.Terms.Title, "sensors", len(sc.Sensors),
		"observations", added, "duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/server"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/store"
)

func simulateCommand() command {
	return command{
		name:  "simulate",
		short: "write a reproducible scenario with its ground truth",
		long: `Writes a simulated scenario into a directory: an illustrative contact line of
about 1,070 km across eastern and southern Ukraine (not any official line), a few
hundred acoustic sensors, monitor patrols, and a day of events (fire across the
line and on one side, heavy weapons inside withdrawal zones, drones crossing the
line) with realistic noise: false detections, echoes, twin fire close in space
and time, wrong thermometers, clock errors, duplicates and late arrivals. Now
and then a patrol is denied passage or held at a party's checkpoint on its way
to a stop. The same flags always give the same files:

  observations.ndjson  what a client would POST to /api/v1/observations
  restrictions.geojson the patrols' restrictions of access, what a client would
                       POST to /api/v1/restrictions
  sensors.json         what a client would POST to /api/v1/sensors
  terms.yaml           the agreement terms (POST /api/v1/terms, or serve --terms)
  truth.json           what really happened, to measure guarantor against

By default fire follows a day's rhythm (about 40 fire events an hour, more at
night). --events-per-second sets a constant density instead, counted in acoustic
sounds along the whole front (each round's launch and impact are two sounds), to
measure fusion under load: for example 50 for an hour, or 500 for three minutes
(--hours 0.05). A scenario may hold at most about 5 million acoustic detections;
larger ones are refused with the estimated count. The files are written as they
are generated, not built in memory.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			def := sim.Config{}.WithDefaults()
			seed := fs.Uint64("seed", 1, "the scenario `SEED`")
			out := fs.String("out", "", "the `DIR`ectory to write into (created if needed; required)")
			duration := fs.Duration("duration", def.Duration, "the scenario's `LENGTH`, 1m to 168h (or give --hours)")
			hours := fs.Float64("hours", 0, "the scenario's length in `HOURS`, for example 0.05 for three minutes (instead of --duration)")
			rate := fs.Float64("events-per-second", 0, "acoustic sounds per second along the whole front (`RATE`, two per round); 0 for the day's rhythm")
			sensors := fs.Int("sensors", def.AcousticSensors, "the number of acoustic sensors (`N`, at most 5000; 0 for none)")
			falseRate := fs.Float64("false-rate", def.FalseDetectionRate, "false acoustic detections as a `FRACTION` of the true ones, 0 to 1")
			return func(ctx context.Context, env *environment) error {
				if *out == "" {
					return fmt.Errorf("%w: --out DIR is required", errUsage)
				}
				given := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
				cfg := sim.Config{Seed: *seed, Duration: *duration, EventsPerSecond: *rate, AcousticSensors: *sensors, FalseDetectionRate: *falseRate}
				switch {
				case given["hours"] && given["duration"]:
					return fmt.Errorf("%w: give --hours or --duration, not both (their environment variables count as given)", errUsage)
				case given["hours"] && !(*hours > 0 && *hours <= 168):
					return fmt.Errorf("%w: --hours %g must be more than 0 and at most 168", errUsage, *hours)
				case given["hours"]:
					cfg.Duration = time.Duration(math.Round(*hours * float64(time.Hour)))
				}
				if !(*rate >= 0) || math.IsInf(*rate, 0) {
					return fmt.Errorf("%w: --events-per-second %g must be a number, 0 or more", errUsage, *rate)
				}
				if *sensors < 0 {
					return fmt.Errorf("%w: --sensors %d must be 0 or more", errUsage, *sensors)
				}
				if !(*falseRate >= 0 && *falseRate <= 1) {
					return fmt.Errorf("%w: --false-rate %g must be between 0 and 1", errUsage, *falseRate)
				}
				// In a sim.Config zero means the default and a negative value none.
				if cfg.AcousticSensors == 0 {
					cfg.AcousticSensors = -1
				}
				if cfg.FalseDetectionRate == 0 {
					cfg.FalseDetectionRate = -1
				}
				sc, err := sim.Generate(cfg)
				if errors.Is(err, sim.ErrConfig) {
					return fmt.Errorf("%w: %w", errUsage, err)
				} else if err != nil {
					return err
				}
				return writeScenario(env.stdout, *out, sc)
			}
		},
	}
}

// writeScenario writes the scenario's files into dir, streaming the large
// ones, and says what it wrote. Each file is written under a temporary
// name and renamed when complete.
func writeScenario(stdout io.Writer, dir string, sc sim.Scenario) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	bytesOf := func(b []byte, err error) func(io.Writer) error {
		return func(w io.Writer) error {
			if err != nil {
				return err
			}
			_, err := w.Write(b)
			return err
		}
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{sim.ObservationsFile, sc.WriteObservations},
		{sim.RestrictionsFile, bytesOf(sc.RestrictionsGeoJSON())},
		{sim.SensorsFile, bytesOf(sc.SensorsJSON())},
		{sim.TermsFile, bytesOf(sc.TermsYAML())},
		{sim.TruthFile, sc.WriteTruth},
	} {
		path := filepath.Join(dir, f.name)
		n, err := streamToFile(path, f.write)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", path, n)
	}
	sum := sc.Truth.Summary
	fmt.Fprintf(stdout, "%d observations, %d sensors, %d events in the truth, %d restrictions of access (%d denied)\n",
		len(sc.Observations), len(sc.Sensors), len(sc.Truth.Events), sum.Restrictions, sum.RestrictionsDenied)
	fmt.Fprintf(stdout, "%d sounds (%.1f a second), %d acoustic detections (%d echoes, %d false)\n",
		sum.Sounds, float64(sum.Sounds)/sc.Config.Duration.Seconds(), sum.ObservationsByKind[observe.KindAcoustic], sum.Echoes, sum.FalseAcoustic)
	return nil
}

// streamToFile writes path with write, through a temporary file in the
// same directory that is renamed to path once complete, and returns the
// number of bytes written.
func streamToFile(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	cw := &countingWriter{w: tmp}
	err = write(cw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return cw.n, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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

// loadDemo fills a database with a simulated scenario: its terms, sensors,
// observations and restrictions of access. Loading is idempotent, so a load
// that was interrupted is completed on the next start; a database whose
// demo observations are complete (its last observation is stored) only has
// the restrictions added again, which stores those it lacks, and one that
// holds other terms is refused rather than mixed with demonstration data.
func loadDemo(ctx context.Context, st store.Store, srv *server.Server, seed int64, log *slog.Logger) error {
	start := time.Now()
	// The confusions added to the simulator later (echoes, twin fire, wrong
	// thermometers) stay off, so that the demo data is what earlier
	// versions loaded and a database they filled is recognised as complete.
	sc, err := sim.Generate(sim.Config{Seed: uint64(seed), EchoRate: -1, TwinFireRate: -1, WrongTemperatureRate: -1})
	if err != nil {
		return err
	}
	if last, ok := lastUnique(sc.Observations); ok {
		if _, err := st.Observation(ctx, last); err == nil {
			// A database loaded before the simulator made restrictions, or
			// stopped before they were stored, gets them now.
			restrictions, err := addDemoRestrictions(ctx, st, sc.Restrictions)
			if err != nil {
				return err
			}
			log.Info("demo data already loaded", "seed", seed, "restrictions_added", restrictions)
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
		outcomes, err := st.AddObservations(ctx, "", chunk)
		if err != nil {
			return err
		}
		for _, o := range outcomes {
			if o == store.Added {
				added++
			}
		}
	}
	restrictions, err := addDemoRestrictions(ctx, st, sc.Restrictions)
	if err != nil {
		return err
	}
	log.Info("demo data loaded", "seed", seed, "terms", sc.Terms.Title, "sensors", len(sc.Sensors),
		"observations", added, "restrictions", restrictions, "duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// addDemoRestrictions checks and stores the scenario's restrictions of
// access, and returns how many were not stored before.
func addDemoRestrictions(ctx context.Context, st store.Store, rs []restriction.Restriction) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	for _, r := range rs {
		if err := restriction.Check(r, label.Scheme{}); err != nil {
			return 0, fmt.Errorf("simulated restriction %s is invalid: %w", r.ID, err)
		}
	}
	outcomes, err := st.AddRestrictions(ctx, "", rs)
	if err != nil {
		return 0, fmt.Errorf("store the demo restrictions: %w", err)
	}
	added := 0
	for _, o := range outcomes {
		if o == store.Added {
			added++
		}
	}
	return added, nil
}

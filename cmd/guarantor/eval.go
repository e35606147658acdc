package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/guarantor-project/guarantor/internal/evaluate"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/terms"
)

func evalCommand() command {
	return command{
		name:  "eval",
		short: "measure fusion against a simulated scenario's truth",
		long: `Runs a scenario written by 'guarantor simulate --out DIR' through the ingest
checks and the fusion engine the server runs, each observation at the time it
was sent, and prints against the truth: association precision and recall,
the share of sources inside their own 95% ellipse, location error over the
Cramér–Rao bound, attribution accuracy, wrong attributions at p >= 0.95,
detections processed per second, and the delay from a sound's last
detection to its incident. With --json it prints one JSON object.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			dir := fs.String("scenario", "", "the scenario `DIR`ectory (required)")
			asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
			lateness := fs.Duration("lateness", 10*time.Second, "how long acoustic detections may take to arrive before association decides without them")
			return func(ctx context.Context, env *environment) error {
				if *dir == "" {
					return fmt.Errorf("%w: --scenario DIR is required", errUsage)
				}
				if *lateness <= 0 {
					return fmt.Errorf("%w: --lateness must be positive", errUsage)
				}
				sc, err := readScenario(*dir)
				if err != nil {
					return err
				}
				rep, err := evaluate.Run(sc, evaluate.Config{Engine: incident.Config{Lateness: *lateness}})
				if err != nil {
					return fmt.Errorf("eval %s: %w", *dir, err)
				}
				if *asJSON {
					b, err := json.MarshalIndent(rep, "", "  ")
					if err != nil {
						return err
					}
					_, err = env.stdout.Write(append(b, '\n'))
					return err
				}
				return rep.WriteTable(env.stdout)
			}
		},
	}
}

// readScenario reads the files of a scenario directory, checking every
// observation, and every restriction of access when the directory has
// them, as the server's ingest does. Evaluation does not use the
// restrictions.
func readScenario(dir string) (evaluate.Scenario, error) {
	var sc evaluate.Scenario
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read scenario: %w", err)
		}
		return b, nil
	}
	b, err := read(sim.TermsFile)
	if err != nil {
		return sc, err
	}
	if sc.Terms, err = terms.Parse(b, filepath.Join(dir, sim.TermsFile)); err != nil {
		return sc, err
	}
	if b, err = read(sim.SensorsFile); err != nil {
		return sc, err
	}
	if err := json.Unmarshal(b, &sc.Sensors); err != nil {
		return sc, fmt.Errorf("read %s: %w", filepath.Join(dir, sim.SensorsFile), err)
	}
	f, err := os.Open(filepath.Join(dir, sim.TruthFile))
	if err != nil {
		return sc, fmt.Errorf("read scenario: %w", err)
	}
	err = json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&sc.Truth)
	f.Close()
	if err != nil {
		return sc, fmt.Errorf("read %s: %w", filepath.Join(dir, sim.TruthFile), err)
	}
	if err := checkRestrictions(filepath.Join(dir, sim.RestrictionsFile)); err != nil {
		return sc, err
	}
	path := filepath.Join(dir, sim.ObservationsFile)
	f, err = os.Open(path)
	if err != nil {
		return sc, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	checks := observe.Checks{}
	for _, c := range sc.Terms.WeaponClasses {
		checks.WeaponClasses = append(checks.WeaponClasses, c.Code)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if b = bytes.TrimSpace(b); len(b) > 0 {
			o, errs := observe.Decode(b, checks)
			if len(errs) > 0 {
				return sc, fmt.Errorf("%s:%d: %v", path, line, errs[0])
			}
			sc.Observations = append(sc.Observations, o)
		}
		if err == io.EOF {
			return sc, nil
		}
		if err != nil {
			return sc, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// checkRestrictions reads a scenario's FeatureCollection of restrictions
// of access and checks each as POST /api/v1/restrictions does. A missing
// file, from a simulator that made none, is no error.
func checkRestrictions(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read scenario: %w", err)
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if fc.Type != "FeatureCollection" {
		return fmt.Errorf("read %s: a FeatureCollection is wanted, the type is %q", path, fc.Type)
	}
	for i, f := range fc.Features {
		if _, err := restriction.Parse(f, label.Scheme{}); err != nil {
			return fmt.Errorf("%s: feature %d: %w", path, i+1, err)
		}
	}
	return nil
}

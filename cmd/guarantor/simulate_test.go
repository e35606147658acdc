package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/sim"
)

func TestSimulateBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in the error output
	}{
		{"negative rate", nil, []string{"--events-per-second", "-5"}, "--events-per-second -5 must be"},
		{"rate not a number", nil, []string{"--events-per-second", "NaN"}, "--events-per-second NaN must be"},
		{"rate not parsed", nil, []string{"--events-per-second", "lots"}, "invalid value"},
		{"zero hours", nil, []string{"--hours", "0"}, "--hours 0 must be more than 0"},
		{"negative hours", nil, []string{"--hours", "-1"}, "--hours -1 must be more than 0"},
		{"too many hours", nil, []string{"--hours", "200"}, "at most 168"},
		{"hours and duration", nil, []string{"--hours", "0.05", "--duration", "1h"}, "give --hours or --duration, not both"},
		{"hours from the environment and duration", map[string]string{"GUARANTOR_HOURS": "0.05"}, []string{"--duration", "1h"}, "not both"},
		{"too short", nil, []string{"--hours", "0.01"}, "between 1m and 168h"},
		{"negative sensors", nil, []string{"--sensors", "-3"}, "--sensors -3 must be 0 or more"},
		{"too many sensors", nil, []string{"--sensors", "6000"}, "too many sensors"},
		{"false rate over 1", nil, []string{"--false-rate", "1.5"}, "--false-rate 1.5 must be between 0 and 1"},
		{"negative false rate", nil, []string{"--false-rate", "-0.1"}, "--false-rate -0.1 must be"},
		{"too many detections", nil, []string{"--events-per-second", "500", "--hours", "1"}, "acoustic detections estimated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			args := append([]string{"simulate", "--out", dir}, tc.args...)
			code, out, errOut := runCLI(t, tc.env, args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("simulate %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
			}
			if strings.Contains(out, "wrote") {
				t.Errorf("wrote files: %q", out)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("created %s", dir)
			}
		})
	}
}

// TestSimulateDense runs a short, dense scenario through the command and
// checks that every flag reached the scenario.
func TestSimulateDense(t *testing.T) {
	args := []string{"--seed", "9", "--events-per-second", "50", "--hours", "0.05", "--sensors", "120", "--false-rate", "0.2"}
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		code, out, errOut := runCLI(t, nil, append([]string{"simulate", "--out", dir}, args...)...)
		if code != 0 || !strings.Contains(out, "sounds (") {
			t.Fatalf("simulate: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
	names := []string{sim.ObservationsFile, sim.RestrictionsFile, sim.SensorsFile, sim.TermsFile, sim.TruthFile}
	entries, err := os.ReadDir(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("files written: %v, want %v (no temporary files left)", got, names)
	}
	for _, name := range names {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dirs[1], name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: empty or not reproducible for the same flags", name)
		}
	}

	tr := readTruth(t, dirs[0])
	if d := tr.End.Sub(tr.Start); d != 3*time.Minute {
		t.Errorf("--hours 0.05 gave a scenario of %s", d)
	}
	if tr.Seed != 9 {
		t.Errorf("seed %d, want 9", tr.Seed)
	}
	acoustic := 0
	for _, s := range tr.Sensors {
		if s.Type == observe.SensorAcoustic {
			acoustic++
		}
	}
	if acoustic != 120 {
		t.Errorf("%d acoustic sensors, want 120", acoustic)
	}
	sum := tr.Summary
	if want := 50.0 * 180; math.Abs(float64(sum.Sounds)-want) > 0.3*want {
		t.Errorf("%d sounds in 3 minutes at 50 a second", sum.Sounds)
	}
	direct := 0
	for _, o := range tr.Observations {
		if o.Kind == observe.KindAcoustic && (o.Sound == "launch" || o.Sound == "impact") {
			direct++
		}
	}
	if f := float64(sum.FalseAcoustic) / float64(direct); math.Abs(f-0.2) > 0.01 {
		t.Errorf("false detections are %.3f of the true ones, want 0.2", f)
	}
	ndjson, err := os.ReadFile(filepath.Join(dirs[0], sim.ObservationsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(ndjson, []byte("\n")); n != sum.ObservationLines {
		t.Errorf("%d lines in %s, the truth says %d", n, sim.ObservationsFile, sum.ObservationLines)
	}

	// Zero means none: no sensors, no false detections.
	dir := t.TempDir()
	code, _, errOut := runCLI(t, nil, "simulate", "--out", dir, "--events-per-second", "20", "--duration", "2m", "--sensors", "0", "--false-rate", "0")
	if code != 0 {
		t.Fatalf("simulate with no sensors: exit %d, %q", code, errOut)
	}
	tr = readTruth(t, dir)
	if n := tr.Summary.ObservationsByKind[observe.KindAcoustic]; n != 0 || tr.Summary.FalseAcoustic != 0 {
		t.Errorf("%d acoustic detections (%d false) with no sensors", n, tr.Summary.FalseAcoustic)
	}
}

func readTruth(t *testing.T, dir string) sim.Truth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, sim.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	var tr sim.Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("%s: %v", sim.TruthFile, err)
	}
	return tr
}

// TestReadScenarioRestrictions reads a scenario with restrictions of
// access back as eval does, and refuses a restrictions file that does not
// hold valid restrictions.
func TestReadScenarioRestrictions(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, nil, "simulate", "--seed", "1", "--hours", "15", "--sensors", "10", "--out", dir); code != 0 {
		t.Fatal(errOut)
	}
	path := filepath.Join(dir, sim.RestrictionsFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte // nil for no file
		want string // a piece of the error, or "" for none
	}{
		{"as written", good, ""},
		{"no file", nil, ""},
		{"empty collection", []byte(`{"type":"FeatureCollection","features":[]}`), ""},
		{"not JSON", []byte(`{"type":`), sim.RestrictionsFile},
		{"a single feature", []byte(`{"type":"Feature"}`), "a FeatureCollection is wanted"},
		{"a bad outcome", bytes.Replace(good, []byte(`"outcome":"`), []byte(`"outcome":"not `), 1), "feature 1: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(path)
			if tc.file != nil {
				if err := os.WriteFile(path, tc.file, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sc, err := readScenario(dir)
			switch {
			case tc.want == "" && (err != nil || len(sc.Observations) == 0):
				t.Errorf("readScenario: %v, %d observations", err, len(sc.Observations))
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("readScenario: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// Package sim generates illustrative ceasefire-monitoring scenarios with
// complete ground truth: agreement terms with a contact line, a sensor
// registry, a day of events (fire across and along the line, heavy weapons
// inside withdrawal zones, drones crossing the line) and the observations
// that sources would send about them, with realistic noise, misses, false
// detections, duplicates, re-sends and late arrivals.
//
// Generation is pure and deterministic: the same Config gives the same
// bytes. The package does no I/O; the output helpers return bytes or write
// to a caller's io.Writer.
package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Config sets up a scenario. Zero values take the defaults; for the counts
// and rates a negative value means none.
type Config struct {
	// Seed selects the scenario; the same seed gives the same bytes.
	Seed uint64
	// Start is the beginning of the scenario (default 2026-11-21T00:00:00Z).
	Start time.Time
	// Duration is the scenario's length (default 24h, at most 7 days).
	Duration time.Duration

	AcousticSensors int // default 300
	Radars          int // default 12
	Cameras         int // default 8
	Patrols         int // default 16

	FireEventsPerHour   float64 // default 40 (modulated: more at night)
	HeavyWeaponsPerDay  float64 // default 40 weapon sites
	DroneFlightsPerHour float64 // default 2.5

	// FalseDetectionRate is the number of false acoustic detections as a
	// fraction of the true ones (default 0.07).
	FalseDetectionRate float64
	// DuplicateReportRate is the fraction of monitor reports sent a second
	// time under a new id (default 0.06).
	DuplicateReportRate float64
	// ResendRate is the fraction of observations re-sent with the same id
	// and bytes, as a client retry would (default 0.002).
	ResendRate float64
}

// DefaultStart is the default beginning of a scenario.
var DefaultStart = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// WithDefaults returns c with every zero field set to its default and
// negative counts and rates set to zero.
func (c Config) WithDefaults() Config {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC()
	if c.Duration == 0 {
		c.Duration = 24 * time.Hour
	}
	ints := []struct {
		p   *int
		def int
	}{{&c.AcousticSensors, 300}, {&c.Radars, 12}, {&c.Cameras, 8}, {&c.Patrols, 16}}
	for _, f := range ints {
		if *f.p == 0 {
			*f.p = f.def
		} else if *f.p < 0 {
			*f.p = 0
		}
	}
	floats := []struct {
		p   *float64
		def float64
	}{
		{&c.FireEventsPerHour, 40}, {&c.HeavyWeaponsPerDay, 40}, {&c.DroneFlightsPerHour, 2.5},
		{&c.FalseDetectionRate, 0.07}, {&c.DuplicateReportRate, 0.06}, {&c.ResendRate, 0.002},
	}
	for _, f := range floats {
		if *f.p == 0 {
			*f.p = f.def
		} else if *f.p < 0 {
			*f.p = 0
		}
	}
	return c
}

func (c Config) check() error {
	var errs []error
	if c.Start.Year() < 1990 || c.Start.Year() > 9000 {
		errs = append(errs, fmt.Errorf("start %s is out of range", c.Start.Format(time.RFC3339)))
	}
	if c.Duration < time.Hour || c.Duration > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("duration %s must be between 1h and 168h", c.Duration))
	}
	if c.AcousticSensors > 5000 || c.Radars > 500 || c.Cameras > 500 || c.Patrols > 500 {
		errs = append(errs, errors.New("too many sensors or monitors (at most 5000 acoustic sensors and 500 of the others)"))
	}
	if c.FireEventsPerHour > 1000 || c.HeavyWeaponsPerDay > 2000 || c.DroneFlightsPerHour > 200 {
		errs = append(errs, errors.New("event rates too high (at most 1000 fire events per hour, 2000 weapon sites per day, 200 drone flights per hour)"))
	}
	if c.FalseDetectionRate > 1 || c.DuplicateReportRate > 1 || c.ResendRate > 0.5 {
		errs = append(errs, errors.New("false detection and duplicate rates must be at most 1, the re-send rate at most 0.5"))
	}
	return errors.Join(errs...)
}

// Scenario is a generated scenario.
type Scenario struct {
	// Config is the configuration used, with defaults applied.
	Config Config
	// Terms are the illustrative agreement terms with the contact line.
	Terms terms.Terms
	// Sensors is the registry of fixed sensors: acoustic sensors, radars
	// and cameras, with their reported (not true) positions.
	Sensors []observe.Sensor
	// Observations are in the order a client would send them: roughly by
	// time, with late arrivals and exact re-sends (the same observation
	// value twice).
	Observations []observe.Observation
	// Truth is what really happened.
	Truth Truth
}

// Generate builds the scenario for cfg.
func Generate(cfg Config) (Scenario, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.check(); err != nil {
		return Scenario{}, fmt.Errorf("sim: %w", err)
	}
	g := newGen(cfg)
	if err := g.run(); err != nil {
		return Scenario{}, fmt.Errorf("sim: %w", err)
	}
	return g.scen, nil
}

// File names used by Files.
const (
	ObservationsFile = "observations.ndjson"
	SensorsFile      = "sensors.json"
	TermsFile        = "terms.yaml"
	TruthFile        = "truth.json"
)

// WriteObservations writes the observations to w as NDJSON: one canonical
// GeoJSON Feature (observe.Marshal) per line.
func (s Scenario) WriteObservations(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, o := range s.Observations {
		b, err := observe.Marshal(o)
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ObservationsNDJSON returns the observations as NDJSON.
func (s Scenario) ObservationsNDJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := s.WriteObservations(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SensorsJSON returns the sensor registry as an indented JSON array.
func (s Scenario) SensorsJSON() ([]byte, error) {
	b, err := json.MarshalIndent(s.Sensors, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// TermsYAML returns the terms as YAML (sigs.k8s.io/yaml, so field names are
// the JSON names of terms.Terms), after a comment saying they are illustrative.
func (s Scenario) TermsYAML() ([]byte, error) {
	b, err := yaml.Marshal(s.Terms)
	if err != nil {
		return nil, err
	}
	head := "# Generated by guarantor's scenario simulator. Illustrative terms:\n# the contact line is not any official line.\n"
	return append([]byte(head), b...), nil
}

// WriteTruth writes the truth as JSON: indented, except that each
// observation entry takes one line.
func (s Scenario) WriteTruth(w io.Writer) error {
	head := s.Truth
	head.Observations = nil
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	b = bytes.TrimSuffix(b, []byte("\n}"))
	bw.Write(b)
	bw.WriteString(",\n  \"observations\": [")
	for i, o := range s.Truth.Observations {
		line, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(line)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// TruthJSON returns the truth as JSON (see WriteTruth).
func (s Scenario) TruthJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := s.WriteTruth(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Files returns every output by file name: ObservationsFile, SensorsFile,
// TermsFile and TruthFile.
func (s Scenario) Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	var err error
	if out[ObservationsFile], err = s.ObservationsNDJSON(); err != nil {
		return nil, err
	}
	if out[SensorsFile], err = s.SensorsJSON(); err != nil {
		return nil, err
	}
	if out[TermsFile], err = s.TermsYAML(); err != nil {
		return nil, err
	}
	if out[TruthFile], err = s.TruthJSON(); err != nil {
		return nil, err
	}
	return out, nil
}

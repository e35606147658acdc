// Package sim generates illustrative ceasefire-monitoring scenarios with
// complete ground truth: agreement terms with a contact line, a sensor
// registry, a day of events (fire across and along the line, heavy weapons
// inside withdrawal zones, drones crossing the line) and the observations
// that sources would send about them, with realistic noise, misses, false
// detections, duplicates, re-sends and late arrivals, and the restrictions
// of access the patrols meet at the parties' checkpoints.
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
	"math"
	"runtime"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Config sets up a scenario. Zero values take the defaults; for the counts
// and rates a negative value means none.
type Config struct {
	// Seed selects the scenario; the same seed gives the same bytes.
	Seed uint64
	// Start is the beginning of the scenario (default 2026-11-21T00:00:00Z).
	Start time.Time
	// Duration is the scenario's length (default 24h, 1 minute to 7 days).
	Duration time.Duration

	AcousticSensors int // default 300
	Radars          int // default 12
	Cameras         int // default 8
	Patrols         int // default 16

	// FireEventsPerHour is the mean rate of fire events, before twins
	// (default 40, modulated: more at night). Fire starts in the scenario's
	// first Duration − min(15 min, Duration/4).
	FireEventsPerHour float64
	// EventsPerSecond, when positive, sets the density of fire instead: it
	// is the mean number of acoustic sounds per second along the whole
	// front, counting each round's launch and impact as two sounds and the
	// rounds of twins (TwinFireRate). FireEventsPerHour is then derived
	// from it and the weapon mix's mean number of rounds per event, and is
	// constant (no night modulation). Fire events then also start up to
	// LeadTime before the scenario, and only rounds launched within the
	// scenario are kept, so the rate holds from the first second to the
	// last; impacts of the last rounds can fall up to about a minute after
	// the end.
	EventsPerSecond     float64
	HeavyWeaponsPerDay  float64 // default 40 weapon sites
	DroneFlightsPerHour float64 // default 2.5

	// FalseDetectionRate is the number of false acoustic detections as a
	// fraction of the true, direct ones (default 0.07).
	FalseDetectionRate float64
	// EchoRate is the fraction of true acoustic detections followed by an
	// echo: a second detection at the same sensor 0.3–3 s later, as a
	// reflection would give (default 0.02).
	EchoRate float64
	// WrongTemperatureRate is the fraction of acoustic sensors whose
	// reported temperature is wrong by 3–8 °C (default 0.05).
	WrongTemperatureRate float64
	// TwinFireRate is the fraction of fire events that get a twin: a second
	// fire event with the same weapon type, fired 1–3 km from the first
	// 0.5–6 s after it at an aim point 0.5–2 km from the first's, so that
	// their sounds overlap in space and time (default 0.05).
	TwinFireRate float64
	// DuplicateReportRate is the fraction of monitor reports sent a second
	// time under a new id (default 0.06).
	DuplicateReportRate float64
	// ResendRate is the fraction of observations re-sent with the same id
	// and bytes, as a client retry would (default 0.002).
	ResendRate float64
	// RestrictionRate is the chance, for each stop of a patrol, that the
	// patrol was denied passage or held at a checkpoint on its way there
	// (default 0.04).
	RestrictionRate float64
}

// DefaultStart is the default beginning of a scenario.
var DefaultStart = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// LeadTime is how long before the scenario fire events may start when
// Config.EventsPerSecond is set: longer than any event's firing lasts.
const LeadTime = 12 * time.Minute

// MaxAcousticDetections is the most acoustic detections (true, echoes and
// false) a configuration may be expected to produce. Generate estimates the
// number once the sensors are placed and refuses a configuration above it.
const MaxAcousticDetections = 5_000_000

// MaxSounds is the most acoustic sounds (launches and impacts of rounds) a
// configuration may be expected to produce.
const MaxSounds = 2_000_000

// ErrConfig marks an error in a Config.
var ErrConfig = errors.New("invalid configuration")

// WithDefaults returns c with every zero field set to its default and
// negative counts and rates set to zero. When EventsPerSecond is positive,
// FireEventsPerHour is replaced by the rate derived from it.
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
		{&c.FalseDetectionRate, 0.07}, {&c.EchoRate, 0.02}, {&c.WrongTemperatureRate, 0.05},
		{&c.TwinFireRate, 0.05}, {&c.DuplicateReportRate, 0.06}, {&c.ResendRate, 0.002},
		{&c.RestrictionRate, 0.04},
	}
	for _, f := range floats {
		if *f.p == 0 {
			*f.p = f.def
		} else if *f.p < 0 {
			*f.p = 0
		}
	}
	if c.EventsPerSecond < 0 {
		c.EventsPerSecond = 0
	}
	if c.EventsPerSecond > 0 {
		c.FireEventsPerHour = c.EventsPerSecond * 3600 / (MeanSoundsPerFireEvent() * (1 + c.TwinFireRate))
	}
	return c
}

func (c Config) check() error {
	var errs []error
	if c.Start.Year() < 1990 || c.Start.Year() > 9000 {
		errs = append(errs, fmt.Errorf("start %s is out of range", c.Start.Format(time.RFC3339)))
	}
	if c.Duration < time.Minute || c.Duration > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("duration %s must be between 1m and 168h", c.Duration))
	}
	if c.AcousticSensors > 5000 || c.Radars > 500 || c.Cameras > 500 || c.Patrols > 500 {
		errs = append(errs, errors.New("too many sensors or monitors (at most 5000 acoustic sensors and 500 of the others)"))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"events per second", c.EventsPerSecond}, {"fire events per hour", c.FireEventsPerHour},
		{"weapon sites per day", c.HeavyWeaponsPerDay}, {"drone flights per hour", c.DroneFlightsPerHour},
		{"false detection rate", c.FalseDetectionRate}, {"echo rate", c.EchoRate},
		{"wrong temperature rate", c.WrongTemperatureRate}, {"twin fire rate", c.TwinFireRate},
		{"duplicate report rate", c.DuplicateReportRate}, {"re-send rate", c.ResendRate},
		{"restriction rate", c.RestrictionRate},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			errs = append(errs, fmt.Errorf("%s is %v", f.name, f.v))
		}
	}
	if c.HeavyWeaponsPerDay > 2000 || c.DroneFlightsPerHour > 200 {
		errs = append(errs, errors.New("event rates too high (at most 2000 weapon sites per day and 200 drone flights per hour)"))
	}
	if c.FalseDetectionRate > 1 || c.EchoRate > 1 || c.WrongTemperatureRate > 1 || c.TwinFireRate > 1 ||
		c.DuplicateReportRate > 1 || c.RestrictionRate > 1 || c.ResendRate > 0.5 {
		errs = append(errs, errors.New("false detection, echo, wrong temperature, twin fire, duplicate and restriction rates must be at most 1, the re-send rate at most 0.5"))
	}
	if len(errs) == 0 {
		if sounds := estimatedSounds(c); sounds > MaxSounds {
			errs = append(errs, fmt.Errorf("about %.0f sounds estimated, more than the %d a scenario may hold: lower the rate of fire or the duration", sounds, MaxSounds))
		}
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
	// Restrictions are the restrictions of access the patrols reported,
	// in time order.
	Restrictions []restriction.Restriction
	// Truth is what really happened.
	Truth Truth
}

// Generate builds the scenario for cfg.
func Generate(cfg Config) (Scenario, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.check(); err != nil {
		return Scenario{}, fmt.Errorf("sim: %w: %w", ErrConfig, err)
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
	RestrictionsFile = "restrictions.geojson"
	SensorsFile      = "sensors.json"
	TermsFile        = "terms.yaml"
	TruthFile        = "truth.json"
)

// WriteObservations writes the observations to w as NDJSON: one canonical
// GeoJSON Feature (observe.Marshal) per line. It marshals on every CPU and
// writes in order, holding only a few thousand lines at a time.
func (s Scenario) WriteObservations(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	err := writeInOrder(bw, s.Observations, func(b []byte, _ int, o observe.Observation) ([]byte, error) {
		line, err := observe.Marshal(o)
		if err != nil {
			return b, err
		}
		return append(append(b, line...), '\n'), nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeInOrder writes to w, for each item in order, what add appends for
// it. Chunks of items are turned into bytes concurrently, on up to
// GOMAXPROCS goroutines; the output is the same as that of a loop.
func writeInOrder[T any](w io.Writer, items []T, add func(b []byte, i int, item T) ([]byte, error)) error {
	const chunk = 1024
	workers := max(1, runtime.GOMAXPROCS(0))
	bufs := make([][]byte, workers)
	errs := make([]error, workers)
	for base := 0; base < len(items); base += chunk * workers {
		var wg sync.WaitGroup
		n := 0
		for k := range workers {
			lo := base + k*chunk
			if lo >= len(items) {
				break
			}
			hi := min(lo+chunk, len(items))
			n++
			wg.Go(func() {
				b := bufs[k][:0]
				for i := lo; i < hi && errs[k] == nil; i++ {
					b, errs[k] = add(b, i, items[i])
				}
				bufs[k] = b
			})
		}
		wg.Wait()
		for k := range n {
			if errs[k] != nil {
				return errs[k]
			}
			if _, err := w.Write(bufs[k]); err != nil {
				return err
			}
		}
	}
	return nil
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
		return fmt.Errorf("marshal the truth: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	b = bytes.TrimSuffix(b, []byte("\n}"))
	bw.Write(b)
	bw.WriteString(",\n  \"observations\": [")
	err = writeInOrder(bw, s.Truth.Observations, func(b []byte, i int, o ObservationTruth) ([]byte, error) {
		line, err := json.Marshal(o)
		if err != nil {
			return b, fmt.Errorf("marshal the truth of observation %s: %w", o.ID, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		return append(b, line...), nil
	})
	if err != nil {
		return err
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

// Files returns every output by file name: ObservationsFile,
// RestrictionsFile, SensorsFile, TermsFile and TruthFile.
func (s Scenario) Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	var err error
	if out[ObservationsFile], err = s.ObservationsNDJSON(); err != nil {
		return nil, err
	}
	if out[RestrictionsFile], err = s.RestrictionsGeoJSON(); err != nil {
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

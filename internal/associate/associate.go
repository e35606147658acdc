// Package associate groups acoustic detections into events: it decides
// which detections, heard at which sensors, are the same sound. It is the
// acoustic counterpart of seismology's phase association.
//
// # The problem
//
// A heavy day is thousands of sounds, each heard by 5–30 sensors, with
// false detections and missed ones. Sound travels at about 340 m/s, so a
// sensor that hears to 20 km receives a sound up to a minute after it was
// made, while other sounds keep arriving: at 50 sounds a second along a
// 1,000 km front every sensor hears about two a second, and a minute of
// them is in flight at once. The arrival times are sharp (about 10 ms), and
// they are what separates the sounds: three arrivals fit some source
// exactly, a fourth and later ones confirm it or not.
//
// # Generating hypotheses
//
// Every detection is tried as a seed, in order of time, unless a strong
// hypothesis already holds it. A seed is most likely the first arrival of
// its sound, at the sensor nearest to it. Two helper sensors near the
// seed's sensor offer the detections that could be the same sound (at most
// their distance over the speed of sound away in time), and each pair of
// them fixes, with the seed, a candidate source and origin time in closed
// form (three arrivals, three unknowns, in the seed sensor's east-north
// plane). Each candidate is screened against the nearest other sensors and
// the best are extended to every sensor in range; both look for a
// detection within three standard deviations of the predicted arrival and
// update the source as a Kalman filter would, since three arrivals predict
// the others only roughly. Candidates are scored by the log-likelihood
// ratio of their fits against chance, each fit weighed against the local
// rate of detections: where detections are dense a chance one fits easily
// and is worth less. The best few are refined by weighted Gauss–Newton on
// the detections they explain (at most one per sensor, the nearest to its
// predicted arrival), collected again until they do not change, and kept
// as hypotheses if enough sensors heard them (MinDetections, and
// MinFraction of those in range) and their evidence reaches MinEvidence.
// A second pair of helpers is tried when the first finds nothing strong,
// in case a helper missed the sound. Generation ignores what has been
// accepted, so it depends only on the detections.
//
// Searching the seeds is most of the work, and the searches share nothing
// but the detections they read, so Config.Workers goroutines search
// batches of seeds ahead of their turn; the seeds' hypotheses are then
// taken in order of time, and a seed that an earlier one covered by then
// is dropped, as if never searched. The hypotheses, and so the events, are
// those of searching the seeds one by one.
//
// # Accepting events
//
// Hypotheses compete for detections, and the best wins: they are accepted
// best first, as REAL and PyOcto rank theirs. One that lost a detection it
// could take to an accepted event takes its next-best detection at that
// sensor (among those it had within the tolerance) and is scored again. A
// hypothesis is accepted only once every seed that could compete for its
// detections has been tried and no better competitor waits, so the events
// are those of a single greedy pass over all the hypotheses, whenever Flush
// is called. Where two sounds reach a sensor within the tolerance of both,
// the first accepted may take the other's arrival; the second then
// exchanges it back if that fits both better. Detections that no event took
// are returned as unassociated, so that they remain visible.
//
// # Why not a grid or a space-time partition
//
// Grid searches (REAL) and space-time partitions (PyOcto) keep the cells of
// space and origin time consistent with enough detections. At acoustic
// speed a cell fine enough to separate sounds 10 ms apart is tens of metres
// across, and at the densities above almost every coarser cell is
// consistent with a chance detection at most sensors: such a search would
// visit millions of cells per sound. Candidates built from the detections
// themselves (as GaMMA's and REAL's seeds are) are far fewer.
//
// # Limits
//
// The work per seed grows with the square of the local rate of detections
// (pairs of the helpers' detections), and so does the chance that a wrong
// detection fits a hypothesis. Where detections are so dense that even a
// sound heard by every sensor in range could not reach MinEvidence, arrival
// times alone cannot tell sounds apart: seeds there are not searched, and
// their detections are returned unassociated. MaxPairs bounds the work of a
// seed below that.
//
// # Streaming
//
// Associator takes detections as they come, in any order, and Flush returns
// what is decided: the events no hypothesis can contest any more and the
// detections no event can take. The result depends only on the detections,
// not on the order in which they were added nor on when Flush was called,
// as long as every detection is added before the Flush that covers its
// time. Associate does the whole job for a batch.
//
// The package keeps no global state and does no I/O.
package associate

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// Sensor is an acoustic sensor: its registry id and position.
type Sensor struct {
	ID       string
	Position geo.LonLat
}

// Detection is one sensor's detection of a sound.
type Detection struct {
	// ID identifies the detection (the observation's id); it must be unique.
	ID string
	// Sensor is the id of the sensor that heard it.
	Sensor string
	// Time is the arrival time at the sensor.
	Time time.Time
	// SigmaS is the one-sigma uncertainty of Time in seconds (pick and
	// clock together). It weights the detection in the location fit and
	// in its evidence; values below MaxResidualS/3, zero included, count
	// as MaxResidualS/3.
	SigmaS float64
	// SpeedOfSound is the speed of sound in m/s along the detection's path,
	// from the temperature the sensor reported; 0 means
	// Config.SpeedOfSound. It must be within 10 % of Config.SpeedOfSound.
	// Over 20 km a speed 1 % off moves an arrival by 0.6 s, six times the
	// default tolerance, so a network whose air is not at the configured
	// temperature needs it.
	SpeedOfSound float64
	// Class is the sensor's classification of the sound ("launch",
	// "impact", "airburst", "unknown" or empty, in any case). An event never
	// holds two detections of different known classes; "unknown" and empty
	// go with anything.
	Class string
}

// Config sets the physics and the thresholds. Zero values take the defaults.
type Config struct {
	// SpeedOfSound in metres per second (default 340).
	SpeedOfSound float64
	// MinDetections is the fewest distinct sensors an event needs (default 4,
	// at least 4: three arrivals always fit some source exactly).
	MinDetections int
	// MinFraction is the share of the sensors within MaxRangeM of an event's
	// source that must have heard it (default 0.5). It rejects chance
	// alignments, which explain few of the sensors in range. Set it below
	// the network's detection probability at long range.
	MinFraction float64
	// MaxResidualS is the largest difference, in seconds, between a
	// detection's arrival time and the time predicted from an event's
	// source, origin time and SpeedOfSound for it to belong to the event
	// (default 0.1). It must cover the timing error and the error of the
	// speed of sound over the path.
	MaxResidualS float64
	// MaxRangeM is how far a sensor hears, in metres (default 20,000).
	MaxRangeM float64
	// MaxPairs bounds the candidate sources one pair of helpers makes for a
	// seed: the product of the numbers of their detections in the seed's
	// window (default 12,000, about what helpers 10 km from the seed's
	// sensor make when each sensor hears two sounds a second). Beyond it
	// the helpers' detections before the seed, then the latest, are left
	// out, so that dense stretches lose recall rather than take ever longer.
	MaxPairs int
	// MinEvidence is the least evidence an event needs: the log-likelihood
	// ratio (natural logarithm) of its detections' fits against chance
	// alignments, each weighed against the rate of detections at its sensor
	// (default 20). Four detections of a sound in quiet times have about
	// 23 with the default tolerance; where detections are dense each fit is
	// worth less, and more of them are needed.
	MinEvidence float64
	// Workers is how many goroutines search seeds for hypotheses (default
	// GOMAXPROCS; 1 searches them in the calling goroutine). Seeds are
	// searched ahead in parallel and their hypotheses taken in order of
	// time, so the result does not depend on it.
	Workers int
}

// Defaults of Config.
const (
	DefaultSpeedOfSound  = 340.0
	DefaultMinDetections = 4
	DefaultMinFraction   = 0.5
	DefaultMaxResidualS  = 0.1
	DefaultMaxRangeM     = 20_000.0
	DefaultMaxPairs      = 12_000
	DefaultMinEvidence   = 20.0
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.SpeedOfSound == 0 {
		c.SpeedOfSound = DefaultSpeedOfSound
	}
	if c.MinDetections == 0 {
		c.MinDetections = DefaultMinDetections
	}
	if c.MinFraction == 0 {
		c.MinFraction = DefaultMinFraction
	}
	if c.MaxResidualS == 0 {
		c.MaxResidualS = DefaultMaxResidualS
	}
	if c.MaxRangeM == 0 {
		c.MaxRangeM = DefaultMaxRangeM
	}
	if c.MaxPairs == 0 {
		c.MaxPairs = DefaultMaxPairs
	}
	if c.MinEvidence == 0 {
		c.MinEvidence = DefaultMinEvidence
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate reports the first field of c (after defaults) that is out of range.
func (c Config) Validate() error {
	c = c.WithDefaults()
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
	switch {
	case !finitePos(c.SpeedOfSound):
		return fmt.Errorf("speed of sound %g m/s: want a positive finite number", c.SpeedOfSound)
	case c.MinDetections < 4:
		return fmt.Errorf("min detections %d: want at least 4", c.MinDetections)
	case !(c.MinFraction > 0 && c.MinFraction <= 1):
		return fmt.Errorf("min fraction %g: want a number in (0, 1]", c.MinFraction)
	case !finitePos(c.MaxResidualS):
		return fmt.Errorf("max residual %g s: want a positive finite number", c.MaxResidualS)
	case !finitePos(c.MaxRangeM):
		return fmt.Errorf("max range %g m: want a positive finite number", c.MaxRangeM)
	case c.MaxPairs < 1:
		return fmt.Errorf("max pairs %d: want at least 1", c.MaxPairs)
	case !finitePos(c.MinEvidence):
		return fmt.Errorf("min evidence %g: want a positive finite number", c.MinEvidence)
	case c.Workers < 1:
		return fmt.Errorf("workers %d: want at least 1", c.Workers)
	}
	return nil
}

// Event is a group of detections of one sound, with a coarse location.
type Event struct {
	// Detections are the ids of the event's detections, at most one per
	// sensor, in order of arrival time (then id).
	Detections []string
	// Position and Time are the source and origin time fitted to the
	// detections with the configured speed of sound: a coarse location,
	// good enough to associate, not a substitute for a proper locator.
	Position geo.LonLat
	Time     time.Time
	// RMSResidualS is the root mean square of the detections' arrival-time
	// residuals in seconds.
	RMSResidualS float64
}

// Result is what association decided: the events and the detections that
// belong to none.
type Result struct {
	// Events in order of origin time (then first detection id).
	Events []Event
	// Unassociated lists the ids of detections that belong to no event, in
	// order of arrival time (then id): false detections, echoes, and sounds
	// heard by too few sensors.
	Unassociated []string
}

// Associate groups a batch of detections into events.
func Associate(sensors []Sensor, detections []Detection, cfg Config) (Result, error) {
	a, err := New(sensors, cfg)
	if err != nil {
		return Result{}, err
	}
	if err := a.Add(detections...); err != nil {
		return Result{}, err
	}
	return a.FlushAll(), nil
}

// errNoSensors is returned by New for an empty registry.
var errNoSensors = errors.New("no sensors")

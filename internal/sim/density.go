package sim

import (
	"fmt"
	"math"
)

// estimatedSounds is the expected number of acoustic sounds (two per
// round) of the fire of c, a configuration with its defaults applied. It
// leaves out the rare fire from heavy-weapons sites and, without a density,
// the night modulation.
func estimatedSounds(c Config) float64 {
	dur := c.Duration.Seconds()
	if c.EventsPerSecond > 0 {
		return c.EventsPerSecond * dur
	}
	active := math.Max(0, dur-math.Min(900, dur/4))
	return c.FireEventsPerHour / 3600 * active * MeanSoundsPerFireEvent() * (1 + c.TwinFireRate)
}

// checkSize refuses a scenario expected to hold more than
// MaxAcousticDetections acoustic detections. It runs once the acoustic
// sensors are placed, and estimates how many of them hear a sound from a
// sample of fire events placed as makeFire places them.
func (g *gen) checkSize() error {
	c := g.cfg
	sounds := estimatedSounds(c)
	per := 1 + c.EchoRate + c.FalseDetectionRate
	if sounds*float64(len(g.sensors))*per <= MaxAcousticDetections {
		return nil // even if every sensor heard every sound
	}
	heard := g.sensorsPerSound()
	if n := sounds * heard * per; n > MaxAcousticDetections {
		return fmt.Errorf("%w: about %.0f acoustic detections estimated (%.0f sounds, each heard by %.1f of the %d acoustic sensors, with echoes and false detections), more than the %d a scenario may hold: lower the rate of fire, the duration or the number of sensors",
			ErrConfig, n, sounds, heard, len(g.sensors), MaxAcousticDetections)
	}
	return nil
}

// sensorsPerSound estimates the mean number of acoustic sensors that
// detect a sound of the weapon mix: for each weapon, the expected number
// of detections of the launch and the aim point of a sample of events,
// weighted by the weapon's share of the rounds. It draws from a stream of
// its own, so it changes nothing else.
func (g *gen) sensorsPerSound() float64 {
	const sample = 48 // events per weapon
	r := g.rng(streamEstimate)
	var heard, sounds, prev float64
	for _, m := range fireMix {
		share := (m.upTo - prev) * meanRounds(m.w)
		prev = m.upTo
		sum, n := 0.0, 0
		for range sample {
			party := partyA
			if r.Float64() < 0.5 {
				party = partyB
			}
			e, ok := g.buildFire(r, 0, party, m.w, r.Float64() < 0.6, nil, 1)
			if !ok {
				continue
			}
			sum += g.expectedHeard(e.origin.lat, e.origin.lon, m.w.launchHear) + g.expectedHeard(e.impact.lat, e.impact.lon, m.w.impactHear)
			n++
		}
		if n > 0 {
			heard += share * sum / float64(n)
			sounds += 2 * share
		}
	}
	if sounds == 0 {
		return 0
	}
	return heard / sounds
}

// expectedHeard is the expected number of acoustic sensors that detect a
// sound at (lat, lon) with detection range rmax.
func (g *gen) expectedHeard(lat, lon, rmax float64) float64 {
	sum := 0.0
	for _, i := range g.grid.near(lat, lon, math.Cos(lat*math.Pi/180), rmax*1.02+500, nil) {
		s := g.sensors[i]
		d, _, _ := inverse(s.at.lat, s.at.lon, lat, lon)
		sum += detectProb(d, rmax)
	}
	return sum
}

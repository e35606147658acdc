package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/restriction"
)

// The model of restrictions of access.
const (
	// restrictionLeadS is how long before reaching its stop a patrol may
	// meet the checkpoint.
	restrictionLeadS = 1800.0
	// minCheckpointFromStopM and maxCheckpointFromStopM bound the distance
	// from the checkpoint to the stop, towards the line.
	minCheckpointFromStopM = 300.0
	maxCheckpointFromStopM = 2000.0
	// minCheckpointLineM is the least distance from a checkpoint to the
	// line, so that it is plainly on the stop's side.
	minCheckpointLineM = 200.0
	// deniedShare is the share of restrictions where access is denied,
	// and heldBeforeDenialShare the share of those where the patrol was
	// held first.
	deniedShare           = 0.4
	heldBeforeDenialShare = 0.35
	// restrictedShare is the share of restrictions labelled RESTRICTED.
	restrictedShare = 0.15
)

// restrictionReasons are the reasons a party's personnel give a patrol.
var restrictionReasons = []string{
	"ongoing demining",
	"no permission from the commander",
	"security situation",
	"road closed",
	"not authorised to pass",
}

// checkpointLandmarks name checkpoints after what stands near them; the
// line kilometre of the checkpoint follows.
var checkpointLandmarks = []string{"Bridge", "Crossroads", "Railway", "Quarry", "Mill", "Elevator", "Farm", "Orchard", "Dam", "Mine"}

// makeRestrictions lets each stop of a patrol be preceded, with the chance
// Config.RestrictionRate, by a restriction of access: on its way to the
// stop, up to 30 minutes before reaching it and not before 06:00 UTC, the
// patrol was denied passage or held at a checkpoint of the party whose
// side the stop is on, 300–2000 m from the stop towards the line. The
// patrol still reaches its stop (by another route when denied) at the
// stop's time, which a delay does not shift, so its observations do not
// change. Stops that began before the scenario have none. It draws from a
// stream of its own.
func (g *gen) makeRestrictions() error {
	if g.cfg.RestrictionRate <= 0 {
		return nil
	}
	r := g.rng(streamRestrictions)
	type made struct {
		r restriction.Restriction
		t RestrictionTruth
	}
	var all []made
	for _, m := range g.monitors {
		if m.typ != "patrol" {
			continue
		}
		size := 2 + r.IntN(7)
		for i, st := range m.stops {
			if r.Float64() >= g.cfg.RestrictionRate {
				continue
			}
			lo := math.Max(st.from-restrictionLeadS, math.Max(g.patrolDayStart(st.from), 0))
			if st.from-lo < 120 {
				continue // the stop began before the scenario or the patrol's day
			}
			p, ok := g.placeCheckpoint(r, st.at)
			if !ok {
				continue
			}
			at := g.at(uniform(r, lo, st.from)).Truncate(time.Minute)
			if at.Before(g.at(lo)) {
				at = at.Add(time.Minute)
			}
			res := restriction.Restriction{
				ID:         fmt.Sprintf("ror-%d-%s-%02d", g.cfg.Seed, m.id, i+1),
				Time:       at,
				Position:   geo.LonLat{Lon: round7(p.lon), Lat: round7(p.lat)},
				Party:      p.party(),
				Denied:     r.Float64() < deniedShare,
				PatrolSize: size,
				Label:      labelPublic,
			}
			switch {
			case !res.Denied:
				res.Delay = time.Duration(10+r.IntN(81)) * time.Minute
			case r.Float64() < heldBeforeDenialShare:
				res.Delay = time.Duration(5+r.IntN(26)) * time.Minute
			}
			res.Reason = restrictionReasons[r.IntN(len(restrictionReasons))]
			res.Checkpoint = fmt.Sprintf("CP-%s-%d", checkpointLandmarks[r.IntN(len(checkpointLandmarks))], int(math.Round(p.arc/1000)))
			if r.Float64() < restrictedShare {
				res.Label = labelRestricted
			}
			res.Notes = restrictionNotes(m.id, res)
			fromStop, _, _ := inverse(p.lat, p.lon, st.at.lat, st.at.lon)
			all = append(all, made{res, RestrictionTruth{ID: res.ID, Patrol: m.id, Stop: i + 1, Checkpoint: *p.truth(), FromStopM: fromStop}})
		}
	}
	slices.SortStableFunc(all, func(a, b made) int {
		if c := a.r.Time.Compare(b.r.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.r.ID, b.r.ID)
	})
	for _, x := range all {
		g.scen.Restrictions = append(g.scen.Restrictions, x.r)
		g.scen.Truth.Restrictions = append(g.scen.Truth.Restrictions, x.t)
	}
	return nil
}

// patrolDayStart is 06:00 UTC of the day of scenario time t, in scenario
// seconds: when the patrols set out.
func (g *gen) patrolDayStart(t float64) float64 {
	day := g.at(t).Truncate(24 * time.Hour)
	return day.Add(6 * time.Hour).Sub(g.start).Seconds()
}

// placeCheckpoint places a checkpoint on the perpendicular through the
// stop at, 300–2000 m nearer the line and at least minCheckpointLineM from
// it. It reports false when no such point is on land.
func (g *gen) placeCheckpoint(r *rand.Rand, at place) (place, bool) {
	most := math.Min(maxCheckpointFromStopM, at.dist()-minCheckpointLineM)
	if most < minCheckpointFromStopM {
		return place{}, false
	}
	for range 5 {
		d := minCheckpointFromStopM + (most-minCheckpointFromStopM)*r.Float64()
		if p, ok := g.placeAt(at.arc, math.Copysign(at.dist()-d, at.offset), false); ok {
			return p, true
		}
	}
	return place{}, false
}

// restrictionNotes is the patrol's narrative of a restriction.
func restrictionNotes(patrol string, r restriction.Restriction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d monitors), on its way to an observation point, was ", patrol, r.PatrolSize)
	held := fmt.Sprintf("held for %d minutes at %s by armed personnel of party %s", int(r.Delay.Minutes()), r.Checkpoint, r.Party)
	switch {
	case r.Denied && r.Delay > 0:
		b.WriteString(held + " and then denied passage.")
	case r.Denied:
		fmt.Fprintf(&b, "denied passage at %s by armed personnel of party %s.", r.Checkpoint, r.Party)
	default:
		b.WriteString(held + " and then allowed to pass.")
	}
	fmt.Fprintf(&b, " Reason given: %s.", r.Reason)
	if r.Denied {
		b.WriteString(" The patrol reached the observation point by another route.")
	}
	return b.String()
}

// RestrictionsGeoJSON returns the restrictions as a GeoJSON
// FeatureCollection of their canonical Features (restriction.Marshal), one
// a line: what a client would POST to /api/v1/restrictions. The collection
// also names the scenario's seed in a foreign member, "seed", which
// readers of GeoJSON ignore.
func (s Scenario) RestrictionsGeoJSON() ([]byte, error) {
	b := fmt.Appendf(nil, `{"type":"FeatureCollection","seed":%d,"features":[`, s.Config.Seed)
	for i, r := range s.Restrictions {
		f, err := restriction.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("restrictions: %w", err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(b, '\n'), f...)
	}
	if len(s.Restrictions) > 0 {
		b = append(b, '\n')
	}
	return append(b, "]}\n"...), nil
}

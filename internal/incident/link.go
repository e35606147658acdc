package incident

import (
	"math"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
)

// Fire links an origin to an impact when the times fit a flight between
// them. A round flies at a mean speed between slowest and fastest (mortars
// to rockets), plus up to flightSlack for the climb.
const (
	minFireRangeM = 500.0
	maxFireRangeM = 45_000.0
	slowestMPS    = 150.0
	fastestMPS    = 1200.0
	flightSlack   = 10 * time.Second
	// shotMatch is how closely two rounds' times of flight must agree
	// for them to be rounds of one fire event.
	shotMatch = time.Second
	// preciseTime is the largest time uncertainty of evidence whose time
	// marks a round (acoustic locations); reports and open sources are
	// minutes off.
	preciseTime = 2 * time.Second
)

// link looks again for the other end of an origin or impact incident that
// changed, and links the two when each fits the other better than every
// other candidate.
//
// A candidate is an open incident of the opposite role, not linked to a
// third, within firing range, whose times allow a flight over the
// distance. Each is scored by its rounds: the largest number of launches
// of the origin that an impact follows after one common time of flight, as
// the rounds of one weapon firing at one aim point do. Ties are left
// unlinked, as is a candidate whose own best fit is another incident: a
// wrong link would attribute the impact to the wrong origin. Evidence of
// minutes-wide times, such as monitors' reports, marks no rounds; such an
// incident is linked only when it has a single candidate and is its
// candidate's single one.
func (e *Engine) link(in fusion.Incident) {
	if in.Role != fusion.RoleOrigin && in.Role != fusion.RoleImpact {
		return
	}
	old, had := e.links[in.ID]
	if had {
		delete(e.links, old)
		delete(e.links, in.ID)
	}
	best := e.bestPartner(in)
	if best != "" {
		if other, ok := e.corr.Lookup(best); !ok || e.bestPartner(other) != in.ID {
			best = ""
		}
	}
	if best != "" {
		e.links[in.ID], e.links[best] = best, in.ID
	}
	if old != best {
		if had {
			e.touch(old)
		}
		if best != "" {
			e.touch(best)
		}
	}
}

// bestPartner returns the candidate that fits in strictly best, or "".
func (e *Engine) bestPartner(in fusion.Incident) string {
	var best string
	bestScore, second := -1, -1
	// Candidates fired up to the longest flight before, or landed up to
	// it after.
	longest := seconds(maxFireRangeM/slowestMPS) + flightSlack
	for _, other := range e.corr.Near(fusion.ClassFire, in.Position, maxFireRangeM, in.Start, in.End, longest) {
		if other.ID == in.ID || other.Role == in.Role || other.Role == fusion.RoleUnknown {
			continue
		}
		if l, ok := e.links[other.ID]; ok && l != in.ID {
			continue
		}
		o, i := in, other
		if in.Role == fusion.RoleImpact {
			o, i = other, in
		}
		score, ok := fits(o, i)
		if !ok {
			continue
		}
		switch {
		case score > bestScore:
			second, best, bestScore = bestScore, other.ID, score
		case score > second:
			second = score
		}
	}
	if bestScore == second {
		return ""
	}
	return best
}

// fits says whether impact i can be where origin o's fire landed, and how
// many of o's rounds it matches.
func fits(o, i fusion.Incident) (int, bool) {
	d := geo.Distance(o.Position, i.Position)
	if d < minFireRangeM || d > maxFireRangeM {
		return 0, false
	}
	minFlight := seconds(d / fastestMPS)
	maxFlight := seconds(d/slowestMPS) + flightSlack
	// The impacts must fall after the launches by a possible flight.
	if i.End.Before(o.Start.Add(minFlight)) || i.Start.After(o.End.Add(maxFlight)) {
		return 0, false
	}
	launches, impacts := roundTimes(o, fusion.RoleOrigin), roundTimes(i, fusion.RoleImpact)
	best := 0
	for _, l := range launches {
		for _, m := range impacts {
			tof := m.Sub(l)
			if tof < minFlight || tof > maxFlight {
				continue
			}
			best = max(best, matching(launches, impacts, tof))
		}
	}
	return best, true
}

// roundTimes returns the sorted precise times of the evidence of a role.
func roundTimes(in fusion.Incident, role fusion.Role) []time.Time {
	var ts []time.Time
	for _, e := range in.Evidence {
		if e.Role == role && e.TimeSigma <= preciseTime {
			ts = append(ts, e.Time)
		}
	}
	slices.SortFunc(ts, time.Time.Compare)
	return ts
}

// matching counts the launches that an impact follows after tof.
func matching(launches, impacts []time.Time, tof time.Duration) int {
	n := 0
	for _, l := range launches {
		want := l.Add(tof)
		k, _ := slices.BinarySearchFunc(impacts, want.Add(-shotMatch), time.Time.Compare)
		if k < len(impacts) && !impacts[k].After(want.Add(shotMatch)) {
			n++
		}
	}
	return n
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

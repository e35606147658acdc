package rules

import (
	"fmt"
	"strings"

	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/tracks"
)

// DeepCrossingM makes a crossing of the line major when the track went
// this far beyond it.
const DeepCrossingM = 10_000.0

// Crossing is the rule of the airspace: a drone or aircraft track that
// crossed the contact line is a candidate violation by the party whose side
// it came from and went back to. A track that did not come back is not
// attributable: radar may have picked the flight up only once it had
// crossed, and the side it was first seen on need not be its own. A passage found only around an end of the line (OffLine) is
// not a crossing of it. A crossing whose entry was inferred across a gap in
// the track is still a candidate, with a reason that says so. Aircraft, and
// tracks that went DeepCrossingM beyond the line, are major; others serious.
func (s *Set) Crossing(tr tracks.Track, c tracks.Crossing) (Candidate, bool) {
	if c.Entry.OffLine {
		return Candidate{}, false
	}
	cand := Candidate{
		ID: terms.AirspaceCrossing + ":" + strings.ReplaceAll(tr.ID, "/", ":") + ":" + c.Entry.Time.UTC().Format("20060102T150405Z"), Type: terms.AirspaceCrossing,
		Rule: terms.AirspaceCrossing, Clause: s.clauseFor(terms.AirspaceCrossing), Party: c.FromParty, Probability: 1,
		Severity: Serious, Incident: tr.ID, Time: c.Entry.Time, Position: c.Entry.Position, DepthM: c.Depth.DistanceM,
		Observations: c.Observations, Label: tr.Label,
		// One radar or drone tracked it; tracks carry no grading.
		Confidence: fusion.Confidence{Level: fusion.SingleSource, IndependentSources: 1},
	}
	if tr.Platform == observe.PlatformAircraft || c.Depth.DistanceM >= DeepCrossingM {
		cand.Severity = Major
	}
	what := string(tr.Platform)
	if tr.Platform == "" || tr.Platform == observe.PlatformUnknown {
		what = "an aircraft or drone"
	}
	cand.Reason = fmt.Sprintf("Track %s (%s) crossed the contact line from %s's side into %s's and went %.1f km beyond it.",
		tr.ID, what, c.FromParty, c.IntoParty, c.Depth.DistanceM/1000)
	if c.Exit == nil {
		cand.Party, cand.Probability = "", 0
		cand.Reason += " It did not come back while tracked, so where the flight began is not known: not attributable."
	}
	gap, inferred := c.Entry.Gap, c.Entry.Inferred
	if c.Exit != nil && c.Exit.Inferred {
		gap, inferred = max(gap, c.Exit.Gap), true
	}
	if inferred {
		cand.Reason += fmt.Sprintf(" A passage is inferred across a gap of %s in the track.", gap)
	}
	return cand, true
}

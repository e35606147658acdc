package evaluate

import (
	"fmt"
	"slices"

	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/rules"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/tracks"
)

// ViolationScore scores the candidates of one violation type against the
// truth.
type ViolationScore struct {
	// Precision is the share of candidates whose observations are mostly of
	// a true violation of the type.
	Precision float64 `json:"precision"`
	// Recall is the share of true violations of the type that some
	// observation reported which have a candidate.
	Recall float64 `json:"recall"`
	// WrongParty is the share of the candidates that name a party whose
	// party is not the one truly responsible.
	WrongParty float64 `json:"wrong_party"`
	// Candidates, Attributed and Truth count them.
	Candidates int `json:"candidates"`
	Attributed int `json:"attributed"`
	Truth      int `json:"truth"`
}

// truthType maps the simulator's events to the violation type the rules
// should find, with whether the event is one.
func truthType(ev sim.Event) (string, bool) {
	switch ev.Type {
	case sim.EventFireCrossLine:
		return terms.FireAcrossLine, true
	case sim.EventFireSameSide:
		return terms.FireSameSide, true
	case sim.EventHeavyWeapons:
		return terms.WeaponInWithdrawalZone, ev.Heavy != nil && ev.Heavy.InWithdrawalZone
	case sim.EventDroneCrossing:
		return terms.AirspaceCrossing, true
	}
	return "", false
}

// rightType says whether a candidate of type typ is right about ev: its
// type is ev's; or it is fire whose crossing is unresolved and ev is fire;
// or it is a weapon in its withdrawal zone and ev is fire from a weapon of
// a class inside that class's distance (a gun that fires from inside its
// zone is in it, though the simulator lists only imaged sites as such).
func rightType(typ string, ev sim.Event, withdrawal map[string]float64) bool {
	truth, violation := truthType(ev)
	switch {
	case violation && truth == typ:
		return true
	case typ == terms.FireUnresolved:
		return ev.Type == sim.EventFireCrossLine || ev.Type == sim.EventFireSameSide
	case typ == terms.WeaponInWithdrawalZone:
		w, ok := withdrawal[ev.WeaponClass]
		return ok && ev.Origin != nil && ev.Origin.DistanceToLineM < w
	}
	return false
}

// scoreViolations applies the rules to the final incidents and to the
// tracks, and scores the candidates of each type.
func scoreViolations(sc Scenario, final map[string]incident.Incident, truthOf map[string]sim.ObservationTruth) (map[string]ViolationScore, error) {
	set, err := rules.Compile(sc.Terms)
	if err != nil {
		return nil, err
	}
	ag, err := terms.Compile(sc.Terms)
	if err != nil {
		return nil, err
	}
	at, err := attribution.New(ag, attribution.Config{})
	if err != nil {
		return nil, err
	}
	ctx := rules.Context{Agreement: ag, Attributor: at}
	var cands []rules.Candidate
	ids := make([]string, 0, len(final))
	for id := range final {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		cs, err := set.Evaluate(final[id], ctx)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		cands = append(cands, cs...)
	}
	var trackObs []observe.Observation
	for _, o := range sc.Observations {
		if o.Kind == observe.KindTrack {
			trackObs = append(trackObs, o)
		}
	}
	for _, tr := range tracks.Assemble(trackObs, label.Scheme{}) {
		for _, c := range tracks.Crossings(ag, tr, tracks.Config{}) {
			if cand, ok := set.Crossing(tr, c); ok {
				cands = append(cands, cand)
			}
		}
	}

	events := map[string]sim.Event{}
	observed := map[string]bool{} // events some observation reported
	for _, ev := range sc.Truth.Events {
		events[ev.ID] = ev
	}
	for _, ot := range truthOf {
		observed[ot.EventID] = true
	}
	scores := map[string]*ViolationScore{}
	score := func(typ string) *ViolationScore {
		if scores[typ] == nil {
			scores[typ] = &ViolationScore{}
		}
		return scores[typ]
	}
	for _, ev := range sc.Truth.Events {
		if typ, ok := truthType(ev); ok && observed[ev.ID] {
			score(typ).Truth++
		}
	}
	found := map[string]map[string]bool{} // type → events found
	right, wrongParty := map[string]int{}, map[string]int{}
	withdrawal := map[string]float64{}
	for _, w := range sc.Terms.WeaponClasses {
		withdrawal[w.Code] = w.WithdrawalM
	}
	for _, c := range cands {
		s := score(c.Type)
		s.Candidates++
		ev, ok := majority(c.Observations, truthOf)
		if ok && rightType(c.Type, events[ev], withdrawal) {
			right[c.Type]++
			if typ, violation := truthType(events[ev]); violation && typ == c.Type {
				if found[c.Type] == nil {
					found[c.Type] = map[string]bool{}
				}
				found[c.Type][ev] = true
			}
		}
		if c.Party != "" {
			s.Attributed++
			if ok && events[ev].Party != c.Party {
				wrongParty[c.Type]++
			}
		}
	}
	out := map[string]ViolationScore{}
	for typ, s := range scores {
		s.Precision = ratio(right[typ], s.Candidates)
		s.Recall = ratio(len(found[typ]), s.Truth)
		s.WrongParty = ratio(wrongParty[typ], s.Attributed)
		out[typ] = *s
	}
	return out, nil
}

// majority is the true event most of the observations are of.
func majority(obs []string, truthOf map[string]sim.ObservationTruth) (string, bool) {
	count := map[string]int{}
	for _, id := range obs {
		if ot, ok := truthOf[id]; ok && ot.EventID != sim.FalseEventID && ot.EventID != "" {
			count[ot.EventID]++
		}
	}
	best, n := "", 0
	for ev, c := range count {
		if c > n || (c == n && ev < best) {
			best, n = ev, c
		}
	}
	return best, n > 0
}

// Package rules decides which incidents break the ceasefire terms: the
// built-in rules (fire across the contact line, fire that stays on one
// side, heavy weapons inside their withdrawal zone, presence in the buffer
// zone) and an agreement's own rules written in CEL. Each candidate
// violation cites the clause it applies, names the party responsible or
// says it is not attributable, carries the evidence and the confidence of
// fusion, and has a severity (docs/verification.md).
//
// The package is pure: an incident and the terms in force go in,
// candidates come out.
package rules

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Severity is how grave a violation is.
type Severity string

// The severities, least grave first (terms.Severities).
const (
	Minor   Severity = "minor"
	Serious Severity = "serious"
	Major   Severity = "major"
)

// rank orders severities.
func (s Severity) rank() int { return slices.Index(terms.Severities, string(s)) }

// raise returns s one step graver, up to Major.
func (s Severity) raise() Severity {
	return Severity(terms.Severities[min(s.rank()+1, len(terms.Severities)-1)])
}

// Candidate is a candidate violation: an incident a rule says breaks the
// terms. Analysts verify it; the rules only propose.
type Candidate struct {
	// ID is the rule and the incident ("fire_across_line:inc-…"): the same
	// candidate as the incident changes.
	ID string
	// Type is the violation type (terms.ViolationTypes or the agreement's own).
	Type string
	// Rule is the rule that found it: a built-in type's name, or the id of
	// one of the agreement's rules.
	Rule string
	// Clause is the id of the clause it applies: the rule's, or for a
	// built-in rule the first clause that forbids its type; empty when no
	// clause of the terms forbids it.
	Clause string
	// Party is the party responsible, empty when not attributable; Probability
	// is the probability that the party is (for a party, at least the
	// attribution threshold).
	Party       string
	Probability float64
	Severity    Severity
	// Incident and IncidentVersion are the incident it rests on; for an
	// airspace crossing, Incident is the track's id and the version 0.
	Incident        string
	IncidentVersion int
	// Time is when it happened; Position where: the origin of fire, the
	// location of anything else.
	Time     time.Time
	Position geo.LonLat
	// Facts the rule rests on, when they apply: the weapon class, the
	// distance from the line and the class's withdrawal distance, and how
	// far beyond the line the fire landed.
	WeaponClass string
	DistanceM   float64
	WithdrawalM float64
	DepthM      float64
	// Casualties are the incident's (incident.Incident.Casualties), nil
	// when none were reported; they raise the severity (CasualtySeverity).
	Casualties *observe.Casualties
	// Observations, Confidence and Label are the incident's.
	Observations []string
	Confidence   fusion.Confidence
	Label        label.Label
	// Reason says in a sentence why the rule holds.
	Reason string
}

// Context is what the rules need besides the incident.
type Context struct {
	// Agreement is the terms in force at the incident's time; Attributor
	// attributes under them (for the impact's side).
	Agreement  *terms.Agreement
	Attributor *attribution.Attributor
	// Recent, when set, counts the candidates of a type attributed to a
	// party in the RepeatedWindow before a time: many events in a window
	// raise the severity (RepeatedEvents). Nil counts none.
	Recent func(typ, party string, at time.Time) int
}

// Thresholds of the built-in rules.
const (
	// Likely is the probability at which a rule holds: the fire crossed
	// the line, the weapon is inside its zone. Below it the incident is
	// not a candidate of that type.
	Likely = 0.5
	// RepeatedEvents raises a candidate's severity by one step when as
	// many of its type were attributed to its party in the day before.
	RepeatedEvents = 10
	// RepeatedWindow is the window RepeatedEvents counts in.
	RepeatedWindow = 24 * time.Hour
	// DeepFireM raises fire across the line to major when it lands this
	// far beyond the line.
	DeepFireM = 5_000.0
	// ManyRounds raises fire to major when its origin has this many
	// pieces of evidence (rounds heard or reported).
	ManyRounds = 10
)

// Evaluate applies the built-in rules and the set's own rules to an
// incident. A merged incident has no candidates.
func (s *Set) Evaluate(in incident.Incident, c Context) ([]Candidate, error) {
	if in.MergedInto != "" {
		return nil, nil
	}
	if c.Agreement == nil || c.Attributor == nil {
		return nil, fmt.Errorf("rules: incident %s: no terms in force", in.ID)
	}
	var out []Candidate
	add := func(cand Candidate, ok bool) {
		if ok {
			out = append(out, s.finish(cand, in, c))
		}
	}
	add(fire(in, c))
	add(weapon(in, c))
	add(buffer(in))
	own, err := s.evaluateOwn(in, c)
	if err != nil {
		return out, err
	}
	for _, cand := range own {
		out = append(out, s.finish(cand, in, c))
	}
	return out, nil
}

// finish fills what every candidate carries.
func (s *Set) finish(cand Candidate, in incident.Incident, c Context) Candidate {
	cand.ID = cand.Rule + ":" + in.ID
	cand.Incident, cand.IncidentVersion = in.ID, in.Version
	cand.Time = in.Start
	cand.Observations, cand.Confidence, cand.Label = in.Observations(), in.Confidence, in.Label
	if cand.Clause == "" {
		cand.Clause = s.clauseFor(cand.Type)
	}
	if in.Casualties != nil {
		cand.Casualties = in.Casualties
		if floor := CasualtySeverity(in.Casualties); floor.rank() > cand.Severity.rank() {
			cand.Severity = floor
		}
		if say := casualtySentence(in.Casualties); say != "" {
			cand.Reason += " " + say
		}
	}
	if cand.Party != "" && c.Recent != nil && c.Recent(cand.Type, cand.Party, cand.Time)+1 >= RepeatedEvents {
		cand.Severity = cand.Severity.raise()
	}
	return cand
}

// CasualtySeverity is the least severity of a candidate whose incident
// reports casualties c: major when anyone was killed, serious when anyone
// was wounded, and minor (no floor) otherwise.
func CasualtySeverity(c *observe.Casualties) Severity {
	killed, wounded := figures(c)
	switch {
	case killed > 0:
		return Major
	case wounded > 0:
		return Serious
	}
	return Minor
}

// figures returns the killed and wounded of c, 0 for a figure not given.
func figures(c *observe.Casualties) (killed, wounded int) {
	if c == nil {
		return 0, 0
	}
	if c.Killed != nil {
		killed = *c.Killed
	}
	if c.Wounded != nil {
		wounded = *c.Wounded
	}
	return killed, wounded
}

// casualtySentence says in a sentence what casualties were reported, ""
// when c gives no figure.
func casualtySentence(c *observe.Casualties) string {
	var parts []string
	if c.Killed != nil {
		parts = append(parts, fmt.Sprintf("%d killed", *c.Killed))
	}
	if c.Wounded != nil {
		parts = append(parts, fmt.Sprintf("%d wounded", *c.Wounded))
	}
	if len(parts) == 0 {
		return ""
	}
	s := "Casualties reported: " + strings.Join(parts, ", ")
	if c.Civilian {
		s += " (civilians)"
	}
	return s + "."
}

// clauseFor returns the first clause that forbids a violation type.
func (s *Set) clauseFor(typ string) string {
	for _, cl := range s.terms.Clauses {
		if slices.Contains(cl.Forbids, typ) {
			return cl.ID
		}
	}
	return ""
}

// heavyClass says whether a weapon class is one of the terms' heavy classes.
func heavyClass(a *terms.Agreement, class string) (terms.WeaponClass, bool) {
	for _, w := range a.Terms().WeaponClasses {
		if w.Code == class {
			return w, true
		}
	}
	return terms.WeaponClass{}, false
}

// fire is the rule of fire: across the line when the origin is on one
// party's side and the impact on the other's or in the buffer zone; on
// one side when not; unresolved when the origin or the impact is not
// located. A linked impact incident is left to its origin, which carries
// both ends, so that one fire is one candidate.
func fire(in incident.Incident, c Context) (Candidate, bool) {
	if in.Class != fusion.ClassFire || (in.Role == fusion.RoleImpact && in.Origin != nil) {
		return Candidate{}, false
	}
	cand := Candidate{Position: in.Location.Position, WeaponClass: in.WeaponClass}
	if in.Origin != nil {
		cand.Position = in.Origin.Position
	}
	rounds := 0
	for _, e := range in.Evidence {
		if e.Role != fusion.RoleImpact {
			rounds++
		}
	}
	_, heavy := heavyClass(c.Agreement, in.WeaponClass)
	if in.Origin == nil || in.Impact == nil {
		cand.Type, cand.Rule, cand.Severity = terms.FireUnresolved, terms.FireUnresolved, Minor
		cand.Party, cand.Probability = in.Attribution.Party, in.Attribution.Probability
		switch {
		case in.Origin == nil:
			cand.Reason = "Fire was located where it landed or heard, but not where it came from: a ceasefire violation that cannot be attributed."
		default:
			cand.Reason = "Fire was located where it came from, but not where it landed: whether it crossed the line is not known."
		}
		return cand, true
	}
	// The probability that the fire crossed: the origin on a party's side
	// and the impact on the other's or in the buffer zone.
	imp, err := c.Attributor.Attribute(attribution.Estimate{Position: in.Impact.Position, Cov: in.Impact.Cov})
	if err != nil {
		return Candidate{}, false
	}
	across := 0.0
	for party, p := range in.Attribution.Probabilities {
		own := imp.Probabilities[party] - imp.PartyZoneProbabilities[party][terms.ZoneBuffer]
		across += p * (1 - own)
	}
	cand.Party, cand.Probability = in.Attribution.Party, in.Attribution.Probability
	cand.DepthM = math.Abs(imp.SignedDistanceM)
	if across >= Likely {
		cand.Type, cand.Rule, cand.Severity = terms.FireAcrossLine, terms.FireAcrossLine, Serious
		if heavy || cand.DepthM >= DeepFireM || rounds >= ManyRounds {
			cand.Severity = Major
		}
		cand.Reason = fmt.Sprintf("Fire from one side of the contact line landed %.1f km on the other side or in the buffer zone (probability %.2f).", cand.DepthM/1000, across)
	} else {
		cand.Type, cand.Rule, cand.Severity = terms.FireSameSide, terms.FireSameSide, Minor
		if heavy || rounds >= ManyRounds {
			cand.Severity = Serious
		}
		cand.Reason = fmt.Sprintf("Fire landed on the side it came from (probability %.2f that it crossed the line).", across)
	}
	return cand, true
}

// weapon is the rule of heavy weapons: a weapon of a terms class, seen on
// imagery or named by a report, inside that class's withdrawal distance on
// its party's side. For fire, the weapon stood at the origin.
func weapon(in incident.Incident, c Context) (Candidate, bool) {
	w, ok := heavyClass(c.Agreement, in.WeaponClass)
	if !ok || in.Role == fusion.RoleImpact {
		return Candidate{}, false // a linked impact leaves it to its origin
	}
	site := &in.Location
	if in.Class == fusion.ClassFire {
		if in.Origin == nil {
			return Candidate{}, false
		}
		site = in.Origin // the attribution is the origin's
	}
	zone := terms.WithdrawalZone(w.Code)
	a := in.Attribution
	// The party whose side the weapon is on and inside the zone.
	party, p := "", 0.0
	for code, zones := range a.PartyZoneProbabilities {
		if zones[zone] > p || (zones[zone] == p && code < party) {
			party, p = code, zones[zone]
		}
	}
	inZone := a.ZoneProbabilities[zone]
	if inZone < Likely {
		return Candidate{}, false
	}
	cand := Candidate{
		Type: terms.WeaponInWithdrawalZone, Rule: terms.WeaponInWithdrawalZone, Severity: Serious,
		Position: site.Position, WeaponClass: w.Code, DistanceM: math.Abs(a.SignedDistanceM), WithdrawalM: w.WithdrawalM,
		Probability: p,
	}
	if a.Party == party && p >= c.Attributor.Config().MinProbability {
		cand.Party = party
	}
	if w.WithdrawalM >= 2*defaultHeavyM {
		cand.Severity = Major
	}
	cand.Reason = fmt.Sprintf("A weapon of class %s stood %.1f km from the contact line, inside its %.0f km withdrawal distance (probability %.2f).",
		w.Code, cand.DistanceM/1000, w.WithdrawalM/1000, inZone)
	return cand, true
}

// defaultHeavyM is the withdrawal distance of the lightest heavy class of
// the Minsk package (artillery of 100 mm and above); classes withdrawn to
// twice that or more (heavy MLRS, tactical missiles) are major.
const defaultHeavyM = 50_000.0

// buffer is the rule of the buffer zone: equipment seen inside it.
func buffer(in incident.Incident) (Candidate, bool) {
	if in.Class != fusion.ClassEquipment {
		return Candidate{}, false
	}
	a := in.Attribution
	p := a.ZoneProbabilities[terms.ZoneBuffer]
	if p < Likely {
		return Candidate{}, false
	}
	cand := Candidate{
		Type: terms.PresenceInBufferZone, Rule: terms.PresenceInBufferZone, Severity: Serious,
		Position: in.Location.Position, WeaponClass: in.WeaponClass, DistanceM: math.Abs(a.SignedDistanceM), Probability: p,
	}
	if a.Party != "" {
		cand.Party, cand.Probability = a.Party, a.Probability
	}
	cand.Reason = fmt.Sprintf("Equipment was seen %.1f km from the contact line, inside the buffer zone (probability %.2f).", cand.DistanceM/1000, p)
	return cand, true
}

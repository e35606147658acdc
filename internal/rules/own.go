package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Set is the rules of one version of the terms: the built-in rules and the
// agreement's own, compiled. It is immutable and safe for concurrent use.
type Set struct {
	terms terms.Terms
	own   []ownRule
}

type ownRule struct {
	rule terms.Rule
	prg  cel.Program
}

// costLimit bounds the work of one evaluation of a rule, so that a rule
// cannot stall fusion: ample for conditions over one incident.
const costLimit = 100_000

// Compile compiles the agreement's own rules. A rule whose condition does
// not compile, or does not yield a bool, is refused with the CEL error and
// the rule's id; every bad rule is named.
//
// A condition sees two variables. incident is a map with: id, class
// ("fire", "equipment"), role ("origin", "impact", "unknown"),
// weapon_class, start and end (timestamps), duration_s, lon and lat (of
// the location), origin and impact (maps with lon and lat, absent when not
// located), party ("" when not attributable), probability,
// signed_distance_m, zones (list), zone_probabilities (map),
// confidence ("single_source", "corroborated"), sources (independent
// sources), score, observations (their number), and killed, wounded and
// civilian (the casualties reported: 0 and false when none). terms is a
// map with: id, version, buffer_half_width_m, and withdrawal_m (a map from
// weapon class to its withdrawal distance).
func Compile(t terms.Terms) (*Set, error) {
	env, err := cel.NewEnv(
		cel.Variable("incident", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("terms", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	s := &Set{terms: t}
	var errs []error
	for _, r := range t.Rules {
		ast, iss := env.Compile(r.Condition)
		if iss.Err() != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.ID, iss.Err()))
			continue
		}
		if out := ast.OutputType().String(); out != "bool" && out != "dyn" {
			errs = append(errs, fmt.Errorf("rule %s: the condition yields %s, not bool", r.ID, out))
			continue
		}
		prg, err := env.Program(ast, cel.CostLimit(costLimit))
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.ID, err))
			continue
		}
		s.own = append(s.own, ownRule{rule: r, prg: prg})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("terms %q version %q: %w", t.ID, t.Version, errors.Join(errs...))
	}
	return s, nil
}

// evaluateOwn applies the agreement's own rules. A rule that fails on an
// incident (a field it reads is absent, a value of the wrong type) makes no
// candidate and is reported; the other rules still apply.
func (s *Set) evaluateOwn(in incident.Incident, c Context) ([]Candidate, error) {
	if len(s.own) == 0 {
		return nil, nil
	}
	vars := map[string]any{"incident": incidentVars(in), "terms": termsVars(c.Agreement.Terms())}
	var out []Candidate
	var errs []error
	for _, r := range s.own {
		v, _, err := r.prg.Eval(vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s on incident %s: %w", r.rule.ID, in.ID, err))
			continue
		}
		holds, ok := v.Value().(bool)
		if !ok {
			errs = append(errs, fmt.Errorf("rule %s on incident %s: the condition yielded %v, not a bool", r.rule.ID, in.ID, v.Value()))
			continue
		}
		if !holds {
			continue
		}
		cand := Candidate{
			Type: r.rule.Type, Rule: r.rule.ID, Clause: r.rule.Clause, Severity: Severity(r.rule.Severity),
			Position: in.Location.Position, WeaponClass: in.WeaponClass,
			Party: in.Attribution.Party, Probability: in.Attribution.Probability,
			DistanceM: abs(in.Attribution.SignedDistanceM),
			Reason:    "The agreement's rule " + r.rule.ID + " holds: " + strings.TrimSpace(firstLine(r.rule.Description, r.rule.Condition)),
		}
		if in.Origin != nil {
			cand.Position = in.Origin.Position
		}
		out = append(out, cand)
	}
	return out, errors.Join(errs...)
}

func firstLine(texts ...string) string {
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			line, _, _ := strings.Cut(t, "\n")
			return line
		}
	}
	return ""
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// incidentVars is what a condition sees of an incident.
func incidentVars(in incident.Incident) map[string]any {
	a := in.Attribution
	zones := make([]any, len(a.Zones))
	for i, z := range a.Zones {
		zones[i] = z
	}
	zp := map[string]any{}
	for k, v := range a.ZoneProbabilities {
		zp[k] = v
	}
	v := map[string]any{
		"id": in.ID, "class": string(in.Class), "role": string(in.Role), "weapon_class": in.WeaponClass,
		"start": in.Start, "end": in.End, "duration_s": in.End.Sub(in.Start).Seconds(),
		"lon": in.Location.Position.Lon, "lat": in.Location.Position.Lat,
		"party": a.Party, "probability": a.Probability, "signed_distance_m": a.SignedDistanceM,
		"zones": zones, "zone_probabilities": zp,
		"confidence": string(in.Confidence.Level), "sources": int64(in.Confidence.IndependentSources), "score": in.Confidence.Score,
		"observations": int64(len(in.Observations())),
	}
	killed, wounded := figures(in.Casualties)
	v["killed"], v["wounded"] = int64(killed), int64(wounded)
	v["civilian"] = in.Casualties != nil && in.Casualties.Civilian
	if in.Origin != nil {
		v["origin"] = map[string]any{"lon": in.Origin.Position.Lon, "lat": in.Origin.Position.Lat}
	}
	if in.Impact != nil {
		v["impact"] = map[string]any{"lon": in.Impact.Position.Lon, "lat": in.Impact.Position.Lat}
	}
	return v
}

// termsVars is what a condition sees of the terms.
func termsVars(t terms.Terms) map[string]any {
	w := map[string]any{}
	for _, c := range t.WeaponClasses {
		w[c.Code] = c.WithdrawalM
	}
	return map[string]any{"id": t.ID, "version": t.Version, "buffer_half_width_m": t.BufferZone.HalfWidthM, "withdrawal_m": w}
}

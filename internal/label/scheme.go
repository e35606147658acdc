package label

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/guarantor-project/guarantor/internal/problem"
)

// Scheme is a classification scheme as data: the levels a deployment uses,
// from the least to the most protected, and the level that is released to
// everyone. Deployments differ (one has no UNCLASSIFIED, another adds TOP
// SECRET), so the code that decides who sees what takes a Scheme rather
// than the fixed Classifications.
type Scheme struct {
	// Levels are the classifications from the least to the most protected.
	Levels []Classification `json:"levels"`
	// Public is the level released to everyone, which needs no nations. It
	// must be the first level; empty means the scheme has no public level and
	// every record names the nations it is released to.
	Public Classification `json:"public,omitempty"`
}

// DefaultScheme returns the built-in scheme: the Classifications, with
// PUBLIC released to everyone.
func DefaultScheme() Scheme {
	return Scheme{Levels: slices.Clone(Classifications), Public: Public}
}

// ParseScheme decodes a scheme from YAML or JSON, such as
//
//	levels: [PUBLIC, RESTRICTED, CONFIDENTIAL, SECRET]
//	public: PUBLIC
//
// and validates it. Unknown fields are refused, so that a misspelt field is
// not silently dropped.
func ParseScheme(data []byte) (Scheme, error) {
	var s Scheme
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return Scheme{}, fmt.Errorf("parse classification scheme: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Scheme{}, err
	}
	return s, nil
}

// Validate reports what is wrong with s, if anything: it needs at least one
// level, the levels must be distinct upper-case names (letters, underscores
// and single inner spaces, such as "TOP SECRET"), and Public, if set, must
// be the first level. The error is Problems, with fields "levels",
// "levels[i]" and "public".
func (s Scheme) Validate() error {
	var ps Problems
	if len(s.Levels) == 0 {
		ps = append(ps, Problem{Field: "levels", Reason: "a scheme needs at least one classification level"})
	}
	seen := map[Classification]bool{}
	for i, c := range s.Levels {
		field := fmt.Sprintf("levels[%d]", i)
		switch {
		case !validLevelName(string(c)):
			ps = append(ps, Problem{Field: field, Reason: fmt.Sprintf("%q is not a level name (upper-case letters, underscores and single spaces between words)", c)})
		case seen[c]:
			ps = append(ps, Problem{Field: field, Reason: fmt.Sprintf("%s is listed twice", c)})
		}
		seen[c] = true
	}
	if s.Public != "" && len(s.Levels) > 0 && s.Public != s.Levels[0] {
		if slices.Contains(s.Levels, s.Public) {
			ps = append(ps, Problem{Field: "public", Reason: fmt.Sprintf("the public level %s must be the first (least protected) level, which is %s", s.Public, s.Levels[0])})
		} else {
			ps = append(ps, Problem{Field: "public", Reason: fmt.Sprintf("the public level %s is not one of the levels", s.Public)})
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("invalid classification scheme: %w", ps)
	}
	return nil
}

// validLevelName reports whether name is made of [A-Z_ ], does not begin or
// end with a space and has no two spaces in a row.
func validLevelName(name string) bool {
	if name == "" || name[0] == ' ' || name[len(name)-1] == ' ' || strings.Contains(name, "  ") {
		return false
	}
	for _, r := range name {
		if (r < 'A' || r > 'Z') && r != '_' && r != ' ' {
			return false
		}
	}
	return true
}

// Rank returns the position of c in the scheme, 0 for the least protected
// level, and whether c is a level of the scheme at all.
func (s Scheme) Rank(c Classification) (int, bool) {
	i := slices.Index(s.Levels, c)
	return i, i >= 0
}

// Covers reports whether a holder of clearance may see records classified
// c: both are levels of the scheme and clearance ranks at least as high as c.
func (s Scheme) Covers(clearance, c Classification) bool {
	cr, ok := s.Rank(clearance)
	if !ok {
		return false
	}
	r, ok := s.Rank(c)
	return ok && cr >= r
}

// Covered returns the levels that clearance covers, from the least to the
// most protected, such as for a SQL filter "classification IN (...)". It
// returns nil for a clearance that is not a level of the scheme.
func (s Scheme) Covered(clearance Classification) []Classification {
	r, ok := s.Rank(clearance)
	if !ok {
		return nil
	}
	return slices.Clone(s.Levels[:r+1])
}

// IsPublic reports whether c is the scheme's public level.
func (s Scheme) IsPublic(c Classification) bool {
	return s.Public != "" && c == s.Public
}

// Check returns what is wrong with l under the scheme, if anything, by the
// rules of Label.Check: the classification must be a level of the scheme; a
// record at the public level names no nations; any other names at least one,
// each an ISO 3166-1 alpha-3 code, none twice. Field names are relative to
// the label ("classification", "rel_to[1]").
func (s Scheme) Check(l Label) []Problem {
	var out []Problem
	if !slices.Contains(s.Levels, l.Classification) {
		out = append(out, Problem{Field: "classification", Reason: fmt.Sprintf("unknown classification %q (want one of %s)", l.Classification, joinLevels(s.Levels))})
		return out
	}
	if s.IsPublic(l.Classification) {
		if len(l.RelTo) > 0 {
			out = append(out, Problem{Field: "rel_to", Reason: fmt.Sprintf("a %s record is released to everyone; rel_to must be empty", l.Classification)})
		}
		return out
	}
	if len(l.RelTo) == 0 {
		out = append(out, Problem{Field: "rel_to", Reason: fmt.Sprintf("a %s record must name at least one nation it is released to", l.Classification)})
	}
	seen := map[string]bool{}
	for i, n := range l.RelTo {
		if !IsNationCode(n) {
			out = append(out, Problem{Field: fmt.Sprintf("rel_to[%d]", i), Reason: fmt.Sprintf("%q is not an ISO 3166-1 alpha-3 code (three capital letters)", n)})
			continue
		}
		if seen[n] {
			out = append(out, Problem{Field: fmt.Sprintf("rel_to[%d]", i), Reason: fmt.Sprintf("%s is listed twice", n)})
		}
		seen[n] = true
	}
	return out
}

// MostRestrictive returns the label of a record derived from records with
// the given labels (an incident fused from observations, say): the highest
// of their classifications, released to the nations that every non-public
// input is released to. A public input does not narrow the nations, and if
// every input is public so is the result.
//
// When the non-public inputs share no nation, the result has an empty
// RelTo: it is visible to no nation at all (no user's nation is in it, and
// such a label fails Check, so it cannot be filed as is). It is returned, not an error,
// because the derivation itself is legitimate; who may then see it is a
// decision for a person, such as a re-release by the originating nations.
//
// The result is normalized. An error is returned for no labels, or for an
// input that fails the scheme's Check.
func MostRestrictive(s Scheme, labels ...Label) (Label, error) {
	if len(labels) == 0 {
		return Label{}, errors.New("most restrictive label: no labels given")
	}
	top := -1
	var nations []string // nil until the first non-public label
	restricted := false
	for i, l := range labels {
		if ps := s.Check(l); len(ps) > 0 {
			return Label{}, fmt.Errorf("most restrictive label: labels[%d] %q: %w", i, l, Problems(ps))
		}
		r, _ := s.Rank(l.Classification)
		top = max(top, r)
		if s.IsPublic(l.Classification) {
			continue
		}
		if !restricted {
			nations = slices.Clone(l.RelTo)
			restricted = true
			continue
		}
		nations = slices.DeleteFunc(nations, func(n string) bool { return !slices.Contains(l.RelTo, n) })
	}
	out := Label{Classification: s.Levels[top]}
	if restricted {
		out.RelTo = nations
	}
	return out.Normalize(), nil
}

// Problems is every problem found, in order. It is the error that
// Scheme.Validate wraps, and lets a caller turn Check's result into one.
type Problems = problem.List

func joinLevels(levels []Classification) string {
	parts := make([]string, len(levels))
	for i, c := range levels {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}

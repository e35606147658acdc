package label

import "slices"

// Visibility says which records a reader may see: those whose
// classification is one of Classifications and which are released to
// Nation, or whose classification is Public (released to every nation).
// A store filters its queries by it; Allows is the same rule for one label.
type Visibility struct {
	Nation          string
	Classifications []Classification
	// Public is the scheme's public classification; "" if it has none.
	Public Classification
}

// VisibilityFor returns what a reader of nation, cleared to clearance, may
// see under s.
func (s Scheme) VisibilityFor(nation string, clearance Classification) Visibility {
	return Visibility{Nation: nation, Classifications: s.Covered(clearance), Public: s.Public}
}

// Allows reports whether a record labelled l is visible.
func (v Visibility) Allows(l Label) bool {
	if !slices.Contains(v.Classifications, l.Classification) {
		return false
	}
	return (v.Public != "" && l.Classification == v.Public) || (IsNationCode(v.Nation) && slices.Contains(l.RelTo, v.Nation))
}

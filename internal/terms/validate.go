package terms

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/guarantor-project/guarantor/internal/geo"
)

var (
	partyCode = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)
	classCode = regexp.MustCompile(`^[a-z0-9_]+$`)
)

// maxCrossings is the most self-intersections reported one by one.
const maxCrossings = 10

// Validate checks the terms and returns every problem found as Problems,
// or nil when there are none. It does not fill in defaults; Parse does.
func (t Terms) Validate() error {
	var ps Problems
	if strings.TrimSpace(t.ID) == "" {
		ps.Add("id", "required")
	}
	if t.EffectiveFrom.IsZero() {
		ps.Add("effective_from", "required: an RFC 3339 time such as 2026-11-21T00:00:00Z")
	}
	t.validateParties(&ps)
	t.validateContactLine(&ps)
	if w := t.BufferZone.HalfWidthM; !(w > 0) || math.IsInf(w, 0) {
		ps.Add("buffer_zone.half_width_m", "must be positive, got %g", w)
	}
	t.validateWeaponClasses(&ps)
	t.validateClauses(&ps)
	t.validateRules(&ps)
	t.validateRegions(&ps)
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checkKey checks the key of item i of a list: bad, when not empty, says
// what is wrong with its form; otherwise no earlier item may have the same
// key. seen maps the keys met so far to their items.
func checkKey(ps *Problems, seen map[string]int, list string, i int, field, what, key, bad string) {
	f := fmt.Sprintf("%s[%d].%s", list, i, field)
	switch j, dup := seen[key]; {
	case bad != "":
		ps.Add(f, "%s", bad)
	case dup:
		ps.Add(f, "duplicate %s %q (also %s[%d])", what, key, list, j)
	default:
		seen[key] = i
	}
}

func (t Terms) validateParties(ps *Problems) {
	seen := map[string]int{}
	bySide := map[Side][]string{}
	for i, p := range t.Parties {
		f := fmt.Sprintf("parties[%d]", i)
		var bad string
		if !partyCode.MatchString(p.Code) {
			bad = fmt.Sprintf("must be 1 to 8 capital letters or digits, got %q", p.Code)
		}
		checkKey(ps, seen, "parties", i, "code", "party code", p.Code, bad)
		switch p.Side {
		case Left, Right:
			bySide[p.Side] = append(bySide[p.Side], p.Code)
		case "":
			ps.Add(f+".side", "required: %s or %s", Left, Right)
		default:
			ps.Add(f+".side", "must be %s or %s, got %q", Left, Right, p.Side)
		}
	}
	if len(bySide[Left])+len(bySide[Right]) < len(t.Parties) {
		return // a bad side is reported; which side lacks a party is unclear
	}
	for _, s := range []Side{Left, Right} {
		switch n := len(bySide[s]); {
		case n == 0:
			ps.Add("parties", "missing party: no party on the %s side", s)
		case n > 1:
			ps.Add("parties", "parties %s are all on the %s side; each side has one party", strings.Join(bySide[s], ", "), s)
		}
	}
}

func (t Terms) validateContactLine(ps *Problems) {
	lines, lps := t.ContactLine.decode("contact_line")
	*ps = append(*ps, lps...)
	if len(lps) > 0 {
		return
	}
	clean := true
	for li, line := range lines {
		f := "contact_line.coordinates"
		if t.ContactLine.Type == MultiLineString {
			f = fmt.Sprintf("%s[%d]", f, li)
		}
		if len(line) < 2 {
			ps.Add(f, "a line needs at least 2 points, got %d", len(line))
			clean = false
		}
		for i, p := range line {
			pf := fmt.Sprintf("%s[%d]", f, i)
			if !(p.Lon >= -180 && p.Lon <= 180) {
				ps.Add(pf, "longitude %g is outside WGS84 (-180 to 180)", p.Lon)
				clean = false
			}
			if !(p.Lat >= -90 && p.Lat <= 90) {
				ps.Add(pf, "latitude %g is outside WGS84 (-90 to 90)", p.Lat)
				clean = false
			}
			if i > 0 && p.Valid() && line[i-1].Valid() && geo.Distance(line[i-1], p) == 0 {
				ps.Add(pf, "is the same place as the point before it")
				clean = false
			}
		}
	}
	if !clean {
		return
	}
	crossings := geo.SelfIntersections(lines...)
	for i, c := range crossings {
		if i == maxCrossings {
			ps.Add("contact_line", "%d more self-intersections", len(crossings)-maxCrossings)
			break
		}
		how := "cross"
		if c.Touch {
			how = "touch"
		}
		if t.ContactLine.Type == MultiLineString {
			ps.Add("contact_line", "coordinates[%d] segment %d and coordinates[%d] segment %d %s (self-intersecting)", c.A.Line, c.A.Segment, c.B.Line, c.B.Segment, how)
		} else {
			ps.Add("contact_line", "segments %d and %d %s (self-intersecting)", c.A.Segment, c.B.Segment, how)
		}
	}
}

func (t Terms) validateWeaponClasses(ps *Problems) {
	seen := map[string]int{}
	for i, w := range t.WeaponClasses {
		f := fmt.Sprintf("weapon_classes[%d]", i)
		var bad string
		if !classCode.MatchString(w.Code) {
			bad = fmt.Sprintf("must be lower-case letters, digits and underscores, got %q", w.Code)
		}
		checkKey(ps, seen, "weapon_classes", i, "code", "weapon class code", w.Code, bad)
		if !(w.WithdrawalM > 0) || math.IsInf(w.WithdrawalM, 0) {
			ps.Add(f+".withdrawal_m", "must be positive, got %g", w.WithdrawalM)
		}
	}
}

func (t Terms) validateClauses(ps *Problems) {
	seen := map[string]int{}
	for i, c := range t.Clauses {
		f := fmt.Sprintf("clauses[%d]", i)
		var bad string
		if strings.TrimSpace(c.ID) == "" {
			bad = "required"
		}
		checkKey(ps, seen, "clauses", i, "id", "clause id", c.ID, bad)
		for j, z := range c.Zones {
			if p, ok := t.checkZone(z); !ok {
				ps.Add(fmt.Sprintf("%s.zones[%d]", f, j), "%s", p)
			}
		}
		for j, v := range c.Forbids {
			if !slices.Contains(t.violationTypes(), v) {
				ps.Add(fmt.Sprintf("%s.forbids[%d]", f, j), "unknown violation type %q (built in: %s; or the type of one of the rules)", v, strings.Join(ViolationTypes, ", "))
			}
		}
	}
}

// violationTypes are the built-in types and those of t's rules.
func (t Terms) violationTypes() []string {
	types := slices.Clone(ViolationTypes)
	for _, r := range t.Rules {
		types = append(types, r.Type)
	}
	return types
}

// validateRules checks the rules' form; whether a condition compiles is
// checked by the rules package when the terms are loaded.
func (t Terms) validateRules(ps *Problems) {
	seen := map[string]int{}
	for i, r := range t.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		var bad string
		if !classCode.MatchString(r.ID) {
			bad = fmt.Sprintf("must be lower-case letters, digits and _, got %q", r.ID)
		}
		checkKey(ps, seen, "rules", i, "id", "rule id", r.ID, bad)
		if !classCode.MatchString(r.Type) {
			ps.Add(f+".type", "must be lower-case letters, digits and _, got %q", r.Type)
		}
		if !slices.Contains(Severities, r.Severity) {
			ps.Add(f+".severity", "must be one of %s, got %q", strings.Join(Severities, ", "), r.Severity)
		}
		if strings.TrimSpace(r.Condition) == "" {
			ps.Add(f+".condition", "required: a CEL expression that yields a bool")
		}
		if !slices.ContainsFunc(t.Clauses, func(c Clause) bool { return c.ID == r.Clause }) {
			ps.Add(f+".clause", "no clause has the id %q", r.Clause)
		}
	}
}

// checkZone reports whether zone names a zone of t, and if not, why.
func (t Terms) checkZone(zone string) (string, bool) {
	if zone == ZoneBuffer {
		return "", true
	}
	code, ok := strings.CutPrefix(zone, withdrawalPrefix)
	if !ok {
		return fmt.Sprintf("unknown zone %q (want %s or %s<weapon class>)", zone, ZoneBuffer, withdrawalPrefix), false
	}
	if _, ok := t.weaponClass(code); !ok {
		return unknownClass(code, t.WeaponClasses), false
	}
	return "", true
}

// weaponClass returns the weapon class with the code.
func (t Terms) weaponClass(code string) (WeaponClass, bool) {
	for _, w := range t.WeaponClasses {
		if w.Code == code {
			return w, true
		}
	}
	return WeaponClass{}, false
}

// unknownClass is the reason given for a reference to an undefined weapon class.
func unknownClass(code string, classes []WeaponClass) string {
	known := make([]string, len(classes))
	for i, w := range classes {
		known[i] = w.Code
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown weapon class %q (the terms define none)", code)
	}
	return fmt.Sprintf("unknown weapon class %q (the terms define %s)", code, strings.Join(known, ", "))
}

// validateRegions checks the regions: unique codes, and for each an area
// that is a Polygon or MultiPolygon whose rings are valid WGS84 points, at
// least 3 distinct ones each, none the same as the one before it, and whose
// edges neither cross nor touch. What remains (a ring enclosing no area,
// rings badly nested) is reported from geo.NewArea, which Compile uses, so
// that valid terms always compile.
func (t Terms) validateRegions(ps *Problems) {
	seen := map[string]int{}
	for i, r := range t.Regions {
		var bad string
		if strings.TrimSpace(r.Code) == "" {
			bad = "required"
		}
		checkKey(ps, seen, "regions", i, "code", "region code", r.Code, bad)
		f := fmt.Sprintf("regions[%d].area", i)
		polys, rps := r.Area.decodePolygons(f)
		*ps = append(*ps, rps...)
		if len(rps) > 0 {
			continue
		}
		var rings [][]geo.LonLat
		var names []string // the field of each ring
		for k, poly := range polys {
			for j, ring := range poly {
				rf := fmt.Sprintf("%s.coordinates[%d]", f, j)
				if r.Area.Type == MultiPolygon {
					rf = fmt.Sprintf("%s.coordinates[%d][%d]", f, k, j)
				}
				rings = append(rings, ring)
				names = append(names, rf)
			}
		}
		clean := true
		for k, ring := range rings {
			clean = checkRing(ps, names[k], ring) && clean
		}
		if !clean {
			continue
		}
		closed := make([][]geo.LonLat, len(rings))
		for k, ring := range rings {
			closed[k] = closeRing(ring)
		}
		if cs := geo.SelfIntersections(closed...); len(cs) > 0 {
			for n, c := range cs {
				if n == maxCrossings {
					ps.Add(f, "%d more self-intersections", len(cs)-maxCrossings)
					break
				}
				how := "cross"
				if c.Touch {
					how = "touch"
				}
				ps.Add(f, "%s segment %d and %s segment %d %s (self-intersecting)",
					strings.TrimPrefix(names[c.A.Line], f+"."), c.A.Segment, strings.TrimPrefix(names[c.B.Line], f+"."), c.B.Segment, how)
			}
			continue
		}
		if _, err := geo.NewArea(rings...); err != nil {
			ps.Add(f, "%s", strings.TrimPrefix(err.Error(), "geo: "))
		}
	}
}

// checkRing checks the points of one ring of a region's area, named field,
// and reports whether it is clean.
func checkRing(ps *Problems, field string, ring []geo.LonLat) bool {
	clean := true
	distinct := map[geo.LonLat]bool{}
	for i, p := range ring {
		pf := fmt.Sprintf("%s[%d]", field, i)
		if !(p.Lon >= -180 && p.Lon <= 180) {
			ps.Add(pf, "longitude %g is outside WGS84 (-180 to 180)", p.Lon)
			clean = false
		}
		if !(p.Lat >= -90 && p.Lat <= 90) {
			ps.Add(pf, "latitude %g is outside WGS84 (-90 to 90)", p.Lat)
			clean = false
		}
		if i > 0 && p.Valid() && ring[i-1].Valid() && geo.Distance(ring[i-1], p) == 0 {
			ps.Add(pf, "is the same place as the point before it")
			clean = false
		}
		distinct[p] = true
	}
	if clean && len(distinct) < 3 {
		ps.Add(field, "a ring needs at least 3 distinct points, got %d", len(distinct))
		clean = false
	}
	return clean
}

// closeRing returns ring ending with its first point.
func closeRing(ring []geo.LonLat) []geo.LonLat {
	if len(ring) > 0 && ring[0] == ring[len(ring)-1] {
		return ring
	}
	return append(ring[:len(ring):len(ring)], ring[0])
}

// Polygons decodes the coordinates of a region's area: one polygon for a
// Polygon, one per part for a MultiPolygon, each a list of rings (the
// outer ring, then its holes), each point in the order given. It checks
// the shape of the coordinates but not the rings; Validate does that. The
// error is Problems naming "area" fields.
func (g Geometry) Polygons() ([][][]geo.LonLat, error) {
	polys, ps := g.decodePolygons("area")
	if len(ps) > 0 {
		return nil, ps
	}
	return polys, nil
}

// decodePolygons is Polygons reporting problems under field.
func (g Geometry) decodePolygons(field string) ([][][]geo.LonLat, Problems) {
	var ps Problems
	coords := field + ".coordinates"
	if g.Coordinates == nil {
		ps.Add(coords, "required")
	}
	switch g.Type {
	case Polygon, MultiPolygon:
	case "":
		ps.Add(field+".type", "required: %s or %s", Polygon, MultiPolygon)
		return nil, ps
	default:
		ps.Add(field+".type", "unknown geometry type %q (want %s or %s)", g.Type, Polygon, MultiPolygon)
		return nil, ps
	}
	if len(ps) > 0 {
		return nil, ps
	}
	raw, err := json.Marshal(g.Coordinates)
	if err != nil {
		ps.Add(coords, "not JSON coordinates: %v", err)
		return nil, ps
	}
	if g.Type == Polygon {
		return [][][]geo.LonLat{decodeRings(raw, coords, &ps)}, ps
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		ps.Add(coords, "want a list of polygons, each a list of rings of [longitude, latitude], got %s", excerpt(raw))
		return nil, ps
	}
	if len(parts) == 0 {
		ps.Add(coords, "a %s needs at least one polygon", MultiPolygon)
	}
	polys := make([][][]geo.LonLat, len(parts))
	for i, part := range parts {
		polys[i] = decodeRings(part, fmt.Sprintf("%s[%d]", coords, i), &ps)
	}
	return polys, ps
}

// decodeRings decodes the rings of one GeoJSON polygon.
func decodeRings(raw json.RawMessage, field string, ps *Problems) [][]geo.LonLat {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		ps.Add(field, "want a list of rings, each a list of [longitude, latitude], got %s", excerpt(raw))
		return nil
	}
	if len(parts) == 0 {
		ps.Add(field, "a polygon needs at least one ring")
	}
	rings := make([][]geo.LonLat, len(parts))
	for i, part := range parts {
		rings[i] = decodeLine(part, fmt.Sprintf("%s[%d]", field, i), ps)
	}
	return rings
}

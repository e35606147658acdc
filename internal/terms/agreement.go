package terms

import (
	"fmt"
	"math"
	"slices"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// Zone names used in Location.Zones and Clause.Zones.
const (
	// ZoneBuffer is the buffer zone: within the half width of the contact line.
	ZoneBuffer       = "buffer_zone"
	withdrawalPrefix = "withdrawal:"
)

// WithdrawalZone returns the name of the band, on either side of the
// contact line, inside which the weapon class with the code is forbidden.
func WithdrawalZone(code string) string { return withdrawalPrefix + code }

// Agreement is terms compiled for queries. It is immutable and safe for
// concurrent use.
type Agreement struct {
	terms   Terms
	lines   []*geo.Polyline
	parties map[Side]Party
	zones   []string // WithdrawalZone of each weapon class, in order
	regions []region // in the order of the terms
}

// region is a Region with its area compiled for queries.
type region struct {
	Region
	area *geo.Area
}

// Compile validates t and prepares it for queries.
func Compile(t Terms) (*Agreement, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("terms %q version %q: %w", t.ID, t.Version, err)
	}
	lines, err := t.ContactLine.Lines()
	if err != nil {
		return nil, fmt.Errorf("terms %q version %q: %w", t.ID, t.Version, err)
	}
	a := &Agreement{terms: t, parties: map[Side]Party{}}
	for i, line := range lines {
		l, err := geo.NewPolyline(line)
		if err != nil {
			return nil, fmt.Errorf("terms %q version %q: contact line %d: %w", t.ID, t.Version, i, err)
		}
		a.lines = append(a.lines, l)
	}
	for _, p := range t.Parties {
		a.parties[p.Side] = p
	}
	for _, w := range t.WeaponClasses {
		a.zones = append(a.zones, WithdrawalZone(w.Code))
	}
	for i, r := range t.Regions {
		polys, err := r.Area.Polygons()
		if err != nil {
			return nil, fmt.Errorf("terms %q version %q: regions[%d]: %w", t.ID, t.Version, i, err)
		}
		area, err := geo.NewArea(slices.Concat(polys...)...)
		if err != nil {
			return nil, fmt.Errorf("terms %q version %q: regions[%d] %q: %w", t.ID, t.Version, i, r.Code, err)
		}
		a.regions = append(a.regions, region{Region: r, area: area})
	}
	return a, nil
}

// Terms returns the terms the agreement was compiled from. They share
// memory with the agreement and must not be modified.
func (a *Agreement) Terms() Terms { return a.terms }

// ContactLines returns the parts of the contact line as indexed polylines,
// in the order of the terms. Polylines are immutable: callers may share them.
func (a *Agreement) ContactLines() []*geo.Polyline { return slices.Clone(a.lines) }

// Location is where a point lies relative to the contact line.
type Location struct {
	// Party is the code of the party whose side the point is on; empty on the line.
	Party string
	// Side is the side of the contact line the point is on; empty on the line.
	Side Side
	// SignedDistanceM is the geodesic distance in metres to the nearest
	// point of the contact line: positive on the left side, negative on the right.
	SignedDistanceM float64
	// DistanceM is the absolute value of SignedDistanceM.
	DistanceM float64
	// Zones are the zones the point is in: ZoneBuffer when DistanceM is at
	// most the buffer zone's half width, then WithdrawalZone(code) for each
	// weapon class whose withdrawal distance is at least DistanceM, in the
	// order of the terms. The zones are bands on both sides of the line;
	// Party says whose side.
	Zones []string
	// LinePoint is the nearest point of the contact line.
	LinePoint geo.LonLat
}

// Locate returns where p lies relative to the contact line. For an invalid
// p the distances are NaN and Party, Side and Zones are empty.
func (a *Agreement) Locate(p geo.LonLat) Location {
	best := geo.NearestPoint{DistanceM: math.Inf(1)}
	for _, l := range a.lines {
		if n := l.Nearest(p); n.DistanceM < best.DistanceM || math.IsNaN(n.DistanceM) {
			best = n
		}
	}
	loc := Location{DistanceM: best.DistanceM, SignedDistanceM: float64(best.Side) * best.DistanceM, LinePoint: best.Point}
	if math.IsNaN(best.DistanceM) {
		loc.SignedDistanceM = math.NaN()
		return loc
	}
	switch best.Side {
	case +1:
		loc.Side = Left
	case -1:
		loc.Side = Right
	}
	if loc.Side != "" {
		loc.Party = a.parties[loc.Side].Code
	}
	var zones []string
	if loc.DistanceM <= a.terms.BufferZone.HalfWidthM {
		zones = append(make([]string, 0, 1+len(a.zones)), ZoneBuffer)
	}
	for i, w := range a.terms.WeaponClasses {
		if loc.DistanceM <= w.WithdrawalM {
			if zones == nil {
				zones = make([]string, 0, 1+len(a.zones)-i)
			}
			zones = append(zones, a.zones[i])
		}
	}
	loc.Zones = zones
	return loc
}

// Region returns the first region of the terms, in their order, whose
// area contains p; false when p is in none.
func (a *Agreement) Region(p geo.LonLat) (Region, bool) {
	for _, r := range a.regions {
		if r.area.Contains(p) {
			return r.Region, true
		}
	}
	return Region{}, false
}

// Party returns the party with the code.
func (a *Agreement) Party(code string) (Party, bool) {
	for _, p := range a.terms.Parties {
		if p.Code == code {
			return p, true
		}
	}
	return Party{}, false
}

// PartyBySide returns the party on side s.
func (a *Agreement) PartyBySide(s Side) (Party, bool) {
	p, ok := a.parties[s]
	return p, ok
}

// WeaponClass returns the weapon class with the code.
func (a *Agreement) WeaponClass(code string) (WeaponClass, bool) {
	return a.terms.weaponClass(code)
}

// WithdrawalLine returns the distance in metres from the contact line to
// the withdrawal line of the weapon class with the code. An unknown code
// is a Problem naming the field "weapon_class".
func (a *Agreement) WithdrawalLine(code string) (float64, error) {
	w, ok := a.terms.weaponClass(code)
	if !ok {
		return 0, Problem{Field: "weapon_class", Reason: unknownClass(code, a.terms.WeaponClasses)}
	}
	return w.WithdrawalM, nil
}

// InZone reports whether loc is in the zone named zone. An unknown zone
// or weapon class is a Problem naming the field "zone".
func (a *Agreement) InZone(loc Location, zone string) (bool, error) {
	if reason, ok := a.terms.checkZone(zone); !ok {
		return false, Problem{Field: "zone", Reason: reason}
	}
	return slices.Contains(loc.Zones, zone), nil
}

// Clauses returns the clauses that forbid breaching zone, in order.
func (a *Agreement) Clauses(zone string) []Clause {
	var cs []Clause
	for _, c := range a.terms.Clauses {
		if slices.Contains(c.Zones, zone) {
			cs = append(cs, c)
		}
	}
	return cs
}

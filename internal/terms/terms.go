// Package terms holds the machine-readable ceasefire agreement: the parties,
// the contact line, the buffer zone, the withdrawal distances per weapon
// class and the clauses. It parses and validates terms files and answers,
// for any point, which party's side it lies on, how far it is from the
// contact line and which zones it falls in. It does no I/O: callers pass bytes.
package terms

import "time"

// Terms is one version of a ceasefire agreement.
type Terms struct {
	// ID names the agreement; versions of one agreement share it.
	ID string `json:"id"`
	// Version is a label chosen by the author, such as "1" or "2026-11-21".
	Version string `json:"version"`
	// Title is a human-readable name.
	Title string `json:"title"`
	// Illustrative is true for terms that describe no real agreement.
	Illustrative bool `json:"illustrative,omitempty"`
	// EffectiveFrom is when these terms enter into force.
	EffectiveFrom time.Time `json:"effective_from"`
	// Parties are the sides bound by the ceasefire.
	Parties []Party `json:"parties"`
	// ContactLine is a GeoJSON LineString or MultiLineString in WGS84.
	ContactLine Geometry `json:"contact_line"`
	// BufferZone is the band around the contact line where no forces may be.
	BufferZone BufferZone `json:"buffer_zone"`
	// WeaponClasses are the heavy-weapon classes and their withdrawal
	// distances. When a file omits them, DefaultWeaponClasses apply.
	WeaponClasses []WeaponClass `json:"weapon_classes"`
	// Clauses are the numbered provisions that rules cite.
	Clauses []Clause `json:"clauses,omitempty"`
	// Rules are the agreement's own rules, besides the built-in ones: CEL
	// conditions over an incident (see docs/verification.md).
	Rules []Rule `json:"rules,omitempty"`
	// Regions are named areas, such as oblasts or sectors, by which
	// reports count violations. They are optional and may leave gaps.
	Regions []Region `json:"regions,omitempty"`
}

// The types of violation the built-in rules find; a clause names those it
// forbids, and a Rule may add its own.
const (
	// FireAcrossLine: fire whose origin is on one party's side and whose
	// impact is on the other's or in the buffer zone.
	FireAcrossLine = "fire_across_line"
	// FireSameSide: fire whose origin and impact are on one side.
	FireSameSide = "fire_same_side"
	// FireUnresolved: fire whose origin or impact was not located, so
	// that whether it crossed the line is not known.
	FireUnresolved = "fire_unresolved"
	// WeaponInWithdrawalZone: a heavy weapon of a class within that
	// class's withdrawal distance on its party's side.
	WeaponInWithdrawalZone = "weapon_in_withdrawal_zone"
	// PresenceInBufferZone: forces, weapons or vehicles in the buffer zone.
	PresenceInBufferZone = "presence_in_buffer_zone"
	// AirspaceCrossing: a drone or aircraft of a party across the line.
	AirspaceCrossing = "airspace_crossing"
)

// ViolationTypes lists the built-in violation types.
var ViolationTypes = []string{FireAcrossLine, FireSameSide, FireUnresolved, WeaponInWithdrawalZone, PresenceInBufferZone, AirspaceCrossing}

// Rule is an agreement's own rule: when Condition, a CEL expression over
// the incident and the terms, is true, the incident is a candidate
// violation of Type with Severity, citing Clause.
type Rule struct {
	// ID is unique among the rules.
	ID string `json:"id"`
	// Clause is the id of the clause the rule applies.
	Clause string `json:"clause"`
	// Type is the violation type, in lower_snake_case: a built-in type or
	// one of the agreement's own.
	Type string `json:"type"`
	// Severity is minor, serious or major.
	Severity string `json:"severity"`
	// Condition is a CEL expression that yields a bool.
	Condition string `json:"condition"`
	// Description says what the rule is for.
	Description string `json:"description,omitempty"`
}

// Severities are the severities of violations, least first.
var Severities = []string{"minor", "serious", "major"}

// Party is a side bound by the ceasefire.
type Party struct {
	// Code is 1 to 8 capital letters or digits, unique among the parties.
	Code string `json:"code"`
	// Name is a human-readable name.
	Name string `json:"name"`
	// Side is where the party's forces are relative to the contact line,
	// looking along the line in the order its points are given: "left" or "right".
	Side Side `json:"side"`
}

// Side is a side of the contact line, looking along it in drawing order.
type Side string

// The two sides of the contact line.
const (
	Left  Side = "left"
	Right Side = "right"
)

// Geometry is a GeoJSON LineString or MultiLineString (the contact line),
// or a Polygon or MultiPolygon (the area of a region).
type Geometry struct {
	// Type is "LineString" or "MultiLineString"; for a region's area,
	// "Polygon" or "MultiPolygon".
	Type string `json:"type"`
	// Coordinates is a list of [lon, lat] for a LineString; for a
	// MultiLineString it is a list of such lists. Kept raw and decoded by
	// Lines (or Polygons, for an area).
	Coordinates any `json:"coordinates"`
}

// Geometry types of a region's area.
const (
	Polygon      = "Polygon"
	MultiPolygon = "MultiPolygon"
)

// Region is a named area of the agreement, such as an oblast or a sector
// of the line, by which reports count violations.
type Region struct {
	// Code is unique among the regions, such as "DON-N".
	Code string `json:"code"`
	// Name is a human-readable name.
	Name string `json:"name"`
	// Area is a GeoJSON Polygon or MultiPolygon in WGS84: for each polygon
	// an outer ring and any holes, each ring a list of [lon, lat] with at
	// least 3 distinct points. A ring may repeat its first point at its end
	// (as GeoJSON does) or not, and may go either way round.
	Area Geometry `json:"area"`
}

// BufferZone is the band around the contact line where no forces may be.
type BufferZone struct {
	// HalfWidthM is the distance in metres from the line to each edge of the zone.
	HalfWidthM float64 `json:"half_width_m"`
}

// WeaponClass is a heavy-weapon class and the distance from the contact
// line inside which it is forbidden on its party's own side.
type WeaponClass struct {
	// Code is lower-case letters, digits and underscores, unique among the
	// classes; zones and observations refer to the class by it.
	Code string `json:"code"`
	// Name is a human-readable name.
	Name string `json:"name"`
	// WithdrawalM is the distance in metres from the contact line to the
	// class's withdrawal line.
	WithdrawalM float64 `json:"withdrawal_m"`
}

// Clause is one provision of the agreement, cited by rules and findings.
type Clause struct {
	// ID is unique among the clauses, such as "4" or "art-2.1".
	ID string `json:"id"`
	// Title is a short human-readable name.
	Title string `json:"title"`
	// Text is the provision's wording.
	Text string `json:"text,omitempty"`
	// Zones are the zones whose breach this clause forbids, named as in
	// Location.Zones: ZoneBuffer, or WithdrawalZone of a weapon class code.
	Zones []string `json:"zones,omitempty"`
	// Forbids are the violation types this clause forbids (ViolationTypes,
	// or a type of the agreement's own Rules): a candidate violation of
	// a type cites the first clause that forbids it.
	Forbids []string `json:"forbids,omitempty"`
}

// DefaultWeaponClasses are the withdrawal distances of the Minsk II package
// of measures (2015): 50 km for artillery of 100 mm calibre and above, 70 km
// for multiple-launch rocket systems, 140 km for heavy MLRS and tactical missiles.
func DefaultWeaponClasses() []WeaponClass {
	return []WeaponClass{
		{Code: "artillery_100mm", Name: "Artillery of 100 mm calibre and above", WithdrawalM: 50_000},
		{Code: "mlrs", Name: "Multiple-launch rocket systems", WithdrawalM: 70_000},
		{Code: "heavy_mlrs", Name: "Heavy MLRS and tactical missile systems", WithdrawalM: 140_000},
	}
}

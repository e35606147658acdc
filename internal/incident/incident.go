// Package incident is guarantor's account of what happened: it runs the
// observations through acoustic association (package associate), location
// by time differences of arrival (tdoa), correlation (fusion) and
// attribution (attribution), and reports each incident with its origin and
// impact, its 95 % ellipses, the probability of each party's side, its
// confidence, its releasability and the observations it rests on.
//
// An Engine is pure: observations and the time go in, incidents come out,
// with no I/O and no clock of its own, so that the server and `guarantor
// eval` run the same code, and a replay of the same observations gives the
// same incidents.
package incident

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// Incident is one incident as guarantor reports it.
type Incident struct {
	// ID is the fusion incident's id: "inc-" and the id of the evidence
	// that opened it.
	ID string
	// Version counts the changes reported, from 1.
	Version int
	Class   fusion.Class
	// Role is what its evidence places: the origin of fire, its impact, or
	// either (fusion.RoleUnknown).
	Role fusion.Role
	// WeaponClass is the weapon class its sources named most often (the
	// first named of equals), empty when none did.
	WeaponClass string
	// Casualties are the casualties its evidence reports, and the linked
	// incident's (the casualties of one fire): the largest killed and the
	// largest wounded figure any piece gives, since sources reporting one
	// event are not summed, and civilian when any says so. Nil when none
	// reports casualties.
	Casualties *observe.Casualties
	Start, End time.Time
	// Location is where its own evidence places it.
	Location Site
	// Origin and Impact are where the fire came from and where it landed,
	// when known: one of them is Location, the other that of the linked
	// incident (Linked).
	Origin, Impact *Site
	// Linked is the incident at the other end of the fire: the impact of
	// an origin, the origin of an impact.
	Linked string
	// Attribution is the attribution of the origin (fire) or of the
	// location (equipment). Its Party is empty when not attributable.
	Attribution Attribution
	Confidence  fusion.Confidence
	// Label is the most restrictive releasability of its observations,
	// and of the linked incident's when Linked is set.
	Label label.Label
	// Evidence summarises what it rests on, in the order it was fused.
	Evidence []Evidence
	// Terms names the terms version it was attributed under, if any.
	Terms *TermsRef
	// MergedInto names the incident this one was merged into; a merged
	// incident reports nothing else.
	MergedInto string
}

// Site is a located point with its uncertainty.
type Site struct {
	Position geo.LonLat
	// Cov is the covariance of Position in a local east-north frame (m²).
	Cov       [2][2]float64
	Ellipse95 geo.Ellipse
	// Incident is the incident whose evidence places the site.
	Incident string
}

// Evidence is one piece of evidence of an incident.
type Evidence struct {
	ID          string
	Role        fusion.Role
	Source      string
	Grading     string
	WeaponClass string
	// Casualties are the casualties this piece reports, nil when none.
	Casualties *observe.Casualties
	Time       time.Time
	// Position and Ellipse95 are where this piece alone places the event.
	Position  geo.LonLat
	Ellipse95 geo.Ellipse
	// CRLB95 is the 95 % ellipse of the Cramér–Rao bound of an acoustic
	// location, nil for other evidence.
	CRLB95       *geo.Ellipse
	Observations []string
}

// Attribution says whose side the origin is on.
type Attribution struct {
	// Of is what was attributed: "origin" or "location"; empty when
	// nothing could be (Reason says why).
	Of string
	// Party is the attributed party, empty when not attributable.
	Party string
	// Probability is the probability of the most probable side.
	Probability   float64
	Probabilities map[string]float64
	// SignedDistanceM is the distance to the contact line, positive on
	// its left; DistanceSigmaM its standard deviation.
	SignedDistanceM, DistanceSigmaM float64
	Zones                           []string
	ZoneProbabilities               map[string]float64
	// PartyZoneProbabilities maps each party and zone to the probability
	// that the point is on that party's side and in the zone.
	PartyZoneProbabilities map[string]map[string]float64
	// Reason explains an absent party in words.
	Reason string
}

// TermsRef names a terms version.
type TermsRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Observations returns the ids of the observations it rests on, in the
// order of its evidence.
func (in Incident) Observations() []string {
	var out []string
	for _, e := range in.Evidence {
		out = append(out, e.Observations...)
	}
	return out
}

// BBox returns [west, south, east, north] of its 95 % ellipse, and of its
// origin's and impact's.
func (in Incident) BBox() [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	add := func(s *Site) {
		if s == nil {
			return
		}
		for _, p := range s.Ellipse95.Polygon(s.Position, ringPoints) {
			b[0], b[1] = math.Min(b[0], p.Lon), math.Min(b[1], p.Lat)
			b[2], b[3] = math.Max(b[2], p.Lon), math.Max(b[3], p.Lat)
		}
	}
	if in.MergedInto != "" {
		return [4]float64{}
	}
	add(&in.Location)
	add(in.Origin)
	add(in.Impact)
	return b
}

// ringPoints is the number of vertices of an ellipse's polygon.
const ringPoints = 48

// The JSON form: a GeoJSON Feature whose geometry is the 95 % ellipse of
// the location, with everything else in its properties.
type (
	featureJSON struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   *polygonJSON   `json:"geometry"`
		Properties propertiesJSON `json:"properties"`
	}
	polygonJSON struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	propertiesJSON struct {
		Version      int                `json:"version"`
		MergedInto   string             `json:"merged_into,omitempty"`
		Class        fusion.Class       `json:"class,omitempty"`
		Role         fusion.Role        `json:"role,omitempty"`
		WeaponClass  string             `json:"weapon_class,omitempty"`
		Casualties   *casualtiesJSON    `json:"casualties,omitempty"`
		Start        *time.Time         `json:"start,omitempty"`
		End          *time.Time         `json:"end,omitempty"`
		Location     *siteJSON          `json:"location,omitempty"`
		Origin       *siteJSON          `json:"origin"`
		Impact       *siteJSON          `json:"impact"`
		Linked       string             `json:"linked,omitempty"`
		Attribution  *attributionJSON   `json:"attribution,omitempty"`
		Confidence   *fusion.Confidence `json:"confidence,omitempty"`
		Label        label.Label        `json:"releasability"`
		Terms        *TermsRef          `json:"terms,omitempty"`
		Evidence     []evidenceJSON     `json:"evidence,omitempty"`
		Observations []string           `json:"observations,omitempty"`
	}
	siteJSON struct {
		Position  [2]float64  `json:"position"`
		Ellipse95 ellipseJSON `json:"ellipse_95"`
		Incident  string      `json:"incident,omitempty"`
	}
	ellipseJSON struct {
		SemiMajorM float64 `json:"semi_major_m"`
		SemiMinorM float64 `json:"semi_minor_m"`
		AzimuthDeg float64 `json:"azimuth_deg"`
	}
	evidenceJSON struct {
		ID           string          `json:"id"`
		Role         fusion.Role     `json:"role"`
		Source       string          `json:"source"`
		Grading      string          `json:"grading,omitempty"`
		WeaponClass  string          `json:"weapon_class,omitempty"`
		Casualties   *casualtiesJSON `json:"casualties,omitempty"`
		Time         time.Time       `json:"time"`
		Position     [2]float64      `json:"position"`
		Ellipse95    ellipseJSON     `json:"ellipse_95"`
		CRLB95       *ellipseJSON    `json:"crlb_95,omitempty"`
		Observations []string        `json:"observations"`
	}
	casualtiesJSON struct {
		Killed   *int `json:"killed,omitempty"`
		Wounded  *int `json:"wounded,omitempty"`
		Civilian bool `json:"civilian,omitempty"`
	}
	attributionJSON struct {
		Of                     string                        `json:"of,omitempty"`
		Party                  *string                       `json:"party"`
		Probability            float64                       `json:"probability"`
		Probabilities          map[string]float64            `json:"probabilities,omitempty"`
		SignedDistanceM        float64                       `json:"signed_distance_m"`
		DistanceSigmaM         float64                       `json:"distance_sigma_m"`
		Zones                  []string                      `json:"zones,omitempty"`
		ZoneProbabilities      map[string]float64            `json:"zone_probabilities,omitempty"`
		PartyZoneProbabilities map[string]map[string]float64 `json:"party_zone_probabilities,omitempty"`
		Reason                 string                        `json:"reason,omitempty"`
	}
)

// MarshalJSON encodes the incident as a GeoJSON Feature. Numbers are
// rounded to what they mean: positions to 1e-7 degrees (about 1 cm),
// lengths to 0.1 m, probabilities to 1e-4. The same incident always gives
// the same bytes.
func (in Incident) MarshalJSON() ([]byte, error) {
	f := featureJSON{Type: "Feature", ID: in.ID, Properties: propertiesJSON{Version: in.Version, Label: in.Label}}
	if in.MergedInto != "" {
		f.Properties.MergedInto = in.MergedInto
		return json.Marshal(f)
	}
	ring := in.Location.Ellipse95.Polygon(in.Location.Position, ringPoints)
	coords := make([][2]float64, len(ring))
	for i, p := range ring {
		coords[i] = lonLat(p)
	}
	f.Geometry = &polygonJSON{Type: "Polygon", Coordinates: [][][2]float64{coords}}
	start, end := in.Start.UTC(), in.End.UTC()
	p := &f.Properties
	p.Class, p.Role, p.WeaponClass, p.Start, p.End, p.Linked, p.Terms = in.Class, in.Role, in.WeaponClass, &start, &end, in.Linked, in.Terms
	p.Casualties = casualtiesOf(in.Casualties)
	p.Location, p.Origin, p.Impact = site(&in.Location), site(in.Origin), site(in.Impact)
	p.Location.Incident = ""
	conf := in.Confidence
	conf.Score = round(conf.Score, 4)
	p.Confidence = &conf
	a := in.Attribution
	aj := &attributionJSON{Of: a.Of, Probability: round(a.Probability, 4), Probabilities: roundMap(a.Probabilities),
		SignedDistanceM: round(a.SignedDistanceM, 1), DistanceSigmaM: round(a.DistanceSigmaM, 1),
		Zones: a.Zones, ZoneProbabilities: roundMap(a.ZoneProbabilities), Reason: a.Reason}
	if len(a.PartyZoneProbabilities) > 0 {
		aj.PartyZoneProbabilities = map[string]map[string]float64{}
		for party, zones := range a.PartyZoneProbabilities {
			aj.PartyZoneProbabilities[party] = roundMap(zones)
		}
	}
	if a.Party != "" {
		aj.Party = &a.Party
	}
	p.Attribution = aj
	for _, e := range in.Evidence {
		ej := evidenceJSON{ID: e.ID, Role: e.Role, Source: e.Source, Grading: e.Grading, WeaponClass: e.WeaponClass,
			Casualties: casualtiesOf(e.Casualties), Time: e.Time.UTC(),
			Position: lonLat(e.Position), Ellipse95: ellipse(e.Ellipse95), Observations: e.Observations}
		if e.CRLB95 != nil {
			c := ellipse(*e.CRLB95)
			ej.CRLB95 = &c
		}
		p.Evidence = append(p.Evidence, ej)
	}
	p.Observations = in.Observations()
	return json.Marshal(f)
}

// casualtiesOf is the JSON form of casualties, nil for none.
func casualtiesOf(c *observe.Casualties) *casualtiesJSON {
	if c == nil {
		return nil
	}
	return &casualtiesJSON{Killed: c.Killed, Wounded: c.Wounded, Civilian: c.Civilian}
}

func site(s *Site) *siteJSON {
	if s == nil {
		return nil
	}
	return &siteJSON{Position: lonLat(s.Position), Ellipse95: ellipse(s.Ellipse95), Incident: s.Incident}
}

func ellipse(e geo.Ellipse) ellipseJSON {
	return ellipseJSON{SemiMajorM: round(e.SemiMajorM, 1), SemiMinorM: round(e.SemiMinorM, 1), AzimuthDeg: round(e.AzimuthDeg, 1)}
}

func lonLat(p geo.LonLat) [2]float64 { return [2]float64{round(p.Lon, 7), round(p.Lat, 7)} }

func round(x float64, decimals int) float64 {
	s := math.Pow(10, float64(decimals))
	return math.Round(x*s) / s
}

func roundMap(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = round(v, 4)
	}
	return out
}

// attribute fills an Attribution from the attributor's result for what.
func fromResult(of string, r attribution.Result, minP float64) Attribution {
	a := Attribution{Of: of, Party: r.Party, Probability: r.Probability, Probabilities: r.Probabilities,
		SignedDistanceM: r.SignedDistanceM, DistanceSigmaM: r.DistanceSigmaM, Zones: r.Zones,
		ZoneProbabilities: r.ZoneProbabilities, PartyZoneProbabilities: r.PartyZoneProbabilities}
	if a.Party == "" {
		a.Reason = fmt.Sprintf("not attributable: the most probable side has probability %.2f, below %.2f", r.Probability, minP)
	}
	return a
}

// Package fusion turns evidence — observations, and acoustic events located
// from several detections — into incidents: what happened, where, when, on
// what evidence, and how sure we are. It is pure: values in, values out.
//
// A Correlator keeps the incidents still open to new evidence. Each piece of
// evidence joins the open incident it is compatible with (same class, close
// in time given both time uncertainties, close in space given both location
// uncertainties), or starts a new one; late and out-of-order evidence within
// the window updates incidents instead of creating twins, and evidence that
// makes two incidents compatible merges them. Repeated reports of one event
// by one source count once. Confidence follows the sources' Admiralty
// gradings and how many independent sources agree (see Confidence and
// docs/fusion.md).
package fusion

import (
	"fmt"
	"math"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/tdoa"
)

// Class is what kind of incident a piece of evidence can belong to.
// Evidence of different classes never joins one incident.
type Class string

// The classes of incidents.
const (
	ClassFire      Class = "fire"      // explosions, shots, launches, impacts
	ClassEquipment Class = "equipment" // equipment seen on imagery
)

// Role is what part of a fire event a piece of evidence places: where it
// was fired from, where it landed, or either.
type Role string

// The roles of evidence. Evidence of the origin and of the impact never
// joins one incident; RoleUnknown joins either.
const (
	RoleOrigin  Role = "origin"  // a launch, a shot, outgoing fire
	RoleImpact  Role = "impact"  // an impact, an airburst, shelling of a place
	RoleUnknown Role = "unknown" // an explosion that could be either, equipment
)

// compatible says whether evidence of roles a and b may be of one incident.
func (a Role) compatible(b Role) bool {
	return a == b || a == RoleUnknown || b == RoleUnknown || a == "" || b == ""
}

// Evidence is one input to fusion: where and when something happened, with
// its uncertainties, and who reported it.
type Evidence struct {
	// ID names the evidence: an observation id, or an acoustic event's id.
	ID    string
	Class Class
	// Role is the part of a fire event it places; empty means RoleUnknown.
	Role Role
	// Source is who reported it; Group is its independence group: two
	// pieces of evidence of one group are not independent confirmations
	// (see IndependenceGroup).
	Source, Group string
	// Grading is the Admiralty code of the source and the information ("B2").
	Grading string
	// Time is when it happened, TimeSigma its one-sigma uncertainty.
	Time      time.Time
	TimeSigma time.Duration
	// Position is where it happened; Cov is the 2×2 covariance of the
	// position in a local east-north frame, in square metres.
	Position geo.LonLat
	Cov      [2][2]float64
	// CRLB is the Cramér–Rao lower bound on Cov for evidence located from
	// arrival times (tdoa.Fix.CRLB), zero otherwise.
	CRLB [2][2]float64
	// WeaponClass is the terms' weapon class the source named, if any.
	WeaponClass string
	// Casualties are the casualties the source reported, nil when none.
	Casualties *observe.Casualties
	// Label is the evidence's releasability.
	Label label.Label
	// Observations are the ids of the observations it rests on: the
	// observation itself, or an acoustic event's detections.
	Observations []string
}

// Check reports what is wrong with e, if anything.
func (e Evidence) Check() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("evidence without an id")
	case e.Class == "":
		return fmt.Errorf("evidence %s: no class", e.ID)
	case !e.Position.Valid():
		return fmt.Errorf("evidence %s: position %v is not a valid longitude and latitude", e.ID, e.Position)
	case !(e.Cov[0][0] > 0 && e.Cov[1][1] > 0) || e.Cov[0][0]*e.Cov[1][1]-e.Cov[0][1]*e.Cov[1][0] <= 0 ||
		math.IsInf(e.Cov[0][0], 0) || math.IsInf(e.Cov[1][1], 0):
		return fmt.Errorf("evidence %s: location covariance %v is not positive definite", e.ID, e.Cov)
	case e.TimeSigma < 0:
		return fmt.Errorf("evidence %s: negative time uncertainty %s", e.ID, e.TimeSigma)
	}
	return nil
}

// IndependenceGroup says which sources confirm each other independently.
// Every acoustic sensor is part of one network, whose located events are one
// source however many sensors heard them; radars and drones of one type are
// grouped by their source id; each monitor, camera, imagery provider and
// open-source account is its own group. Two pieces of evidence of one group
// do not corroborate each other.
func IndependenceGroup(s observe.Source) string {
	switch s.Type {
	case observe.SourceAcoustic:
		return "acoustic-network"
	default:
		return string(s.Type) + ":" + s.ID
	}
}

// FromObservation makes the evidence of an observation, or reports false
// for an observation that is not evidence by itself: an acoustic detection
// becomes evidence only once associated with others and located (see
// an associator and a locator), and a track point belongs to its track, which the
// rules on tracks judge as a whole.
func FromObservation(o observe.Observation) (Evidence, bool) {
	var class Class
	role := RoleUnknown
	switch o.Kind {
	case observe.KindReport:
		class = ClassFire
		if o.Report != nil {
			role = reportRole(o.Report.EventType)
		}
	case observe.KindOSINT:
		// Open sources report shelling where it landed.
		class, role = ClassFire, RoleImpact
	case observe.KindImagery:
		class = ClassEquipment
	default:
		return Evidence{}, false
	}
	sigma := max(o.LocationUncertaintyM, 1)
	return Evidence{
		ID: o.ID, Class: class, Role: role,
		Source: o.Source.ID, Group: IndependenceGroup(o.Source), Grading: o.Source.Grading,
		Time: o.ObservedAt, TimeSigma: o.TimeUncertainty,
		Position:    geo.LonLat{Lon: o.Location.Lon, Lat: o.Location.Lat},
		Cov:         [2][2]float64{{sigma * sigma, 0}, {0, sigma * sigma}},
		WeaponClass: o.WeaponClass(),
		Casualties:  o.Casualties(),
		Label:       o.Releasability, Observations: []string{o.ID},
	}, true
}

// reportRole is the role of a monitor's report: a shot is outgoing fire,
// a burst is where a round exploded; an undetermined explosion and a
// projectile in flight place neither for certain.
func reportRole(t observe.EventType) Role {
	switch t {
	case observe.EventShot:
		return RoleOrigin
	case observe.EventBurst:
		return RoleImpact
	}
	return RoleUnknown
}

// signalRole is the role of an acoustic detection's signal class.
func signalRole(c observe.SignalClass) Role {
	switch c {
	case observe.SignalLaunch:
		return RoleOrigin
	case observe.SignalImpact, observe.SignalAirburst:
		return RoleImpact
	}
	return RoleUnknown
}

// FromAcousticEvent makes the evidence of an acoustic event: detections
// that an associator grouped and a locator placed (fix). The detections
// are the observations of the arrivals the fix used, in the order of the
// fix's arrivals; a detection the locator rejected is not evidence of the
// event and is left out. The evidence is one source, the acoustic network,
// graded as its best detection, and carries the most restrictive label of
// its detections. Its role is that of the detections' signal classes
// (launch: origin; impact or airburst: impact); an associator keeps
// launches and impacts apart, so they do not disagree.
func FromAcousticEvent(id string, detections []observe.Observation, fix tdoa.Fix, scheme label.Scheme) (Evidence, error) {
	if len(fix.Used) == 0 {
		return Evidence{}, fmt.Errorf("acoustic event %s: the fix used no detection", id)
	}
	e := Evidence{
		ID: id, Class: ClassFire, Role: RoleUnknown, Source: "acoustic-network", Group: "acoustic-network",
		Time: fix.EmissionTime, TimeSigma: time.Duration(fix.TimeSigmaS * float64(time.Second)),
		Position: fix.Position, Cov: fix.Cov, CRLB: fix.CRLB,
	}
	var labels []label.Label
	best := -1.0
	for _, i := range fix.Used {
		if i < 0 || i >= len(detections) {
			return Evidence{}, fmt.Errorf("acoustic event %s: the fix used arrival %d of %d", id, i, len(detections))
		}
		d := detections[i]
		if p := GradingProbability(d.Source.Grading); p > best {
			best, e.Grading = p, d.Source.Grading
		}
		labels = append(labels, d.Releasability)
		e.Observations = append(e.Observations, d.ID)
		if d.Acoustic != nil && e.Role == RoleUnknown {
			e.Role = signalRole(d.Acoustic.SignalClass)
		}
	}
	l, err := label.MostRestrictive(scheme, labels...)
	if err != nil {
		return Evidence{}, fmt.Errorf("acoustic event %s: %w", id, err)
	}
	e.Label = l
	return e, e.Check()
}

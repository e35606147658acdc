// Package observe defines observations, the reports that sources send to
// guarantor, and decides whether one is well formed. It decodes the GeoJSON
// wire format (one Feature per observation) and does no I/O of its own.
package observe

import (
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
)

// Kind names what sort of source produced an observation.
type Kind string

// The kinds of observation guarantor accepts.
const (
	KindReport   Kind = "report"   // a field monitor's spot report
	KindAcoustic Kind = "acoustic" // one sensor's detection of a sound with its arrival time
	KindTrack    Kind = "track"    // one point of a radar or drone track
	KindImagery  Kind = "imagery"  // an equipment detection on imagery
	KindOSINT    Kind = "osint"    // an open-source item
)

// Kinds lists every accepted kind in a stable order.
var Kinds = []Kind{KindReport, KindAcoustic, KindTrack, KindImagery, KindOSINT}

// Observation is one report from one source, as guarantor stores it.
// Exactly one of the kind-specific parts (Report, Acoustic, Track, Imagery,
// OSINT) is set, the one that matches Kind.
type Observation struct {
	// ID is the client-supplied identifier; re-sending it is a no-op.
	ID   string
	Kind Kind
	// Source is who or what observed, with its Admiralty grading.
	Source Source
	// ObservedAt is when the event was observed (for acoustic detections,
	// the arrival time at the sensor), kept to the nanosecond.
	ObservedAt time.Time
	// TimeUncertainty is the one-sigma uncertainty of ObservedAt.
	TimeUncertainty time.Duration
	// Location is the best estimate of where the observed thing was
	// (for acoustic detections, the sensor's position).
	Location Point
	// LocationUncertaintyM is the one-sigma horizontal uncertainty of
	// Location, in metres.
	LocationUncertaintyM float64
	// Releasability says who may see this observation.
	Releasability label.Label

	Report   *Report
	Acoustic *Acoustic
	Track    *Track
	Imagery  *Imagery
	OSINT    *OSINT
}

// Point is a WGS84 position: longitude and latitude in degrees, and an
// optional altitude in metres above the ellipsoid.
type Point struct {
	Lon, Lat float64
	Alt      *float64
}

// Source identifies who or what made an observation and how far it is trusted.
type Source struct {
	ID   string     `json:"id"`
	Type SourceType `json:"type"`
	// Grading is the NATO Admiralty code: reliability A–F followed by
	// credibility 1–6, for example "B2".
	Grading string `json:"grading"`
}

// SourceType is the category of a source.
type SourceType string

// The source types guarantor knows.
const (
	SourceMonitor  SourceType = "monitor"         // a field monitor or patrol
	SourceCamera   SourceType = "camera"          // a fixed camera
	SourceAcoustic SourceType = "acoustic_sensor" // an acoustic sensor
	SourceRadar    SourceType = "radar"           // a radar
	SourceDrone    SourceType = "drone"           // a monitoring drone
	SourceImagery  SourceType = "imagery"         // satellite or aerial imagery
	SourceOSINT    SourceType = "osint"           // open sources
)

// SourceTypes lists the accepted source types.
var SourceTypes = []SourceType{SourceMonitor, SourceCamera, SourceAcoustic, SourceRadar, SourceDrone, SourceImagery, SourceOSINT}

// Report is a field monitor's spot report, in the manner of the OSCE Special
// Monitoring Mission: by what means the event was observed, what it was,
// how many, and in which direction and distance band from the observer.
type Report struct {
	Means            Means     `json:"means"`
	EventType        EventType `json:"event_type"`
	Count            int       `json:"count"`
	CountApproximate bool      `json:"count_approximate,omitzero"`
	// BearingDeg is the direction from the observer to the event, degrees
	// clockwise from true north, if it was given.
	BearingDeg *float64 `json:"bearing_deg,omitempty"`
	// DistanceMinM and DistanceMaxM bound the distance from the observer.
	DistanceMinM *float64 `json:"distance_min_m,omitempty"`
	DistanceMaxM *float64 `json:"distance_max_m,omitempty"`
	// Observer is where the monitor stood, [longitude, latitude]; required.
	Observer *[2]float64 `json:"observer"`
	// WeaponClass is set when the monitor identified the weapon class.
	WeaponClass string `json:"weapon_class,omitempty"`
	// Casualties are the casualties the monitor reports, if any.
	Casualties *Casualties `json:"casualties,omitempty"`
	// Text is the monitor's narrative.
	Text string `json:"text,omitempty"`
}

// Casualties are the people a source reports killed or wounded by the
// event. At least one of Killed and Wounded is given; a figure not given
// is not known, which is not the same as none.
type Casualties struct {
	Killed  *int `json:"killed,omitempty"`
	Wounded *int `json:"wounded,omitempty"`
	// Civilian is true when the casualties reported are civilians.
	Civilian bool `json:"civilian,omitzero"`
}

// MaxCasualties bounds each casualty figure of an observation.
const MaxCasualties = 100_000

// Means is how a monitor observed an event.
type Means string

// The means of observation.
const (
	MeansCamera      Means = "camera"       // a fixed camera recorded it
	MeansPatrolSaw   Means = "patrol_saw"   // a patrol saw it
	MeansPatrolHeard Means = "patrol_heard" // a patrol heard it
)

// EventType is what a monitor observed, in the OSCE mission's categories.
type EventType string

// The event types of a spot report.
const (
	EventUndeterminedExplosion EventType = "undetermined_explosion"
	EventProjectileInFlight    EventType = "projectile_in_flight"
	EventBurst                 EventType = "burst"
	EventShot                  EventType = "shot"
)

// Acoustic is one sensor's detection. The arrival time is the observation's
// ObservedAt and the sensor's position its Location.
type Acoustic struct {
	SensorID string `json:"sensor_id"`
	// BearingDeg is the direction of arrival, if the sensor is an array.
	BearingDeg *float64 `json:"bearing_deg,omitempty"`
	// SignalClass is the sensor's classification of the sound.
	SignalClass SignalClass `json:"signal_class,omitempty"`
	// TemperatureC is the air temperature at the sensor, if measured.
	TemperatureC *float64 `json:"temperature_c,omitempty"`
}

// SignalClass is an acoustic sensor's classification of a sound.
type SignalClass string

// The signal classes.
const (
	SignalLaunch   SignalClass = "launch"
	SignalImpact   SignalClass = "impact"
	SignalAirburst SignalClass = "airburst"
	SignalUnknown  SignalClass = "unknown"
)

// Track is one point of a radar or drone track.
type Track struct {
	TrackID  string   `json:"track_id"`
	Platform Platform `json:"platform,omitempty"`
	// SpeedMPS and HeadingDeg (from true north) are required; AltitudeM
	// is optional, as a two-dimensional radar gives none.
	SpeedMPS   *float64 `json:"speed_mps"`
	HeadingDeg *float64 `json:"heading_deg"`
	AltitudeM  *float64 `json:"altitude_m,omitempty"`
}

// Platform is what a track follows.
type Platform string

// The platforms a track can follow.
const (
	PlatformDrone    Platform = "drone"
	PlatformAircraft Platform = "aircraft"
	PlatformUnknown  Platform = "unknown"
)

// Imagery is a detection of equipment on satellite or aerial imagery.
type Imagery struct {
	EquipmentType string `json:"equipment_type"`
	WeaponClass   string `json:"weapon_class,omitempty"`
	Count         int    `json:"count"`
	ImageID       string `json:"image_id,omitempty"`
}

// OSINT is an open-source item: a post, an article, a video.
type OSINT struct {
	URL         string     `json:"url"`
	Claim       string     `json:"claim"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// Casualties are the casualties the item reports, if any.
	Casualties *Casualties `json:"casualties,omitempty"`
}

// Sensor is a registered fixed sensor, used to locate acoustic detections.
type Sensor struct {
	ID   string     `json:"id"`
	Type SensorType `json:"type"`
	// Position is [longitude, latitude] in WGS84 degrees; required.
	Position *[2]float64 `json:"position"`
	// AltitudeM is the height above the ellipsoid in metres, 0 when not given.
	AltitudeM float64 `json:"altitude_m"`
	// Clock describes how well the sensor's clock is disciplined.
	Clock Clock `json:"clock"`
	// PositionUncertaintyM is the one-sigma horizontal (radial) uncertainty of
	// Position: each axis has PositionUncertaintyM/√2.
	PositionUncertaintyM float64     `json:"position_uncertainty_m"`
	Releasability        label.Label `json:"releasability"`
}

// SensorType is the kind of a registered sensor.
type SensorType string

// The sensor types.
const (
	SensorAcoustic SensorType = "acoustic"
	SensorRadar    SensorType = "radar"
	SensorCamera   SensorType = "camera"
)

// Clock is a sensor's clock quality.
type Clock struct {
	// Source is how the clock is disciplined: "gnss", "ntp" or "free".
	Source string `json:"source"`
	// UncertaintyS is the one-sigma clock error in seconds.
	UncertaintyS float64 `json:"uncertainty_s"`
}

// WeaponClass returns the weapon class the observation names, if any.
func (o Observation) WeaponClass() string {
	switch {
	case o.Report != nil:
		return o.Report.WeaponClass
	case o.Imagery != nil:
		return o.Imagery.WeaponClass
	}
	return ""
}

// Casualties returns the casualties the observation reports, or nil when
// it reports none.
func (o Observation) Casualties() *Casualties {
	switch {
	case o.Report != nil:
		return o.Report.Casualties
	case o.OSINT != nil:
		return o.OSINT.Casualties
	}
	return nil
}

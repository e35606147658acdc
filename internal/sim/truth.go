package sim

import (
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Truth is the complete ground truth of a scenario: what the generator
// did, which is what fusion, attribution and the rules are measured
// against. It holds nothing the generator did not do.
type Truth struct {
	Seed         uint64    `json:"seed"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Illustrative bool      `json:"illustrative"`
	Line         LineTruth `json:"line"`
	Model        Model     `json:"model"`
	Summary      Summary   `json:"summary"`
	// Sensors are the registered sensors (acoustic, radar, camera) with
	// their true positions and error parameters.
	Sensors []SensorTruth `json:"sensors"`
	// Monitors are the patrols and verification teams with where they
	// stood and when.
	Monitors []MonitorTruth `json:"monitors"`
	// Events are every event that produced at least one observation, in
	// time order.
	Events []Event `json:"events"`
	// Restrictions are where the restrictions of access of
	// Scenario.Restrictions really were, in the same order.
	Restrictions []RestrictionTruth `json:"restrictions"`
	// Observations has one entry per distinct observation id, in the order
	// the ids were first sent.
	Observations []ObservationTruth `json:"observations,omitempty"`
}

// LineTruth describes the contact line and the sign convention of offsets.
type LineTruth struct {
	LengthM    float64 `json:"length_m"`
	Vertices   int     `json:"vertices"`
	LeftParty  string  `json:"left_party"`
	RightParty string  `json:"right_party"`
	Convention string  `json:"convention"`
}

// Model records the physical and error models the generator used.
type Model struct {
	SoundSpeed  string   `json:"sound_speed"`
	Temperature string   `json:"temperature"`
	Propagation string   `json:"propagation"`
	Notes       []string `json:"notes"`
}

// Summary counts what the scenario holds.
type Summary struct {
	LineLengthM float64 `json:"line_length_m"`
	// EventsByType counts the events in Events by type.
	EventsByType map[EventType]int `json:"events_by_type"`
	// ObservationsByKind counts distinct observation ids by kind.
	ObservationsByKind map[observe.Kind]int `json:"observations_by_kind"`
	// ObservationLines is the number of lines in the NDJSON stream,
	// including exact re-sends.
	ObservationLines     int     `json:"observation_lines"`
	FalseAcoustic        int     `json:"false_acoustic"`
	FalseOSINT           int     `json:"false_osint"`
	DuplicateReports     int     `json:"duplicate_reports"`
	Resends              int     `json:"resends"`
	LateAcoustic         int     `json:"late_acoustic"`
	DroppedUnobserved    int     `json:"dropped_unobserved_events"`
	PlacementFailures    int     `json:"placement_failures"`
	MedianSensorsPerShot float64 `json:"median_sensors_per_sound"`
	// Sounds is the number of acoustic sounds that fire made: two (launch
	// and impact) per round, including the rounds of events dropped
	// because nothing observed them.
	Sounds int `json:"sounds"`
	// Echoes counts the acoustic detections that are echoes.
	Echoes int `json:"echoes"`
	// TwinEvents counts the fire events in Events that are twins of
	// another event in Events (TwinOf set).
	TwinEvents int `json:"twin_events"`
	// WrongTemperatureSensors counts the acoustic sensors that report a
	// wrong temperature (temperature_error_c set).
	WrongTemperatureSensors int `json:"wrong_temperature_sensors"`
	// Restrictions counts the restrictions of access, and
	// RestrictionsDenied those among them where access was denied.
	Restrictions       int `json:"restrictions"`
	RestrictionsDenied int `json:"restrictions_denied"`
}

// EventType is what kind of thing happened.
type EventType string

// The event types of the scenario.
const (
	EventFireCrossLine EventType = "fire_cross_line" // origin on one side, impact on the other
	EventFireSameSide  EventType = "fire_same_side"  // origin and impact on the same side
	EventHeavyWeapons  EventType = "heavy_weapons"   // heavy weapons at a site, in or outside their withdrawal zone
	EventDroneCrossing EventType = "drone_crossing"  // a drone flight across the line and back
)

// FalseEventID is the event id of observations that belong to no event:
// false acoustic detections and fabricated open-source claims.
const FalseEventID = "false"

// Place is a position with its relation to the contact line, placed by
// construction: Foot is the point of the line at arc length LineArcM, and
// Position is reached from Foot by a geodesic perpendicular to the line of
// length DistanceToLineM. The generator verified that no other part of the
// line is nearer (to 5 cm), so DistanceToLineM is the distance to the line.
type Place struct {
	Position [2]float64 `json:"position"` // [lon, lat]
	Side     terms.Side `json:"side"`
	Party    string     `json:"party"`
	// SignedOffsetM is positive to the left of the line (looking along it
	// in drawing order) and negative to the right.
	SignedOffsetM   float64    `json:"signed_offset_m"`
	DistanceToLineM float64    `json:"distance_to_line_m"`
	LineArcM        float64    `json:"line_arc_m"`
	Foot            [2]float64 `json:"foot"`
	InBufferZone    bool       `json:"in_buffer_zone"`
}

// Event is one thing that happened.
type Event struct {
	ID   string    `json:"id"`
	Type EventType `json:"type"`
	// Time is the first emission (fire), the arrival of the weapons (heavy
	// weapons) or the launch (drone); End is the last impact, the departure
	// or the landing.
	Time time.Time `json:"time"`
	End  time.Time `json:"end"`
	// Party is the party responsible: the one that fired, positioned the
	// weapons or flew the drone.
	Party string `json:"party"`
	// Weapon is a descriptive weapon type; WeaponClass is the terms class
	// code when the weapon belongs to one.
	Weapon      string `json:"weapon,omitempty"`
	WeaponClass string `json:"weapon_class,omitempty"`
	// Count is the number of rounds (fire), systems (heavy weapons) or
	// drones (1).
	Count int `json:"count"`
	// Origin is the firing position, the weapons site or the drone's launch point.
	Origin *Place `json:"origin"`
	// Impact is the aim point of a fire event.
	Impact *Place `json:"impact,omitempty"`
	// RangeM is the geodesic distance from origin to aim point.
	RangeM float64 `json:"range_m,omitempty"`
	Shots  []Shot  `json:"shots,omitempty"`
	// FiredFrom names the heavy-weapons event whose site this fire came from.
	FiredFrom string `json:"fired_from,omitempty"`
	// TwinOf names the fire event this one is a twin of: fired close to it
	// in space and time (see Config.TwinFireRate).
	TwinOf string        `json:"twin_of,omitempty"`
	Heavy  *HeavyWeapons `json:"heavy_weapons,omitempty"`
	Drone  *Drone        `json:"drone,omitempty"`
	// Observations is the number of distinct observation ids that belong to the event.
	Observations int `json:"observations"`
}

// Shot is one round of a fire event. Its impact lies within 300 m of the
// event's aim point, which is at least 600 m from the line, so it is on the
// aim point's side.
type Shot struct {
	Index    int        `json:"index"` // 1-based
	LaunchAt time.Time  `json:"launch_at"`
	ImpactAt time.Time  `json:"impact_at"`
	Impact   [2]float64 `json:"impact"` // [lon, lat]
}

// HeavyWeapons describes a heavy-weapons site (the event's Origin).
type HeavyWeapons struct {
	Equipment        string      `json:"equipment"`
	WithdrawalM      float64     `json:"withdrawal_m"`
	InWithdrawalZone bool        `json:"in_withdrawal_zone"`
	ImagedAt         []time.Time `json:"imaged_at"`
	// FireEvent names the fire event the site's weapons carried out, if any.
	FireEvent string `json:"fire_event,omitempty"`
}

// Drone describes a drone flight: from the launch point (the event's
// Origin) along the geodesic perpendicular to the line through Crossings[0],
// to the turn point, orbits there, and back the same way.
type Drone struct {
	Platform     string     `json:"platform"`
	SpeedMPS     float64    `json:"speed_mps"`
	AltitudeM    float64    `json:"altitude_m"`
	TurnPoint    Place      `json:"turn_point"`
	OrbitCenter  [2]float64 `json:"orbit_center"`
	OrbitRadiusM float64    `json:"orbit_radius_m"`
	Orbits       int        `json:"orbits"`
	ArriveAt     time.Time  `json:"arrive_at"`
	LeaveAt      time.Time  `json:"leave_at"`
	Crossings    []Crossing `json:"crossings"`
	TrackIDs     []string   `json:"track_ids,omitempty"`
}

// Crossing is a drone crossing the contact line.
type Crossing struct {
	Time     time.Time  `json:"time"`
	Position [2]float64 `json:"position"`
	LineArcM float64    `json:"line_arc_m"`
	From     string     `json:"from_party_side"`
	To       string     `json:"to_party_side"`
}

// SensorTruth is a registered sensor as it really is.
type SensorTruth struct {
	ID               string             `json:"id"`
	Type             observe.SensorType `json:"type"`
	TruePosition     [2]float64         `json:"true_position"`
	ReportedPosition [2]float64         `json:"reported_position"`
	Side             terms.Side         `json:"side"`
	Party            string             `json:"party_side"`
	SignedOffsetM    float64            `json:"signed_offset_m"`
	DistanceToLineM  float64            `json:"distance_to_line_m"`
	LineArcM         float64            `json:"line_arc_m"`
	Foot             [2]float64         `json:"foot"`
	ClockSource      string             `json:"clock_source,omitempty"`
	// ClockBiasS is the sensor clock's constant error, added to every arrival time.
	ClockBiasS float64 `json:"clock_bias_s,omitempty"`
	// PickSigmaS is the one-sigma error of picking an arrival.
	PickSigmaS float64 `json:"pick_sigma_s,omitempty"`
	// TemperatureOffsetC is how much warmer the air at the sensor really is
	// than the regional model; the sensor measures it correctly.
	TemperatureOffsetC float64 `json:"temperature_offset_c,omitempty"`
	// TemperatureErrorC is the error of the sensor's thermometer, added to
	// every temperature it reports (zero for a sensor that reports right).
	TemperatureErrorC float64 `json:"temperature_error_c,omitempty"`
	// BearingSigmaDeg is set for array sensors that report a bearing.
	BearingSigmaDeg float64 `json:"bearing_sigma_deg,omitempty"`
	// UploadPeriodS is set for store-and-forward sensors that send their
	// detections in batches.
	UploadPeriodS   float64  `json:"upload_period_s,omitempty"`
	Outages         []Window `json:"outages,omitempty"`
	CoverageM       float64  `json:"coverage_m,omitempty"`
	UpdateIntervalS float64  `json:"update_interval_s,omitempty"`
}

// Window is a time interval.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// MonitorTruth is a patrol or verification team and where it stood.
type MonitorTruth struct {
	ID    string `json:"id"`
	Type  string `json:"type"` // "patrol" or "verification_team"
	Stops []Stop `json:"stops"`
}

// Stop is where a monitor stood during a time window. Monitors observe
// only while at a stop.
type Stop struct {
	From            time.Time  `json:"from"`
	To              time.Time  `json:"to"`
	Position        [2]float64 `json:"position"`
	Side            terms.Side `json:"side"`
	Party           string     `json:"party_side"`
	DistanceToLineM float64    `json:"distance_to_line_m"`
}

// RestrictionTruth is where a restriction of access really was: at a
// checkpoint between a patrol's previous position and one of its stops,
// on the stop's side of the line, nearer the line than the stop.
type RestrictionTruth struct {
	// ID is the restriction's id.
	ID string `json:"id"`
	// Patrol is the patrol's id, and Stop the 1-based index of the stop
	// in its Stops that it was on its way to.
	Patrol string `json:"patrol"`
	Stop   int    `json:"stop"`
	// Checkpoint is the checkpoint's position; its Party is the party
	// that restricted access.
	Checkpoint Place `json:"checkpoint"`
	// FromStopM is the distance from the checkpoint to the stop.
	FromStopM float64 `json:"from_stop_m"`
}

// ObservationTruth is what one observation really was.
type ObservationTruth struct {
	ID     string       `json:"id"`
	Kind   observe.Kind `json:"kind"`
	Source string       `json:"source"`
	// EventID is the event observed, or FalseEventID.
	EventID string `json:"event_id"`
	// Shot is the 1-based round of a fire event an acoustic detection heard.
	Shot int `json:"shot,omitempty"`
	// Sound is what was really heard or reported: "launch" or "impact",
	// or "echo" for an acoustic detection of a reflection (EchoOf).
	Sound string `json:"sound,omitempty"`
	// EchoOf names the acoustic detection an echo follows: the same sensor
	// hearing the same sound again by a reflection.
	EchoOf string `json:"echo_of,omitempty"`
	// TrueTime is the error-free time of what was observed: the true
	// arrival time at the sensor (acoustic), when the monitor perceived the
	// first round (report), the image or track time, the event time (osint).
	TrueTime time.Time `json:"true_time"`
	// TruePosition is the drone's true position for a track point.
	TruePosition *[2]float64 `json:"true_position,omitempty"`
	// DuplicateOf names an earlier report of the same event by the same
	// source under a different id.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// Resends is how many exact copies (same id, same bytes) were sent again.
	Resends int `json:"resends,omitempty"`
	// Misattributed is set when an open-source claim blames the wrong party.
	Misattributed bool      `json:"misattributed,omitempty"`
	SentAt        time.Time `json:"sent_at"`
}

package observe

import (
	"github.com/guarantor-project/guarantor/internal/label"

	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Checks are the facts from outside an observation that deciding its
// validity needs: the current time and the weapon classes of the terms in
// force. The zero value checks everything but the future bound and the
// weapon classes.
type Checks struct {
	// Now is the current time; observations later than Now+MaxFuture are refused.
	Now time.Time
	// MaxFuture is the clock skew tolerated between a source and the server.
	MaxFuture time.Duration
	// WeaponClasses are the known weapon class codes; nil accepts any code.
	WeaponClasses []string
	// Scheme is the classification scheme labels must follow; the zero
	// value means label.DefaultScheme.
	Scheme label.Scheme
}

// schemeOr returns s, or the default scheme if s is the zero value.
func schemeOr(s label.Scheme) label.Scheme {
	if len(s.Levels) == 0 {
		return label.DefaultScheme()
	}
	return s
}

// Limits on sizes of fields, so that a single observation stays small.
const (
	MaxIDLen   = 200
	MaxTextLen = 8000
)

// Check returns every problem with o. An observation with no problems is
// fit to store.
func Check(o Observation, c Checks) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}

	checkIdent("id", o.ID, "a client-supplied string id, so that retries are safe", add)

	checkLonLat("geometry.coordinates", o.Location.Lon, o.Location.Lat, add)
	if o.Location.Alt != nil && (!finite(*o.Location.Alt) || math.Abs(*o.Location.Alt) > 100_000) {
		add("geometry.coordinates[2]", "altitude must be within ±100 km, got %g", *o.Location.Alt)
	}
	if v := o.LocationUncertaintyM; !(v > 0) || v > 1_000_000 {
		add("properties.location_uncertainty_m", "must be more than 0 and at most 1,000,000 metres, got %g", v)
	}
	if o.TimeUncertainty < 0 {
		add("properties.time_uncertainty_s", "must not be negative")
	}

	switch {
	case o.ObservedAt.IsZero():
		add("properties.observed_at", "required: an RFC 3339 time")
	case o.ObservedAt.Year() < 1990:
		add("properties.observed_at", "%s is before 1990", o.ObservedAt.Format(time.RFC3339))
	case !c.Now.IsZero() && o.ObservedAt.After(c.Now.Add(c.MaxFuture)):
		add("properties.observed_at", "%s is in the future (server time %s, tolerance %s)", o.ObservedAt.Format(time.RFC3339Nano), c.Now.UTC().Format(time.RFC3339), c.MaxFuture)
	}

	checkSource(o.Source, add)
	for _, p := range schemeOr(c.Scheme).Check(o.Releasability) {
		add("properties.releasability."+p.Field, "%s", p.Reason)
	}

	if !slices.Contains(Kinds, o.Kind) {
		add("properties.kind", "unknown kind %q (want one of %s)", o.Kind, kindList())
		return errs
	}
	parts := map[Kind]bool{KindReport: o.Report != nil, KindAcoustic: o.Acoustic != nil, KindTrack: o.Track != nil, KindImagery: o.Imagery != nil, KindOSINT: o.OSINT != nil}
	for _, k := range Kinds {
		if k != o.Kind && parts[k] {
			add("properties."+string(k), "only the %q member may be set for kind %q", o.Kind, o.Kind)
		}
	}
	if !parts[o.Kind] {
		add("properties."+string(o.Kind), "required for kind %q", o.Kind)
		return errs
	}
	switch o.Kind {
	case KindReport:
		checkReport(*o.Report, c, add)
	case KindAcoustic:
		checkAcoustic(*o.Acoustic, add)
	case KindTrack:
		checkTrack(*o.Track, add)
	case KindImagery:
		checkImagery(*o.Imagery, c, add)
	case KindOSINT:
		checkOSINT(*o.OSINT, add)
	}
	return errs
}

type adder func(field, format string, args ...any)

// checkIdent checks an identifier: present, at most MaxIDLen bytes of
// printable UTF-8. what says what the identifier is, for the message.
func checkIdent(field, id, what string, add adder) {
	switch {
	case id == "":
		add(field, "required: %s", what)
	case len(id) > MaxIDLen:
		add(field, "longer than %d bytes", MaxIDLen)
	case !utf8.ValidString(id) || strings.ContainsFunc(id, isControl):
		add(field, "must be printable UTF-8, without control characters")
	}
}

func checkSource(s Source, add adder) {
	checkIdent("properties.source.id", s.ID, "the id of the source", add)
	if !slices.Contains(SourceTypes, s.Type) {
		add("properties.source.type", "unknown source type %q (want one of %s)", s.Type, sourceTypeList())
	}
	if _, _, err := ParseGrading(s.Grading); err != nil {
		add("properties.source.grading", "%v", err)
	}
}

// ParseGrading splits an Admiralty grading such as "B2" into the source's
// reliability (A–F) and the information's credibility (1–6).
func ParseGrading(g string) (reliability byte, credibility int, err error) {
	if len(g) != 2 || g[0] < 'A' || g[0] > 'F' || g[1] < '1' || g[1] > '6' {
		return 0, 0, fmt.Errorf("%q is not an Admiralty grading: want reliability A–F then credibility 1–6, such as \"B2\"", g)
	}
	return g[0], int(g[1] - '0'), nil
}

func checkReport(r Report, c Checks, add adder) {
	const p = "properties.report."
	if !slices.Contains([]Means{MeansCamera, MeansPatrolSaw, MeansPatrolHeard}, r.Means) {
		add(p+"means", "unknown means %q (want camera, patrol_saw or patrol_heard)", r.Means)
	}
	if !slices.Contains([]EventType{EventUndeterminedExplosion, EventProjectileInFlight, EventBurst, EventShot}, r.EventType) {
		add(p+"event_type", "unknown event type %q (want undetermined_explosion, projectile_in_flight, burst or shot)", r.EventType)
	}
	if r.Count < 1 || r.Count > 100_000 {
		add(p+"count", "must be between 1 and 100,000, got %d", r.Count)
	}
	if r.BearingDeg != nil {
		checkBearing(p+"bearing_deg", *r.BearingDeg, add)
	}
	if r.Observer == nil {
		add(p+"observer", "required: [longitude, latitude] where the monitor stood")
	} else {
		checkLonLat(p+"observer", r.Observer[0], r.Observer[1], add)
	}
	if r.DistanceMinM != nil && !(*r.DistanceMinM >= 0 && *r.DistanceMinM <= 500_000) {
		add(p+"distance_min_m", "must be between 0 and 500,000 metres, got %g", *r.DistanceMinM)
	}
	if r.DistanceMaxM != nil && !(*r.DistanceMaxM > 0 && *r.DistanceMaxM <= 500_000) {
		add(p+"distance_max_m", "must be more than 0 and at most 500,000 metres, got %g", *r.DistanceMaxM)
	}
	if r.DistanceMinM != nil && r.DistanceMaxM != nil && *r.DistanceMinM > *r.DistanceMaxM {
		add(p+"distance_max_m", "is less than distance_min_m")
	}
	if r.WeaponClass != "" {
		checkWeaponClass(p+"weapon_class", r.WeaponClass, c, add)
	}
	if r.Casualties != nil {
		checkCasualties(p+"casualties", *r.Casualties, add)
	}
	if len(r.Text) > MaxTextLen {
		add(p+"text", "longer than %d bytes", MaxTextLen)
	}
}

func checkAcoustic(a Acoustic, add adder) {
	const p = "properties.acoustic."
	checkIdent(p+"sensor_id", a.SensorID, "the id of the sensor that heard it", add)
	if a.BearingDeg != nil {
		checkBearing(p+"bearing_deg", *a.BearingDeg, add)
	}
	if a.SignalClass != "" && !slices.Contains([]SignalClass{SignalLaunch, SignalImpact, SignalAirburst, SignalUnknown}, a.SignalClass) {
		add(p+"signal_class", "unknown signal class %q (want launch, impact, airburst or unknown)", a.SignalClass)
	}
	if a.TemperatureC != nil && !(*a.TemperatureC >= -60 && *a.TemperatureC <= 60) {
		add(p+"temperature_c", "must be between -60 and 60 °C, got %g", *a.TemperatureC)
	}
}

func checkTrack(t Track, add adder) {
	const p = "properties.track."
	checkIdent(p+"track_id", t.TrackID, "the id of the track", add)
	if t.Platform != "" && !slices.Contains([]Platform{PlatformDrone, PlatformAircraft, PlatformUnknown}, t.Platform) {
		add(p+"platform", "unknown platform %q (want drone, aircraft or unknown)", t.Platform)
	}
	switch {
	case t.SpeedMPS == nil:
		add(p+"speed_mps", "required: speed over ground in m/s")
	case !(*t.SpeedMPS >= 0 && *t.SpeedMPS <= 3000):
		add(p+"speed_mps", "must be between 0 and 3,000 m/s, got %g", *t.SpeedMPS)
	}
	if t.HeadingDeg == nil {
		add(p+"heading_deg", "required: heading in degrees from true north")
	} else {
		checkBearing(p+"heading_deg", *t.HeadingDeg, add)
	}
	if t.AltitudeM != nil && !(*t.AltitudeM >= -500 && *t.AltitudeM <= 100_000) {
		add(p+"altitude_m", "must be between -500 and 100,000 metres, got %g", *t.AltitudeM)
	}
}

func checkImagery(im Imagery, c Checks, add adder) {
	const p = "properties.imagery."
	if im.EquipmentType == "" {
		add(p+"equipment_type", "required")
	}
	if im.Count < 1 || im.Count > 10_000 {
		add(p+"count", "must be between 1 and 10,000, got %d", im.Count)
	}
	if im.WeaponClass != "" {
		checkWeaponClass(p+"weapon_class", im.WeaponClass, c, add)
	}
}

func checkOSINT(o OSINT, add adder) {
	const p = "properties.osint."
	u, err := url.Parse(o.URL)
	if o.URL == "" {
		add(p+"url", "required")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add(p+"url", "must be an absolute http or https URL, got %q", o.URL)
	}
	if o.Claim == "" {
		add(p+"claim", "required: what the item claims happened")
	} else if len(o.Claim) > MaxTextLen {
		add(p+"claim", "longer than %d bytes", MaxTextLen)
	}
	if o.Casualties != nil {
		checkCasualties(p+"casualties", *o.Casualties, add)
	}
}

// checkCasualties checks reported casualties: at least one figure, each
// between 0 and MaxCasualties.
func checkCasualties(field string, c Casualties, add adder) {
	if c.Killed == nil && c.Wounded == nil {
		add(field, "required: killed, wounded or both")
	}
	figures := []struct {
		name string
		n    *int
	}{{"killed", c.Killed}, {"wounded", c.Wounded}}
	for _, f := range figures {
		if f.n != nil && (*f.n < 0 || *f.n > MaxCasualties) {
			add(field+"."+f.name, "must be between 0 and %d, got %d", MaxCasualties, *f.n)
		}
	}
}

func checkWeaponClass(field, class string, c Checks, add adder) {
	if c.WeaponClasses != nil && !slices.Contains(c.WeaponClasses, class) {
		add(field, "unknown weapon class %q (the terms in force know %s)", class, strings.Join(c.WeaponClasses, ", "))
	}
}

func checkLonLat(field string, lon, lat float64, add adder) {
	if !finite(lon) || lon < -180 || lon > 180 {
		add(field, "longitude %g is outside WGS84 (-180 to 180)", lon)
	}
	if !finite(lat) || lat < -90 || lat > 90 {
		add(field, "latitude %g is outside WGS84 (-90 to 90)", lat)
	}
}

func checkBearing(field string, deg float64, add adder) {
	if !(deg >= 0 && deg < 360) {
		add(field, "must be at least 0 and less than 360 degrees, got %g", deg)
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func sourceTypeList() string {
	s := make([]string, len(SourceTypes))
	for i, t := range SourceTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// CheckSensor returns every problem with a sensor's registration.
func CheckSensor(s Sensor, scheme label.Scheme) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	checkIdent("id", s.ID, "the sensor's id", add)
	if !slices.Contains([]SensorType{SensorAcoustic, SensorRadar, SensorCamera}, s.Type) {
		add("type", "unknown sensor type %q (want acoustic, radar or camera)", s.Type)
	}
	if s.Position == nil {
		add("position", "required: [longitude, latitude]")
	} else {
		checkLonLat("position", s.Position[0], s.Position[1], add)
	}
	if !finite(s.AltitudeM) || s.AltitudeM < -500 || s.AltitudeM > 10_000 {
		add("altitude_m", "must be between -500 and 10,000 metres, got %g", s.AltitudeM)
	}
	if !slices.Contains([]string{"gnss", "ntp", "free"}, s.Clock.Source) {
		add("clock.source", "unknown clock source %q (want gnss, ntp or free)", s.Clock.Source)
	}
	if !(s.Clock.UncertaintyS >= 0 && s.Clock.UncertaintyS <= 60) {
		add("clock.uncertainty_s", "must be between 0 and 60 seconds, got %g", s.Clock.UncertaintyS)
	}
	if !(s.PositionUncertaintyM >= 0 && s.PositionUncertaintyM <= 10_000) {
		add("position_uncertainty_m", "must be between 0 and 10,000 metres, got %g", s.PositionUncertaintyM)
	}
	for _, p := range schemeOr(scheme).Check(s.Releasability) {
		add("releasability."+p.Field, "%s", p.Reason)
	}
	return errs
}

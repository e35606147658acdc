package incident

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/associate"
	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/tdoa"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Config sets up an Engine. Zero values take the packages' defaults.
type Config struct {
	// Sensors is the sensor registry; acoustic detections are located
	// from the registered positions of their sensors.
	Sensors []observe.Sensor
	// Terms are every version of the terms; an incident is attributed
	// under the version in force at its start.
	Terms []terms.Terms
	// Scheme is the classification scheme of labels.
	Scheme    label.Scheme
	Associate associate.Config
	Locate    tdoa.Config
	Correlate fusion.Config
	Attribute attribution.Config
	// TemperatureC is the air temperature assumed for a detection whose
	// sensor reports none; nil means tdoa.DefaultTemperatureC. Each
	// detection's speed of sound follows its own reported temperature.
	TemperatureC *float64
	// Lateness is how long after a time every acoustic detection made
	// before it has arrived: Advance(now) decides association up to now
	// minus Lateness. Zero means 10 seconds.
	Lateness time.Duration
	// Step is how far the engine's clock moves before Add advances it;
	// zero means 1 second.
	Step time.Duration
}

// Output is what a step of the engine decided.
type Output struct {
	// Incidents are the incidents created or changed, each at its latest
	// version, in the order they were first changed; merged ones are
	// reported with MergedInto set.
	Incidents []Incident
	// Acoustic are the acoustic events association decided, located or not.
	Acoustic []AcousticEvent
	// Unassociated are the ids of acoustic detections that belong to no
	// event: false detections, echoes, sounds heard by too few sensors,
	// and detections from sensors not in the registry.
	Unassociated []string
	// Problems are incidents that could not be reported (a value that does
	// not encode); they stay in the engine and are tried again when they
	// next change.
	Problems []error
}

// AcousticEvent is one associated acoustic event and its location.
type AcousticEvent struct {
	// ID is "ae-" and the id of its first detection.
	ID string
	// Detections are the ids association grouped, in arrival order.
	Detections []string
	// Fix is the location; when Err is set it may be partial or empty.
	Fix tdoa.Fix
	// Err says why the event could not be located, if so; such an event
	// is not evidence.
	Err error
	// Incident is the incident it joined, if located.
	Incident string
}

// Engine turns observations into incidents. It is not safe for concurrent
// use.
type Engine struct {
	cfg        Config
	sensors    map[string]observe.Sensor
	assoc      *associate.Associator
	corr       *fusion.Correlator
	versions   []version
	pending    map[string]observe.Observation // acoustic detections not yet decided
	seen       map[string]bool                // ids of observations taken, for SeenRetention
	seenOrder  []seenID                       // the same, in the order taken
	reported   map[string]reported            // open incidents as last reported
	links      map[string]string              // incident id ↔ linked incident id
	changed    []string                       // incidents to report, in order
	changedSet map[string]bool
	out        Output
	clock      time.Time // see Add
	advanced   time.Time // the clock when last advanced
}

// SeenRetention is how long, on the engine's clock, the id of an
// observation taken is remembered so that a re-sent copy is ignored: longer
// than any incident stays open to it. A copy re-sent later is the caller's
// to refuse (the store refuses a known id).
const SeenRetention = 30 * time.Minute

type seenID struct {
	at time.Time
	id string
}

// version is a terms version with its attributor.
type version struct {
	terms terms.Terms
	at    *attribution.Attributor
}

// reported is the last report of an open incident.
type reported struct {
	incident fusion.Incident
	version  int
	json     []byte
}

// New returns an engine for the sensors and terms of cfg.
func New(cfg Config) (*Engine, error) {
	if len(cfg.Scheme.Levels) == 0 {
		cfg.Scheme = label.DefaultScheme()
	}
	cfg.Correlate.Scheme = cfg.Scheme
	cfg.Lateness = cmp.Or(cfg.Lateness, 10*time.Second)
	cfg.Step = cmp.Or(cfg.Step, time.Second)
	if cfg.TemperatureC == nil {
		t := tdoa.DefaultTemperatureC
		cfg.TemperatureC = &t
	}
	if t := *cfg.TemperatureC; !plausibleTemperature(t) {
		return nil, fmt.Errorf("incident engine: temperature %g °C is not in [%g, %g]", t, minTemperatureC, maxTemperatureC)
	}
	cfg.Associate.SpeedOfSound = tdoa.SpeedOfSound(*cfg.TemperatureC)
	cfg.Locate.TemperatureC = cfg.TemperatureC
	e := &Engine{
		cfg: cfg, sensors: map[string]observe.Sensor{}, pending: map[string]observe.Observation{},
		seen: map[string]bool{}, reported: map[string]reported{}, links: map[string]string{}, changedSet: map[string]bool{},
		corr: fusion.NewCorrelator(cfg.Correlate),
	}
	var acoustic []associate.Sensor
	for _, s := range cfg.Sensors {
		if s.Type != observe.SensorAcoustic || s.Position == nil {
			continue
		}
		e.sensors[s.ID] = s
		acoustic = append(acoustic, associate.Sensor{ID: s.ID, Position: geo.LonLat{Lon: s.Position[0], Lat: s.Position[1]}})
	}
	if len(acoustic) > 0 {
		a, err := associate.New(acoustic, cfg.Associate)
		if err != nil {
			return nil, fmt.Errorf("incident engine: %w", err)
		}
		e.assoc = a
	}
	for _, t := range cfg.Terms {
		ag, err := terms.Compile(t)
		if err != nil {
			return nil, fmt.Errorf("incident engine: %w", err)
		}
		at, err := attribution.New(ag, cfg.Attribute)
		if err != nil {
			return nil, fmt.Errorf("incident engine: terms %q version %q: %w", t.ID, t.Version, err)
		}
		e.versions = append(e.versions, version{terms: t, at: at})
	}
	return e, nil
}

// Add takes observations in the order they arrived, received at the time
// given. An observation whose id was taken before is ignored, so a re-sent
// one changes nothing. Track points are not evidence of incidents (the
// rules judge tracks as a whole) and are ignored too.
//
// The engine keeps its own clock: the latest time at which something it
// was given had happened and been received (the later of the two, for each
// observation, and the latest of those). A live feed moves it with the
// wall clock, and a load of older observations moves it through their
// times, so that association and correlation decide as they would have
// live; an observation dated in the future does not move it past when it
// was received. Each Step the clock moves, Add advances the engine to it
// (see Advance).
func (e *Engine) Add(received time.Time, obs ...observe.Observation) (Output, error) {
	var errs []error
	for _, o := range obs {
		if e.seen[o.ID] {
			continue
		}
		if t := minTime(o.ObservedAt, received); t.After(e.clock) {
			e.clock = t
			if e.clock.Sub(e.advanced) >= e.cfg.Step {
				e.advance(e.clock)
			}
		}
		if err := e.add(o); err != nil {
			errs = append(errs, err)
			continue
		}
		e.seen[o.ID] = true
		e.seenOrder = append(e.seenOrder, seenID{e.clock, o.ID})
	}
	return e.take(), errors.Join(errs...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (e *Engine) add(o observe.Observation) error {
	if o.Kind == observe.KindAcoustic {
		if o.Acoustic == nil {
			return fmt.Errorf("acoustic observation %s has no acoustic properties", o.ID)
		}
		s, ok := e.sensors[o.Acoustic.SensorID]
		if !ok || e.assoc == nil {
			e.out.Unassociated = append(e.out.Unassociated, o.ID)
			return nil
		}
		d := associate.Detection{ID: o.ID, Sensor: s.ID, Time: o.ObservedAt, SigmaS: e.sigma(o, s),
			SpeedOfSound: tdoa.SpeedOfSound(e.temperature(o)), Class: string(o.Acoustic.SignalClass)}
		if err := e.assoc.Add(d); err != nil {
			return fmt.Errorf("associate %s: %w", o.ID, err)
		}
		e.pending[o.ID] = o
		return nil
	}
	ev, ok := fusion.FromObservation(o)
	if !ok {
		return nil
	}
	return e.fuse(ev)
}

// Plausible air temperatures, °C, as tdoa accepts them; a sensor's report
// outside is a unit error or garbage and is replaced by the configured one.
const (
	minTemperatureC = -60.0
	maxTemperatureC = 60.0
)

func plausibleTemperature(t float64) bool { return t >= minTemperatureC && t <= maxTemperatureC }

// temperature is the air temperature at a detection's sensor: the one it
// reported if plausible, else the configured one.
func (e *Engine) temperature(o observe.Observation) float64 {
	if t := o.Acoustic.TemperatureC; t != nil && plausibleTemperature(*t) {
		return *t
	}
	return *e.cfg.TemperatureC
}

// sigma is the one-sigma uncertainty of a detection's arrival time: its
// own (clock and pick) and that of its sensor's position. The position's
// error moves the arrival by its component towards the source over the
// speed of sound; PositionUncertaintyM is a radial one-sigma size, so that
// component's standard deviation is PositionUncertaintyM/√2.
func (e *Engine) sigma(o observe.Observation, s observe.Sensor) float64 {
	c := tdoa.SpeedOfSound(e.temperature(o))
	return math.Hypot(o.TimeUncertainty.Seconds(), s.PositionUncertaintyM/math.Sqrt2/c)
}

// Advance tells the engine the time is now, when nothing has arrived for
// a while: it decides the acoustic events made up to now minus Lateness,
// and closes the incidents no late evidence can join any more. A time
// before the engine's clock changes nothing.
func (e *Engine) Advance(now time.Time) Output {
	if now.After(e.clock) {
		e.clock = now
		e.advance(now)
	}
	return e.take()
}

func (e *Engine) advance(now time.Time) {
	e.advanced = now
	k := 0
	for k < len(e.seenOrder) && e.seenOrder[k].at.Before(now.Add(-SeenRetention)) {
		delete(e.seen, e.seenOrder[k].id)
		k++
	}
	e.seenOrder = e.seenOrder[k:]
	if e.assoc != nil {
		e.decide(e.assoc.Flush(now.Add(-e.cfg.Lateness)))
	}
	for _, in := range e.corr.Close(now) {
		delete(e.reported, in.ID)
		delete(e.links, in.ID)
	}
}

// Clock is the engine's time: see Add.
func (e *Engine) Clock() time.Time { return e.clock }

// Flush decides every acoustic event buffered, as at the end of a stream.
// Incidents stay open.
func (e *Engine) Flush() Output {
	if e.assoc != nil {
		e.decide(e.assoc.FlushAll())
	}
	return e.take()
}

// decide locates the events association decided and fuses them.
func (e *Engine) decide(res associate.Result) {
	for _, ev := range res.Events {
		dets := make([]observe.Observation, 0, len(ev.Detections))
		arrivals := make([]tdoa.Arrival, 0, len(ev.Detections))
		for _, id := range ev.Detections {
			o := e.pending[id]
			delete(e.pending, id)
			s := e.sensors[o.Acoustic.SensorID]
			temp := e.temperature(o)
			dets = append(dets, o)
			arrivals = append(arrivals, tdoa.Arrival{
				Sensor: geo.LonLat{Lon: s.Position[0], Lat: s.Position[1]}, AltitudeM: s.AltitudeM, Time: o.ObservedAt,
				SigmaS: e.sigma(o, s), TemperatureC: &temp,
			})
		}
		agreeTemperatures(arrivals)
		a := AcousticEvent{ID: "ae-" + ev.Detections[0], Detections: ev.Detections}
		a.Fix, a.Err = tdoa.Locate(arrivals, e.cfg.Locate)
		if a.Err == nil {
			evidence, err := fusion.FromAcousticEvent(a.ID, dets, a.Fix, e.cfg.Scheme)
			if err == nil {
				err = e.fuse(evidence)
			}
			a.Err = err
			if err == nil {
				a.Incident = e.corr.IncidentOf(a.ID)
			}
		}
		e.out.Acoustic = append(e.out.Acoustic, a)
	}
	for _, id := range res.Unassociated {
		delete(e.pending, id)
		e.out.Unassociated = append(e.out.Unassociated, id)
	}
}

// MaxTemperatureDisagreementC is how far a sensor's reported temperature
// may be from the median of the others that heard the same sound before it
// is taken for a faulty thermometer and replaced by the median.
const MaxTemperatureDisagreementC = 2.0

// agreeTemperatures replaces the temperature of an arrival that disagrees
// with the median of the event's arrivals by more than
// MaxTemperatureDisagreementC: the sensors that hear one sound are within
// tens of kilometres of each other, where the air differs by a degree or
// two, and a thermometer that reads 5 °C off moves the sensor's arrival by
// more than its timing error.
func agreeTemperatures(arrivals []tdoa.Arrival) {
	temps := make([]float64, 0, len(arrivals))
	for _, a := range arrivals {
		temps = append(temps, *a.TemperatureC)
	}
	slices.Sort(temps)
	n := len(temps)
	median := (temps[(n-1)/2] + temps[n/2]) / 2
	for i := range arrivals {
		if math.Abs(*arrivals[i].TemperatureC-median) > MaxTemperatureDisagreementC {
			arrivals[i].TemperatureC = &median
		}
	}
}

// fuse adds evidence to the correlator and notes what changed.
func (e *Engine) fuse(ev fusion.Evidence) error {
	ch, err := e.corr.Add(ev)
	if err != nil {
		return err
	}
	for _, id := range ch.Absorbed {
		if other, ok := e.links[id]; ok {
			delete(e.links, other)
			e.touch(other)
		}
		delete(e.links, id)
		e.touch(id)
	}
	e.touch(ch.Incident.ID)
	return nil
}

func (e *Engine) touch(id string) {
	if !e.changedSet[id] {
		e.changedSet[id] = true
		e.changed = append(e.changed, id)
	}
}

// take reports the incidents changed since the last step, and resets the
// output.
func (e *Engine) take() Output {
	// Link before reporting, so that both ends of a new link are
	// reported, and report the other end of a changed incident's link.
	for _, id := range slices.Clone(e.changed) {
		if in, ok := e.corr.Lookup(id); ok {
			e.link(in)
		}
		if other, ok := e.links[id]; ok {
			e.touch(other)
		}
	}
	for _, id := range e.changed {
		var rep Incident
		in, ok := e.corr.Lookup(id)
		if ok {
			rep = e.report(in)
		} else if into := e.corr.IncidentOf(id); into != "" {
			last, known := e.reported[id]
			if !known {
				continue // merged before anyone saw it
			}
			rep = Incident{ID: id, MergedInto: into, Class: last.incident.Class,
				Start: last.incident.Start, End: last.incident.End, Label: last.incident.Label}
		} else {
			continue // closed, and no longer reported
		}
		last, known := e.reported[id]
		rep.Version = last.version
		b, err := rep.MarshalJSON()
		if err != nil {
			e.out.Problems = append(e.out.Problems, fmt.Errorf("incident %s: %w", id, err))
			continue
		}
		if known && bytes.Equal(b, last.json) {
			continue // nothing a reader sees changed
		}
		rep.Version++
		if b, err = rep.MarshalJSON(); err != nil {
			e.out.Problems = append(e.out.Problems, fmt.Errorf("incident %s: %w", id, err))
			continue
		}
		e.reported[id] = reported{incident: in, version: rep.Version, json: b}
		if rep.MergedInto != "" {
			delete(e.reported, id)
		}
		e.out.Incidents = append(e.out.Incidents, rep)
	}
	e.changed, e.changedSet = e.changed[:0], map[string]bool{}
	out := e.out
	e.out = Output{}
	return out
}

// report builds the reported incident from a fusion incident.
func (e *Engine) report(in fusion.Incident) Incident {
	rep := Incident{
		ID: in.ID, Class: in.Class, Role: in.Role, Start: in.Start, End: in.End,
		Location:   Site{Position: in.Position, Cov: in.Cov, Ellipse95: in.Ellipse95, Incident: in.ID},
		Confidence: in.Confidence, Label: in.Label,
	}
	for _, ev := range in.Evidence {
		el, _ := geo.EllipseFromCov(ev.Cov, 0.95) // evidence covariances are positive definite
		x := Evidence{ID: ev.ID, Role: ev.Role, Source: ev.Source, Grading: ev.Grading, WeaponClass: ev.WeaponClass,
			Casualties: ev.Casualties, Time: ev.Time, Position: ev.Position, Ellipse95: el, Observations: ev.Observations}
		if ev.CRLB != ([2][2]float64{}) {
			if c, err := geo.EllipseFromCov(ev.CRLB, 0.95); err == nil {
				x.CRLB95 = &c
			}
		}
		rep.Evidence = append(rep.Evidence, x)
	}
	rep.WeaponClass = weaponClass(in.Evidence)
	rep.Casualties = casualties(in.Evidence, nil)
	here := rep.Location
	switch in.Role {
	case fusion.RoleOrigin:
		rep.Origin = &here
	case fusion.RoleImpact:
		rep.Impact = &here
	}
	if id, ok := e.links[in.ID]; ok {
		if other, ok := e.corr.Lookup(id); ok {
			rep.Linked = id
			s := &Site{Position: other.Position, Cov: other.Cov, Ellipse95: other.Ellipse95, Incident: other.ID}
			if in.Role == fusion.RoleOrigin {
				rep.Impact = s
			} else {
				rep.Origin = s
			}
			if l, err := label.MostRestrictive(e.cfg.Scheme, in.Label, other.Label); err == nil {
				rep.Label = l
			}
			rep.Casualties = casualties(other.Evidence, rep.Casualties)
		}
	}
	origin := in
	if rep.Linked != "" && in.Role == fusion.RoleImpact {
		origin, _ = e.corr.Lookup(rep.Linked)
	}
	rep.Attribution, rep.Terms = e.attribute(rep, origin)
	return rep
}

// MinAcousticRounds is how many acoustic locations an origin known from
// acoustic sensors alone needs before a party is named on it. At a few
// sounds a second, detections of different sounds — the rockets of two
// salvos, say — sometimes fit a phantom source by chance, precisely located
// and sometimes on the wrong side of the line; a phantom does not repeat,
// while a firing position fires again. An origin placed by another source
// (a monitor, a camera) as well needs no second round.
const MinAcousticRounds = 2

// weakOrigin says why the origin's evidence is too weak to name a party,
// or "" when it is not.
func weakOrigin(origin fusion.Incident) string {
	rounds := 0
	for _, ev := range origin.Evidence {
		if ev.Group != "acoustic-network" {
			return ""
		}
		rounds++
	}
	if rounds >= MinAcousticRounds {
		return ""
	}
	return fmt.Sprintf("not attributable: the origin rests on %d acoustic location and no other source; %d are needed, as detections of different sounds can fit a phantom source by chance", rounds, MinAcousticRounds)
}

// weaponClass is the weapon class the evidence names most often, the first
// named of equals.
func weaponClass(evidence []fusion.Evidence) string {
	count := map[string]int{}
	best := ""
	for _, e := range evidence {
		if e.WeaponClass == "" {
			continue
		}
		count[e.WeaponClass]++
		if count[e.WeaponClass] > count[best] {
			best = e.WeaponClass
		}
	}
	return best
}

// casualties adds the casualties the evidence reports to those known (nil
// for none): the largest killed and the largest wounded figure, as sources
// that report one event each give its toll and are not summed, and
// civilian when any says so. It is nil when none reports casualties.
func casualties(evidence []fusion.Evidence, known *observe.Casualties) *observe.Casualties {
	out := known
	for _, e := range evidence {
		c := e.Casualties
		if c == nil {
			continue
		}
		if out == nil {
			out = &observe.Casualties{}
		} else if out == known {
			cp := *known
			out = &cp
		}
		out.Killed = larger(out.Killed, c.Killed)
		out.Wounded = larger(out.Wounded, c.Wounded)
		out.Civilian = out.Civilian || c.Civilian
	}
	return out
}

// larger returns the larger of two figures, either of which may be unknown
// (nil); nil only when both are.
func larger(a, b *int) *int {
	switch {
	case b == nil:
		return a
	case a == nil || *b > *a:
		n := *b
		return &n
	}
	return a
}

// attribute attributes the origin of fire, or the location of equipment,
// under the terms in force at the incident's start. The origin is the
// fusion incident that places it.
func (e *Engine) attribute(rep Incident, origin fusion.Incident) (Attribution, *TermsRef) {
	v, ok := e.inForce(rep.Start)
	if !ok {
		return Attribution{Reason: "not attributable: no terms were in force at the time"}, nil
	}
	ref := &TermsRef{ID: v.terms.ID, Version: v.terms.Version}
	var s *Site
	of := "origin"
	switch {
	case rep.Class == fusion.ClassEquipment:
		s, of = &rep.Location, "location"
	case rep.Origin != nil:
		s = rep.Origin
	default:
		return Attribution{Reason: "not attributable: the origin of the fire is not located"}, ref
	}
	r, err := v.at.Attribute(attribution.Estimate{Position: s.Position, Cov: s.Cov})
	if err != nil {
		return Attribution{Reason: "not attributable: " + err.Error()}, ref
	}
	a := fromResult(of, r, v.at.Config().MinProbability)
	if why := weakOrigin(origin); why != "" && rep.Class == fusion.ClassFire && a.Party != "" {
		a.Party, a.Reason = "", why
	}
	return a, ref
}

// inForce returns the terms version in force at t: the latest effective
// from at or before t, the last given of equals.
func (e *Engine) inForce(t time.Time) (version, bool) {
	var best version
	found := false
	for _, v := range e.versions {
		if v.terms.EffectiveFrom.After(t) {
			continue
		}
		if !found || !v.terms.EffectiveFrom.Before(best.terms.EffectiveFrom) {
			best, found = v, true
		}
	}
	return best, found
}

package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/guarantor-project/guarantor/internal/observe"
)

// finish drops unobserved events, names events, adds exact re-sends, puts
// the observations in sending order and builds the scenario and its truth.
func (g *gen) finish() {
	sc := &g.scen
	sc.Config = g.cfg

	dropped, sounds := 0, 0
	kept := g.events[:0:0]
	for _, e := range g.events {
		sounds += 2 * len(e.shots)
		if e.nobs == 0 {
			dropped++
			continue
		}
		kept = append(kept, e)
	}
	slices.SortStableFunc(kept, func(a, b *event) int {
		if c := cmp.Compare(a.t0, b.t0); c != 0 {
			return c
		}
		return cmp.Compare(a.gi, b.gi)
	})
	for i, e := range kept {
		e.id = fmt.Sprintf("E%05d", i+1)
	}
	g.events = kept

	// Exact re-sends of random observations, as a client retrying would.
	type line struct {
		rec  *obsRec
		sent float64
		seq  int
	}
	lines := make([]line, 0, len(g.obs)+len(g.obs)/100)
	for _, o := range g.obs {
		lines = append(lines, line{o, o.sent, o.seq})
	}
	r := g.rng(streamResends)
	nResend := 0
	if len(g.obs) > 0 && g.cfg.ResendRate > 0 {
		nResend = min(len(g.obs), max(3, int(math.Round(g.cfg.ResendRate*float64(len(g.obs))))))
	}
	for _, i := range r.Perm(len(g.obs))[:nResend] {
		o := g.obs[i]
		o.resends++
		lines = append(lines, line{o, o.sent + uniform(r, 2, 600), len(g.obs) + len(lines)})
	}
	// Every line's seq is distinct, so the order is total.
	slices.SortFunc(lines, func(a, b line) int {
		if c := cmp.Compare(a.sent, b.sent); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})

	sc.Observations = make([]observe.Observation, len(lines))
	for i, l := range lines {
		sc.Observations[i] = *l.rec.o
		if l.rec.line == 0 {
			l.rec.line = i + 1
		}
	}
	// The observations are copied: let the generator's go before the truth
	// is built, which takes as much memory again.
	for _, o := range g.obs {
		o.o = nil
	}
	g.valSlab = nil
	obs := func(o *obsRec) *observe.Observation { return &sc.Observations[o.line-1] }

	tr := &sc.Truth
	tr.Observations = make([]ObservationTruth, 0, len(g.obs))
	sum := Summary{EventsByType: map[EventType]int{}, ObservationsByKind: map[observe.Kind]int{}}
	for i, l := range lines {
		o := l.rec
		if o.line != i+1 {
			continue // a re-send
		}
		ob := obs(o)
		ot := ObservationTruth{
			ID: ob.ID, Kind: ob.Kind, Source: ob.Source.ID, EventID: FalseEventID,
			Shot: o.shot, Sound: o.sound, TrueTime: g.at(o.trueTime), TruePosition: o.truePos,
			Resends: o.resends, Misattributed: o.misattributed, SentAt: g.at(o.sent),
		}
		if o.ev != nil {
			ot.EventID = o.ev.id
		} else if ob.Kind == observe.KindAcoustic {
			sum.FalseAcoustic++
		} else {
			sum.FalseOSINT++
		}
		if o.echoOf != nil {
			ot.EchoOf = obs(o.echoOf).ID
			sum.Echoes++
		}
		if o.dupOf != nil {
			ot.DuplicateOf = obs(o.dupOf).ID
			sum.DuplicateReports++
		}
		if ob.Kind == observe.KindAcoustic && o.sent-o.trueTime > 60 {
			sum.LateAcoustic++
		}
		sum.ObservationsByKind[ob.Kind]++
		tr.Observations = append(tr.Observations, ot)
	}
	sum.ObservationLines = len(lines)
	sum.Resends = nResend
	sum.DroppedUnobserved = dropped
	sum.Sounds = sounds
	sum.PlacementFailures = g.failures
	sum.Restrictions = len(sc.Restrictions)
	for _, r := range sc.Restrictions {
		if r.Denied {
			sum.RestrictionsDenied++
		}
	}
	sum.LineLengthM = g.line.length
	if len(g.heardCounts) > 0 {
		h := slices.Clone(g.heardCounts)
		slices.Sort(h)
		sum.MedianSensorsPerShot = float64(h[len(h)/2])
	}

	// Sensors: the registry and the truth.
	for _, group := range [][]*sensor{g.sensors, g.radars, g.cameras} {
		for _, s := range group {
			sc.Sensors = append(sc.Sensors, observe.Sensor{
				ID: s.id, Type: s.typ, Position: &[2]float64{s.repLon, s.repLat}, AltitudeM: s.alt,
				Clock: observe.Clock{Source: s.clockSource, UncertaintyS: s.clockSigma}, PositionUncertaintyM: s.posSigma,
				Releasability: s.rel,
			})
			st := SensorTruth{
				ID: s.id, Type: s.typ, TruePosition: [2]float64{s.at.lon, s.at.lat}, ReportedPosition: [2]float64{s.repLon, s.repLat},
				Side: s.at.side(), Party: s.at.party(), SignedOffsetM: s.at.offset, DistanceToLineM: s.at.dist(),
				LineArcM: s.at.arc, Foot: [2]float64{s.at.footLon, s.at.footLat},
				ClockSource: s.clockSource, ClockBiasS: s.clockBias, PickSigmaS: s.pickSigma,
				TemperatureOffsetC: s.tempOffset, TemperatureErrorC: s.tempError,
				BearingSigmaDeg: s.bearingSigma, UploadPeriodS: s.uploadPeriod, CoverageM: s.coverage, UpdateIntervalS: s.interval,
			}
			for _, o := range s.outages {
				st.Outages = append(st.Outages, Window{From: g.at(o[0]), To: g.at(o[1])})
			}
			tr.Sensors = append(tr.Sensors, st)
			if s.tempError != 0 {
				sum.WrongTemperatureSensors++
			}
		}
	}
	for _, m := range g.monitors {
		mt := MonitorTruth{ID: m.id, Type: m.typ}
		for _, s := range m.stops {
			mt.Stops = append(mt.Stops, Stop{From: g.at(s.from), To: g.at(s.to), Position: [2]float64{s.at.lon, s.at.lat}, Side: s.at.side(), Party: s.at.party(), DistanceToLineM: s.at.dist()})
		}
		tr.Monitors = append(tr.Monitors, mt)
	}

	for _, e := range g.events {
		tr.Events = append(tr.Events, g.eventTruth(e))
		sum.EventsByType[e.typ]++
		if e.twinOf != nil && e.twinOf.id != "" {
			sum.TwinEvents++
		}
	}

	tr.Seed = g.cfg.Seed
	tr.Start = g.start
	tr.End = g.start.Add(g.cfg.Duration)
	tr.Illustrative = true
	tr.Line = LineTruth{
		LengthM: g.line.length, Vertices: len(g.line.lat), LeftParty: partyB, RightParty: partyA,
		Convention: "signed_offset_m is positive to the left of the contact line looking along it in drawing order (north to south, then west), which is party B's side (east/south), and negative on party A's side (west/north)",
	}
	tr.Model = Model{
		SoundSpeed:  "c = 331.3*sqrt(1+T/273.15) m/s, T = the true air temperature at the detecting sensor (see temperature): the acoustic.temperature_c it reported less its temperature_error_c",
		Temperature: fmt.Sprintf("T = %.1f + %.1f*sin(2*pi*(hour_utc-8)/24) + the sensor's temperature_offset_c (its true local difference), rounded to 0.1 degC, evaluated at the emission time; the sensor reports T + its temperature_error_c, rounded to 0.1 degC", tempMeanC, tempAmplitudeC),
		Propagation: "true arrival = emission time + 2-D WGS84 geodesic distance from the source to the sensor's true position / c (no wind, no terrain); observed_at = true arrival + the sensor's clock_bias_s + a normal pick error of pick_sigma_s; time_uncertainty_s = hypot(clock uncertainty, pick_sigma_s)",
		Notes: []string{
			"The contact line and the parties are illustrative, not any official line; the line is the same for every seed.",
			"Every Place is built by construction (a geodesic perpendicular of length distance_to_line_m from the foot at line_arc_m) and verified: no other part of the line is nearer by more than 5 cm.",
			"Acoustic detection probability is 0.95 up to half the sound's range, falling linearly to 0.15 at the range (mortar launch 12 km, impact 16 km; artillery 30/25 km; MLRS 32/28 km), none beyond; sensors in an outage hear nothing.",
			"Sensor clocks: 85% of acoustic sensors keep GNSS time (clock uncertainty 1 us), 15% NTP (1 ms). Each has a constant clock_bias_s drawn from N(0, its clock uncertainty), added to every arrival it reports, and each arrival also has an independent pick error (jitter) drawn from N(0, pick_sigma_s), with pick_sigma_s uniform in 5-20 ms per sensor.",
			fmt.Sprintf("Sensor temperatures: temperature_offset_c is drawn from N(0, 0.8 degC) and is real (sound travels at the speed of the true temperature); %.0f%% of acoustic sensors (wrong_temperature_sensors) also have a faulty thermometer: temperature_error_c of 3-8 degC either way is added to every temperature they report, so a solver that trusts the report mis-estimates the speed of sound by about 0.5-1.4%%.", 100*g.cfg.WrongTemperatureRate),
			fmt.Sprintf("Echoes: %.1f%% of true direct acoustic detections are followed by an echo at the same sensor (sound \"echo\", echo_of the original's id, the original's event and shot) whose true arrival is 0.3-3 s after the original's; it reports the original's signal class (unknown 30%% of the time), the same temperature, and an array sensor's bearing is uniform (the reflector's direction). False detections have no echoes and are counted as a fraction of the direct detections only.", 100*g.cfg.EchoRate),
			fmt.Sprintf("Twin fire: %.0f%% of fire events (twin_events) have a twin (twin_of): the same party and weapon type fired 1-3 km from the original's origin, from 0.5-6 s after its first round, at an aim point 0.5-2 km from the original's on the same side, so that their sounds overlap in space and time.", 100*g.cfg.TwinFireRate),
			g.densityNote(),
			"Acoustic signal_class is right 85% of the time, unknown 12%, the other class 3%. Array sensors (bearing_sigma_deg set) report the geodesic azimuth from sensor to source plus normal noise.",
			"Acoustic locations are the sensors' registered positions, which differ from their true positions by a normal error of position_uncertainty_m.",
			"Shot impacts scatter around the aim point (Rayleigh, truncated at 300 m); aim points are at least 600 m from the line, so every round lands on the aim point's side.",
			"Monitor reports: bearing = true azimuth + N(0, 8 deg) rounded to 5 deg; distance band from a log-normal estimate (sigma 0.25) widened by -30%/+30% to 500 m steps, so it can miss the truth; counts over 6 are approximate; geometry = observer moved along the bearing to the middle of the band; observed_at = first perceived round floored to the minute.",
			"Patrols observe only at their stops (06:00-15:00 UTC); cameras always, to 8 km; verification teams watch weapons sites that fire.",
			"Duplicate reports (duplicate_of) repeat an earlier report of the same event by the same source under a new id with a revised count or bearing; re-sends (resends) repeat an observation with the same id and bytes.",
			"Drone track points: true position + 35 m normal error, altitude + 15 m, speed + 0.8 m/s, heading + 2 deg; a radar sees a drone within 30 km with probability 0.92 per update; a gap of more than three updates starts a new track id.",
			"Imagery positions: true site + 12 m normal error; the count is sometimes one short.",
			"Open-source items: about notable fire (8+ rounds), some drones and weapons sites; 15% blame the wrong party (misattributed); a few describe events that never happened (event_id \"false\").",
			"Events that produced no observation at all are dropped (dropped_unobserved_events).",
			g.restrictionNote(),
		},
	}
	tr.Summary = sum
	sc.Terms = g.scen.Terms
}

// restrictionNote describes how restrictions of access are made.
func (g *gen) restrictionNote() string {
	return fmt.Sprintf("Restrictions of access: before each patrol stop, with probability %g (the configured restriction rate), the patrol was stopped on its way, up to %.0f minutes before reaching the stop and not before 06:00 UTC, at a checkpoint of the party whose side the stop is on, %.0f-%.0f m from the stop towards the line and at least %.0f m from it (restrictions[].checkpoint); %.0f%% were denied passage (%.0f%% of those after being held 5-30 minutes), the rest held 10-90 minutes and let through; patrols have 2-8 monitors; %.0f%% are labelled %s. The patrol still reaches its stop at the stop's time, which the delay does not shift, so its observations are those of a scenario without restrictions; stops that began before the scenario have none.",
		g.cfg.RestrictionRate, restrictionLeadS/60, minCheckpointFromStopM, maxCheckpointFromStopM, minCheckpointLineM,
		100*deniedShare, 100*heldBeforeDenialShare, 100*restrictedShare, labelRestricted)
}

// densityNote describes how the rate of fire was set.
func (g *gen) densityNote() string {
	if g.cfg.EventsPerSecond > 0 {
		return fmt.Sprintf("Density: %g acoustic sounds per second along the whole front (two per round, twins included): %.1f fire events per hour before twins at a constant rate (no night modulation), the weapon mix averaging %.3f sounds per event; events start up to %s before the scenario and only rounds launched within it are kept, so impacts of the last rounds can fall after its end.",
			g.cfg.EventsPerSecond, g.cfg.FireEventsPerHour, MeanSoundsPerFireEvent(), LeadTime)
	}
	return fmt.Sprintf("Fire: %g events per hour on average before twins, 1.6 times that at 21:00 UTC and 0.4 times at 09:00 (cosine); fire starts until %s before the end.",
		g.cfg.FireEventsPerHour, seconds(math.Min(900, g.dur/4)))
}

func (g *gen) eventTruth(e *event) Event {
	ev := Event{
		ID: e.id, Type: e.typ, Time: g.at(e.t0), End: g.at(e.t1), Party: e.party,
		WeaponClass: e.class, Count: e.count, Origin: e.origin.truth(), Observations: e.nobs,
	}
	if e.weapon != nil {
		ev.Weapon = e.weapon.name
		ev.Impact = e.impact.truth()
		ev.RangeM = e.rangeM
		for _, s := range e.shots {
			ev.Shots = append(ev.Shots, Shot{Index: s.index, LaunchAt: g.at(s.launch), ImpactAt: g.at(s.impact), Impact: [2]float64{s.impLon, s.impLat}})
		}
	}
	if e.firedFrom != nil {
		ev.FiredFrom = e.firedFrom.id
	}
	if e.twinOf != nil {
		ev.TwinOf = e.twinOf.id // empty when the original was dropped or left out
	}
	if h := e.heavy; h != nil {
		ht := &HeavyWeapons{Equipment: h.equipment, WithdrawalM: h.withdrawalM, InWithdrawalZone: e.origin.dist() < h.withdrawalM}
		for _, t := range h.imageTimes {
			ht.ImagedAt = append(ht.ImagedAt, g.at(math.Round(t)))
		}
		if h.fire != nil {
			ht.FireEvent = h.fire.id
		}
		ev.Heavy = ht
		ev.Weapon = h.equipment
	}
	if f := e.drone; f != nil {
		ev.Weapon = f.platform
		d := &Drone{
			Platform: f.platform, SpeedMPS: f.speed, AltitudeM: f.alt, TurnPoint: *f.turn.truth(),
			OrbitCenter: [2]float64{f.cLon, f.cLat}, OrbitRadiusM: f.radius, Orbits: f.orbits,
			ArriveAt: g.at(f.tArrive), LeaveAt: g.at(f.tLeave), TrackIDs: f.trackIDs,
		}
		x := [2]float64{f.xLon, f.xLat}
		d.Crossings = []Crossing{
			{Time: g.at(f.tCrossOut), Position: x, LineArcM: f.cross.arc, From: e.party, To: other(e.party)},
			{Time: g.at(f.tCrossBack), Position: x, LineArcM: f.cross.arc, From: other(e.party), To: e.party},
		}
		ev.Drone = d
	}
	return ev
}

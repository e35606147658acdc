package sim

import (
	"math"
	"math/rand/v2"
	"slices"
)

// weapon describes a fire-capable weapon type.
type weapon struct {
	name, class, equipment string
	rangeMin, rangeMax     float64 // metres
	interval               [2]float64
	tof                    func(r float64) float64 // time of flight, s
	dispersion             float64                 // one-sigma impact scatter, m
	launchHear, impactHear float64                 // acoustic detection ranges, m
	monitorHear            float64                 // monitors hear it up to here, m
	// The number of rounds of a fire event: roundsMin plus a geometric
	// number of further rounds with success probability roundsP, at most
	// roundsMax; or, when roundsP is zero, uniform in roundsMin–roundsMax.
	roundsMin, roundsMax int
	roundsP              float64
}

var (
	weaponMortar = weapon{
		name: "mortar_120mm", rangeMin: 3000, rangeMax: 7000, interval: [2]float64{8, 25},
		tof: func(r float64) float64 { return r/200 + 3 }, dispersion: 40,
		launchHear: 12000, impactHear: 16000, monitorHear: 8000,
		roundsMin: 1, roundsMax: 15, roundsP: 0.3,
	}
	weaponHowitzer122 = weapon{
		name: "howitzer_122mm", class: "artillery_100mm", equipment: "self-propelled howitzer",
		rangeMin: 6000, rangeMax: 15000, interval: [2]float64{15, 60},
		tof: func(r float64) float64 { return r/420 + 5 }, dispersion: 70,
		launchHear: 30000, impactHear: 25000, monitorHear: 14000,
		roundsMin: 1, roundsMax: 12, roundsP: 0.35,
	}
	weaponHowitzer152 = weapon{
		name: "howitzer_152mm", class: "artillery_100mm", equipment: "towed howitzer",
		rangeMin: 6000, rangeMax: 25000, interval: [2]float64{15, 60},
		tof: func(r float64) float64 { return r/450 + 5 }, dispersion: 80,
		launchHear: 30000, impactHear: 25000, monitorHear: 14000,
		roundsMin: 1, roundsMax: 12, roundsP: 0.35,
	}
	weaponMLRS = weapon{
		name: "mlrs_122mm", class: "mlrs", equipment: "multiple rocket launcher",
		rangeMin: 8000, rangeMax: 25000, interval: [2]float64{0.5, 0.5},
		tof: func(r float64) float64 { return r/600 + 4 }, dispersion: 150,
		launchHear: 32000, impactHear: 28000, monitorHear: 14000,
		roundsMin: 4, roundsMax: 20,
	}
)

// fireMix is the weapon mix of fire events: each weapon is drawn when a
// uniform number is below its upTo and not below the previous one's.
var fireMix = []struct {
	w    *weapon
	upTo float64
}{
	{&weaponMortar, 0.35},
	{&weaponHowitzer122, 0.60},
	{&weaponHowitzer152, 0.85},
	{&weaponMLRS, 1},
}

// meanRounds is the expected number of rounds of a fire event with w.
func meanRounds(w *weapon) float64 {
	if w.roundsP == 0 {
		return float64(w.roundsMin+w.roundsMax) / 2
	}
	// E[min(max, min+N)] = min + sum over k = 1…max−min of P(N ≥ k).
	m, q := float64(w.roundsMin), 1.0
	for range w.roundsMax - w.roundsMin {
		q *= 1 - w.roundsP
		m += q
	}
	return m
}

// MeanSoundsPerFireEvent is the expected number of acoustic sounds of a
// fire event of the weapon mix: two (launch and impact) per round.
func MeanSoundsPerFireEvent() float64 {
	sum, prev := 0.0, 0.0
	for _, m := range fireMix {
		sum += (m.upTo - prev) * 2 * meanRounds(m.w)
		prev = m.upTo
	}
	return sum
}

const (
	maxScatterM    = 300.0 // shot impacts stay within this of the aim point
	minImpactDistM = 600.0 // aim points stay this far from the line
	minOriginDistM = 500.0
)

// event is the generator's working form of an Event.
type event struct {
	gi     int // generation index, for stable ordering
	typ    EventType
	t0, t1 float64
	party  string
	weapon *weapon
	class  string // weapon class code
	count  int
	origin place
	impact *place
	rangeM float64
	shots  []shot

	heavy     *heavySite
	firedFrom *event
	twinOf    *event
	drone     *droneFlight

	id   string
	nobs int
}

type shot struct {
	launch, impact float64
	impLat, impLon float64
	index          int
}

type heavySite struct {
	equipment   string
	withdrawalM float64
	inZone      bool
	imageTimes  []float64
	fire        *event
}

func (g *gen) addEvent(e *event) {
	e.gi = len(g.events)
	g.events = append(g.events, e)
}

// fireRate is the fire-event rate (per second) at time t: higher at night.
func (g *gen) fireRate(t float64) float64 {
	return g.cfg.FireEventsPerHour / 3600 * (1 + 0.6*math.Cos(2*math.Pi*(g.hourUTC(t)-21)/24))
}

func (g *gen) makeFire() error {
	if g.cfg.FireEventsPerHour == 0 {
		return nil
	}
	r := g.rng(streamFire)
	twins := g.rng(streamTwins)
	dense := g.cfg.EventsPerSecond > 0
	// Without a density, fire is thinned from the night-time peak rate and
	// stops a quarter of an hour (a quarter of a short scenario) before
	// the end; with one, its rate is constant and it starts before the
	// scenario so that the rate holds throughout.
	lmax := g.cfg.FireEventsPerHour / 3600 * 1.6
	begin, end := 0.0, g.dur-math.Min(900, g.dur/4)
	if dense {
		lmax = g.cfg.FireEventsPerHour / 3600
		begin, end = -LeadTime.Seconds(), g.dur
	}
	for t := begin + r.ExpFloat64()/lmax; t < end; t += r.ExpFloat64() / lmax {
		if !dense && r.Float64() > g.fireRate(t)/lmax {
			continue
		}
		u := r.Float64()
		w := fireMix[len(fireMix)-1].w
		for _, m := range fireMix {
			if u < m.upTo {
				w = m.w
				break
			}
		}
		party := partyA
		if r.Float64() < 0.5 {
			party = partyB
		}
		cross := r.Float64() < 0.6
		n := 0 // drawn by buildFire
		if dense {
			// Events that start before the scenario are common: draw their
			// rounds first, and place only those that can fire within it.
			if n = rounds(r, w); t+float64(n-1)*w.interval[1] < 0 {
				continue
			}
		}
		e, ok := g.buildFire(r, t, party, w, cross, nil, n)
		if !ok {
			g.failures++
			continue
		}
		g.addFire(e)
		if g.cfg.TwinFireRate > 0 && twins.Float64() < g.cfg.TwinFireRate {
			twin, ok := g.buildTwin(twins, e)
			if !ok {
				g.failures++
				continue
			}
			g.addFire(twin)
		}
	}
	return nil
}

// addFire adds a fire event. With a density set, only the rounds launched
// within the scenario are kept, renumbered, and an event left with none
// is not added.
func (g *gen) addFire(e *event) {
	if g.cfg.EventsPerSecond > 0 {
		kept := e.shots[:0]
		for _, sh := range e.shots {
			if sh.launch >= 0 && sh.launch < g.dur {
				sh.index = len(kept) + 1
				kept = append(kept, sh)
			}
		}
		if len(kept) == 0 {
			return
		}
		e.shots, e.count = kept, len(kept)
		e.t0, e.t1 = kept[0].launch, kept[len(kept)-1].impact
	}
	g.addEvent(e)
}

// buildTwin builds a twin of the fire event e: the same party and weapon
// type, fired 1–3 km from e's origin 0.5–6 s after e's first round, at an
// aim point 0.5–2 km from e's on the same side as e's.
func (g *gen) buildTwin(r *rand.Rand, e *event) (*event, bool) {
	w := e.weapon
	near := func(p place, dmin, dmax, minDist float64) (place, bool) {
		d, az := uniform(r, dmin, dmax), uniform(r, 0, 360)*math.Pi/180
		// Along and across the line from p; the placement may move it, so
		// the distance is checked again.
		q, ok := g.placeAt(p.arc+d*math.Cos(az), p.offset+d*math.Sin(az), true)
		if !ok || q.dist() < minDist || q.side() != p.side() {
			return place{}, false
		}
		if s, _, _ := inverse(p.lat, p.lon, q.lat, q.lon); s < dmin || s > dmax {
			return place{}, false
		}
		return q, true
	}
	for range 200 {
		o, ok := near(e.origin, 1000, 3000, minOriginDistM)
		if !ok {
			continue
		}
		imp, ok := near(*e.impact, 500, 2000, minImpactDistM)
		if !ok {
			continue
		}
		rng, _, _ := inverse(o.lat, o.lon, imp.lat, imp.lon)
		if rng < 0.8*w.rangeMin || rng > w.rangeMax {
			continue
		}
		t := &event{typ: e.typ, party: e.party, weapon: w, class: w.class, origin: o, impact: &imp, rangeM: rng, twinOf: e}
		g.fireShots(r, t, e.t0+uniform(r, 0.5, 6), 0)
		return t, true
	}
	return nil, false
}

func rounds(r *rand.Rand, w *weapon) int {
	if w.roundsP == 0 {
		return w.roundsMin + r.IntN(w.roundsMax-w.roundsMin+1)
	}
	return min(w.roundsMax, w.roundsMin+geometric(r, w.roundsP))
}

func geometric(r *rand.Rand, p float64) int {
	n := 0
	for r.Float64() > p {
		n++
	}
	return n
}

// buildFire places a fire event by construction: the origin on the firing
// party's side, the aim point on the other side (cross) or the same side,
// at a range within the weapon's. If origin is given (fire from a weapons
// site) it is used as is. It fires n rounds, or a number drawn for the
// weapon when n is zero.
func (g *gen) buildFire(r *rand.Rand, t0 float64, party string, w *weapon, cross bool, origin *place, n int) (*event, bool) {
	sign := signOf(party)
	L := g.line.length
	for range 400 {
		R := uniform(r, w.rangeMin, w.rangeMax)
		var o place
		if origin != nil {
			o = *origin
		} else {
			var target float64
			if cross {
				if R-minImpactDistM-100 < minOriginDistM {
					continue
				}
				target = uniform(r, minOriginDistM, math.Min(12000, R-minImpactDistM-100))
			} else {
				target = uniform(r, 2000, 15000)
			}
			p, ok := g.placeAt(uniform(r, 0, L), sign*target, true)
			if !ok || p.dist() < minOriginDistM {
				continue
			}
			o = p
		}
		var imp place
		if cross {
			room := R - o.dist()
			if room < minImpactDistM+50 {
				continue
			}
			di := uniform(r, minImpactDistM, room)
			along := math.Sqrt(math.Max(0, R*R-(o.dist()+di)*(o.dist()+di)))
			if r.Float64() < 0.5 {
				along = -along
			}
			p, ok := g.placeAt(o.arc+along, -sign*di, true)
			if !ok || p.dist() < minImpactDistM {
				continue
			}
			imp = p
		} else {
			lo := math.Max(minImpactDistM, o.dist()-R)
			if lo >= o.dist() {
				continue
			}
			di := uniform(r, lo, o.dist())
			along := math.Sqrt(math.Max(0, R*R-(o.dist()-di)*(o.dist()-di)))
			if r.Float64() < 0.5 {
				along = -along
			}
			p, ok := g.placeAt(o.arc+along, sign*di, true)
			if !ok || p.dist() < minImpactDistM {
				continue
			}
			imp = p
		}
		rng, _, _ := inverse(o.lat, o.lon, imp.lat, imp.lon)
		if rng < 0.8*w.rangeMin || rng > w.rangeMax {
			continue
		}
		e := &event{typ: EventFireSameSide, party: party, weapon: w, class: w.class, origin: o, impact: &imp, rangeM: rng}
		if cross {
			e.typ = EventFireCrossLine
		}
		g.fireShots(r, e, t0, n)
		return e, true
	}
	return nil, false
}

// fireShots fires n of e's rounds (a number drawn for the weapon when n is
// zero) from t0: their launch and impact times and where each lands
// around the aim point.
func (g *gen) fireShots(r *rand.Rand, e *event, t0 float64, n int) {
	w := e.weapon
	if n == 0 {
		n = rounds(r, w)
	}
	t := t0
	e.t0 = t0
	for i := range n {
		if i > 0 {
			t += uniform(r, w.interval[0], w.interval[1])
		}
		// Impact scatter: Rayleigh, truncated at maxScatterM.
		d := math.Min(maxScatterM, w.dispersion*math.Sqrt(-2*math.Log(1-r.Float64())))
		lat, lon, _ := direct(e.impact.lat, e.impact.lon, uniform(r, 0, 360), d)
		tof := w.tof(e.rangeM) * (1 + 0.01*r.NormFloat64())
		e.shots = append(e.shots, shot{index: i + 1, launch: t, impact: t + tof, impLat: lat, impLon: lon})
	}
	e.count = n
	e.t1 = e.shots[n-1].impact
}

var heavyClasses = []struct {
	code, equipment string
	weight          float64
	fire            *weapon
}{
	{"artillery_100mm", "self-propelled howitzer", 0.3, &weaponHowitzer122},
	{"artillery_100mm", "towed howitzer", 0.25, &weaponHowitzer152},
	{"mlrs", "multiple rocket launcher", 0.3, &weaponMLRS},
	{"heavy_mlrs", "heavy multiple rocket launcher", 0.15, nil},
}

func (g *gen) withdrawal(code string) float64 {
	for _, c := range g.scen.Terms.WeaponClasses {
		if c.Code == code {
			return c.WithdrawalM
		}
	}
	return 0
}

func (g *gen) makeHeavy() error {
	n := int(math.Round(g.cfg.HeavyWeaponsPerDay * g.dur / 86400))
	r := g.rng(streamHeavy)
	L := g.line.length
	for range n {
		u := r.Float64()
		k := 0
		for k < len(heavyClasses)-1 && u >= heavyClasses[k].weight {
			u -= heavyClasses[k].weight
			k++
		}
		hc := heavyClasses[k]
		W := g.withdrawal(hc.code)
		party := partyA
		if r.Float64() < 0.5 {
			party = partyB
		}
		inZone := r.Float64() < 0.75
		var target float64
		var good func(place) bool
		if inZone {
			target = uniform(r, bufferHalfWidthM+1000, W-3000)
			good = func(p place) bool { return p.dist() > bufferHalfWidthM && p.dist() < W-1000 }
		} else {
			target = uniform(r, W+3000, W+25000)
			good = func(p place) bool { return p.dist() > W+1000 }
		}
		p, ok := g.placeRandom(300, func() float64 { return uniform(r, 0, L) }, func() float64 { return signOf(party) * target }, good)
		if !ok {
			g.failures++
			continue
		}
		t0 := uniform(r, 0, math.Max(0, g.dur-2*3600))
		t1 := math.Min(g.dur, t0+uniform(r, 3*3600, 12*3600))
		e := &event{typ: EventHeavyWeapons, t0: t0, t1: t1, party: party, class: hc.code, count: 1 + r.IntN(6), origin: p}
		e.heavy = &heavySite{equipment: hc.equipment, withdrawalM: W, inZone: inZone}
		for range 1 + r.IntN(2) {
			e.heavy.imageTimes = append(e.heavy.imageTimes, uniform(r, t0, t1))
		}
		slices.Sort(e.heavy.imageTimes)
		g.addEvent(e)

		// Some sites in a withdrawal zone also fire while a verification
		// team watches.
		if inZone && hc.fire != nil && r.Float64() < 0.4 && t1-t0 > 1800 {
			w := hc.fire
			tf := uniform(r, t0, t1-1200)
			cross := p.dist()+minImpactDistM+500 < w.rangeMax && r.Float64() < 0.7
			f, ok := g.buildFire(r, tf, party, w, cross, &p, 0)
			if !ok {
				f, ok = g.buildFire(r, tf, party, w, !cross, &p, 0)
			}
			if !ok {
				g.failures++
				continue
			}
			f.firedFrom = e
			e.heavy.fire = f
			g.addEvent(f)
		}
	}
	return nil
}

// droneFlight is a drone's flight: out along the perpendicular geodesic
// through the crossing point, orbit at the turn point, back the same way.
type droneFlight struct {
	cross              place // offset 0: the crossing point on the line
	xLat, xLon         float64
	azOut              float64 // azimuth at the crossing towards the turn point
	d0, d1             float64 // launch and turn point distances from the line
	turn               place
	speed, alt         float64
	cLat, cLon, radius float64
	theta0             float64
	orbits             int
	tCrossOut, tArrive float64
	tLeave, tCrossBack float64
	platform           string
	trackIDs           []string
}

func (g *gen) makeDrones() error {
	if g.cfg.DroneFlightsPerHour == 0 {
		return nil
	}
	r := g.rng(streamDrones)
	rate := g.cfg.DroneFlightsPerHour / 3600
	L := g.line.length
	for t := r.ExpFloat64() / rate; t < g.dur-3600; t += r.ExpFloat64() / rate {
		party := partyA
		if r.Float64() < 0.5 {
			party = partyB
		}
		sign := signOf(party)
		near := len(g.radars) > 0 && r.Float64() < 0.8
		var rad *sensor
		if near {
			rad = g.radars[r.IntN(len(g.radars))]
		}
		var e *event
		for try := 0; try < 400 && e == nil; try++ {
			d0, d1 := uniform(r, 3000, 12000), uniform(r, 2000, 12000)
			s := uniform(r, 0, L)
			if rad != nil {
				s = rad.arcHome + uniform(r, -20000, 20000)
			}
			launch, ok1 := g.placeAt(s, sign*d0, false)
			turn, ok2 := g.placeAt(s, -sign*d1, false)
			if !ok1 || !ok2 {
				continue
			}
			xLat, xLon, azi, _ := g.line.foot(s)
			azOut := azi + 90 // towards the right
			if -sign > 0 {
				azOut = azi - 90 // towards the left
			}
			f := &droneFlight{xLat: xLat, xLon: xLon, azOut: azOut, d0: d0, d1: d1, turn: turn,
				speed: round(uniform(r, 15, 35), 1), alt: math.Round(uniform(r, 150, 1200)/10) * 10,
				radius: math.Round(uniform(r, 250, 500)), orbits: 1 + r.IntN(3), platform: "fixed-wing reconnaissance drone"}
			f.cross = place{lat: xLat, lon: xLon, arc: s, footLat: xLat, footLon: xLon}
			_, _, headAtTurn := direct(xLat, xLon, azOut, d1)
			f.cLat, f.cLon, _ = direct(turn.lat, turn.lon, headAtTurn+90, f.radius)
			_, f.theta0, _ = inverse(f.cLat, f.cLon, turn.lat, turn.lon)
			f.tCrossOut = t + d0/f.speed
			f.tArrive = t + (d0+d1)/f.speed
			f.tLeave = f.tArrive + float64(f.orbits)*2*math.Pi*f.radius/f.speed
			f.tCrossBack = f.tLeave + d1/f.speed
			e = &event{typ: EventDroneCrossing, t0: t, t1: f.tLeave + (d0+d1)/f.speed, party: party, count: 1, origin: launch, drone: f}
		}
		if e == nil {
			g.failures++
			continue
		}
		g.addEvent(e)
	}
	return nil
}

// position returns the drone's true position, heading and speed at time t
// (which must be within the flight).
func (f *droneFlight) position(e *event, t float64) (lat, lon, heading float64) {
	switch {
	case t <= f.tArrive:
		u := (t-e.t0)*f.speed - f.d0 // signed distance from the crossing, positive towards the turn point
		lat, lon, heading = direct(f.xLat, f.xLon, f.azOut, u)
		return lat, lon, heading
	case t < f.tLeave:
		th := f.theta0 + (t-f.tArrive)*f.speed/f.radius*180/math.Pi
		lat, lon, _ = direct(f.cLat, f.cLon, th, f.radius)
		// Azimuth increases clockwise, so the drone flies at th+90 on the circle... measured at the point.
		_, back, _ := inverse(lat, lon, f.cLat, f.cLon)
		return lat, lon, back - 90
	default:
		u := f.d1 - (t-f.tLeave)*f.speed
		lat, lon, heading = direct(f.xLat, f.xLon, f.azOut, u)
		return lat, lon, heading + 180
	}
}

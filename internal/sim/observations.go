package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// obsRec is an observation with what it really was.
type obsRec struct {
	o             *observe.Observation // in the generator's slab; nil once finish has copied it
	ev            *event               // nil for false observations
	shot          int
	sound         string
	echoOf        *obsRec // the detection an echo follows
	trueTime      float64
	truePos       *[2]float64
	dupOf         *obsRec
	resends       int
	misattributed bool
	sent          float64
	seq           int
	line          int // 1 + the index of the first line that sends it (finish)
}

// slabSize is how many records or acoustic parts are allocated at once:
// a scenario can hold millions.
const slabSize = 4096

// acousticPart is the acoustic part of an observation with the values its
// pointers point to, allocated together.
type acousticPart struct {
	a                    observe.Acoustic
	temperature, bearing float64
}

func (g *gen) newObs(kind observe.Kind, ev *event) *obsRec {
	g.nextObs++
	if len(g.recSlab) == 0 {
		g.recSlab = make([]obsRec, slabSize)
		g.valSlab = make([]observe.Observation, slabSize)
	}
	rec := &g.recSlab[0]
	g.recSlab = g.recSlab[1:]
	rec.o = &g.valSlab[0]
	g.valSlab = g.valSlab[1:]
	rec.seq, rec.ev = g.nextObs, ev
	rec.o.ID = g.obsID(g.nextObs)
	rec.o.Kind = kind
	g.obs = append(g.obs, rec)
	if ev != nil {
		ev.nobs++
	}
	return rec
}

// obsID is the id of the n-th observation: sim-SEED-NNNNNN (at least six digits).
func (g *gen) obsID(n int) string {
	b := make([]byte, 0, 32)
	b = append(b, "sim-"...)
	b = strconv.AppendUint(b, g.cfg.Seed, 10)
	b = append(b, '-')
	for d := 100_000; d > 1 && n < d; d /= 10 {
		b = append(b, '0')
	}
	return string(strconv.AppendInt(b, int64(n), 10))
}

// newAcoustic returns an empty acoustic part from the slab.
func (g *gen) newAcoustic() *acousticPart {
	if len(g.acousticSlab) == 0 {
		g.acousticSlab = make([]acousticPart, slabSize)
	}
	p := &g.acousticSlab[0]
	g.acousticSlab = g.acousticSlab[1:]
	return p
}

func pt(lat, lon float64) observe.Point { return observe.Point{Lon: round7(lon), Lat: round7(lat)} }

func ptr[T any](v T) *T { return &v }

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// detectProb is the chance that a sound is detected at distance d by a
// sensor whose range for it is rmax.
func detectProb(d, rmax float64) float64 {
	switch {
	case d > rmax:
		return 0
	case d <= 0.5*rmax:
		return 0.95
	}
	return 0.95 - 0.8*(d-0.5*rmax)/(0.5*rmax)
}

// sentAfter is when a sensor sends a detection made at t.
func (g *gen) sentAfter(r *rand.Rand, s *sensor, t float64) float64 {
	if s.uploadPeriod > 0 {
		return (math.Floor(t/s.uploadPeriod)+1)*s.uploadPeriod + uniform(r, 0, 60)
	}
	return t + uniform(r, 0.3, 3)
}

func (g *gen) acousticObs(r *rand.Rand, s *sensor, ev *event, trueArrival, temp, bearing float64, class observe.SignalClass) *obsRec {
	rec := g.newObs(observe.KindAcoustic, ev)
	observed := trueArrival + s.clockBias + r.NormFloat64()*s.pickSigma
	rec.trueTime = trueArrival
	rec.o.Source = observe.Source{ID: s.id, Type: observe.SourceAcoustic, Grading: s.grading}
	rec.o.ObservedAt = g.at(observed)
	rec.o.TimeUncertainty = seconds(math.Hypot(s.clockSigma, s.pickSigma))
	rec.o.Location = pt(s.repLat, s.repLon)
	rec.o.LocationUncertaintyM = s.posSigma
	rec.o.Releasability = s.rel
	p := g.newAcoustic()
	p.temperature = s.reportedTemperature(temp)
	p.a = observe.Acoustic{SensorID: s.id, SignalClass: class, TemperatureC: &p.temperature}
	if s.bearingSigma > 0 {
		p.bearing = normDeg(bearing+r.NormFloat64()*s.bearingSigma, 1)
		p.a.BearingDeg = &p.bearing
	}
	rec.o.Acoustic = &p.a
	rec.sent = g.sentAfter(r, s, math.Max(observed, trueArrival))
	return rec
}

// soundEcho is the truth's Sound of an echo.
const soundEcho = "echo"

// observeAcoustic lets every acoustic sensor hear every round's launch and
// impact, with a detection probability that falls with distance. Some
// detections are followed by an echo.
func (g *gen) observeAcoustic() error {
	r := g.rng(streamAcoustic)
	echoes := g.rng(streamEchoes)
	const mPerDeg = 111_195.0
	var near []int
	for _, ev := range g.events {
		if ev.weapon == nil {
			continue
		}
		w := ev.weapon
		for _, sh := range ev.shots {
			for _, sound := range []string{"launch", "impact"} {
				lat, lon, t, rmax := ev.origin.lat, ev.origin.lon, sh.launch, w.launchHear
				if sound == "impact" {
					lat, lon, t, rmax = sh.impLat, sh.impLon, sh.impact, w.impactHear
				}
				cl := math.Cos(lat * math.Pi / 180)
				heard := 0
				// The sensors are visited in registry order, and those
				// beyond the coarse radius skipped, as a scan over all of
				// them would.
				near = g.grid.near(lat, lon, cl, rmax*1.02+500, near[:0])
				for _, i := range near {
					s := g.sensors[i]
					dx, dy := (s.at.lon-lon)*cl*mPerDeg, (s.at.lat-lat)*mPerDeg
					if math.Hypot(dx, dy) > rmax*1.02+500 {
						continue
					}
					d, az, _ := inverse(s.at.lat, s.at.lon, lat, lon)
					if r.Float64() >= detectProb(d, rmax) {
						continue
					}
					temp := g.temperature(s, t)
					arrival := t + d/soundSpeed(temp)
					if s.offline(arrival) {
						continue
					}
					class := observe.SignalClass(sound)
					switch u := r.Float64(); {
					case u < 0.12:
						class = observe.SignalUnknown
					case u < 0.15:
						if sound == "launch" {
							class = observe.SignalImpact
						} else {
							class = observe.SignalLaunch
						}
					}
					rec := g.acousticObs(r, s, ev, arrival, temp, az, class)
					rec.shot, rec.sound = sh.index, sound
					heard++
					if g.cfg.EchoRate > 0 && echoes.Float64() < g.cfg.EchoRate {
						g.echo(echoes, s, rec, temp)
					}
				}
				g.heardCounts = append(g.heardCounts, heard)
			}
		}
	}
	return nil
}

// echo adds a reflection of the detection rec at sensor s: the same sound
// again 0.3–3 s later, from the direction of whatever reflected it.
func (g *gen) echo(r *rand.Rand, s *sensor, rec *obsRec, temp float64) {
	arrival := rec.trueTime + uniform(r, 0.3, 3)
	if s.offline(arrival) {
		return
	}
	class := rec.o.Acoustic.SignalClass
	if r.Float64() < 0.3 {
		class = observe.SignalUnknown
	}
	e := g.acousticObs(r, s, rec.ev, arrival, temp, uniform(r, 0, 360), class)
	e.shot, e.sound, e.echoOf = rec.shot, soundEcho, rec
}

// sensorGrid buckets sensors by true position into cells of about 10 km,
// so that the sensors near a sound are found without a scan over all.
type sensorGrid struct {
	lat0, lon0 float64
	nLat, nLon int
	cells      [][]int // sensor indexes, ascending, by cell: row (latitude) major
}

const (
	gridCellLat = 0.1  // degrees, about 11 km
	gridCellLon = 0.15 // degrees, about 11 km at 48°N
)

func newSensorGrid(sensors []*sensor) *sensorGrid {
	g := &sensorGrid{}
	if len(sensors) == 0 {
		return g
	}
	minLat, maxLat, minLon, maxLon := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range sensors {
		minLat, maxLat = math.Min(minLat, s.at.lat), math.Max(maxLat, s.at.lat)
		minLon, maxLon = math.Min(minLon, s.at.lon), math.Max(maxLon, s.at.lon)
	}
	g.lat0, g.lon0 = minLat, minLon
	g.nLat = int((maxLat-minLat)/gridCellLat) + 1
	g.nLon = int((maxLon-minLon)/gridCellLon) + 1
	g.cells = make([][]int, g.nLat*g.nLon)
	for i, s := range sensors {
		c := g.row(s.at.lat)*g.nLon + g.col(s.at.lon)
		g.cells[c] = append(g.cells[c], i)
	}
	return g
}

func (g *sensorGrid) row(lat float64) int {
	return min(g.nLat-1, max(0, int(math.Floor((lat-g.lat0)/gridCellLat))))
}

func (g *sensorGrid) col(lon float64) int {
	return min(g.nLon-1, max(0, int(math.Floor((lon-g.lon0)/gridCellLon))))
}

// near appends to buf, in ascending order, the indexes of every sensor in
// the cells that cover the box of half-size radius metres (plus a margin)
// around (lat, lon): a superset of the sensors within radius in the
// equirectangular frame with cos(latitude) cl.
func (g *sensorGrid) near(lat, lon, cl, radius float64, buf []int) []int {
	if len(g.cells) == 0 {
		return buf
	}
	const mPerDeg, marginDeg = 111_195.0, 0.01
	dLat := radius/mPerDeg + marginDeg
	dLon := radius/(cl*mPerDeg) + marginDeg
	r0, r1 := g.row(lat-dLat), g.row(lat+dLat)
	c0, c1 := g.col(lon-dLon), g.col(lon+dLon)
	for row := r0; row <= r1; row++ {
		for col := c0; col <= c1; col++ {
			buf = append(buf, g.cells[row*g.nLon+col]...)
		}
	}
	slices.Sort(buf)
	return buf
}

// observeFalseAcoustic adds detections of nothing at random sensors and times.
func (g *gen) observeFalseAcoustic() error {
	if len(g.sensors) == 0 {
		return nil
	}
	r := g.rng(streamFalse)
	real := 0
	for _, o := range g.obs {
		if o.o.Kind == observe.KindAcoustic && o.sound != soundEcho {
			real++
		}
	}
	n := int(math.Round(g.cfg.FalseDetectionRate * float64(real)))
	for made := 0; made < n; {
		s := g.sensors[r.IntN(len(g.sensors))]
		t := uniform(r, 0, g.dur)
		if s.offline(t) {
			continue
		}
		class := observe.SignalUnknown
		switch u := r.Float64(); {
		case u < 0.25:
			class = observe.SignalLaunch
		case u < 0.5:
			class = observe.SignalImpact
		}
		g.acousticObs(r, s, nil, t, g.temperature(s, t), uniform(r, 0, 360), class)
		made++
	}
	return nil
}

var compass = []string{"north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"}

func compassWord(b float64) string { return compass[int(math.Round(b/45))%8] }

func (g *gen) pickLabel(r *rand.Rand) label.Label {
	switch u := r.Float64(); {
	case u < 0.10:
		return labelRestricted
	case u < 0.15:
		return labelConfidential
	}
	return labelPublic
}

// report builds a monitor's spot report about a group of sounds at
// (lat, lon) perceived first at tPerceived.
type reportSpec struct {
	sourceID   string
	sourceType observe.SourceType
	means      observe.Means
	eventType  observe.EventType
	obsLat     float64
	obsLon     float64
	lat, lon   float64
	count      int
	tPerceived float64
	class      string
	sound      string
	extra      string
}

func (g *gen) makeReport(r *rand.Rand, ev *event, sp reportSpec) *obsRec {
	d, az, _ := inverse(sp.obsLat, sp.obsLon, sp.lat, sp.lon)
	bearing := normDeg(math.Round((az+r.NormFloat64()*8)/5)*5, 0)
	est := d * math.Exp(0.25*r.NormFloat64())
	dmin := math.Floor(0.7*est/500) * 500
	dmax := math.Max(dmin+500, math.Ceil(1.3*est/500)*500)
	count, approx := sp.count, false
	if count > 6 {
		count = max(1, int(math.Round(float64(count)*math.Exp(0.15*r.NormFloat64()))))
		approx = true
	}
	mid := (dmin + dmax) / 2
	elat, elon, _ := direct(sp.obsLat, sp.obsLon, bearing, mid)

	rec := g.newObs(observe.KindReport, ev)
	rec.sound = sp.sound
	rec.trueTime = sp.tPerceived
	grading := "B2"
	switch sp.means {
	case observe.MeansPatrolSaw, observe.MeansCamera:
		grading = "A2"
	}
	rec.o.Source = observe.Source{ID: sp.sourceID, Type: sp.sourceType, Grading: grading}
	rec.o.ObservedAt = g.at(math.Floor(sp.tPerceived/60) * 60)
	rec.o.TimeUncertainty = time.Minute
	rec.o.Location = pt(elat, elon)
	rec.o.LocationUncertaintyM = math.Round(math.Max(500, math.Hypot((dmax-dmin)/2, mid*math.Sin(10*math.Pi/180))))
	rec.o.Releasability = g.pickLabel(r)
	what := map[observe.EventType]string{
		observe.EventUndeterminedExplosion: "undetermined explosions",
		observe.EventShot:                  "outgoing rounds",
		observe.EventProjectileInFlight:    "projectiles in flight",
	}[sp.eventType]
	verb := map[observe.Means]string{observe.MeansPatrolHeard: "Heard", observe.MeansPatrolSaw: "Saw", observe.MeansCamera: "Camera recorded"}[sp.means]
	about := ""
	if approx {
		about = "about "
	}
	text := fmt.Sprintf("%s %s%d %s %.1f-%.1f km %s of the observer.", verb, about, count, what, dmin/1000, dmax/1000, compassWord(bearing))
	if sp.extra != "" {
		text += " " + sp.extra
	}
	rec.o.Report = &observe.Report{
		Means: sp.means, EventType: sp.eventType, Count: count, CountApproximate: approx,
		BearingDeg: ptr(bearing), DistanceMinM: ptr(dmin), DistanceMaxM: ptr(dmax),
		Observer:    &[2]float64{round(sp.obsLon, 6), round(sp.obsLat, 6)},
		WeaponClass: sp.class, Text: text,
	}
	if sp.sourceType == observe.SourceCamera {
		rec.sent = sp.tPerceived + uniform(r, 300, 1800)
	} else {
		rec.sent = sp.tPerceived + uniform(r, 600, 3600)
	}
	return rec
}

// observeReports lets patrols at their stops and fixed cameras report the
// fire they hear or see, and verification teams report weapons sites firing.
func (g *gen) observeReports() error {
	r := g.rng(streamReports)
	for _, ev := range g.events {
		if ev.weapon == nil {
			continue
		}
		w := ev.weapon
		t0 := ev.shots[0].launch
		type obsr struct {
			id    string
			typ   observe.SourceType
			lat   float64
			lon   float64
			cam   bool
			verif bool
		}
		var who []obsr
		for _, m := range g.monitors {
			if st := m.stopAt(t0); st != nil {
				who = append(who, obsr{m.id, observe.SourceMonitor, st.at.lat, st.at.lon, false, m.typ == "verification_team"})
			}
		}
		for _, c := range g.cameras {
			who = append(who, obsr{c.id, observe.SourceCamera, c.at.lat, c.at.lon, true, false})
		}
		for _, o := range who {
			if o.verif {
				continue // handled below
			}
			for _, sound := range []string{"impact", "launch"} {
				slat, slon := ev.impact.lat, ev.impact.lon
				if sound == "launch" {
					slat, slon = ev.origin.lat, ev.origin.lon
				}
				d, _, _ := inverse(o.lat, o.lon, slat, slon)
				var means observe.Means
				switch {
				case o.cam:
					if d > 8000 || r.Float64() > 0.75 {
						continue
					}
					means = observe.MeansCamera
				default:
					hear := w.monitorHear
					if sound == "launch" && w == &weaponMortar {
						hear = 6000
					}
					if d > hear || r.Float64() > 0.85*(1-0.7*d/hear) {
						continue
					}
					means = observe.MeansPatrolHeard
					if d < 4000 && r.Float64() < 0.5 {
						means = observe.MeansPatrolSaw
					}
				}
				n := 0
				first := math.Inf(1)
				for _, sh := range ev.shots {
					if r.Float64() < 0.9 {
						n++
						te := sh.impact
						if sound == "launch" {
							te = sh.launch
						}
						first = math.Min(first, te+d/soundSpeed(tempMeanC))
					}
				}
				if n == 0 {
					continue
				}
				et := observe.EventUndeterminedExplosion
				if sound == "launch" {
					et = observe.EventShot
					if w == &weaponMLRS && means != observe.MeansPatrolHeard {
						et = observe.EventProjectileInFlight
					}
				}
				class := ""
				if w.class != "" && ((means == observe.MeansPatrolHeard && r.Float64() < 0.25) || (means != observe.MeansPatrolHeard && r.Float64() < 0.6)) {
					class = w.class
				}
				g.makeReport(r, ev, reportSpec{sourceID: o.id, sourceType: o.typ, means: means, eventType: et,
					obsLat: o.lat, obsLon: o.lon, lat: slat, lon: slon, count: n, tPerceived: first, class: class, sound: sound})
			}
		}
		// A verification team watches a weapons site fire.
		if site := ev.firedFrom; site != nil {
			var tl, tlon float64
			for try := 0; try == 0 || (!onLand(tl, tlon) && try < 50); try++ {
				tl, tlon, _ = direct(ev.origin.lat, ev.origin.lon, uniform(r, 0, 360), uniform(r, 1000, 2500))
			}
			d, _, _ := inverse(tl, tlon, ev.origin.lat, ev.origin.lon)
			dist, _, side, arc := g.line.nearest(tl, tlon)
			off := dist
			if side < 0 {
				off = -dist
			}
			fl, fo, _, _ := g.line.foot(arc)
			at := place{lat: tl, lon: tlon, offset: off, arc: arc, footLat: fl, footLon: fo}
			m := g.newVerificationTeam(at, math.Max(0, t0-1800), ev.t1+1800)
			g.makeReport(r, ev, reportSpec{sourceID: m.id, sourceType: observe.SourceMonitor, means: observe.MeansPatrolSaw,
				eventType: observe.EventShot, obsLat: tl, obsLon: tlon, lat: ev.origin.lat, lon: ev.origin.lon,
				count: ev.count, tPerceived: t0 + d/soundSpeed(tempMeanC), class: ev.class, sound: "launch",
				extra: fmt.Sprintf("Weapons seen at the firing position: %d %s.", site.count, site.heavy.equipment)})
		}
	}
	return nil
}

// duplicateReports sends some reports again under a new id, slightly revised.
func (g *gen) duplicateReports() error {
	r := g.rng(streamDuplicates)
	n := len(g.obs)
	for i := 0; i < n; i++ {
		orig := g.obs[i]
		if orig.o.Kind != observe.KindReport || r.Float64() >= g.cfg.DuplicateReportRate {
			continue
		}
		rec := g.newObs(observe.KindReport, orig.ev)
		id := rec.o.ID
		*rec.o = *orig.o
		rec.o.ID = id
		rep := *orig.o.Report
		rep.Count = max(1, rep.Count+r.IntN(3)-1)
		rep.BearingDeg = ptr(normDeg(*rep.BearingDeg+float64(r.IntN(3)-1)*5, 0))
		rep.Text = "Update to an earlier report: " + rep.Text
		rec.o.Report = &rep
		rec.sound, rec.trueTime, rec.dupOf = orig.sound, orig.trueTime, orig
		rec.sent = orig.sent + uniform(r, 1200, 7200)
	}
	return nil
}

// observeImagery detects weapons sites on satellite images.
func (g *gen) observeImagery() error {
	r := g.rng(streamImagery)
	n := 0
	for _, ev := range g.events {
		if ev.heavy == nil {
			continue
		}
		for _, ti := range ev.heavy.imageTimes {
			n++
			rec := g.newObs(observe.KindImagery, ev)
			rec.trueTime = ti
			src, grading := "SAT-SAR-01", "B3"
			if h := g.hourUTC(ti); h >= 7 && h <= 14 && r.Float64() < 0.7 {
				src, grading = "SAT-EO-01", "B2"
			}
			rec.o.Source = observe.Source{ID: src, Type: observe.SourceImagery, Grading: grading}
			rec.o.ObservedAt = g.at(math.Round(ti))
			rec.o.TimeUncertainty = time.Second
			lat, lon := jitter(r, ev.origin.lat, ev.origin.lon, 12)
			rec.o.Location = pt(lat, lon)
			rec.o.LocationUncertaintyM = 15
			rec.o.Releasability = labelPublic
			if r.Float64() < 0.5 {
				rec.o.Releasability = labelConfidential
			}
			count := ev.count
			if count > 1 && r.Float64() < 0.2 {
				count--
			}
			rec.o.Imagery = &observe.Imagery{
				EquipmentType: ev.heavy.equipment, WeaponClass: ev.class, Count: count,
				ImageID: fmt.Sprintf("IMG-%s-%04d", g.at(ti).Format("20060102"), n),
			}
			rec.sent = ti + uniform(r, 2*3600, 8*3600)
		}
	}
	return nil
}

// observeTracks lets every radar in range follow every drone.
func (g *gen) observeTracks() error {
	r := g.rng(streamTracks)
	for _, ev := range g.events {
		f := ev.drone
		if f == nil {
			continue
		}
		for _, rad := range g.radars {
			t := ev.t0 + uniform(r, 0, rad.interval)
			last := math.Inf(-1)
			trackID, platform := "", observe.PlatformDrone
			for ; t <= ev.t1; t += rad.interval + 0.2*r.NormFloat64() {
				lat, lon, heading := f.position(ev, t)
				d, _, _ := inverse(rad.at.lat, rad.at.lon, lat, lon)
				if d > rad.coverage || r.Float64() > 0.92 {
					continue
				}
				if t-last > 3*rad.interval {
					rad.trackSeq++
					trackID = fmt.Sprintf("%s-T%04d", rad.id, rad.trackSeq)
					f.trackIDs = append(f.trackIDs, trackID)
					platform = observe.PlatformDrone
					if r.Float64() < 0.15 {
						platform = observe.PlatformUnknown
					}
				}
				last = t
				rec := g.newObs(observe.KindTrack, ev)
				rec.trueTime = t
				rec.truePos = &[2]float64{round7(lon), round7(lat)}
				mlat, mlon := jitter(r, lat, lon, 35)
				alt := math.Round(f.alt + 15*r.NormFloat64())
				rec.o.Source = observe.Source{ID: rad.id, Type: observe.SourceRadar, Grading: rad.grading}
				rec.o.ObservedAt = g.at(t)
				rec.o.TimeUncertainty = 50 * time.Millisecond
				rec.o.Location = pt(mlat, mlon)
				rec.o.Location.Alt = ptr(alt)
				rec.o.LocationUncertaintyM = 35
				rec.o.Releasability = rad.rel
				rec.o.Track = &observe.Track{
					TrackID: trackID, Platform: platform,
					SpeedMPS:   ptr(math.Max(0, round(f.speed+0.8*r.NormFloat64(), 1))),
					HeadingDeg: ptr(normDeg(heading+2*r.NormFloat64(), 1)),
					AltitudeM:  ptr(alt),
				}
				rec.sent = t + uniform(r, 0.5, 3)
			}
		}
	}
	return nil
}

type town struct {
	name     string
	lat, lon float64
}

var towns = []town{
	{"Vovchansk", 50.29, 36.94}, {"Kupiansk", 49.71, 37.62}, {"Borova", 49.38, 37.62}, {"Svatove", 49.41, 38.16},
	{"Kreminna", 49.05, 38.22}, {"Lyman", 48.99, 37.80}, {"Siversk", 48.87, 38.10}, {"Bakhmut", 48.59, 38.00},
	{"Chasiv Yar", 48.59, 37.84}, {"Kostiantynivka", 48.53, 37.71}, {"Toretsk", 48.40, 37.85}, {"Horlivka", 48.30, 38.05},
	{"Pokrovsk", 48.28, 37.18}, {"Myrnohrad", 48.30, 37.26}, {"Avdiivka", 48.14, 37.74}, {"Donetsk", 48.00, 37.80},
	{"Kurakhove", 47.98, 37.28}, {"Vuhledar", 47.78, 37.25}, {"Velyka Novosilka", 47.84, 36.83}, {"Huliaipole", 47.66, 36.26},
	{"Orikhiv", 47.57, 35.78}, {"Tokmak", 47.25, 35.71}, {"Vasylivka", 47.44, 35.28}, {"Enerhodar", 47.50, 34.66},
	{"Nikopol", 47.57, 34.40}, {"Beryslav", 46.84, 33.42}, {"Nova Kakhovka", 46.75, 33.37}, {"Kherson", 46.64, 32.62},
	{"Oleshky", 46.62, 32.72}, {"Hola Prystan", 46.52, 32.52}, {"Zaporizhzhia", 47.84, 35.14}, {"Melitopol", 46.85, 35.37},
	{"Kramatorsk", 48.72, 37.56}, {"Sloviansk", 48.85, 37.60},
}

func nearestTown(lat, lon float64) (town, float64) {
	best, bd := towns[0], math.Inf(1)
	for _, t := range towns {
		d, _, _ := inverse(lat, lon, t.lat, t.lon)
		if d < bd {
			best, bd = t, d
		}
	}
	return best, bd
}

var osintSources = []struct{ id, grading, base string }{
	{"OSINT-NEWS-01", "C3", "https://news.example.org/%s/item-%d"},
	{"OSINT-SOCIAL-02", "D4", "https://social.example.com/channel-frontline/%s-%d"},
	{"OSINT-VIDEO-03", "E5", "https://video.example.net/watch/%s-%d"},
}

func (g *gen) osintObs(r *rand.Rand, ev *event, lat, lon, t float64, claim string) *obsRec {
	rec := g.newObs(observe.KindOSINT, ev)
	src := osintSources[r.IntN(len(osintSources))]
	pub := t + uniform(r, 1200, 4*3600)
	rec.trueTime = t
	rec.o.Source = observe.Source{ID: src.id, Type: observe.SourceOSINT, Grading: src.grading}
	rec.o.ObservedAt = g.at(math.Round(t/300) * 300)
	rec.o.TimeUncertainty = 15 * time.Minute
	rec.o.Location = pt(lat, lon)
	rec.o.LocationUncertaintyM = 7000
	rec.o.Releasability = labelPublic
	pubAt := g.at(math.Round(pub)).UTC()
	rec.o.OSINT = &observe.OSINT{
		URL:         fmt.Sprintf(src.base, pubAt.Format("2006-01-02"), g.nextObs),
		Claim:       claim,
		PublishedAt: &pubAt,
	}
	rec.sent = pub + uniform(r, 300, 1800)
	return rec
}

var partyNames = map[string]string{partyA: "Party A", partyB: "Party B"}

// observeOSINT writes open-source items about some notable events, some of
// them blaming the wrong party, and a few about events that never happened.
func (g *gen) observeOSINT() error {
	r := g.rng(streamOSINT)
	real := 0
	for _, ev := range g.events {
		var p float64
		switch {
		case ev.weapon != nil && ev.count >= 8:
			p = 0.3
		case ev.weapon != nil:
			p = 0.03
		case ev.drone != nil:
			p = 0.15
		case ev.heavy != nil:
			p = 0.1
		}
		if r.Float64() >= p {
			continue
		}
		blamed := ev.party
		mis := r.Float64() < 0.15
		if mis {
			blamed = other(blamed)
		}
		lat, lon := ev.origin.lat, ev.origin.lon
		if ev.impact != nil {
			lat, lon = ev.impact.lat, ev.impact.lon
		}
		tw, td := nearestTown(lat, lon)
		near := fmt.Sprintf("near %.2fN %.2fE", lat, lon)
		if td < 25000 {
			near = "near " + tw.name
			lat, lon = tw.lat, tw.lon
		} else {
			lat, lon = jitter(r, lat, lon, 3000)
		}
		hhmm := g.at(ev.t0).Format("15:04")
		var claim string
		switch {
		case ev.weapon != nil:
			claim = fmt.Sprintf("Shelling %s at about %s UTC: around %d explosions. Local sources blame %s.", near, hhmm, ev.count, partyNames[blamed])
		case ev.drone != nil:
			claim = fmt.Sprintf("A drone of %s crossed the line %s at about %s UTC.", partyNames[blamed], near, hhmm)
		default:
			plural := "s"
			if ev.count == 1 {
				plural = ""
			}
			claim = fmt.Sprintf("Video shows %s %s%s of %s %s.", numberWord(ev.count), ev.heavy.equipment, plural, partyNames[blamed], near)
		}
		rec := g.osintObs(r, ev, lat, lon, ev.t0, claim)
		rec.misattributed = mis
		real++
	}
	fakes := int(math.Round(0.1*float64(real))) + 1
	for range fakes {
		tw := towns[r.IntN(len(towns))]
		t := uniform(r, 0, g.dur-3600)
		party := partyA
		if r.Float64() < 0.5 {
			party = partyB
		}
		claim := fmt.Sprintf("Heavy shelling near %s at about %s UTC. Sources blame %s.", tw.name, g.at(t).Format("15:04"), partyNames[party])
		g.osintObs(r, nil, tw.lat, tw.lon, t, claim)
	}
	return nil
}

func numberWord(n int) string {
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if n >= 0 && n < len(words) {
		return words[n]
	}
	return fmt.Sprint(n)
}

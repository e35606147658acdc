package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// The parties. Looking along the line in drawing order (north, then south,
// then west and south-west), the left hand points east and then south:
// that is the side of party B. Party A holds the right (west and north).
const (
	partyA = "A"
	partyB = "B"

	bufferHalfWidthM = 2000.0
	minPlaceArcM     = 5000.0 // placements keep this far from the line's ends
)

// Releasability labels used by the scenario.
var (
	labelPublic       = label.PublicLabel()
	labelRestricted   = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR", "UKR"}}
	labelConfidential = label.Label{Classification: label.Confidential, RelTo: []string{"GBR", "USA"}}
)

// Random streams: each part of the generator draws from its own stream so
// that changing one part does not reshuffle the others.
const (
	streamSensors = iota + 1
	streamRadars
	streamCameras
	streamPatrols
	streamFire
	streamHeavy
	streamDrones
	streamAcoustic
	streamReports
	streamImagery
	streamTracks
	streamOSINT
	streamFalse
	streamDuplicates
	streamResends
	streamTwins
	streamEchoes
	streamTemperatures
	streamEstimate
	streamRestrictions
)

// place is a position placed by construction relative to the line.
type place struct {
	lat, lon         float64
	offset           float64 // signed, + left
	arc              float64
	footLat, footLon float64
}

func (p place) side() terms.Side { return sideOf(p.offset) }
func (p place) dist() float64    { return math.Abs(p.offset) }
func (p place) party() string    { return partyOfOffset(p.offset) }

func partyOfOffset(offset float64) string {
	if offset > 0 {
		return partyB
	}
	return partyA
}

// signOf is the offset sign of a party's own side.
func signOf(party string) float64 {
	if party == partyB {
		return 1
	}
	return -1
}

func other(party string) string {
	if party == partyA {
		return partyB
	}
	return partyA
}

func (p place) truth() *Place {
	return &Place{
		Position:        [2]float64{p.lon, p.lat},
		Side:            p.side(),
		Party:           p.party(),
		SignedOffsetM:   p.offset,
		DistanceToLineM: p.dist(),
		LineArcM:        p.arc,
		Foot:            [2]float64{p.footLon, p.footLat},
		InBufferZone:    p.dist() <= bufferHalfWidthM,
	}
}

type sensor struct {
	id                 string
	typ                observe.SensorType
	at                 place
	repLat, repLon     float64 // reported (registry) position, rounded
	alt                float64
	posSigma           float64
	clockSource        string
	clockSigma         float64
	clockBias          float64
	pickSigma          float64
	tempOffset         float64 // the true local temperature's offset from the regional model
	tempError          float64 // added to the true temperature in what the sensor reports
	bearingSigma       float64
	uploadPeriod       float64
	outages            [][2]float64
	rel                label.Label
	grading            string
	coverage, interval float64 // radars
	arcHome            float64
	trackSeq           int
}

func (s *sensor) offline(t float64) bool {
	for _, o := range s.outages {
		if t >= o[0] && t < o[1] {
			return true
		}
	}
	return false
}

type stop struct {
	from, to float64
	at       place
}

type monitor struct {
	id    string
	typ   string // patrol, verification_team
	stops []stop
}

func (m *monitor) stopAt(t float64) *stop {
	for i := range m.stops {
		if t >= m.stops[i].from && t < m.stops[i].to {
			return &m.stops[i]
		}
	}
	return nil
}

type gen struct {
	cfg   Config
	line  *contactLine
	dur   float64 // seconds
	start time.Time

	sensors  []*sensor // acoustic
	grid     *sensorGrid
	radars   []*sensor
	cameras  []*sensor
	monitors []*monitor
	verifSeq int

	events   []*event
	obs      []*obsRec
	nextObs  int
	failures int

	recSlab      []obsRec              // records not yet handed out by newObs
	valSlab      []observe.Observation // their observations, kept apart so that finish can let them go
	acousticSlab []acousticPart        // acoustic parts not yet handed out

	heardCounts []int // sensors that heard each sound

	scen Scenario
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, line: buildLine(), dur: cfg.Duration.Seconds(), start: cfg.Start}
	g.scen.Terms = g.terms()
	return g
}

func (g *gen) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.cfg.Seed, 0x9e3779b97f4a7c15*stream+0x5349_4d))
}

func (g *gen) at(t float64) time.Time {
	return g.start.Add(time.Duration(math.Round(t * 1e9)))
}

func (g *gen) run() error {
	steps := []func() error{
		g.makeSensors, g.checkSize, g.makeTemperatureErrors, g.makeRadars, g.makeCameras, g.makePatrols,
		g.makeFire, g.makeHeavy, g.makeDrones,
		g.observeAcoustic, g.observeFalseAcoustic, g.observeReports, g.duplicateReports,
		g.observeImagery, g.observeTracks, g.observeOSINT,
		g.makeRestrictions,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	g.finish()
	return nil
}

// placeTol is how much nearer than constructed another part of the line may
// be before a placement is refused: well above the error of nearest().
func placeTol(d float64) float64 { return 0.05 + 1e-7*d }

// placeAt places a point at signed offset from the line point at arc s.
// If another part of the line is nearer than |offset| (the line bends
// towards the point), the point is rebuilt perpendicular to the nearest
// part at the distance found there, so that the recorded offset is always
// the true distance to the line. It reports false when the point cannot be
// placed there (wrong side, too near an end, at sea).
func (g *gen) placeAt(s, offset float64, correct bool) (place, bool) {
	l := g.line
	if s < minPlaceArcM || s > l.length-minPlaceArcM || offset == 0 {
		return place{}, false
	}
	sign := 1
	if offset < 0 {
		sign = -1
	}
	lat, lon := l.offsetPoint(s, offset)
	dist, _, side, arc := l.nearest(lat, lon)
	if side != sign {
		return place{}, false
	}
	if dist < math.Abs(offset)-placeTol(math.Abs(offset)) {
		if !correct || arc < minPlaceArcM || arc > l.length-minPlaceArcM {
			return place{}, false
		}
		s, offset = arc, float64(sign)*dist
		lat, lon = l.offsetPoint(s, offset)
		d2, _, side2, _ := l.nearest(lat, lon)
		if side2 != sign || d2 < dist-placeTol(dist) {
			return place{}, false
		}
	}
	if !onLand(lat, lon) {
		return place{}, false
	}
	flat, flon, _, _ := l.foot(s)
	return place{lat: lat, lon: lon, offset: offset, arc: s, footLat: flat, footLon: flon}, true
}

// placeRandom tries up to n random arcs from arcFn for a point at the given
// signed offset, with correction, and accepts it when ok says so.
func (g *gen) placeRandom(n int, arcFn func() float64, offsetFn func() float64, ok func(place) bool) (place, bool) {
	for range n {
		p, good := g.placeAt(arcFn(), offsetFn(), true)
		if good && (ok == nil || ok(p)) {
			return p, true
		}
	}
	return place{}, false
}

func uniform(r *rand.Rand, a, b float64) float64 { return a + (b-a)*r.Float64() }

// jitter moves a point by a random horizontal error with the given
// one-sigma radial size (each axis sigma/√2).
func jitter(r *rand.Rand, lat, lon, sigma float64) (float64, float64) {
	e := r.NormFloat64() * sigma / math.Sqrt2
	n := r.NormFloat64() * sigma / math.Sqrt2
	const mPerDeg = 111_195.0
	return lat + n/mPerDeg, lon + e/(mPerDeg*math.Cos(lat*math.Pi/180))
}

func (g *gen) makeSensors() error {
	r := g.rng(streamSensors)
	n := g.cfg.AcousticSensors
	L := g.line.length - 2*minPlaceArcM
	for i := range n {
		sign := 1.0
		if i%2 == 1 {
			sign = -1
		}
		lo := minPlaceArcM + L*float64(i)/float64(n)
		hi := minPlaceArcM + L*float64(i+1)/float64(n)
		var target float64
		if r.Float64() < 0.75 {
			target = uniform(r, 3000, 15000)
		} else {
			target = uniform(r, 15000, 40000)
		}
		inRange := func(p place) bool { return p.dist() >= 3000 && p.dist() <= 40000 }
		p, ok := g.placeRandom(200, func() float64 { return uniform(r, lo-5000, hi+5000) }, func() float64 { return sign * target }, inRange)
		if !ok {
			p, ok = g.placeRandom(2000, func() float64 { return uniform(r, 0, g.line.length) }, func() float64 { return sign * uniform(r, 3000, 40000) }, inRange)
		}
		if !ok {
			return fmt.Errorf("cannot place acoustic sensor %d", i+1)
		}
		s := &sensor{
			id:         fmt.Sprintf("AS-%03d", i+1),
			typ:        observe.SensorAcoustic,
			at:         p,
			alt:        math.Round(uniform(r, 60, 220)),
			posSigma:   math.Round(uniform(r, 3, 8)*2) / 2,
			pickSigma:  round(uniform(r, 0.005, 0.020), 4),
			tempOffset: round(r.NormFloat64()*0.8, 2),
			rel:        labelPublic,
		}
		if r.Float64() < 0.85 {
			s.clockSource, s.clockSigma, s.grading = "gnss", 1e-6, "A2"
		} else {
			s.clockSource, s.clockSigma, s.grading = "ntp", 1e-3, "B2"
		}
		s.clockBias = r.NormFloat64() * s.clockSigma
		if r.Float64() < 0.25 {
			s.bearingSigma = round(uniform(r, 3, 6), 1)
		}
		if r.Float64() < 0.05 {
			s.uploadPeriod = math.Round(uniform(r, 1800, 3600))
		}
		if r.Float64() < 0.04 {
			from := uniform(r, 0, g.dur)
			s.outages = append(s.outages, [2]float64{from, math.Min(g.dur, from+uniform(r, 3600, 6*3600))})
		}
		if r.Float64() < 0.06 {
			s.rel = labelRestricted
		}
		s.repLat, s.repLon = jitter(r, p.lat, p.lon, s.posSigma)
		s.repLat, s.repLon = round7(s.repLat), round7(s.repLon)
		g.sensors = append(g.sensors, s)
	}
	g.grid = newSensorGrid(g.sensors)
	return nil
}

// makeTemperatureErrors gives a fraction of the acoustic sensors a
// thermometer that is wrong by 3–8 °C, one way or the other.
func (g *gen) makeTemperatureErrors() error {
	r := g.rng(streamTemperatures)
	for _, s := range g.sensors {
		if r.Float64() >= g.cfg.WrongTemperatureRate {
			continue
		}
		s.tempError = round(uniform(r, 3, 8), 1)
		if r.Float64() < 0.5 {
			s.tempError = -s.tempError
		}
	}
	return nil
}

func (g *gen) makeRadars() error {
	r := g.rng(streamRadars)
	n := g.cfg.Radars
	for i := range n {
		sign := 1.0
		if i%2 == 1 {
			sign = -1
		}
		home := minPlaceArcM + (g.line.length-2*minPlaceArcM)*(float64(i)+0.5)/float64(n)
		p, ok := g.placeRandom(500, func() float64 { return home + uniform(r, -10000, 10000) }, func() float64 { return sign * uniform(r, 4000, 12000) }, func(p place) bool { return p.dist() >= 3000 })
		if !ok {
			return fmt.Errorf("cannot place radar %d", i+1)
		}
		s := &sensor{
			id: fmt.Sprintf("RADAR-%02d", i+1), typ: observe.SensorRadar, at: p,
			alt: math.Round(uniform(r, 60, 220)), posSigma: 5,
			clockSource: "gnss", clockSigma: 1e-6, grading: "A2", rel: labelPublic,
			coverage: 30000, interval: math.Round(uniform(r, 10, 30)), arcHome: p.arc,
		}
		if i%3 == 2 {
			s.rel = labelRestricted
		}
		s.repLat, s.repLon = round7(p.lat), round7(p.lon)
		g.radars = append(g.radars, s)
	}
	return nil
}

func (g *gen) makeCameras() error {
	r := g.rng(streamCameras)
	n := g.cfg.Cameras
	for i := range n {
		sign := 1.0
		if i%2 == 1 {
			sign = -1
		}
		lo := minPlaceArcM + (g.line.length-2*minPlaceArcM)*float64(i)/float64(n)
		hi := minPlaceArcM + (g.line.length-2*minPlaceArcM)*float64(i+1)/float64(n)
		p, ok := g.placeRandom(500, func() float64 { return uniform(r, lo, hi) }, func() float64 { return sign * uniform(r, 1500, 5000) }, func(p place) bool { return p.dist() >= 1000 })
		if !ok {
			return fmt.Errorf("cannot place camera %d", i+1)
		}
		s := &sensor{
			id: fmt.Sprintf("SMM-CAM-%02d", i+1), typ: observe.SensorCamera, at: p,
			alt: math.Round(uniform(r, 60, 220)), posSigma: 5,
			clockSource: "ntp", clockSigma: 1e-3, grading: "A2", rel: labelPublic,
			coverage: 8000,
		}
		s.repLat, s.repLon = round7(p.lat), round7(p.lon)
		g.cameras = append(g.cameras, s)
	}
	return nil
}

// makePatrols gives each patrol a day of stops near the line, 06:00–15:00 UTC.
func (g *gen) makePatrols() error {
	r := g.rng(streamPatrols)
	n := g.cfg.Patrols
	days := int(math.Ceil(g.dur / 86400))
	dayStart := float64(g.start.Truncate(24*time.Hour).Sub(g.start)) / 1e9 // ≤ 0
	for i := range n {
		m := &monitor{id: fmt.Sprintf("SMM-PATROL-%02d", i+1), typ: "patrol"}
		home := minPlaceArcM + (g.line.length-2*minPlaceArcM)*(float64(i)+0.5)/float64(n)
		for d := 0; d <= days; d++ {
			t := dayStart + float64(d)*86400 + 6*3600 + uniform(r, 0, 1800)
			end := dayStart + float64(d)*86400 + 15*3600
			for t < end {
				dur := uniform(r, 3600, 9000)
				sign := 1.0
				if r.Float64() < 0.5 {
					sign = -1
				}
				p, ok := g.placeRandom(300, func() float64 { return home + uniform(r, -15000, 15000) }, func() float64 { return sign * uniform(r, 1500, 8000) }, func(p place) bool { return p.dist() >= 1000 })
				if !ok {
					g.failures++
				} else {
					from, to := math.Max(t, 0), math.Min(t+dur, math.Min(end, g.dur))
					if to > from {
						m.stops = append(m.stops, stop{from: from, to: to, at: p})
					}
				}
				t += dur + uniform(r, 900, 2400)
			}
		}
		g.monitors = append(g.monitors, m)
	}
	return nil
}

// newVerificationTeam adds a verification team that stands at p from from to to.
func (g *gen) newVerificationTeam(p place, from, to float64) *monitor {
	g.verifSeq++
	m := &monitor{id: fmt.Sprintf("SMM-VERIF-%02d", g.verifSeq), typ: "verification_team", stops: []stop{{from: from, to: to, at: p}}}
	g.monitors = append(g.monitors, m)
	return m
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

// normDeg brings an angle into [0, 360) after rounding to the given decimals.
func normDeg(a float64, decimals int) float64 {
	a = round(math.Mod(a, 360), decimals)
	if a < 0 {
		a = round(a+360, decimals)
	}
	if a >= 360 {
		a -= 360
	}
	return a
}

func (g *gen) terms() terms.Terms {
	return terms.Terms{
		ID:            "sim-illustrative-ceasefire",
		Version:       "1",
		Title:         "Simulated ceasefire terms (illustrative, not any official line)",
		Illustrative:  true,
		EffectiveFrom: g.start,
		Parties: []terms.Party{
			{Code: partyA, Name: "Party A (west/north)", Side: terms.Right},
			{Code: partyB, Name: "Party B (east/south)", Side: terms.Left},
		},
		ContactLine:   terms.Geometry{Type: "LineString", Coordinates: g.line.coordinates()},
		BufferZone:    terms.BufferZone{HalfWidthM: bufferHalfWidthM},
		WeaponClasses: terms.DefaultWeaponClasses(),
		Clauses: []terms.Clause{
			{ID: "C1", Title: "Ceasefire", Text: "The parties cease fire of any kind along the whole contact line.",
				Forbids: []string{terms.FireAcrossLine, terms.FireSameSide, terms.FireUnresolved}},
			{ID: "C2", Title: "Withdrawal of heavy weapons", Text: "Each party withdraws every heavy weapon of a listed class beyond that class's withdrawal distance from the contact line on its own side.",
				Forbids: []string{terms.WeaponInWithdrawalZone}},
			{ID: "C3", Title: "Buffer zone", Text: "No forces or weapons of either party within the buffer zone on either side of the contact line.",
				Zones: []string{terms.ZoneBuffer}, Forbids: []string{terms.PresenceInBufferZone}},
			{ID: "C4", Title: "Airspace", Text: "No drones or aircraft of either party cross the contact line.",
				Forbids: []string{terms.AirspaceCrossing}},
		},
	}
}

// temperature is the true air temperature (°C) at a sensor at time t,
// rounded to 0.1 °C.
func (g *gen) temperature(s *sensor, t float64) float64 {
	return round(tempMeanC+tempAmplitudeC*math.Sin(2*math.Pi*(g.hourUTC(t)-8)/24)+s.tempOffset, 1)
}

// reportedTemperature is what sensor s reports when the true temperature
// is tc: tc itself, unless its thermometer is wrong.
func (s *sensor) reportedTemperature(tc float64) float64 {
	if s.tempError == 0 {
		return tc
	}
	return round(tc+s.tempError, 1)
}

const (
	tempMeanC      = 2.0
	tempAmplitudeC = 4.0
)

func (g *gen) hourUTC(t float64) float64 {
	sec := math.Mod(float64(g.start.Unix()%86400)+t, 86400)
	if sec < 0 {
		sec += 86400
	}
	return sec / 3600
}

// soundSpeed is the speed of sound in dry air at temperature c (°C).
func soundSpeed(tc float64) float64 { return 331.3 * math.Sqrt(1+tc/273.15) }

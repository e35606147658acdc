package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/geodesic"
	"sigs.k8s.io/yaml"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

var (
	defaultOnce sync.Once
	defaultScen Scenario
	defaultErr  error
	defaultTook time.Duration
)

// defaultScenario generates the default scenario (seed 1) once per test binary.
func defaultScenario(t *testing.T) Scenario {
	t.Helper()
	defaultOnce.Do(func() {
		start := time.Now()
		defaultScen, defaultErr = Generate(Config{Seed: 1})
		defaultTook = time.Since(start)
	})
	if defaultErr != nil {
		t.Fatalf("Generate: %v", defaultErr)
	}
	return defaultScen
}

// small is a quick configuration for tests that do not need a whole day.
func small(seed uint64) Config {
	return Config{Seed: seed, Duration: 3 * time.Hour, AcousticSensors: 120}
}

func files(t *testing.T, s Scenario) map[string][]byte {
	t.Helper()
	f, err := s.Files()
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	return f
}

func TestDeterminism(t *testing.T) {
	a := files(t, defaultScenario(t))
	s2, err := Generate(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := files(t, s2)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}

	x, err := Generate(small(5))
	if err != nil {
		t.Fatal(err)
	}
	y, err := Generate(small(6))
	if err != nil {
		t.Fatal(err)
	}
	fx, fy := files(t, x), files(t, y)
	for _, name := range []string{ObservationsFile, SensorsFile, TruthFile} {
		if bytes.Equal(fx[name], fy[name]) {
			t.Errorf("%s is the same for seeds 5 and 6", name)
		}
	}
	// The line and so the terms do not depend on the seed.
	if !bytes.Equal(fx[TermsFile], fy[TermsFile]) {
		t.Errorf("terms differ between seeds; the line should be fixed")
	}
}

func TestGenerationTime(t *testing.T) {
	defaultScenario(t)
	t.Logf("default scenario generated in %s", defaultTook)
	if defaultTook > 20*time.Second {
		t.Errorf("default scenario took %s", defaultTook)
	}
}

func TestObservationsValid(t *testing.T) {
	s := defaultScenario(t)
	var classes []string
	for _, c := range s.Terms.WeaponClasses {
		classes = append(classes, c.Code)
	}
	bad := 0
	for _, o := range s.Observations {
		for _, c := range []observe.Checks{{}, {WeaponClasses: classes}} {
			if errs := observe.Check(o, c); len(errs) > 0 {
				if bad++; bad <= 10 {
					t.Errorf("observation %s (%s) invalid: %v", o.ID, o.Kind, errs)
				}
			}
		}
	}
	// The wire form decodes back to the same observation.
	ndjson, err := s.ObservationsNDJSON()
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(ndjson, []byte("\n")), []byte("\n"))
	if len(lines) != len(s.Observations) {
		t.Fatalf("%d NDJSON lines for %d observations", len(lines), len(s.Observations))
	}
	for i := 0; i < len(lines); i += 97 {
		o, errs := observe.Decode(lines[i], observe.Checks{})
		if len(errs) > 0 {
			t.Fatalf("line %d does not decode: %v", i+1, errs)
		}
		again, _ := observe.Marshal(o)
		if !bytes.Equal(again, lines[i]) {
			t.Fatalf("line %d does not round-trip:\n%s\n%s", i+1, lines[i], again)
		}
	}
}

func TestCounts(t *testing.T) {
	s := defaultScenario(t)
	sum := s.Truth.Summary
	t.Logf("events %v, observations %v, lines %d, false acoustic %d, duplicates %d, resends %d, late acoustic %d, dropped %d, median sensors per sound %g",
		sum.EventsByType, sum.ObservationsByKind, sum.ObservationLines, sum.FalseAcoustic, sum.DuplicateReports, sum.Resends, sum.LateAcoustic, sum.DroppedUnobserved, sum.MedianSensorsPerShot)
	total := len(s.Observations)
	if total < 50_000 || total > 200_000 {
		t.Errorf("%d observations, want 50k–200k", total)
	}
	kinds := map[observe.Kind]int{}
	for _, o := range s.Truth.Observations {
		kinds[o.Kind]++
	}
	for _, tc := range []struct {
		kind     observe.Kind
		min, max int
	}{
		{observe.KindAcoustic, 40_000, 180_000},
		{observe.KindReport, 100, 3000},
		{observe.KindTrack, 1000, 30_000},
		{observe.KindImagery, 20, 200},
		{observe.KindOSINT, 20, 500},
	} {
		if n := kinds[tc.kind]; n < tc.min || n > tc.max {
			t.Errorf("%d %s observations, want %d–%d", n, tc.kind, tc.min, tc.max)
		}
	}
	for _, tc := range []struct {
		typ      EventType
		min, max int
	}{
		{EventFireCrossLine, 300, 1500},
		{EventFireSameSide, 150, 1000},
		{EventHeavyWeapons, 20, 80},
		{EventDroneCrossing, 20, 150},
	} {
		if n := sum.EventsByType[tc.typ]; n < tc.min || n > tc.max {
			t.Errorf("%d %s events, want %d–%d", n, tc.typ, tc.min, tc.max)
		}
	}
	acoustic := kinds[observe.KindAcoustic]
	if f := float64(sum.FalseAcoustic) / float64(acoustic); f < 0.04 || f > 0.11 {
		t.Errorf("false acoustic detections are %.3f of all acoustic, want about 0.05–0.10", f)
	}
	if sum.Resends < 3 || sum.DuplicateReports < 1 || sum.LateAcoustic < 1 {
		t.Errorf("want some re-sends (%d), duplicate reports (%d) and late acoustic detections (%d)", sum.Resends, sum.DuplicateReports, sum.LateAcoustic)
	}
	if m := sum.MedianSensorsPerShot; m < 5 || m > 30 {
		t.Errorf("median sensors per sound %g, want 5–30", m)
	}
	// Each fire event is heard by roughly 5–30 distinct sensors.
	sensors := map[string]map[string]bool{}
	for _, o := range s.Truth.Observations {
		if o.Kind == observe.KindAcoustic && o.EventID != FalseEventID {
			if sensors[o.EventID] == nil {
				sensors[o.EventID] = map[string]bool{}
			}
			sensors[o.EventID][o.Source] = true
		}
	}
	var heard []int
	for _, e := range s.Truth.Events {
		if len(e.Shots) > 0 {
			heard = append(heard, len(sensors[e.ID]))
		}
	}
	slices.Sort(heard)
	if med := heard[len(heard)/2]; med < 5 || med > 30 {
		t.Errorf("median distinct sensors per fire event %d, want 5–30", med)
	}
	// Releasability: mostly public, some restricted.
	labels := map[string]int{}
	for _, o := range s.Observations {
		labels[o.Releasability.String()]++
	}
	if labels["PUBLIC"] < total*3/4 || labels["RESTRICTED REL TO FRA, GBR, UKR"] == 0 || labels["CONFIDENTIAL REL TO GBR, USA"] == 0 {
		t.Errorf("releasability mix %v", labels)
	}
}

func TestTruthObservations(t *testing.T) {
	s := defaultScenario(t)
	byID := map[string]ObservationTruth{}
	for _, o := range s.Truth.Observations {
		if _, dup := byID[o.ID]; dup {
			t.Fatalf("observation %s twice in the truth", o.ID)
		}
		byID[o.ID] = o
	}
	events := map[string]Event{}
	for _, e := range s.Truth.Events {
		events[e.ID] = e
	}
	// Ids are unique except for exact re-sends, which are byte-identical.
	first := map[string][]byte{}
	copies := map[string]int{}
	var lastSent time.Time
	for i, o := range s.Observations {
		ot, ok := byID[o.ID]
		if !ok {
			t.Fatalf("observation %s is not in the truth", o.ID)
		}
		b, _ := observe.Marshal(o)
		if prev, seen := first[o.ID]; seen {
			copies[o.ID]++
			if !bytes.Equal(prev, b) {
				t.Errorf("re-send of %s differs from the original", o.ID)
			}
			continue
		}
		first[o.ID] = b
		if ot.SentAt.Before(lastSent) {
			t.Fatalf("observation %d (%s) sent at %s before the previous %s", i, o.ID, ot.SentAt, lastSent)
		}
		lastSent = ot.SentAt
		if o.ObservedAt.After(ot.SentAt) {
			t.Errorf("%s observed at %s, after it was sent at %s", o.ID, o.ObservedAt, ot.SentAt)
		}
		if o.Kind == observe.KindTrack {
			var d float64
			geodesic.WGS84.Inverse(o.Location.Lat, o.Location.Lon, ot.TruePosition[1], ot.TruePosition[0], &d, nil, nil)
			if d > 250 || !o.ObservedAt.Equal(ot.TrueTime) {
				t.Errorf("track point %s is %.0f m from the drone's true position", o.ID, d)
			}
		}
		if ot.Kind != o.Kind || ot.Source != o.Source.ID {
			t.Errorf("truth of %s has kind %s source %s, observation %s %s", o.ID, ot.Kind, ot.Source, o.Kind, o.Source.ID)
		}
		if ot.EventID != FalseEventID {
			if _, ok := events[ot.EventID]; !ok {
				t.Errorf("observation %s belongs to unknown event %s", o.ID, ot.EventID)
			}
		}
	}
	for id, ot := range byID {
		if ot.Resends != copies[id] {
			t.Errorf("%s: truth says %d re-sends, stream has %d", id, ot.Resends, copies[id])
		}
		if ot.DuplicateOf != "" {
			orig, ok := byID[ot.DuplicateOf]
			if !ok || orig.Kind != observe.KindReport || ot.Kind != observe.KindReport || orig.Source != ot.Source || orig.EventID != ot.EventID {
				t.Errorf("duplicate %s of %s: not a report of the same event by the same source", id, ot.DuplicateOf)
			}
		}
	}
	// Every event has observations, and the counts agree.
	perEvent := map[string]int{}
	for _, o := range s.Truth.Observations {
		perEvent[o.EventID]++
	}
	for _, e := range s.Truth.Events {
		if perEvent[e.ID] == 0 || perEvent[e.ID] != e.Observations {
			t.Errorf("event %s (%s): %d observations in the truth, event says %d", e.ID, e.Type, perEvent[e.ID], e.Observations)
		}
	}
	// Most observations arrive in time order, but not all.
	late := 0
	for i := 1; i < len(s.Observations); i++ {
		if s.Observations[i].ObservedAt.Before(s.Observations[i-1].ObservedAt.Add(-time.Minute)) {
			late++
		}
	}
	if late == 0 || late > len(s.Observations)/10 {
		t.Errorf("%d of %d observations arrive more than a minute out of order", late, len(s.Observations))
	}
}

// TestAcousticPhysics recomputes every true arrival time from the truth:
// emission time + geodesic distance from the source to the sensor's true
// position / speed of sound at the true temperature (the reported one less
// the sensor's thermometer error). Echoes follow their original.
func TestAcousticPhysics(t *testing.T) {
	for _, tc := range []struct {
		name string
		scen func(*testing.T) Scenario
	}{
		{"default", defaultScenario},
		{"dense", denseScenario},
	} {
		t.Run(tc.name, func(t *testing.T) { checkAcousticPhysics(t, tc.scen(t)) })
	}
}

func checkAcousticPhysics(t *testing.T, s Scenario) {
	t.Helper()
	sensors := map[string]SensorTruth{}
	for _, st := range s.Truth.Sensors {
		sensors[st.ID] = st
	}
	events := map[string]Event{}
	for _, e := range s.Truth.Events {
		events[e.ID] = e
	}
	obs := map[string]observe.Observation{}
	for _, o := range s.Observations {
		obs[o.ID] = o
	}
	truth := map[string]ObservationTruth{}
	for _, ot := range s.Truth.Observations {
		truth[ot.ID] = ot
	}
	checked, echoes := 0, 0
	for _, ot := range s.Truth.Observations {
		if ot.Kind != observe.KindAcoustic || ot.EventID == FalseEventID {
			continue
		}
		o := obs[ot.ID]
		st := sensors[o.Acoustic.SensorID]
		if st.Type != observe.SensorAcoustic {
			t.Fatalf("%s: sensor %s is not a registered acoustic sensor", ot.ID, o.Acoustic.SensorID)
		}
		// The observed time is the true one plus the clock bias and a pick error.
		errS := o.ObservedAt.Sub(ot.TrueTime).Seconds() - st.ClockBiasS
		if math.Abs(errS) > 6*st.PickSigmaS+1e-6 {
			t.Errorf("%s: pick error %.4f s with sigma %.4f", ot.ID, errS, st.PickSigmaS)
		}
		if o.Location.Lon != st.ReportedPosition[0] || o.Location.Lat != st.ReportedPosition[1] {
			t.Errorf("%s: location is not the sensor's registered position", ot.ID)
		}
		if ot.Sound == "echo" {
			orig, ok := truth[ot.EchoOf]
			if !ok || orig.Source != ot.Source || orig.EventID != ot.EventID || orig.Shot != ot.Shot || (orig.Sound != "launch" && orig.Sound != "impact") {
				t.Fatalf("echo %s of %s: not a direct detection of the same sound at the same sensor: %+v", ot.ID, ot.EchoOf, orig)
			}
			if d := ot.TrueTime.Sub(orig.TrueTime); d < 300*time.Millisecond || d > 3*time.Second {
				t.Errorf("echo %s arrives %s after its original", ot.ID, d)
			}
			echoes++
			continue
		}
		if ot.EchoOf != "" {
			t.Errorf("%s: sound %q with echo_of %s", ot.ID, ot.Sound, ot.EchoOf)
		}
		e := events[ot.EventID]
		sh := e.Shots[ot.Shot-1]
		src, emitted := e.Origin.Position, sh.LaunchAt
		if ot.Sound == "impact" {
			src, emitted = sh.Impact, sh.ImpactAt
		}
		var d float64
		geodesic.WGS84.Inverse(st.TruePosition[1], st.TruePosition[0], src[1], src[0], &d, nil, nil)
		trueT := math.Round((*o.Acoustic.TemperatureC-st.TemperatureErrorC)*10) / 10
		c := 331.3 * math.Sqrt(1+trueT/273.15)
		want := emitted.Add(time.Duration(d / c * 1e9))
		if diff := ot.TrueTime.Sub(want); diff < -time.Microsecond || diff > time.Microsecond {
			t.Fatalf("%s: true arrival %s, recomputed %s", ot.ID, ot.TrueTime, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no acoustic detections checked")
	}
	if echoes != s.Truth.Summary.Echoes {
		t.Errorf("%d echoes in the truth, summary says %d", echoes, s.Truth.Summary.Echoes)
	}
}

// refLine is an independent model of the contact line on a sphere, used
// to check sides and distances in the truth without the generator's code.
type refLine struct{ v [][3]float64 }

const earthR = 6_371_008.8

func unit(lon, lat float64) [3]float64 {
	la, lo := lat*math.Pi/180, lon*math.Pi/180
	return [3]float64{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func dot3(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm3(a [3]float64) [3]float64 {
	n := math.Sqrt(dot3(a, a))
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}
func angle(a, b [3]float64) float64 {
	return math.Atan2(math.Sqrt(dot3(cross3(a, b), cross3(a, b))), dot3(a, b))
}

func newRefLine(t *testing.T, tm terms.Terms) refLine {
	t.Helper()
	b, _ := json.Marshal(tm.ContactLine.Coordinates)
	var coords [][2]float64
	if err := json.Unmarshal(b, &coords); err != nil {
		t.Fatalf("contact line coordinates: %v", err)
	}
	var l refLine
	for _, c := range coords {
		l.v = append(l.v, unit(c[0], c[1]))
	}
	return l
}

// sideDist returns the distance (metres, on a sphere) from p to the line
// and its side: +1 left of the line in drawing order, −1 right.
func (l refLine) sideDist(lon, lat float64) (float64, int) {
	p := unit(lon, lat)
	best, bestSeg, atVertex := math.Inf(1), 0, -1
	for i := 0; i+1 < len(l.v); i++ {
		a, b := l.v[i], l.v[i+1]
		n := norm3(cross3(a, b))
		// Foot of the perpendicular on the great circle, if within the segment.
		f := norm3([3]float64{p[0] - dot3(p, n)*n[0], p[1] - dot3(p, n)*n[1], p[2] - dot3(p, n)*n[2]})
		ab := angle(a, b)
		var d float64
		vertex := -1
		if angle(a, f) <= ab && angle(f, b) <= ab {
			d = math.Abs(math.Asin(dot3(p, n)))
		} else if da, db := angle(p, a), angle(p, b); da < db {
			d, vertex = da, i
		} else {
			d, vertex = db, i+1
		}
		if d < best {
			best, bestSeg, atVertex = d, i, vertex
		}
	}
	sideOfSeg := func(i int) int {
		if dot3(p, cross3(l.v[i], l.v[i+1])) > 0 {
			return 1
		}
		return -1
	}
	side := sideOfSeg(bestSeg)
	if atVertex > 0 && atVertex < len(l.v)-1 {
		s1, s2 := sideOfSeg(atVertex-1), sideOfSeg(atVertex)
		if s1 == s2 {
			side = s1
		} else if dot3(l.v[atVertex+1], cross3(l.v[atVertex-1], l.v[atVertex])) > 0 {
			side = -1 // a left turn: the wedge of the vertex is on the right
		} else {
			side = 1
		}
	}
	return best * earthR, side
}

func sideSign(s terms.Side) int {
	if s == terms.Left {
		return 1
	}
	return -1
}

func TestTruthSides(t *testing.T) {
	s := defaultScenario(t)
	l := newRefLine(t, s.Terms)
	party := map[terms.Side]string{}
	for _, p := range s.Terms.Parties {
		party[p.Side] = p.Code
	}
	checkPlace := func(what string, p *Place) {
		t.Helper()
		d, side := l.sideDist(p.Position[0], p.Position[1])
		if side != sideSign(p.Side) {
			t.Errorf("%s: truth side %s, independent check says %d (distance %.0f m)", what, p.Side, side, d)
		}
		if party[p.Side] != p.Party {
			t.Errorf("%s: side %s but party %s", what, p.Side, p.Party)
		}
		if math.Abs(d-p.DistanceToLineM) > 0.006*p.DistanceToLineM+15 {
			t.Errorf("%s: truth distance %.1f m, independent check %.1f m", what, p.DistanceToLineM, d)
		}
		if p.SignedOffsetM*float64(sideSign(p.Side)) <= 0 || math.Abs(p.SignedOffsetM) != p.DistanceToLineM {
			t.Errorf("%s: signed offset %g does not match side %s and distance %g", what, p.SignedOffsetM, p.Side, p.DistanceToLineM)
		}
		if p.InBufferZone != (p.DistanceToLineM <= s.Terms.BufferZone.HalfWidthM) {
			t.Errorf("%s: in_buffer_zone %v at %.0f m", what, p.InBufferZone, p.DistanceToLineM)
		}
		// The perpendicular construction: the foot is on the line at the
		// recorded distance.
		var fd float64
		geodesic.WGS84.Inverse(p.Foot[1], p.Foot[0], p.Position[1], p.Position[0], &fd, nil, nil)
		if math.Abs(fd-p.DistanceToLineM) > 0.01 {
			t.Errorf("%s: foot is %.3f m away, distance says %.3f m", what, fd, p.DistanceToLineM)
		}
		if footD, _ := l.sideDist(p.Foot[0], p.Foot[1]); footD > 5 {
			t.Errorf("%s: foot is %.1f m from the line", what, footD)
		}
	}
	withdrawal := map[string]float64{}
	for _, c := range s.Terms.WeaponClasses {
		withdrawal[c.Code] = c.WithdrawalM
	}
	for _, e := range s.Truth.Events {
		checkPlace(e.ID+" origin", e.Origin)
		if e.Origin.Party != e.Party {
			t.Errorf("%s (%s): origin on %s's side but party %s", e.ID, e.Type, e.Origin.Party, e.Party)
		}
		switch e.Type {
		case EventFireCrossLine, EventFireSameSide:
			checkPlace(e.ID+" impact", e.Impact)
			if cross := e.Origin.Side != e.Impact.Side; cross != (e.Type == EventFireCrossLine) {
				t.Errorf("%s (%s): origin side %s, impact side %s", e.ID, e.Type, e.Origin.Side, e.Impact.Side)
			}
			if len(e.Shots) != e.Count || e.RangeM < 2000 || e.RangeM > 25_000 {
				t.Errorf("%s: %d shots for count %d, range %.0f m", e.ID, len(e.Shots), e.Count, e.RangeM)
			}
			for _, sh := range e.Shots {
				if _, side := l.sideDist(sh.Impact[0], sh.Impact[1]); side != sideSign(e.Impact.Side) {
					t.Errorf("%s shot %d lands on the other side", e.ID, sh.Index)
				}
				if !sh.ImpactAt.After(sh.LaunchAt) {
					t.Errorf("%s shot %d lands before it is fired", e.ID, sh.Index)
				}
			}
		case EventHeavyWeapons:
			w := withdrawal[e.WeaponClass]
			if w == 0 || e.Heavy == nil || e.Heavy.WithdrawalM != w || e.Heavy.InWithdrawalZone != (e.Origin.DistanceToLineM < w) {
				t.Errorf("%s: class %s at %.0f m, withdrawal %g, truth %+v", e.ID, e.WeaponClass, e.Origin.DistanceToLineM, w, e.Heavy)
			}
		case EventDroneCrossing:
			d := e.Drone
			checkPlace(e.ID+" turn point", &d.TurnPoint)
			if d.TurnPoint.Side == e.Origin.Side || len(d.Crossings) != 2 {
				t.Errorf("%s: drone does not cross the line", e.ID)
			}
			for _, c := range d.Crossings {
				if dist, _ := l.sideDist(c.Position[0], c.Position[1]); dist > 5 {
					t.Errorf("%s: crossing point %.1f m from the line", e.ID, dist)
				}
			}
		}
	}
	for _, st := range s.Truth.Sensors {
		checkPlace(st.ID, &Place{Position: st.TruePosition, Side: st.Side, Party: st.Party, SignedOffsetM: st.SignedOffsetM, DistanceToLineM: st.DistanceToLineM, InBufferZone: st.DistanceToLineM <= 2000, Foot: st.Foot})
	}
}

func TestSensors(t *testing.T) {
	s := defaultScenario(t)
	sides := map[terms.Side]int{}
	for _, st := range s.Truth.Sensors {
		if st.Type != observe.SensorAcoustic {
			continue
		}
		sides[st.Side]++
		if st.DistanceToLineM < 3000 || st.DistanceToLineM > 40000 {
			t.Errorf("sensor %s is %.0f m from the line", st.ID, st.DistanceToLineM)
		}
	}
	if sides[terms.Left] < 100 || sides[terms.Right] < 100 {
		t.Errorf("acoustic sensors per side: %v", sides)
	}
	ids := map[string]bool{}
	for _, se := range s.Sensors {
		if ids[se.ID] {
			t.Errorf("sensor id %s twice", se.ID)
		}
		ids[se.ID] = true
		if se.Clock.Source != "gnss" && se.Clock.Source != "ntp" {
			t.Errorf("sensor %s clock %q", se.ID, se.Clock.Source)
		}
		if p := label.DefaultScheme().Check(se.Releasability); len(p) > 0 {
			t.Errorf("sensor %s label: %v", se.ID, p)
		}
	}
	b, err := s.SensorsJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back []observe.Sensor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil || len(back) != len(s.Sensors) {
		t.Fatalf("sensors.json does not decode: %v", err)
	}
}

func TestLine(t *testing.T) {
	s := defaultScenario(t)
	b, _ := json.Marshal(s.Terms.ContactLine.Coordinates)
	var coords [][2]float64
	if err := json.Unmarshal(b, &coords); err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for i := 1; i < len(coords); i++ {
		var d float64
		geodesic.WGS84.Inverse(coords[i-1][1], coords[i-1][0], coords[i][1], coords[i][0], &d, nil, nil)
		total += d
		if d > 5000 {
			t.Errorf("segment %d is %.0f m long", i, d)
		}
	}
	lat := make([]float64, len(coords))
	lon := make([]float64, len(coords))
	for i, c := range coords {
		lon[i], lat[i] = c[0], c[1]
	}
	if c := selfCrossings(lat, lon); len(c) > 0 {
		t.Errorf("the contact line crosses itself: segments %v", c)
	}
	if total < 1_000_000 || total > 1_200_000 {
		t.Errorf("line is %.1f km long, want 1,000–1,200 km", total/1000)
	}
	t.Logf("contact line: %d points, %.1f km", len(coords), total/1000)

	// The parties' sides: places known to be west/north of the line are
	// party A's, east/south party B's.
	l := newRefLine(t, s.Terms)
	sideParty := map[int]string{}
	for _, p := range s.Terms.Parties {
		sideParty[sideSign(p.Side)] = p.Code
	}
	for _, tc := range []struct {
		name     string
		lat, lon float64
		party    string
	}{
		{"Kharkiv", 49.99, 36.23, "A"},
		{"Kramatorsk", 48.72, 37.56, "A"},
		{"Dnipro", 48.46, 35.05, "A"},
		{"Zaporizhzhia", 47.84, 35.14, "A"},
		{"Mykolaiv", 46.97, 31.99, "A"},
		{"Donetsk", 48.00, 37.80, "B"},
		{"Luhansk", 48.57, 39.31, "B"},
		{"Horlivka", 48.30, 38.05, "B"},
		{"Melitopol", 46.85, 35.37, "B"},
		{"Skadovsk", 46.11, 32.91, "B"},
	} {
		if _, side := l.sideDist(tc.lon, tc.lat); sideParty[side] != tc.party {
			t.Errorf("%s is on party %s's side, want %s", tc.name, sideParty[side], tc.party)
		}
	}

	// The generator's nearest-segment geometry agrees with the independent
	// spherical model at random points around the line.
	gl := buildLine()
	r := rand.New(rand.NewPCG(7, 7))
	disagree := 0
	for range 2000 {
		lat, lon := uniform(r, 46.0, 50.6), uniform(r, 31.5, 39.5)
		d, side := l.sideDist(lon, lat)
		gd, _, gside, _ := gl.nearest(lat, lon)
		if d > 200 && gside != side {
			disagree++
			t.Errorf("%.4f %.4f: generator side %d, reference %d (%.0f m)", lat, lon, gside, side, d)
		}
		if math.Abs(gd-d) > 0.006*d+15 {
			t.Errorf("%.4f %.4f: generator distance %.0f m, reference %.0f m", lat, lon, gd, d)
		}
		if disagree > 5 {
			break
		}
	}
}

func TestTermsYAML(t *testing.T) {
	s := defaultScenario(t)
	b, err := s.TermsYAML()
	if err != nil {
		t.Fatal(err)
	}
	var back terms.Terms
	if err := yaml.UnmarshalStrict(b, &back); err != nil {
		t.Fatalf("terms YAML does not parse strictly: %v", err)
	}
	j1, _ := json.Marshal(s.Terms)
	j2, _ := json.Marshal(back)
	if !bytes.Equal(j1, j2) {
		t.Errorf("terms do not round-trip through YAML")
	}
	if !back.Illustrative || !strings.Contains(back.Title, "illustrative, not any official line") {
		t.Errorf("terms not marked illustrative: %q", back.Title)
	}
	if len(back.Clauses) < 4 || len(back.Parties) != 2 || back.BufferZone.HalfWidthM != 2000 {
		t.Errorf("terms: %d clauses, %d parties, buffer %g", len(back.Clauses), len(back.Parties), back.BufferZone.HalfWidthM)
	}
	if err := yaml.UnmarshalStrict(append(slices.Clone(b), []byte("bogus: 1\n")...), &back); err == nil {
		t.Errorf("strict parse accepted an unknown field")
	}
}

func TestTruthJSON(t *testing.T) {
	s := defaultScenario(t)
	b, err := s.TruthJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Truth
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("truth.json does not decode: %v", err)
	}
	if len(back.Observations) != len(s.Truth.Observations) || len(back.Events) != len(s.Truth.Events) || len(back.Sensors) != len(s.Truth.Sensors) {
		t.Errorf("truth.json lost entries")
	}
	if back.Line.LeftParty != "B" || back.Line.RightParty != "A" {
		t.Errorf("line parties %+v", back.Line)
	}
}

func TestConfig(t *testing.T) {
	quiet := func(c Config) Config {
		c.DroneFlightsPerHour, c.HeavyWeaponsPerDay = -1, -1
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		// bad is empty for a configuration that must generate, else a
		// piece of the error it must be refused with.
		bad string
	}{
		{"too long", Config{Duration: 8 * 24 * time.Hour}, "between 1m and 168h"},
		{"too short", Config{Duration: 30 * time.Second}, "between 1m and 168h"},
		{"one minute", Config{Seed: 2, Duration: time.Minute}, ""},
		{"one minute dense", quiet(Config{Seed: 2, Duration: time.Minute, EventsPerSecond: 100}), ""},
		{"too many sensors", Config{AcousticSensors: 10_000}, "too many sensors"},
		{"too early", Config{Start: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}, "out of range"},
		{"no drones", quiet(Config{Seed: 3, Duration: 2 * time.Hour}), ""},
		{"echo rate over 1", Config{EchoRate: 2}, "at most 1"},
		{"twin rate over 1", Config{TwinFireRate: 1.5}, "at most 1"},
		{"rate not a number", Config{EventsPerSecond: math.NaN()}, "events per second is NaN"},
		{"rate infinite", Config{FireEventsPerHour: math.Inf(1)}, "fire events per hour is +Inf"},
		{"too many sounds", Config{EventsPerSecond: 1000, Duration: 2 * time.Hour}, "sounds estimated"},
		{"too many detections", Config{EventsPerSecond: 500, Duration: time.Hour}, "acoustic detections estimated"},
		{"too many detections by sensors", Config{EventsPerSecond: 50, Duration: time.Hour, AcousticSensors: 3000}, "acoustic detections estimated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Generate(tc.cfg)
			if tc.bad != "" {
				if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("Generate: %v, want an ErrConfig saying %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			for _, e := range s.Truth.Events {
				if e.Type == EventDroneCrossing || e.Type == EventHeavyWeapons {
					t.Errorf("event %s of type %s with none configured", e.ID, e.Type)
				}
			}
		})
	}
	c := Config{}.WithDefaults()
	if !c.Start.Equal(DefaultStart) || c.Duration != 24*time.Hour || c.AcousticSensors != 300 || c.EchoRate != 0.02 || c.EventsPerSecond != 0 {
		t.Errorf("defaults: %+v", c)
	}
	if again := c.WithDefaults(); again != c {
		t.Errorf("WithDefaults is not idempotent: %+v then %+v", c, again)
	}
	off := Config{EchoRate: -1, TwinFireRate: -1, WrongTemperatureRate: -1, EventsPerSecond: -3}.WithDefaults()
	if off.EchoRate != 0 || off.TwinFireRate != 0 || off.WrongTemperatureRate != 0 || off.EventsPerSecond != 0 || off.FireEventsPerHour != 40 {
		t.Errorf("negative rates: %+v", off)
	}
}

func TestOnLand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lat, lon float64
		land     bool
	}{
		{"Sea of Azov", 46.3, 36.5, false},
		{"Black Sea", 45.5, 31.5, false},
		{"Karkinit Bay", 45.95, 33.0, false},
		{"Zaporizhzhia", 47.84, 35.14, true},
		{"Melitopol", 46.85, 35.37, true},
		{"Simferopol", 44.95, 34.10, true},
		{"Kherson", 46.64, 32.62, true},
		{"Donetsk", 48.00, 37.80, true},
	} {
		if got := onLand(tc.lat, tc.lon); got != tc.land {
			t.Errorf("%s: onLand = %v", tc.name, got)
		}
	}
}

func TestSmallScenarioValid(t *testing.T) {
	s, err := Generate(Config{Seed: 99, Start: time.Date(2027, 3, 1, 13, 30, 0, 0, time.UTC), Duration: 5 * time.Hour, AcousticSensors: 80, Radars: 3, Cameras: 2, Patrols: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Observations) == 0 {
		t.Fatal("no observations")
	}
	for _, o := range s.Observations {
		if errs := observe.Check(o, observe.Checks{}); len(errs) > 0 {
			t.Fatalf("%s: %v", o.ID, errs)
		}
	}
}

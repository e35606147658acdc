package fusion

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/tdoa"
)

var t0 = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

// origin is the test's reference point; ev places evidence east and north
// of it, in kilometres.
var origin = geo.LonLat{Lon: 37.8, Lat: 48.1}

func ev(id, source string, eastKM, northKM, sigmaKM float64, at time.Duration) Evidence {
	p := geo.NewENU(origin).Inverse(eastKM*1000, northKM*1000)
	s := sigmaKM * 1000
	return Evidence{
		ID: id, Class: ClassFire, Source: source, Group: "monitor:" + source, Grading: "B2",
		Time: t0.Add(at), TimeSigma: time.Minute, Position: p, Cov: [2][2]float64{{s * s, 0}, {0, s * s}},
		Label: label.PublicLabel(), Observations: []string{id},
	}
}

func TestCorrelate(t *testing.T) {
	restricted := ev("c", "osint-1", 0.5, 0.2, 1, 20*time.Second)
	restricted.Group, restricted.Label = "osint:osint-1", label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
	equipment := ev("e", "sat-1", 0, 0, 0.1, 0)
	equipment.Class = ClassEquipment
	withRole := func(e Evidence, r Role) Evidence { e.Role = r; return e }
	tests := []struct {
		name string
		in   []Evidence
		// want is the evidence ids of each incident, in the order the
		// incidents were opened.
		want [][]string
	}{
		{"three sources, one event", []Evidence{ev("a", "patrol-1", 0, 0, 1.5, 0), ev("b", "camera-2", 1, -0.5, 0.5, 10*time.Second), restricted},
			[][]string{{"a", "b", "c"}}},
		{"far apart", []Evidence{ev("a", "patrol-1", 0, 0, 1, 0), ev("b", "patrol-2", 30, 0, 1, 0)}, [][]string{{"a"}, {"b"}}},
		{"too long apart", []Evidence{ev("a", "patrol-1", 0, 0, 1, 0), ev("b", "patrol-2", 0, 0, 1, 10*time.Minute)}, [][]string{{"a"}, {"b"}}},
		{"out of order", []Evidence{ev("b", "patrol-2", 0.3, 0, 1, time.Minute), ev("a", "patrol-1", 0, 0, 1, 0)}, [][]string{{"b", "a"}}},
		{"other class at the same place", []Evidence{ev("a", "patrol-1", 0, 0, 1, 0), equipment}, [][]string{{"a"}, {"e"}}},
		{"launch and impact at one place stay apart", []Evidence{withRole(ev("l", "patrol-1", 0, 0, 1, 0), RoleOrigin), withRole(ev("i", "patrol-2", 0.2, 0, 1, 0), RoleImpact)},
			[][]string{{"l"}, {"i"}}},
		{"an undetermined explosion joins a launch", []Evidence{withRole(ev("l", "patrol-1", 0, 0, 1, 0), RoleOrigin), withRole(ev("u", "patrol-2", 0.2, 0, 1, 0), RoleUnknown)},
			[][]string{{"l", "u"}}},
		// X and Y are apart; Z between them joins X and pulls it close
		// enough to Y that they are one.
		{"merge", []Evidence{ev("x", "patrol-1", 0, 0, 2, 0), ev("y", "patrol-2", 8.8, 0, 2, 0), ev("z", "camera-3", 4.2, 0, 1, 0)},
			[][]string{{"x", "z", "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCorrelator(Config{})
			for _, e := range tc.in {
				if _, err := c.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			var got [][]string
			for _, in := range c.Open() {
				var ids []string
				for _, e := range in.Evidence {
					ids = append(ids, e.ID)
				}
				got = append(got, ids)
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("incidents %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIncidentFields(t *testing.T) {
	c := NewCorrelator(Config{})
	a, b := ev("a", "patrol-1", 0, 0, 1, 0), ev("b", "patrol-2", 1, 0, 1, 30*time.Second)
	b.Label = label.Label{Classification: label.Confidential, RelTo: []string{"GBR", "USA"}}
	a.Label = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
	first, _ := c.Add(a)
	if !first.Created || first.Incident.ID != "inc-a" || first.Incident.Confidence.Level != SingleSource {
		t.Fatalf("first evidence: %+v", first)
	}
	ch, err := c.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	in := ch.Incident
	if ch.Created || in.Version != 2 || !in.Start.Equal(t0) || !in.End.Equal(t0.Add(30*time.Second)) {
		t.Errorf("after the second evidence: created %v, version %d, %s–%s", ch.Created, in.Version, in.Start, in.End)
	}
	// Two equal uncertainties: the fused position is half way, and the
	// variance halves.
	e, n := geo.NewENU(origin).Forward(in.Position)
	if math.Abs(e-500) > 1 || math.Abs(n) > 1 || math.Abs(in.Cov[0][0]-0.5e6) > 1 {
		t.Errorf("fused position %.1f, %.1f m with variance %.0f; want 500, 0 and 500000", e, n, in.Cov[0][0])
	}
	if in.Confidence.Level != Corroborated || in.Confidence.IndependentSources != 2 {
		t.Errorf("confidence %+v, want corroborated by 2", in.Confidence)
	}
	if in.Label.Classification != label.Confidential || !slices.Equal(in.Label.RelTo, []string{"GBR"}) {
		t.Errorf("label %s, want CONFIDENTIAL REL TO GBR", in.Label)
	}
	if !slices.Equal(in.Observations(), []string{"a", "b"}) {
		t.Errorf("observations %v", in.Observations())
	}
	// Re-adding is a no-op.
	again, err := c.Add(b)
	if err != nil || again.Incident.Version != 2 || len(again.Incident.Evidence) != 2 {
		t.Errorf("re-adding evidence: %+v %v", again, err)
	}
}

// TestSameSourceCountsOnce: a patrol that reports one event twice is one
// source, and its better-located report is the one that counts.
func TestSameSourceCountsOnce(t *testing.T) {
	c := NewCorrelator(Config{})
	c.Add(ev("a1", "patrol-1", 0, 0, 3, 0))
	ch, _ := c.Add(ev("a2", "patrol-1", 1, 0, 0.5, time.Minute))
	in := ch.Incident
	if in.Confidence.IndependentSources != 1 || in.Confidence.Level != SingleSource {
		t.Errorf("confidence %+v, want one source", in.Confidence)
	}
	e, _ := geo.NewENU(origin).Forward(in.Position)
	if math.Abs(e-1000) > 1 || math.Abs(in.Cov[0][0]-0.25e6) > 1 {
		t.Errorf("position %.0f m east with variance %.0f; want the better report's, 1000 and 250000", e, in.Cov[0][0])
	}
}

func TestClose(t *testing.T) {
	c := NewCorrelator(Config{Window: 5 * time.Minute})
	c.Add(ev("a", "patrol-1", 0, 0, 1, 0))
	c.Add(ev("b", "patrol-1", 50, 0, 1, 10*time.Minute))
	closed := c.Close(t0.Add(6 * time.Minute))
	if len(closed) != 1 || closed[0].ID != "inc-a" || len(c.Open()) != 1 {
		t.Fatalf("closed %v, open %d", closed, len(c.Open()))
	}
	if _, err := c.Add(ev("a", "patrol-1", 0, 0, 1, 0)); err != nil {
		t.Errorf("evidence of a closed incident again: %v", err)
	}
}

func TestEvidenceRefused(t *testing.T) {
	bad := ev("a", "p", 0, 0, 1, 0)
	bad.Cov = [2][2]float64{{1, 2}, {2, 1}}
	noID := ev("", "p", 0, 0, 1, 0)
	nowhere := ev("n", "p", 0, 0, 1, 0)
	nowhere.Position = geo.LonLat{Lon: 200, Lat: 0}
	for _, e := range []Evidence{bad, noID, nowhere} {
		if _, err := NewCorrelator(Config{}).Add(e); err == nil {
			t.Errorf("evidence %+v was accepted", e)
		}
	}
}

func TestGradingProbability(t *testing.T) {
	for _, tc := range []struct {
		grading string
		want    float64
	}{
		{"A1", 0.95 * 0.95}, {"B2", 0.85 * 0.85}, {"F6", 0.25}, {"E5", 0.04}, {"", 0.5}, {"Z9", 0.5}, {"B", 0.5},
	} {
		if got := GradingProbability(tc.grading); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("GradingProbability(%q) = %g, want %g", tc.grading, got, tc.want)
		}
	}
}

func TestConfidenceIndependence(t *testing.T) {
	acoustic := observe.Source{ID: "AS-1", Type: observe.SourceAcoustic}
	acoustic2 := observe.Source{ID: "AS-2", Type: observe.SourceAcoustic}
	monitor := observe.Source{ID: "SMM-7", Type: observe.SourceMonitor}
	one := []Evidence{{Group: IndependenceGroup(acoustic), Grading: "B2"}, {Group: IndependenceGroup(acoustic2), Grading: "B2"}}
	if c := confidenceOf(one); c.IndependentSources != 1 || c.Level != SingleSource {
		t.Errorf("two detections of one network: %+v, want one source", c)
	}
	two := append(one, Evidence{Group: IndependenceGroup(monitor), Grading: "B2"})
	c := confidenceOf(two)
	want := 1 - (1-0.7225)*(1-0.7225)
	if c.IndependentSources != 2 || c.Level != Corroborated || math.Abs(c.Score-want) > 1e-12 {
		t.Errorf("a network and a monitor: %+v, want 2 sources, score %g", c, want)
	}
}

func TestFromObservation(t *testing.T) {
	observer := [2]float64{37.7, 48.0}
	report := observe.Observation{ID: "r", Kind: observe.KindReport, Source: observe.Source{ID: "SMM-1", Type: observe.SourceMonitor, Grading: "B2"},
		ObservedAt: t0, TimeUncertainty: time.Minute, Location: observe.Point{Lon: 37.8, Lat: 48.1}, LocationUncertaintyM: 1500,
		Releasability: label.PublicLabel(), Report: &observe.Report{Observer: &observer}}
	e, ok := FromObservation(report)
	if !ok || e.Class != ClassFire || e.Cov[0][0] != 1500*1500 || e.Group != "monitor:SMM-1" || e.Check() != nil {
		t.Errorf("report evidence %+v %v", e, ok)
	}
	for _, tc := range []struct {
		event observe.EventType
		want  Role
	}{{observe.EventShot, RoleOrigin}, {observe.EventBurst, RoleImpact}, {observe.EventUndeterminedExplosion, RoleUnknown}, {observe.EventProjectileInFlight, RoleUnknown}} {
		r := report
		r.Report = &observe.Report{Observer: &observer, EventType: tc.event}
		if e, _ := FromObservation(r); e.Role != tc.want {
			t.Errorf("a report of %s has role %q, want %q", tc.event, e.Role, tc.want)
		}
	}
	killed, wounded := 1, 2
	for _, tc := range []struct {
		name string
		o    observe.Observation
	}{
		{"report", observe.Observation{Kind: observe.KindReport, Report: &observe.Report{Observer: &observer, Casualties: &observe.Casualties{Killed: &killed}}}},
		{"osint", observe.Observation{Kind: observe.KindOSINT, OSINT: &observe.OSINT{Casualties: &observe.Casualties{Wounded: &wounded, Civilian: true}}}},
	} {
		o := report
		o.Kind, o.Report, o.OSINT = tc.o.Kind, tc.o.Report, tc.o.OSINT
		if e, _ := FromObservation(o); e.Casualties != o.Casualties() || e.Casualties == nil {
			t.Errorf("the evidence of a %s has casualties %+v, want the observation's %+v", tc.name, e.Casualties, o.Casualties())
		}
	}
	acoustic := report
	acoustic.Kind, acoustic.Report, acoustic.Acoustic = observe.KindAcoustic, nil, &observe.Acoustic{SensorID: "AS-1"}
	if _, ok := FromObservation(acoustic); ok {
		t.Error("a single acoustic detection became evidence by itself")
	}
}

// TestAcousticEventEvidence locates a synthetic event heard by six sensors,
// one of them an echo, and checks the evidence it makes.
func TestAcousticEventEvidence(t *testing.T) {
	frame := geo.NewENU(origin)
	source := frame.Inverse(1200, -800)
	c := tdoa.SpeedOfSound(5)
	var detections []observe.Observation
	var arrivals []tdoa.Arrival
	temp := 5.0
	for i, off := range [][2]float64{{-3000, -3000}, {3000, -3000}, {3000, 3000}, {-3000, 3000}, {0, 4000}, {-4000, 0}} {
		p := frame.Inverse(off[0], off[1])
		at := t0.Add(time.Duration(geo.Distance(p, source) / c * float64(time.Second)))
		if i == 5 {
			at = at.Add(700 * time.Millisecond) // an echo
		}
		rel := label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR", "UKR"}}
		if i == 2 {
			rel = label.Label{Classification: label.Confidential, RelTo: []string{"GBR", "USA"}}
		}
		detections = append(detections, observe.Observation{ID: fmt.Sprintf("d%d", i), Kind: observe.KindAcoustic,
			Acoustic:   &observe.Acoustic{SensorID: fmt.Sprintf("AS-%d", i), SignalClass: observe.SignalImpact},
			Source:     observe.Source{ID: fmt.Sprintf("AS-%d", i), Type: observe.SourceAcoustic, Grading: []string{"B2", "A2"}[i%2]},
			ObservedAt: at, Location: observe.Point{Lon: p.Lon, Lat: p.Lat}, Releasability: rel})
		arrivals = append(arrivals, tdoa.Arrival{Sensor: p, Time: at, SigmaS: 0.005, TemperatureC: &temp})
	}
	fix, err := tdoa.Locate(arrivals, tdoa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := FromAcousticEvent("ae-1", detections, fix, label.DefaultScheme())
	if err != nil {
		t.Fatal(err)
	}
	if geo.Distance(e.Position, source) > 5 {
		t.Errorf("evidence %.1f m from the source", geo.Distance(e.Position, source))
	}
	if slices.Contains(e.Observations, "d5") || len(e.Observations) != 5 {
		t.Errorf("observations %v: want the five detections without the echo", e.Observations)
	}
	if e.Grading != "A2" || e.Group != "acoustic-network" || e.Class != ClassFire || e.Role != RoleImpact {
		t.Errorf("evidence %+v", e)
	}
	if e.Label.Classification != label.Confidential || !slices.Equal(e.Label.RelTo, []string{"GBR"}) {
		t.Errorf("label %s, want CONFIDENTIAL REL TO GBR", e.Label)
	}
	if _, err := FromAcousticEvent("ae-2", detections[:2], fix, label.DefaultScheme()); err == nil {
		t.Error("a fix whose arrivals are not the detections given was accepted")
	}
}

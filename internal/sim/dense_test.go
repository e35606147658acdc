package sim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/geodesic"

	"github.com/guarantor-project/guarantor/internal/observe"
)

var (
	denseOnce sync.Once
	denseScen Scenario
	denseErr  error
)

// denseConfig is a short, dense scenario with every kind of confusion
// turned up: echoes, twin fire and wrong thermometers.
func denseConfig(seed uint64) Config {
	return Config{
		Seed: seed, Start: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), Duration: 5 * time.Minute,
		EventsPerSecond: 50, EchoRate: 0.1, TwinFireRate: 0.3, WrongTemperatureRate: 0.2,
	}
}

// denseScenario generates denseConfig(1) once per test binary.
func denseScenario(t *testing.T) Scenario {
	t.Helper()
	denseOnce.Do(func() { denseScen, denseErr = Generate(denseConfig(1)) })
	if denseErr != nil {
		t.Fatalf("Generate: %v", denseErr)
	}
	return denseScen
}

func TestMeanRounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, w := range []*weapon{&weaponMortar, &weaponHowitzer122, &weaponHowitzer152, &weaponMLRS} {
		t.Run(w.name, func(t *testing.T) {
			const n = 200_000
			sum := 0
			for range n {
				k := rounds(r, w)
				if k < w.roundsMin || k > w.roundsMax {
					t.Fatalf("%d rounds, want %d–%d", k, w.roundsMin, w.roundsMax)
				}
				sum += k
			}
			if got, want := float64(sum)/n, meanRounds(w); math.Abs(got-want) > 0.015*want {
				t.Errorf("sampled mean %.4f rounds, meanRounds says %.4f", got, want)
			}
		})
	}
	want := 0.0
	prev := 0.0
	for _, m := range fireMix {
		want += 2 * (m.upTo - prev) * meanRounds(m.w)
		prev = m.upTo
	}
	if got := MeanSoundsPerFireEvent(); got != want || got < 2 {
		t.Errorf("MeanSoundsPerFireEvent = %g, want %g", got, want)
	}
}

// TestDensity checks that EventsPerSecond gives about that many sounds a
// second, spread evenly over the scenario, with every round launched
// within it.
func TestDensity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		duration time.Duration
		sensors  int
	}{
		{"5 per second for an hour", 5, time.Hour, 0},
		{"50 per second for 5 minutes", 50, 5 * time.Minute, 0},
		{"500 per second for a minute", 500, time.Minute, 0},
		{"20 per second, 100 sensors", 20, 5 * time.Minute, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Seed: 11, EventsPerSecond: tc.rate, Duration: tc.duration, AcousticSensors: tc.sensors}
			s, err := Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := s.Config
			if want := tc.rate * 3600 / (MeanSoundsPerFireEvent() * (1 + c.TwinFireRate)); math.Abs(c.FireEventsPerHour-want) > 1e-9*want {
				t.Errorf("FireEventsPerHour %g, want %g", c.FireEventsPerHour, want)
			}
			end := s.Truth.Start.Add(tc.duration)
			mid := s.Truth.Start.Add(tc.duration / 2)
			sounds, firstHalf, squares := 0, 0, 0.0
			for _, e := range s.Truth.Events {
				squares += float64(4 * len(e.Shots) * len(e.Shots))
				for _, sh := range e.Shots {
					sounds += 2
					if sh.LaunchAt.Before(s.Truth.Start) || !sh.LaunchAt.Before(end) {
						t.Fatalf("%s round %d launched at %s, outside the scenario", e.ID, sh.Index, sh.LaunchAt)
					}
					if sh.LaunchAt.Before(mid) {
						firstHalf += 2
					}
				}
				if len(e.Shots) > 0 && (!e.Time.Equal(e.Shots[0].LaunchAt) || e.Count != len(e.Shots) || e.Shots[len(e.Shots)-1].Index != e.Count) {
					t.Errorf("%s: time %s, count %d, rounds %d", e.ID, e.Time, e.Count, len(e.Shots))
				}
			}
			// Events nobody observed are dropped from the truth, but their
			// sounds were made.
			made := s.Truth.Summary.Sounds
			if sounds > made || (tc.sensors == 0 && float64(sounds) < 0.98*float64(made)) {
				t.Errorf("%d sounds in the events, summary says %d made", sounds, made)
			}
			want := tc.rate * tc.duration.Seconds()
			t.Logf("%d sounds made (%.1f per second), %d in the events, %d of those in the first half, %d acoustic observations",
				made, float64(made)/tc.duration.Seconds(), sounds, firstHalf, s.Truth.Summary.ObservationsByKind[observe.KindAcoustic])
			// Sounds come in events, so the count varies as a compound
			// Poisson one: its variance is the sum of the squared sizes.
			if tol := 0.02*want + 4*math.Sqrt(squares); math.Abs(float64(made)-want) > tol {
				t.Errorf("%d sounds, want %.0f ± %.0f", made, want, tol)
			}
			if f := float64(firstHalf) / float64(sounds); f < 0.4 || f > 0.6 {
				t.Errorf("%.2f of the sounds in the first half", f)
			}
		})
	}
}

// TestEstimate compares the estimate of sensors per sound, which decides
// whether a configuration is refused, with what generation gives.
func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"300 sensors", Config{Seed: 5, EventsPerSecond: 20, Duration: 5 * time.Minute}},
		{"1000 sensors", Config{Seed: 6, EventsPerSecond: 10, Duration: 5 * time.Minute, AcousticSensors: 1000}},
		{"day mix", Config{Seed: 7, Duration: 4 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(tc.cfg.WithDefaults())
			if err := g.makeSensors(); err != nil {
				t.Fatal(err)
			}
			est := g.sensorsPerSound()
			s, err := Generate(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			direct := 0
			for _, o := range s.Truth.Observations {
				if o.Kind == observe.KindAcoustic && (o.Sound == "launch" || o.Sound == "impact") {
					direct++
				}
			}
			got := float64(direct) / float64(s.Truth.Summary.Sounds) // unheard sounds included
			t.Logf("estimated %.2f sensors per sound, generated %.2f", est, got)
			if math.Abs(est-got) > 0.15*got {
				t.Errorf("estimated %.2f sensors per sound, generated %.2f", est, got)
			}
			if sounds, want := float64(s.Truth.Summary.Sounds), estimatedSounds(s.Config); math.Abs(sounds-want) > 0.2*want {
				t.Errorf("%.0f sounds, estimated %.0f", sounds, want)
			}
		})
	}
}

func TestEchoes(t *testing.T) {
	s := denseScenario(t)
	direct, echoes := 0, 0
	for _, o := range s.Truth.Observations {
		if o.Kind != observe.KindAcoustic || o.EventID == FalseEventID {
			continue
		}
		switch o.Sound {
		case "echo":
			echoes++
		case "launch", "impact":
			direct++
		default:
			t.Errorf("%s: sound %q", o.ID, o.Sound)
		}
	}
	// checkAcousticPhysics checks each echo against its original.
	if f := float64(echoes) / float64(direct); f < 0.08 || f > 0.12 {
		t.Errorf("%d echoes of %d direct detections (%.3f), want about 0.1", echoes, direct, f)
	}
	if s.Truth.Summary.Echoes != echoes {
		t.Errorf("summary counts %d echoes, truth has %d", s.Truth.Summary.Echoes, echoes)
	}
	if f := float64(s.Truth.Summary.FalseAcoustic) / float64(direct); math.Abs(f-0.07) > 0.002 {
		t.Errorf("false detections are %.4f of the direct ones, want 0.07", f)
	}

	// Echoes draw from their own stream: without them, the direct
	// detections are the same.
	cfg := denseConfig(2)
	cfg.Duration = 2 * time.Minute
	loud, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.EchoRate = -1
	quiet, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if loud.Truth.Summary.Echoes == 0 || quiet.Truth.Summary.Echoes != 0 {
		t.Errorf("%d echoes with rate 0.1, %d with none", loud.Truth.Summary.Echoes, quiet.Truth.Summary.Echoes)
	}
	if a, b := directDetections(loud), directDetections(quiet); len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("echoes changed the direct detections: %d and %d", len(a), len(b))
	}
}

// directDetections returns the direct acoustic detections of real sounds
// as sorted strings of what they say, without their ids.
func directDetections(s Scenario) []string {
	truth := map[string]ObservationTruth{}
	for _, ot := range s.Truth.Observations {
		truth[ot.ID] = ot
	}
	var out []string
	seen := map[string]bool{}
	for _, o := range s.Observations {
		ot := truth[o.ID]
		if o.Kind != observe.KindAcoustic || ot.EventID == FalseEventID || ot.Sound == "echo" || seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		o.ID = ""
		b, _ := observe.Marshal(o)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

func TestTwins(t *testing.T) {
	s := denseScenario(t)
	events := map[string]Event{}
	for _, e := range s.Truth.Events {
		events[e.ID] = e
	}
	// heardAt is when each sensor first heard each event's first launch.
	heardAt := map[[2]string]time.Time{}
	for _, ot := range s.Truth.Observations {
		if ot.Kind == observe.KindAcoustic && ot.Shot == 1 && ot.Sound == "launch" {
			heardAt[[2]string{ot.EventID, ot.Source}] = ot.TrueTime
		}
	}
	dist := func(a, b [2]float64) float64 {
		var d float64
		geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0], &d, nil, nil)
		return d
	}
	twins, originals, overlapping := 0, 0, 0
	for _, e := range s.Truth.Events {
		if len(e.Shots) > 0 && e.TwinOf == "" {
			originals++
		}
		if e.TwinOf == "" {
			continue
		}
		twins++
		o, ok := events[e.TwinOf]
		if !ok {
			t.Fatalf("%s is a twin of %s, which is not an event", e.ID, e.TwinOf)
		}
		if o.TwinOf != "" || o.Party != e.Party || o.Weapon != e.Weapon || o.Type != e.Type {
			t.Errorf("twin %s of %s: party %s/%s, weapon %s/%s, type %s/%s", e.ID, o.ID, e.Party, o.Party, e.Weapon, o.Weapon, e.Type, o.Type)
		}
		if d := dist(e.Origin.Position, o.Origin.Position); d < 1000 || d > 3000 {
			t.Errorf("twin %s fired %.0f m from %s", e.ID, d, o.ID)
		}
		if d := dist(e.Impact.Position, o.Impact.Position); d < 500 || d > 2000 {
			t.Errorf("twin %s aimed %.0f m from %s", e.ID, d, o.ID)
		}
		if d := e.Time.Sub(o.Time); d < 500*time.Millisecond || d > 6*time.Second {
			t.Errorf("twin %s fired %s after %s", e.ID, d, o.ID)
		}
		for k, at := range heardAt {
			if k[0] != e.ID {
				continue
			}
			if ot, ok := heardAt[[2]string{o.ID, k[1]}]; ok && at.Sub(ot).Abs() < 15*time.Second {
				overlapping++
				break
			}
		}
	}
	t.Logf("%d twins of %d other fire events, %d heard overlapping their original at a sensor", twins, originals, overlapping)
	if twins != s.Truth.Summary.TwinEvents {
		t.Errorf("%d twins in the events, summary says %d", twins, s.Truth.Summary.TwinEvents)
	}
	if f := float64(twins) / float64(originals); f < 0.2 || f > 0.4 {
		t.Errorf("%d twins of %d fire events (%.2f), want about 0.3", twins, originals, f)
	}
	if overlapping < twins*3/4 {
		t.Errorf("only %d of %d twins heard within 15 s of their original at a common sensor", overlapping, twins)
	}
}

func TestWrongTemperatures(t *testing.T) {
	s := denseScenario(t)
	wrong := map[string]float64{}
	acoustic := 0
	for _, st := range s.Truth.Sensors {
		if st.Type != observe.SensorAcoustic {
			if st.TemperatureErrorC != 0 {
				t.Errorf("%s (%s) has a temperature error", st.ID, st.Type)
			}
			continue
		}
		acoustic++
		if e := st.TemperatureErrorC; e != 0 {
			wrong[st.ID] = e
			if math.Abs(e) < 3 || math.Abs(e) > 8 {
				t.Errorf("%s: temperature error %g °C, want 3–8", st.ID, e)
			}
		}
	}
	if n := len(wrong); n != s.Truth.Summary.WrongTemperatureSensors || n < acoustic/10 || n > acoustic*3/10 {
		t.Errorf("%d of %d sensors report wrong temperatures (summary %d), want about 20%%", n, acoustic, s.Truth.Summary.WrongTemperatureSensors)
	}
	// A detection reports the model temperature at the emission time plus
	// the sensor's true local offset plus its thermometer's error.
	byID := map[string]SensorTruth{}
	for _, st := range s.Truth.Sensors {
		byID[st.ID] = st
	}
	events := map[string]Event{}
	for _, e := range s.Truth.Events {
		events[e.ID] = e
	}
	obs := map[string]observe.Observation{}
	for _, o := range s.Observations {
		obs[o.ID] = o
	}
	checked := 0
	for _, ot := range s.Truth.Observations {
		if ot.Kind != observe.KindAcoustic || (ot.Sound != "launch" && ot.Sound != "impact") {
			continue
		}
		sh := events[ot.EventID].Shots[ot.Shot-1]
		at := sh.LaunchAt
		if ot.Sound == "impact" {
			at = sh.ImpactAt
		}
		h := float64(at.Sub(at.Truncate(24*time.Hour))) / float64(time.Hour)
		st := byID[ot.Source]
		want := 2 + 4*math.Sin(2*math.Pi*(h-8)/24) + st.TemperatureOffsetC + st.TemperatureErrorC
		if got := *obs[ot.ID].Acoustic.TemperatureC; math.Abs(got-want) > 0.11 {
			t.Fatalf("%s at %s reports %.1f °C, want %.2f (offset %g, error %g)", ot.ID, st.ID, got, want, st.TemperatureOffsetC, st.TemperatureErrorC)
		}
		if st.TemperatureErrorC != 0 {
			checked++
		}
	}
	if checked == 0 {
		t.Error("no detections by sensors with wrong temperatures")
	}
}

// TestDeterminismOptions checks that the new options are deterministic
// too, and depend on the seed.
func TestDeterminismOptions(t *testing.T) {
	cfg := denseConfig(1)
	cfg.Duration = 2 * time.Minute
	a, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = 2
	c, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb, fc := files(t, a), files(t, b), files(t, c)
	for name := range fa {
		if !bytes.Equal(fa[name], fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if name != TermsFile && bytes.Equal(fa[name], fc[name]) {
			t.Errorf("%s is the same for seeds 1 and 2", name)
		}
	}
	if a.Truth.Summary.Echoes == 0 || a.Truth.Summary.TwinEvents == 0 || a.Truth.Summary.WrongTemperatureSensors == 0 {
		t.Errorf("summary %+v: want echoes, twins and wrong temperatures", a.Truth.Summary)
	}
}

// TestDenseValid checks the dense scenario's observations as a server would.
func TestDenseValid(t *testing.T) {
	s := denseScenario(t)
	var classes []string
	for _, c := range s.Terms.WeaponClasses {
		classes = append(classes, c.Code)
	}
	for _, o := range s.Observations {
		if errs := observe.Check(o, observe.Checks{WeaponClasses: classes}); len(errs) > 0 {
			t.Fatalf("%s: %v", o.ID, errs)
		}
	}
	var buf bytes.Buffer
	if err := s.WriteObservations(&buf); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != len(s.Observations) {
		t.Errorf("%d lines for %d observations", n, len(s.Observations))
	}
}

// BenchmarkGenerateDense generates 50 sounds a second for 5 minutes and
// writes the observations and the truth.
func BenchmarkGenerateDense(b *testing.B) {
	cfg := Config{Seed: 1, EventsPerSecond: 50, Duration: 5 * time.Minute}
	var detections int
	for b.Loop() {
		s, err := Generate(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.WriteObservations(discard{}); err != nil {
			b.Fatal(err)
		}
		if err := s.WriteTruth(discard{}); err != nil {
			b.Fatal(err)
		}
		detections = s.Truth.Summary.ObservationsByKind[observe.KindAcoustic]
	}
	b.ReportMetric(float64(detections), "detections/op")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

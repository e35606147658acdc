package associate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// front describes a synthetic network: sensors on a grid along a straight
// front, and sounds made uniformly along and across it.
type front struct {
	seed        uint64
	lengthM     float64 // along the front
	columns     int     // sensors per row
	rows        int     // rows of sensors, rowGapM apart, odd rows offset half a column
	rowGapM     float64
	bandM       float64 // sounds are made within bandM of the centre line
	rate        float64 // sounds per second along the whole front
	duration    float64 // seconds of sounds
	rangeM      float64 // every sensor within this hears a sound…
	missProb    float64 // …unless it misses it
	sigmaS      float64 // Gaussian timing noise
	falseFrac   float64 // false detections, as a share of the true ones
	speed       float64 // speed of sound
	start       time.Time
	origin      geo.LonLat // start of the centre line
	azimuthDeg  float64    // its initial azimuth
	falseLagMax float64    // false detections fall in [0, duration+falseLagMax)
}

// baseFront is the scale test's network: 300 sensors in three rows 10 km
// apart along 1,000 km, sounds within 12 km of the centre line at 50 a
// second, heard to 20 km with 10 ms timing noise, 5 % misses and 10 % false
// detections.
func baseFront(rate, duration float64, seed uint64) front {
	return front{
		seed: seed, lengthM: 1_000_000, columns: 100, rows: 3, rowGapM: 10_000, bandM: 12_000,
		rate: rate, duration: duration, rangeM: 20_000, missProb: 0.05, sigmaS: 0.010, falseFrac: 0.10,
		speed: 340, start: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC),
		origin: geo.LonLat{Lon: 33.0, Lat: 46.6}, azimuthDeg: 40, falseLagMax: 60,
	}
}

// synthetic is a generated data set with its truth.
type synthetic struct {
	sensors    []Sensor
	detections []Detection
	truth      map[string]int // detection id → sound index, −1 for false detections
	sounds     int
}

// point returns the position at u metres along the centre line and v metres
// to its right.
func (f front) point(u, v float64) geo.LonLat {
	p := geo.Direct(f.origin, f.azimuthDeg, u)
	_, _, az := geo.Inverse(f.origin, p)
	if u == 0 {
		az = f.azimuthDeg
	}
	return geo.Direct(p, az+90, v)
}

func (f front) generate() synthetic {
	r := rand.New(rand.NewPCG(f.seed, 0x5eed))
	colGap := f.lengthM / float64(f.columns)
	var s synthetic
	type sloc struct {
		id  string
		pos geo.LonLat
	}
	grid := make([][]sloc, f.columns) // by column
	for row := 0; row < f.rows; row++ {
		v := (float64(row) - float64(f.rows-1)/2) * f.rowGapM
		for col := 0; col < f.columns; col++ {
			u := (float64(col) + 0.25 + 0.5*float64(row%2)) * colGap
			sl := sloc{id: fmt.Sprintf("S%d-%03d", row, col), pos: f.point(u, v)}
			grid[col] = append(grid[col], sl)
			s.sensors = append(s.sensors, Sensor{ID: sl.id, Position: sl.pos})
		}
	}
	type det struct {
		sensor string
		t      float64
		sound  int
	}
	var dets []det
	n := int(math.Round(f.rate * f.duration))
	reach := int(math.Ceil(f.rangeM/colGap)) + 1
	for k := 0; k < n; k++ {
		u := r.Float64() * f.lengthM
		v := (2*r.Float64() - 1) * f.bandM
		t0 := r.Float64() * f.duration
		src := f.point(u, v)
		col := int(u / colGap)
		for c := max(0, col-reach); c <= min(f.columns-1, col+reach); c++ {
			for _, sl := range grid[c] {
				d := geo.Distance(src, sl.pos)
				if d > f.rangeM || r.Float64() < f.missProb {
					continue
				}
				dets = append(dets, det{sl.id, t0 + d/f.speed + f.sigmaS*r.NormFloat64(), k})
			}
		}
	}
	s.sounds = n
	nFalse := int(math.Round(f.falseFrac * float64(len(dets))))
	for k := 0; k < nFalse; k++ {
		sl := s.sensors[r.IntN(len(s.sensors))]
		dets = append(dets, det{sl.ID, r.Float64() * (f.duration + f.falseLagMax), -1})
	}
	r.Shuffle(len(dets), func(i, j int) { dets[i], dets[j] = dets[j], dets[i] })
	s.truth = make(map[string]int, len(dets))
	for k, d := range dets {
		id := fmt.Sprintf("D%07d", k)
		s.truth[id] = d.sound
		s.detections = append(s.detections, Detection{
			ID: id, Sensor: d.sensor, SigmaS: f.sigmaS,
			Time: f.start.Add(time.Duration(math.Round(d.t * 1e9))),
		})
	}
	return s
}

// pairScore is pairwise association quality: of the detection pairs put in
// one event, the share that are one sound (precision); of the pairs that are
// one sound, the share put in one event (recall).
type pairScore struct {
	precision, recall float64
	predicted, truth  int
}

func scorePairs(res Result, truth map[string]int) pairScore {
	pairs := func(n int) int { return n * (n - 1) / 2 }
	var ps pairScore
	tp := 0
	for _, ev := range res.Events {
		ps.predicted += pairs(len(ev.Detections))
		bySound := map[int]int{}
		for _, id := range ev.Detections {
			if s := truth[id]; s >= 0 {
				bySound[s]++
			}
		}
		for _, n := range bySound {
			tp += pairs(n)
		}
	}
	perSound := map[int]int{}
	for _, s := range truth {
		if s >= 0 {
			perSound[s]++
		}
	}
	for _, n := range perSound {
		ps.truth += pairs(n)
	}
	ps.precision, ps.recall = 1, 1
	if ps.predicted > 0 {
		ps.precision = float64(tp) / float64(ps.predicted)
	}
	if ps.truth > 0 {
		ps.recall = float64(tp) / float64(ps.truth)
	}
	return ps
}

// scaleConfig is the configuration for the synthetic front: the tolerance
// is four sigmas of its timing noise.
func scaleConfig() Config {
	return Config{SpeedOfSound: 340, MaxResidualS: 0.04, MaxRangeM: 20_000}
}

// TestScale associates 40 s of sounds at 50 a second along the 1,000 km
// front and checks pairwise precision and recall against a floor well below
// the target (0.95), so that it is stable; BenchmarkAssociate reports the
// figures for a minute of sounds and at ten times the rate.
func TestScale(t *testing.T) {
	f := baseFront(50, 40, 1)
	syn := f.generate()
	start := time.Now()
	res, err := Associate(syn.sensors, syn.detections, scaleConfig())
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	ps := scorePairs(res, syn.truth)
	t.Logf("%d sounds, %d detections: %d events, %d unassociated; pairwise precision %.3f, recall %.3f; %v (%.0f µs a detection)",
		syn.sounds, len(syn.detections), len(res.Events), len(res.Unassociated), ps.precision, ps.recall,
		el.Round(time.Millisecond), float64(el.Microseconds())/float64(len(syn.detections)))
	if ps.precision < 0.85 || ps.recall < 0.85 {
		t.Errorf("pairwise precision %.3f, recall %.3f: want both at least 0.85", ps.precision, ps.recall)
	}
	if n := len(res.Unassociated) + countDetections(res); n != len(syn.detections) {
		t.Errorf("%d detections returned, want each of %d once", n, len(syn.detections))
	}
}

// BenchmarkAssociate associates a minute of sounds along the 1,000 km front
// of 300 sensors at 50 sounds a second and at ten times that, and reports
// the time per detection with the pairwise precision and recall.
func BenchmarkAssociate(b *testing.B) {
	for _, bc := range []struct {
		name string
		rate float64
	}{{"base", 50}, {"10x", 500}} {
		b.Run(bc.name, func(b *testing.B) {
			syn := baseFront(bc.rate, 60, 1).generate()
			var res Result
			for b.Loop() {
				var err error
				if res, err = Associate(syn.sensors, syn.detections, scaleConfig()); err != nil {
					b.Fatal(err)
				}
			}
			ps := scorePairs(res, syn.truth)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(syn.detections)), "ns/detection")
			b.ReportMetric(float64(len(syn.detections)), "detections")
			b.ReportMetric(float64(len(res.Events)), "events")
			b.ReportMetric(ps.precision, "precision")
			b.ReportMetric(ps.recall, "recall")
		})
	}
}

// TestParallelMatchesSequential checks that searching seeds in parallel
// decides exactly what searching them one by one does, in a batch and in
// a stream, on the scale test's front.
func TestParallelMatchesSequential(t *testing.T) {
	f := baseFront(50, 20, 2)
	syn := f.generate()
	seq := scaleConfig()
	seq.Workers = 1
	want, err := Associate(syn.sensors, syn.detections, seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Events) < 500 {
		t.Fatalf("only %d events", len(want.Events))
	}
	for _, workers := range []int{2, 3} {
		cfg := scaleConfig()
		cfg.Workers = workers
		got, err := Associate(syn.sensors, syn.detections, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !sameResult(got, want) {
			t.Errorf("%d workers: %d events and %d unassociated, one worker %d and %d",
				workers, len(got.Events), len(got.Unassociated), len(want.Events), len(want.Unassociated))
		}
	}
	// In a stream, flushed every 7 s.
	cfg := scaleConfig()
	cfg.Workers = 2
	a, err := New(syn.sensors, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Add(syn.detections...); err != nil {
		t.Fatal(err)
	}
	var got Result
	for upTo := f.start; upTo.Before(f.start.Add(2 * time.Minute)); upTo = upTo.Add(7 * time.Second) {
		res := a.Flush(upTo)
		got.Events = append(got.Events, res.Events...)
		got.Unassociated = append(got.Unassociated, res.Unassociated...)
	}
	res := a.FlushAll()
	got.Events = append(got.Events, res.Events...)
	got.Unassociated = append(got.Unassociated, res.Unassociated...)
	if !sameResult(got, want) {
		t.Errorf("stream with 2 workers: %d events and %d unassociated, batch with one worker %d and %d",
			len(got.Events), len(got.Unassociated), len(want.Events), len(want.Unassociated))
	}
}

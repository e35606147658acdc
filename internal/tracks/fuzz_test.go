package tracks

import (
	"encoding/binary"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// fuzzRecord is the length of one point in FuzzCrossings's data.
const fuzzRecord = 7

// fuzzObservations decodes data into track observations near the contact
// line of internal/terms/testdata/minimal.yaml and multi.json (from 30° E
// to 32° E, 48° N to 48.5° N), 7 bytes a point:
//
//	byte 0: bits 0-1 choose one of four tracks (two sources, two track ids);
//	        bit 7 puts the point exactly on a vertex of the line instead
//	byte 1: the observation id (so ids repeat) and its uncertainty
//	byte 2: the time, in steps of 45 s (so times repeat, and gaps occur)
//	bytes 3-4, 5-6: longitude and latitude offsets, int16 big-endian
func fuzzObservations(data []byte, vertices []geo.LonLat) []observe.Observation {
	var obs []observe.Observation
	for ; len(data) >= fuzzRecord; data = data[fuzzRecord:] {
		r := data[:fuzzRecord]
		dlon := float64(int16(binary.BigEndian.Uint16(r[3:5])))
		dlat := float64(int16(binary.BigEndian.Uint16(r[5:7])))
		p := geo.LonLat{Lon: 31 + dlon/32768*1.2, Lat: 48.2 + dlat/32768*0.4}
		if r[0]&0x80 != 0 {
			p = vertices[int(r[3])%len(vertices)]
		}
		o := trackObs("o"+strconv.Itoa(int(r[1])), "s"+strconv.Itoa(int(r[0]&1)), "T"+strconv.Itoa(int(r[0]>>1&1)), t0.Add(time.Duration(r[2])*45*time.Second), p)
		o.LocationUncertaintyM = float64(r[1] % 64)
		obs = append(obs, o)
	}
	return obs
}

// FuzzCrossings checks that Assemble and Crossings never panic on random
// points near a contact line, and that what they return holds together:
// the points of a track in strictly increasing time, every passage of the
// line on it (to within PassageToleranceM) and between its two points,
// the depth beyond the tolerance on the side entered, exits after entries,
// and excursions in order, from one side, each but the last with an exit.
func FuzzCrossings(f *testing.F) {
	f.Add([]byte{}, uint16(0))
	f.Add([]byte{0, 1, 0, 0, 0, 0x40, 0, 0, 2, 1, 0, 0, 0xc0, 0}, uint16(0))
	agreements := []*terms.Agreement{testdata(f, "minimal.yaml"), testdata(f, "multi.json")}
	var vertices [][]geo.LonLat
	for _, a := range agreements {
		var vs []geo.LonLat
		for _, l := range a.ContactLines() {
			vs = append(vs, l.Points()...)
		}
		vertices = append(vertices, vs)
	}
	f.Fuzz(func(t *testing.T, data []byte, tol uint16) {
		which := 0
		if len(data)%fuzzRecord != 0 {
			which = 1
		}
		a := agreements[which]
		cfg := Config{ToleranceM: float64(tol & 0x3fff), UncertaintyFactor: float64(tol >> 14)}
		trs := Assemble(fuzzObservations(data, vertices[which]), label.Scheme{})
		seen := map[string]bool{}
		for _, tr := range trs {
			for i, p := range tr.Points {
				if seen[p.Observation] {
					t.Fatalf("observation %s is in two points", p.Observation)
				}
				seen[p.Observation] = true
				if i > 0 && !tr.Points[i-1].Time.Before(p.Time) {
					t.Fatalf("track %s: point %d is not after point %d", tr.ID, i, i-1)
				}
			}
			checkCrossings(t, a, tr, cfg, Crossings(a, tr, cfg))
		}
	})
}

// checkCrossings checks the invariants of the crossings cs of tr.
func checkCrossings(t *testing.T, a *terms.Agreement, tr Track, cfg Config, cs []Crossing) {
	t.Helper()
	first, last := tr.Points[0].Time, tr.Points[len(tr.Points)-1].Time
	passageOK := func(i int, what string, p Passage) {
		t.Helper()
		loc := a.Locate(p.Position)
		if math.Abs(loc.DistanceM-p.DistanceM) > 1e-6 || p.OffLine != (p.DistanceM > PassageToleranceM) {
			t.Fatalf("crossing %d: %s %+v, but Locate puts it %g m from the line", i, what, p, loc.DistanceM)
		}
		if p.Segment < 0 || p.Segment+1 >= len(tr.Points) {
			t.Fatalf("crossing %d: %s after point %d of %d", i, what, p.Segment, len(tr.Points))
		}
		if p.Time.Before(tr.Points[p.Segment].Time) || p.Time.After(last) || p.Gap < 0 {
			t.Fatalf("crossing %d: %s at %v after point %d at %v, gap %v", i, what, p.Time, p.Segment, tr.Points[p.Segment].Time, p.Gap)
		}
		if p.Inferred != (p.Gap > DefaultMaxGap) {
			t.Fatalf("crossing %d: %s: Inferred = %v across a gap of %v", i, what, p.Inferred, p.Gap)
		}
	}
	for i, c := range cs {
		if c.FromSide == c.IntoSide || c.FromSide != cs[0].FromSide || c.FromParty == "" || c.IntoParty == "" {
			t.Fatalf("crossing %d: from %s (%s) into %s (%s)", i, c.FromSide, c.FromParty, c.IntoSide, c.IntoParty)
		}
		passageOK(i, "entry", c.Entry)
		if c.Entry.Time.Before(first) {
			t.Fatalf("crossing %d: entry at %v before the track's first point at %v", i, c.Entry.Time, first)
		}
		if i > 0 && (cs[i-1].Exit == nil || c.Entry.Time.Before(cs[i-1].Exit.Time)) {
			t.Fatalf("crossing %d: entry at %v, before the previous crossing ended", i, c.Entry.Time)
		}
		if c.Exit != nil {
			passageOK(i, "exit", *c.Exit)
			if c.Exit.Time.Before(c.Entry.Time) || c.Exit.Segment < c.Entry.Segment {
				t.Fatalf("crossing %d: exit %+v before entry %+v", i, *c.Exit, c.Entry)
			}
		}
		d := c.Depth
		if !(d.DistanceM >= 0) || d.DistanceM <= cfg.ToleranceM || d.Observation != tr.Points[d.Index].Observation {
			t.Fatalf("crossing %d: depth %+v with a tolerance of %g m", i, d, cfg.ToleranceM)
		}
		if loc := a.Locate(d.Position); loc.Side != c.IntoSide || d.Index <= c.Entry.Segment || (c.Exit != nil && d.Index > c.Exit.Segment) {
			t.Fatalf("crossing %d: depth at point %d on side %q, between points %d and %+v", i, d.Index, loc.Side, c.Entry.Segment, c.Exit)
		}
		if len(c.Observations) < 2 || c.Observations[0] != tr.Points[c.Entry.Segment].Observation {
			t.Fatalf("crossing %d: Observations %q, entry after %s", i, c.Observations, tr.Points[c.Entry.Segment].Observation)
		}
	}
}

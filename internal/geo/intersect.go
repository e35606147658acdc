package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/golang/geo/s2"
)

// SegmentRef names segment Segment (from vertex Segment to vertex
// Segment+1) of line Line in a set of lines.
type SegmentRef struct {
	Line, Segment int
}

// Crossing is a pair of segments that cross or touch, A before B.
type Crossing struct {
	A, B SegmentRef
	// Touch is true when the segments share a vertex rather than cross.
	Touch bool
}

// SelfIntersections returns every pair of segments of lines that cross or
// touch, ordered by A then B. Repeated points are ignored. Consecutive segments of a line share a vertex
// without crossing, and so do lines that meet at their end points (a line
// closed into a ring, or one line continuing another); any other shared
// vertex is a touch and is reported. Segments are treated as great-circle
// arcs through the geodetic coordinates, which differ from geodesics by
// centimetres on segments of tens of kilometres.
func SelfIntersections(lines ...[]LonLat) []Crossing {
	type edge struct {
		ref    SegmentRef
		ord    int // position among the line's non-degenerate segments
		a, b   s2.Point
		mid    s2.Point
		radius float64 // cap radius, radians
		lo, hi float64 // latitude bounds of the cap, radians
	}
	var edges []edge
	for li, line := range lines {
		ord := 0
		for i := 0; i+1 < len(line); i++ {
			a, b := unitPoint(line[i]), unitPoint(line[i+1])
			if a == b {
				continue // a repeated point is no segment
			}
			mid, r := segmentCap(a, b)
			lat := s2.LatLngFromPoint(mid).Lat.Radians()
			edges = append(edges, edge{ref: SegmentRef{li, i}, ord: ord, a: a, b: b, mid: mid, radius: r, lo: lat - r, hi: lat + r})
			ord++
		}
	}
	slices.SortFunc(edges, func(x, y edge) int { return cmp.Compare(x.lo, y.lo) })

	isEnd := func(ref SegmentRef, p s2.Point) bool {
		line := lines[ref.Line]
		return p == unitPoint(line[0]) || p == unitPoint(line[len(line)-1])
	}
	var out []Crossing
	for i := range edges {
		e := &edges[i]
		for j := i + 1; j < len(edges) && edges[j].lo <= e.hi; j++ {
			f := &edges[j]
			if float64(e.mid.Angle(f.mid.Vector)) > e.radius+f.radius && e.radius+f.radius < math.Pi {
				continue
			}
			touch := false
			switch s2.CrossingSign(e.a, e.b, f.a, f.b) {
			case s2.DoNotCross:
				continue
			case s2.MaybeCross: // a shared vertex
				touch = true
				if e.ref.Line == f.ref.Line && (e.ord-f.ord == 1 || f.ord-e.ord == 1) {
					continue
				}
				if shared, ok := sharedVertex(e.a, e.b, f.a, f.b); ok && isEnd(e.ref, shared) && isEnd(f.ref, shared) {
					continue
				}
			}
			c := Crossing{A: e.ref, B: f.ref, Touch: touch}
			if cmpRef(c.B, c.A) < 0 {
				c.A, c.B = c.B, c.A
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y Crossing) int {
		return cmp.Or(cmpRef(x.A, y.A), cmpRef(x.B, y.B))
	})
	return out
}

// sharedVertex returns a vertex of edge ab that is also a vertex of edge cd.
func sharedVertex(a, b, c, d s2.Point) (s2.Point, bool) {
	switch {
	case a == c || a == d:
		return a, true
	case b == c || b == d:
		return b, true
	}
	return s2.Point{}, false
}

func cmpRef(x, y SegmentRef) int {
	return cmp.Or(cmp.Compare(x.Line, y.Line), cmp.Compare(x.Segment, y.Segment))
}

// segmentCap returns a cap holding the shorter great-circle arc from a to b:
// its centre and its radius in radians.
func segmentCap(a, b s2.Point) (s2.Point, float64) {
	m := a.Add(b.Vector)
	if m.Norm() < 1e-12 { // antipodal: the arc could be anywhere
		return a, math.Pi
	}
	return s2.Point{Vector: m.Normalize()}, float64(a.Angle(b.Vector))/2 + 1e-12
}

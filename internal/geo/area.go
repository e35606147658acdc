package geo

import (
	"errors"
	"fmt"

	"github.com/golang/geo/s2"
)

// minRingArea is the least area, in steradians, a ring of an Area may
// enclose: about 2.5 square metres on the Earth. A ring whose points lie on
// one great circle encloses none and is refused.
const minRingArea = 6e-14

// Area is a region of the Earth bounded by rings of LonLat: the points that
// lie inside an odd number of rings. A GeoJSON Polygon (an outer ring and
// its holes) and a MultiPolygon (every ring of every part) are both Areas.
// Edges are great-circle arcs through the geodetic coordinates, as in
// SelfIntersections; containment uses github.com/golang/geo/s2's exact
// predicates. It is immutable and safe for concurrent use.
type Area struct {
	index *s2.ShapeIndex // of the polygon, built in NewArea so that queries only read it
	bound s2.Rect
}

// NewArea returns the area bounded by rings. A ring may repeat its first
// point at its end (as GeoJSON does) or not; it needs at least 3 distinct
// valid points, no point the same as the one before it, no crossing or
// touching of its own edges, and some area inside it. Rings may nest but
// not cross one another. The orientation of a ring does not matter: each
// bounds the smaller of the two regions it divides the sphere into.
func NewArea(rings ...[]LonLat) (*Area, error) {
	if len(rings) == 0 {
		return nil, errors.New("geo: area needs at least one ring")
	}
	open := make([][]LonLat, len(rings))
	closed := make([][]LonLat, len(rings))
	for i, ring := range rings {
		pts, err := openRing(ring)
		if err != nil {
			return nil, fmt.Errorf("geo: area ring %d: %w", i, err)
		}
		open[i] = pts
		closed[i] = append(pts[:len(pts):len(pts)], pts[0])
	}
	if cs := SelfIntersections(closed...); len(cs) > 0 {
		c := cs[0]
		how := "cross"
		if c.Touch {
			how = "touch"
		}
		return nil, fmt.Errorf("geo: area ring %d segment %d and ring %d segment %d %s", c.A.Line, c.A.Segment, c.B.Line, c.B.Segment, how)
	}
	loops := make([]*s2.Loop, len(open))
	for i, pts := range open {
		vs := make([]s2.Point, len(pts))
		for j, p := range pts {
			vs[j] = unitPoint(p)
		}
		l := s2.LoopFromPoints(vs)
		l.Normalize()
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("geo: area ring %d: %w", i, err)
		}
		if l.Area() < minRingArea {
			return nil, fmt.Errorf("geo: area ring %d encloses no area", i)
		}
		loops[i] = l
	}
	// Rings given as a Polygon's outer ring and holes are nested loops, and
	// so are the parts of a MultiPolygon: s2 finds the nesting and takes
	// the points inside an odd number of loops.
	p := s2.PolygonFromLoops(loops)
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("geo: area: %w", err)
	}
	index := s2.NewShapeIndex()
	index.Add(p)
	index.Build()
	return &Area{index: index, bound: p.RectBound()}, nil
}

// openRing returns ring without the repetition of its first point at its
// end, checking its points.
func openRing(ring []LonLat) ([]LonLat, error) {
	pts := ring
	if n := len(pts); n > 1 && unitPoint(pts[0]) == unitPoint(pts[n-1]) {
		pts = pts[:n-1]
	}
	distinct := map[s2.Point]bool{}
	for i, p := range pts {
		if !p.Valid() {
			return nil, fmt.Errorf("point %d: (%g, %g) is not a WGS84 longitude and latitude", i, p.Lon, p.Lat)
		}
		u := unitPoint(p)
		if i > 0 && u == unitPoint(pts[i-1]) {
			return nil, fmt.Errorf("points %d and %d are the same", i-1, i)
		}
		distinct[u] = true
	}
	if len(distinct) < 3 {
		return nil, fmt.Errorf("a ring needs at least 3 distinct points, got %d", len(distinct))
	}
	return pts, nil
}

// Contains reports whether p lies in the area. A point on a boundary
// shared by two areas that tile a region lies in exactly one of them. An
// invalid p lies in no area.
func (a *Area) Contains(p LonLat) bool {
	if !p.Valid() {
		return false
	}
	u := unitPoint(p)
	if !a.bound.ContainsPoint(u) {
		return false
	}
	return s2.NewContainsPointQuery(a.index, s2.VertexModelSemiOpen).Contains(u)
}

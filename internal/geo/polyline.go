package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tidwall/geodesic"
)

// Pruning uses straight-line (chord) distances between points of the
// ellipsoid in Earth-centred Cartesian coordinates, which need no
// trigonometry per segment and bound geodesic distances tightly:
//
//   - a geodesic is never shorter than its chord;
//   - a geodesic's curvature in space is the ellipsoid's normal curvature,
//     at most 1/minRadius, so by Schur's comparison theorem a geodesic with
//     chord c is at most 2·minRadius·asin(c/(2·minRadius)) long;
//   - for the same reason every point of a geodesic segment of length L
//     lies within L²/(8·minRadius) of its chord (the sagitta bound).
const (
	// minRadius is the least radius of curvature of WGS84: the meridian
	// radius at the equator, a(1-e²).
	minRadius = 6_335_439.327
	// meanRadius converts small angles to distances in the along-track step.
	meanRadius = 6_371_008.8
)

// sagitta bounds the distance of a geodesic segment of length l from its chord.
func sagitta(l float64) float64 { return l*l/(8*minRadius)*1.000001 + 1e-6 }

// maxGeodesic exceeds the longest shortest geodesic on WGS84, half a
// meridian (20,003,931 m).
const maxGeodesic = 20_004_000.0

// arcBound bounds the length of a shortest geodesic whose chord is c. For
// chords over minRadius (distances over about 6,600 km), where the
// comparison with a circle could fail near antipodes, it gives up.
func arcBound(c float64) float64 {
	if c > minRadius {
		return maxGeodesic
	}
	return 2 * minRadius * math.Asin(c/(2*minRadius)) * (1 + 1e-12)
}

// A point nearer the line than onLine metres is on it.
const onLine = 1e-6

// Along-segment refinement stops when a step is shorter than refineTol metres.
const (
	refineTol     = 1e-5
	refineMaxIter = 50
)

// Polyline is a line of geodesic segments between WGS84 vertices, indexed
// for fast nearest-point queries. It is immutable and safe for concurrent use.
type Polyline struct {
	pts    []LonLat
	xyz    []vec // vertices in Earth-centred Cartesian coordinates, metres
	segs   []segment
	along  []float64 // along[i] is the distance from the first vertex to vertex i
	blocks []block
}

// segment is the geodesic from vertex i to vertex i+1.
type segment struct {
	line       geodesic.Line
	length     float64 // metres
	azi1, azi2 float64 // azimuths at the start and the end, degrees
	chord      vec     // from vertex i to vertex i+1
	chord2     float64 // squared length of chord
	sag        float64 // bound on the distance of the segment from its chord
}

// block is a run of consecutive segments and a ball holding them.
type block struct {
	lo, hi int // segments lo to hi-1
	centre vec
	radius float64
}

// NewPolyline returns the polyline through points, in order. It needs at
// least two valid points and no two consecutive points the same.
func NewPolyline(points []LonLat) (*Polyline, error) {
	if len(points) < 2 {
		return nil, fmt.Errorf("geo: polyline needs at least 2 points, got %d", len(points))
	}
	for i, p := range points {
		if !p.Valid() {
			return nil, fmt.Errorf("geo: polyline point %d: (%g, %g) is not a WGS84 longitude and latitude", i, p.Lon, p.Lat)
		}
	}
	l := &Polyline{
		pts:   slices.Clone(points),
		xyz:   make([]vec, len(points)),
		segs:  make([]segment, len(points)-1),
		along: make([]float64, len(points)),
	}
	for i, p := range points {
		l.xyz[i] = ecef(p)
	}
	caps := geodesic.Latitude | geodesic.Longitude | geodesic.Azimuth | geodesic.DistanceIn
	for i := range l.segs {
		a, b := points[i], points[i+1]
		s := &l.segs[i]
		geodesic.WGS84.Inverse(a.Lat, a.Lon, b.Lat, b.Lon, &s.length, &s.azi1, &s.azi2)
		if s.length == 0 {
			return nil, fmt.Errorf("geo: polyline points %d and %d are the same", i, i+1)
		}
		s.line = geodesic.WGS84.InverseLine(a.Lat, a.Lon, b.Lat, b.Lon, caps)
		s.chord = l.xyz[i+1].sub(l.xyz[i])
		s.chord2 = s.chord.dot(s.chord)
		s.sag = sagitta(s.length)
		l.along[i+1] = l.along[i] + s.length
	}

	n := len(l.segs)
	size := min(max(int(math.Sqrt(float64(n))), 4), 64)
	for lo := 0; lo < n; lo += size {
		l.blocks = append(l.blocks, l.newBlock(lo, min(lo+size, n)))
	}
	return l, nil
}

// newBlock returns the block of segments lo to hi-1 with a ball holding
// them: every point of a segment is within its sagitta of its chord, and
// the chord is within the ball holding its end points.
func (l *Polyline) newBlock(lo, hi int) block {
	var c vec
	for _, v := range l.xyz[lo : hi+1] {
		c = c.add(v)
	}
	c = c.scale(1 / float64(hi+1-lo))
	r := 0.0
	for i := lo; i < hi; i++ {
		r = max(r, max(l.xyz[i].sub(c).norm(), l.xyz[i+1].sub(c).norm())+l.segs[i].sag)
	}
	return block{lo: lo, hi: hi, centre: c, radius: r * (1 + 1e-12)}
}

// Points returns a copy of the vertices.
func (l *Polyline) Points() []LonLat { return slices.Clone(l.pts) }

// Length returns the geodesic length of the line in metres.
func (l *Polyline) Length() float64 { return l.along[len(l.along)-1] }

// Segments returns the number of segments: one less than the number of vertices.
func (l *Polyline) Segments() int { return len(l.segs) }

// NearestPoint is the point of a polyline nearest to a query point.
type NearestPoint struct {
	// Point is the nearest point of the line.
	Point LonLat
	// DistanceM is the geodesic distance in metres from the query point to Point.
	DistanceM float64
	// Side is +1 when the query point is left of the line, looking along it
	// in the order of its points, -1 when it is right and 0 when it is on
	// the line (within a micrometre). Beyond an end of the line it is the
	// side of the end segment.
	Side int
	// Segment is the index of the segment holding Point: segment i runs
	// from vertex i to vertex i+1.
	Segment int
	// AlongM is the distance in metres along the line from its first vertex to Point.
	AlongM float64
}

// Nearest returns the point of l nearest to p, with the geodesic distance
// to it to about a millimetre and the side of l that p is on. For an
// invalid p the distance is NaN.
//
// Chord distances bound the geodesic distance to each segment from below
// and above; only segments whose lower bound beats the best upper bound
// are refined on the ellipsoid, nearest first, until no remaining one can
// be nearer than the best found.
func (l *Polyline) Nearest(p LonLat) NearestPoint {
	if !p.Valid() {
		return NearestPoint{DistanceM: math.NaN()}
	}
	x := ecef(p)

	// An upper bound from the block whose ball is nearest.
	first, firstLB := 0, math.Inf(1)
	for i, b := range l.blocks {
		if lb := x.sub(b.centre).norm() - b.radius; lb < firstLB {
			first, firstLB = i, lb
		}
	}
	ub := math.Inf(1)
	for i := l.blocks[first].lo; i < l.blocks[first].hi; i++ {
		c, _ := l.chordDistance(x, i)
		ub = min(ub, arcBound(c+l.segs[i].sag))
	}

	// Every segment that could beat it.
	var buf [16]candidate
	cands := buf[:0]
	for _, b := range l.blocks {
		if x.sub(b.centre).norm()-b.radius > ub {
			continue
		}
		for i := b.lo; i < b.hi; i++ {
			c, t := l.chordDistance(x, i)
			if lb := c - l.segs[i].sag; lb <= ub {
				cands = append(cands, candidate{seg: i, lb: lb, t: t})
				ub = min(ub, arcBound(c+l.segs[i].sag))
			}
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.lb, b.lb) })

	best := NearestPoint{DistanceM: math.Inf(1)}
	var bestAt refined
	for _, c := range cands {
		if c.lb > best.DistanceM {
			break
		}
		r := l.refine(p, c.seg, c.t)
		if r.d < best.DistanceM {
			best = NearestPoint{Point: r.q, DistanceM: r.d, Segment: c.seg, AlongM: l.along[c.seg] + r.s}
			bestAt = r
		}
	}
	best.Side = l.side(best.Segment, bestAt)
	return best
}

// Near tells how l passes the geodesic disc of radius r metres about p,
// from the chord bounds Nearest uses: segments counts the segments that
// may meet the disc, stopping at 2, and bend reports that a vertex of such
// a segment may lie in it. segments == 0 means l certainly misses the
// disc; segments == 1 with no bend means that inside the disc l is
// certainly one geodesic without a bend. Otherwise the answer may be
// caution. For an invalid p it reports 2 segments and a bend.
func (l *Polyline) Near(p LonLat, r float64) (segments int, bend bool) {
	if !p.Valid() {
		return 2, true
	}
	x := ecef(p)
	for _, b := range l.blocks {
		if x.sub(b.centre).norm()-b.radius > r {
			continue
		}
		for i := b.lo; i < b.hi; i++ {
			if c, _ := l.chordDistance(x, i); c-l.segs[i].sag > r {
				continue
			}
			segments++
			// A chord is never longer than the geodesic: a vertex whose
			// chord distance exceeds r is outside the disc.
			bend = bend || x.sub(l.xyz[i]).norm() <= r || x.sub(l.xyz[i+1]).norm() <= r
			if segments == 2 {
				return segments, true
			}
		}
	}
	return segments, bend
}

type candidate struct {
	seg int
	lb  float64 // lower bound on the geodesic distance, metres
	t   float64 // fraction along the chord of its nearest point
}

// chordDistance returns the straight-line distance from x to the chord of
// segment i, and the fraction along the chord of the nearest point.
func (l *Polyline) chordDistance(x vec, i int) (dist, t float64) {
	s := &l.segs[i]
	ax := x.sub(l.xyz[i])
	t = min(max(ax.dot(s.chord)/s.chord2, 0), 1)
	return ax.sub(s.chord.scale(t)).norm(), t
}

// refined is the nearest point of one segment to a query point.
type refined struct {
	s     float64 // distance along the segment, metres
	q     LonLat  // the point
	d     float64 // distance from the query point, metres
	alpha float64 // azimuth of the segment at q
	beta  float64 // azimuth of the geodesic from q to the query point, at q
}

// refine finds the point of segment i nearest to p. It starts from the
// fraction t along the segment (the foot on its chord) and steps along the
// geodesic segment by the along-track offset of p, computed as on a
// sphere; this converges to the ellipsoidal foot in one or two steps for
// points within hundreds of kilometres.
func (l *Polyline) refine(p LonLat, i int, t float64) refined {
	seg := &l.segs[i]
	s := t * seg.length
	var r refined
	for range refineMaxIter {
		r = l.at(p, i, s)
		if r.d == 0 {
			break
		}
		sin, cos := math.Sincos(r.d / meanRadius)
		step := meanRadius * math.Atan2(sin*math.Cos((r.beta-r.alpha)*math.Pi/180), cos)
		next := min(max(s+step, 0), seg.length)
		if math.Abs(next-s) < refineTol {
			if next != s && (next == 0 || next == seg.length) {
				r = l.at(p, i, next) // settle exactly on the vertex
			}
			break
		}
		s = next
	}
	return r
}

// at evaluates segment i at distance s from its start against p.
func (l *Polyline) at(p LonLat, i int, s float64) refined {
	seg := &l.segs[i]
	r := refined{s: s}
	switch s {
	case 0:
		r.q, r.alpha = l.pts[i], seg.azi1
	case seg.length:
		r.q, r.alpha = l.pts[i+1], seg.azi2
	default:
		seg.line.Position(s, &r.q.Lat, &r.q.Lon, &r.alpha)
	}
	geodesic.WGS84.Inverse(r.q.Lat, r.q.Lon, p.Lat, p.Lon, &r.d, &r.beta, nil)
	return r
}

// side returns the side of the query point relative to the line, given its
// nearest point r on segment i. At an interior vertex the side is decided by
// the wedge the line makes there, not by either segment alone.
func (l *Polyline) side(i int, r refined) int {
	if r.d < onLine {
		return 0
	}
	seg := &l.segs[i]
	switch {
	case r.s == 0 && i > 0:
		return wedgeSide(l.segs[i-1].azi2, seg.azi1, r.beta)
	case r.s == seg.length && i < len(l.segs)-1:
		return wedgeSide(seg.azi2, l.segs[i+1].azi1, r.beta)
	}
	// Looking along azimuth alpha, a point at azimuth alpha-90 is on the left.
	switch sin := math.Sin((r.beta - r.alpha) * math.Pi / 180); {
	case sin < 0:
		return +1
	case sin > 0:
		return -1
	}
	return 0
}

// wedgeSide returns the side of a point in direction beta from a vertex
// where the line arrives with azimuth in and leaves with azimuth out. The
// left side is the sector swept anticlockwise from the outgoing direction
// to the reverse of the incoming one.
func wedgeSide(in, out, beta float64) int {
	span := normAzimuth(out - in - 180)
	switch t := normAzimuth(out - beta); {
	case t == 0 || t == span:
		return 0
	case t < span:
		return +1
	}
	return -1
}

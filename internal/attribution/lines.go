package attribution

import (
	"math"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// lineIndex is the contact line as the analytic method needs to see it: its
// parts, to tell whether the line is straight near an estimate
// (geo.Polyline.Near), and their ends, beyond which Agreement.Locate takes
// the side from the end segment continued. Attribute uses it only to decide
// whether the straight-line formulas are exact; the sides, distances and
// zones themselves always come from Agreement.Locate.
type lineIndex struct {
	parts []*geo.Polyline
	ends  []end // both ends of every part
}

// end is an end of a part of the line: beyond it the boundary between the
// sides is the geodesic ray from the end vertex with azimuth azi.
type end struct {
	p   geo.LonLat
	azi float64 // degrees clockwise from north
}

// rayMaxM is the distance from an end vertex beyond which the planar bound
// on the distance to its ray (see raysClear) is not trusted.
const rayMaxM = 1_000_000.0

// newLineIndex indexes the parts of a contact line.
func newLineIndex(parts []*geo.Polyline) *lineIndex {
	x := &lineIndex{parts: parts}
	for _, l := range parts {
		pts := l.Points()
		n := len(pts)
		_, azi1, _ := geo.Inverse(pts[0], pts[1])
		_, _, azi2 := geo.Inverse(pts[n-2], pts[n-1])
		x.ends = append(x.ends, end{p: pts[0], azi: math.Mod(azi1+180, 360)}, end{p: pts[n-1], azi: azi2})
	}
	return x
}

// straightWithin reports whether the line meets the geodesic disc of
// radius r about p in at most one segment and, if in one, between its
// vertices: then inside the disc the line is a single geodesic without a
// bend. A true answer is certain; a false one may be caution.
func (x *lineIndex) straightWithin(p geo.LonLat, r float64) bool {
	total := 0
	for _, l := range x.parts {
		n, bend := l.Near(p, r)
		total += n
		if bend || total > 1 {
			return false
		}
	}
	return true
}

// raysClear reports whether no end ray of the line that can decide the side
// of a point within r of q comes within r of q. The ray of an end can
// decide a side only for points whose nearest point of the line is that
// end, and every point within r of q has its nearest point within reach of
// q: the query's distance to the line plus 2r. A true answer is certain; a
// false one may be caution.
func (x *lineIndex) raysClear(q geo.LonLat, r, reach float64) bool {
	for _, e := range x.ends {
		rho, beta, _ := geo.Inverse(e.p, q)
		if rho > reach {
			continue
		}
		// In the azimuthal equidistant projection about the end, the
		// geodesic ray from it is a straight line through the origin, and
		// distances from the origin are exact; distances between other
		// points differ from geodesic ones by a fraction of about
		// (ρ/6371 km)²/6, under 0.5 % within rayMaxM. Hence the margin.
		if rho > rayMaxM {
			return false
		}
		sin, cos := math.Sincos((beta - e.azi) * math.Pi / 180)
		dist := rho
		if cos > 0 {
			dist = rho * math.Abs(sin)
		}
		if dist <= r*1.01+1 {
			return false
		}
	}
	return true
}

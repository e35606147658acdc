package sim

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/tidwall/geodesic"

	"github.com/guarantor-project/guarantor/internal/terms"
)

// The contact line is illustrative: it follows the rough course of the
// front in eastern and southern Ukraine from the Russian border in Kharkiv
// oblast, south past Kupiansk, Lyman, Bakhmut and west of Donetsk, then
// west along the south of Zaporizhzhia oblast to the Dnipro, and down the
// Dnipro past Kherson to its mouth. It is not any official line. It is the
// same for every seed, so that terms files of different runs agree.

// waypoints are [lat, lon] in degrees, in drawing order (north to south-west).
var waypoints = [][2]float64{
	{50.33, 37.55}, {50.22, 37.5}, {50.16, 37.68}, {50.08, 37.62}, {49.95, 37.52},
	{49.8, 37.7}, {49.76, 37.86}, {49.68, 37.78}, {49.55, 37.72}, {49.45, 37.95},
	{49.4, 38.08}, {49.33, 37.85}, {49.2, 38.02}, {49.08, 37.92}, {49.0, 38.1},
	{48.9, 38.02}, {48.85, 38.22}, {48.72, 38.08}, {48.62, 38.02}, {48.58, 37.86},
	{48.47, 37.93}, {48.4, 37.78}, {48.42, 37.55}, {48.5, 37.45}, {48.38, 37.35},
	{48.3, 37.12}, {48.18, 37.02}, {48.08, 36.98}, {48.05, 37.22}, {47.98, 37.1},
	{47.9, 37.3}, {47.79, 37.22}, {47.82, 37.0}, {47.76, 36.85}, {47.8, 36.6},
	{47.85, 36.45}, {47.68, 36.4}, {47.66, 36.22}, {47.52, 36.05}, {47.4, 35.98},
	{47.5, 35.85}, {47.55, 35.65}, {47.45, 35.45}, {47.47, 35.22}, {47.4, 35.08},
	{47.52, 34.95}, {47.55, 34.72}, {47.52, 34.5}, {47.42, 34.28}, {47.3, 34.1},
	{47.18, 33.95}, {47.16, 33.74}, {47.05, 33.72}, {46.9, 33.55}, {46.78, 33.4},
	{46.74, 33.18}, {46.78, 33.05}, {46.68, 33.0}, {46.66, 32.8}, {46.615, 32.64},
	{46.58, 32.48}, {46.5, 32.42}, {46.53, 32.28}, {46.5, 32.05},
}

// wiggle is the lateral meander added to the densified line: a sum of
// sines of the arc length (metres), tapered to zero at both ends.
type wiggleTerm struct{ amplitudeM, wavelengthM float64 }

var wiggleTerms = []wiggleTerm{
	{3000, 45_000},
	{1000, 17_000},
	{200, 7_500},
}

const (
	densifySpacingM = 2500.0 // target spacing of the densified vertices
	wiggleTaperM    = 15_000.0
	lineSeed        = 0x6c696e65 // fixed: the line does not depend on Config.Seed
)

// contactLine is the densified line with per-segment geodesics, used to
// place points by construction and to verify placements.
type contactLine struct {
	lat, lon []float64 // vertices, rounded to 1e-6 degree
	cum      []float64 // arc length at each vertex, metres
	azi      []float64 // azimuth of each segment at its first vertex
	segLen   []float64
	length   float64
}

var wgs = geodesic.WGS84

func inverse(lat1, lon1, lat2, lon2 float64) (s, azi1, azi2 float64) {
	wgs.Inverse(lat1, lon1, lat2, lon2, &s, &azi1, &azi2)
	return
}

func direct(lat1, lon1, azi1, s float64) (lat2, lon2, azi2 float64) {
	wgs.Direct(lat1, lon1, azi1, s, &lat2, &lon2, &azi2)
	return
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

// buildLine densifies the waypoints, adds the meander and rounds the
// vertices. The result is deterministic and independent of the scenario seed.
func buildLine() *contactLine {
	// Densify along geodesics.
	type pt struct{ lat, lon float64 }
	var dense []pt
	for i := 0; i+1 < len(waypoints); i++ {
		a, b := waypoints[i], waypoints[i+1]
		s, az, _ := inverse(a[0], a[1], b[0], b[1])
		n := max(1, int(math.Ceil(s/densifySpacingM)))
		for k := 0; k < n; k++ {
			lat, lon, _ := direct(a[0], a[1], az, s*float64(k)/float64(n))
			dense = append(dense, pt{lat, lon})
		}
	}
	last := waypoints[len(waypoints)-1]
	dense = append(dense, pt{last[0], last[1]})

	// Arc length of the un-meandered line.
	cum := make([]float64, len(dense))
	for i := 1; i < len(dense); i++ {
		s, _, _ := inverse(dense[i-1].lat, dense[i-1].lon, dense[i].lat, dense[i].lon)
		cum[i] = cum[i-1] + s
	}
	total := cum[len(cum)-1]
	r := rand.New(rand.NewPCG(lineSeed, 1))
	phases := make([]float64, len(wiggleTerms))
	for i := range phases {
		phases[i] = r.Float64() * 2 * math.Pi
	}
	// The meander moves each vertex across the local direction (taken over
	// two vertices either side). Where it makes the line cross itself, it
	// is halved there until the line is simple.
	scale := make([]float64, len(dense))
	for i := range scale {
		scale[i] = 1
	}
	var out []pt
	for range 20 {
		out = make([]pt, len(dense))
		out[0], out[len(out)-1] = dense[0], dense[len(dense)-1]
		for i := 1; i+1 < len(dense); i++ {
			a, b := dense[max(0, i-2)], dense[min(len(dense)-1, i+2)]
			_, az, _ := inverse(a.lat, a.lon, b.lat, b.lon)
			w := 0.0
			for k, t := range wiggleTerms {
				w += t.amplitudeM * math.Sin(2*math.Pi*cum[i]/t.wavelengthM+phases[k])
			}
			w *= scale[i] * math.Min(1, math.Min(cum[i], total-cum[i])/wiggleTaperM)
			lat, lon, _ := direct(dense[i].lat, dense[i].lon, az+90, w)
			out[i] = pt{lat, lon}
		}
		lat := make([]float64, len(out))
		lon := make([]float64, len(out))
		for i, p := range out {
			lat[i], lon[i] = p.lat, p.lon
		}
		crossings := selfCrossings(lat, lon)
		if len(crossings) == 0 {
			break
		}
		for _, c := range crossings {
			for k := max(0, c[0]-6); k <= min(len(scale)-1, c[1]+7); k++ {
				scale[k] *= 0.5
			}
		}
	}

	l := &contactLine{}
	for _, p := range out {
		l.lat = append(l.lat, round6(p.lat))
		l.lon = append(l.lon, round6(p.lon))
	}
	l.cum = make([]float64, len(l.lat))
	for i := 0; i+1 < len(l.lat); i++ {
		s, az, _ := inverse(l.lat[i], l.lon[i], l.lat[i+1], l.lon[i+1])
		l.azi = append(l.azi, az)
		l.segLen = append(l.segLen, s)
		l.cum[i+1] = l.cum[i] + s
	}
	l.length = l.cum[len(l.cum)-1]
	return l
}

// coordinates returns the line as GeoJSON LineString coordinates.
func (l *contactLine) coordinates() [][]float64 {
	c := make([][]float64, len(l.lat))
	for i := range l.lat {
		c[i] = []float64{l.lon[i], l.lat[i]}
	}
	return c
}

// foot returns the point at arc length s along the line and the line's
// azimuth there.
func (l *contactLine) foot(s float64) (lat, lon, azi float64, seg int) {
	s = math.Max(0, math.Min(s, l.length))
	i := sort.SearchFloat64s(l.cum, s) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(l.segLen) {
		i = len(l.segLen) - 1
	}
	lat, lon, azi = direct(l.lat[i], l.lon[i], l.azi[i], s-l.cum[i])
	return lat, lon, azi, i
}

// offsetPoint moves from the line point at arc s perpendicular to the line
// by offset metres: to the left (looking along the line in drawing order)
// when offset is positive, to the right when negative.
func (l *contactLine) offsetPoint(s, offset float64) (lat, lon float64) {
	flat, flon, azi, _ := l.foot(s)
	if offset >= 0 {
		lat, lon, _ = direct(flat, flon, azi-90, offset)
	} else {
		lat, lon, _ = direct(flat, flon, azi+90, -offset)
	}
	return lat, lon
}

// nearest returns the distance from (lat, lon) to the line, the index of
// the nearest segment and the side of that segment the point is on
// (+1 left, -1 right). It works in an azimuthal equidistant frame centred
// on the point, built from exact geodesic distances and azimuths to the
// vertices of the candidate segments, so its error is far below a metre
// at the distances the scenario uses.
func (l *contactLine) nearest(lat, lon float64) (dist float64, seg int, side int, arc float64) {
	// Coarse pass: equirectangular distances to find candidate segments.
	const mPerDeg = 111_195.0
	cl := math.Cos(lat * math.Pi / 180)
	coarse := func(i int) float64 {
		ax, ay := (l.lon[i]-lon)*cl*mPerDeg, (l.lat[i]-lat)*mPerDeg
		bx, by := (l.lon[i+1]-lon)*cl*mPerDeg, (l.lat[i+1]-lat)*mPerDeg
		d, _, _ := segDist(ax, ay, bx, by)
		return d
	}
	cd := make([]float64, len(l.segLen))
	best := math.Inf(1)
	for i := range l.segLen {
		cd[i] = coarse(i)
		best = math.Min(best, cd[i])
	}
	limit := best*1.03 + 3000
	dist = math.Inf(1)
	proj := func(i int) (float64, float64) {
		s, az, _ := inverse(lat, lon, l.lat[i], l.lon[i])
		a := az * math.Pi / 180
		return s * math.Sin(a), s * math.Cos(a)
	}
	bestT := 0.0
	for i := range l.segLen {
		if cd[i] > limit {
			continue
		}
		ax, ay := proj(i)
		bx, by := proj(i + 1)
		d, cross, t := segDist(ax, ay, bx, by)
		if d < dist {
			dist, seg, bestT = d, i, t
			arc = l.cum[i] + t*l.segLen[i]
			side = signInt(cross)
		}
	}
	// When the nearest point is an interior vertex, the side of one
	// adjacent segment's extension can be wrong at a sharp turn: there the
	// point is on the outer side of the turn (right of a left turn).
	v := -1
	if bestT <= 0 {
		v = seg
	} else if bestT >= 1 {
		v = seg + 1
	}
	if v > 0 && v < len(l.lat)-1 {
		ax, ay := proj(v - 1)
		bx, by := proj(v)
		cx, cy := proj(v + 1)
		_, c1, _ := segDist(ax, ay, bx, by)
		_, c2, _ := segDist(bx, by, cx, cy)
		if s1, s2 := signInt(c1), signInt(c2); s1 == s2 {
			side = s1
		} else if turn := (bx-ax)*(cy-by) - (by-ay)*(cx-bx); turn > 0 {
			side = -1
		} else {
			side = 1
		}
	}
	return dist, seg, side, arc
}

func signInt(x float64) int {
	if x > 0 {
		return 1
	}
	return -1
}

// segDist returns the distance from the origin to the segment a–b in a
// plane (x east, y north) and the cross product (b−a)×(o−a), positive when
// the origin is to the left of a→b, and the parameter (0–1) of the
// nearest point along a→b.
func segDist(ax, ay, bx, by float64) (float64, float64, float64) {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	px, py := ax+t*dx, ay+t*dy
	return math.Hypot(px, py), dx*(-ay) - dy*(-ax), t
}

// sideOf converts the sign convention of offsets (+ left) to a terms side.
func sideOf(offset float64) terms.Side {
	if offset > 0 {
		return terms.Left
	}
	return terms.Right
}

// seaPolygon is a coarse outline ([lon, lat]) of the Black Sea and the Sea
// of Azov north of 41.5°N, with Crimea left out. It keeps placed points on
// land to within a few kilometres; the Dnipro–Buh estuary and the drained
// Kakhovka reservoir count as land.
var seaPolygon = [][2]float64{
	{30.75, 46.48}, {31.20, 46.62}, {31.50, 46.56}, {31.55, 46.45}, {31.80, 46.28},
	{32.30, 46.12}, {32.90, 46.10}, {33.50, 46.05}, {33.65, 46.12}, // Perekop
	{33.80, 45.95}, {33.20, 45.75}, {32.50, 45.35}, {33.37, 45.19}, {33.55, 44.90},
	{33.40, 44.60}, {33.80, 44.40}, {34.16, 44.50}, {34.40, 44.67}, {34.97, 44.83},
	{35.40, 45.03}, {35.80, 45.00}, {36.40, 45.05}, {36.60, 45.35}, {36.30, 45.47},
	{35.90, 45.45}, {35.45, 45.30}, {35.20, 45.75}, {34.85, 46.17}, // Henichesk
	{35.38, 46.38}, {36.35, 46.73}, {36.78, 46.75}, {37.20, 46.95}, {37.55, 47.08},
	{38.10, 47.11}, {38.90, 47.22}, {39.25, 47.15}, {38.70, 46.85}, {38.27, 46.70},
	{38.10, 46.30}, {38.17, 46.05}, {37.90, 45.75}, {37.38, 45.30}, {36.75, 45.25},
	{36.80, 45.00}, {37.30, 44.90}, {37.80, 44.70}, {39.70, 43.60}, {41.60, 41.60},
	{36.00, 41.60}, {29.00, 41.20}, {28.00, 43.00}, {28.70, 44.20}, {29.70, 45.20},
	{30.20, 45.90},
}

// onLand reports whether a point is outside the coarse sea outline.
func onLand(lat, lon float64) bool {
	in := false
	p := seaPolygon
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		xi, yi, xj, yj := p[i][0], p[i][1], p[j][0], p[j][1]
		if (yi > lat) != (yj > lat) && lon < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return !in
}

// selfCrossings returns the pairs of non-adjacent segments of a polyline
// that cross, in a local equirectangular plane (fine for crossing tests).
func selfCrossings(lat, lon []float64) [][2]int {
	cl := math.Cos(48.5 * math.Pi / 180)
	x := func(i int) (float64, float64) { return lon[i] * cl, lat[i] }
	orient := func(ax, ay, bx, by, cx, cy float64) float64 { return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax) }
	var out [][2]int
	for i := 0; i+1 < len(lat); i++ {
		ax, ay := x(i)
		bx, by := x(i + 1)
		for j := i + 2; j+1 < len(lat); j++ {
			cx, cy := x(j)
			dx, dy := x(j + 1)
			if math.Max(cx, dx) < math.Min(ax, bx) || math.Min(cx, dx) > math.Max(ax, bx) ||
				math.Max(cy, dy) < math.Min(ay, by) || math.Min(cy, dy) > math.Max(ay, by) {
				continue
			}
			if orient(ax, ay, bx, by, cx, cy)*orient(ax, ay, bx, by, dx, dy) <= 0 &&
				orient(cx, cy, dx, dy, ax, ay)*orient(cx, cy, dx, dy, bx, by) <= 0 {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

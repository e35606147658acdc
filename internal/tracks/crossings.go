package tracks

import (
	"math"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// DefaultMaxGap is the longest time between two consecutive points across
// which a crossing is observed rather than inferred, when Config.MaxGap is 0.
const DefaultMaxGap = 5 * time.Minute

// PassageToleranceM bounds the distance from the contact line of the
// position of a Passage that is not OffLine.
const PassageToleranceM = 1.0

// bisectM is the length of the bracket at which bisection stops: the zero
// of the signed distance is within it, so both ends are within bisectM of
// the line.
const bisectM = 0.5

// Config tunes Crossings. The zero value is ready to use.
type Config struct {
	// ToleranceM is the distance from the contact line within which a
	// point counts as on the line, in metres; 0 means only points exactly
	// on it (within a micrometre).
	ToleranceM float64
	// UncertaintyFactor widens the tolerance of each point to
	// UncertaintyFactor times its UncertaintyM, when that is larger than
	// ToleranceM: 2 treats a point whose one-sigma uncertainty reaches
	// half its distance to the line as on it. 0 ignores the uncertainty.
	UncertaintyFactor float64
	// MaxGap is the longest time between two consecutive points across
	// which a passage of the line counts as observed; across a longer gap
	// it is Inferred. 0 means DefaultMaxGap.
	MaxGap time.Duration
}

// Crossing is one excursion of a track to the other side of the contact
// line than the side it started on: where and when it crossed, where and
// when it came back, if it did, and how deep it went.
type Crossing struct {
	// Track is the ID of the track.
	Track string
	// FromSide and FromParty are the side the track came from, the side
	// of its first point off the line, and the party whose side that is.
	FromSide  terms.Side
	FromParty string
	// IntoSide and IntoParty are the side the track entered and its party.
	IntoSide  terms.Side
	IntoParty string
	// Entry is where and when the track crossed into IntoSide.
	Entry Passage
	// Exit is where and when it came back to FromSide, or nil if the track
	// ends on IntoSide: it had not come back when it was last seen.
	Exit *Passage
	// Depth is the point of the excursion farthest from the line.
	Depth Depth
	// Observations are the ids of the points of the excursion, in time
	// order, with the point before it and, if it came back, the point after.
	Observations []string
}

// Passage is where and when a track passed the contact line, between two
// consecutive points of the track.
type Passage struct {
	// Position is the point of the geodesic between the two points where
	// the side changed: on the contact line to within PassageToleranceM,
	// unless OffLine. When one of the two points is on the line (within a
	// micrometre), it is that point, and Time is its time.
	Position geo.LonLat
	// Time is interpolated between the two points' times in proportion to
	// the distance along the geodesic between them (a constant speed).
	Time time.Time
	// DistanceM is the distance of Position from the contact line.
	DistanceM float64
	// Segment is the index in Track.Points of the point before the
	// passage; the point after is the next point of the track with a
	// valid position (Segment+1 unless a point was skipped).
	Segment int
	// Gap is the time between the point before and the point after.
	Gap time.Duration
	// Inferred reports that Gap exceeds Config.MaxGap: the track was not
	// seen near the passage, which is inferred from a straight (geodesic)
	// flight between the two points, so a rule may lower its confidence.
	Inferred bool
	// OffLine reports that the side changed without the track passing the
	// line: round an end of the contact line (beyond an end, the side is
	// that of the end segment, extended) or between two parts of a
	// MultiLineString. Position is where the side flipped and DistanceM how
	// far from the line that is.
	OffLine bool
}

// Depth is the point of an excursion farthest from the contact line.
type Depth struct {
	// DistanceM is its distance from the line, in metres.
	DistanceM float64
	// Index is its index in Track.Points.
	Index int
	// Position, Time and Observation are the point's.
	Position    geo.LonLat
	Time        time.Time
	Observation string
}

// located is a point of the track with a valid position, where it lies.
type located struct {
	index int     // in Track.Points
	d     float64 // signed distance from the line, metres
	sign  int     // sign of d: +1 left, -1 right, 0 on the line
	side  int     // sign, or 0 within the tolerance
}

// Crossings returns the excursions of tr to the other side of the contact
// line of a, in time order.
//
// The track starts on the side of its first point beyond the tolerance
// (Config.ToleranceM, or the point's uncertainty times
// Config.UncertaintyFactor). A point within the tolerance of the line is
// on it and changes nothing: it keeps the side of the point before. An
// excursion begins when the track is next seen beyond the tolerance on the
// other side, and ends when it is next seen beyond the tolerance on its
// own side again. A track that touches the line, runs along it or wavers
// across it within the tolerance makes no crossing. Where such an
// excursion passed the line is decided by the exact sides of its points:
// it entered where it left its own side for the last time before it was
// seen beyond the tolerance on the other, and it came back where it first
// reached its own side after it was last seen beyond the tolerance there.
// The passage between two consecutive points is found by bisection on the
// geodesic between them, using a.Locate, to within a metre of the line.
//
// The points must be in time order, as Assemble gives them. Points with
// an invalid position are skipped. Nothing is inferred between two points
// on the same side: a flight that crossed and came back between two
// points, or cut a bend of the line, is not seen.
func Crossings(a *terms.Agreement, tr Track, cfg Config) []Crossing {
	if cfg.MaxGap <= 0 {
		cfg.MaxGap = DefaultMaxGap
	}
	pts := locate(a, tr.Points, cfg)
	home := 0
	for _, p := range pts {
		if p.side != 0 {
			home = p.side
			break
		}
	}
	if home == 0 {
		return nil
	}

	var out []Crossing
	for i := 0; i < len(pts); {
		// b is the first point beyond the tolerance on the far side, and
		// m the last point before it on the home side, exactly. There is
		// one: the first point beyond the tolerance, or pts[i] after an
		// excursion.
		b := i
		for b < len(pts) && pts[b].side != -home {
			b++
		}
		if b == len(pts) {
			break
		}
		m := b - 1
		for pts[m].sign != home {
			m--
		}
		cr := Crossing{Track: tr.ID, Entry: passage(a, tr.Points, pts[m], pts[m+1], cfg.MaxGap)}
		cr.FromSide, cr.FromParty = side(a, home)
		cr.IntoSide, cr.IntoParty = side(a, -home)

		// d is the next point beyond the tolerance on the home side, c the
		// last beyond it on the far side before d, and n the first point
		// after c on the home side, exactly: the track came back between
		// n-1 and n.
		d := b
		for d < len(pts) && pts[d].side != home {
			d++
		}
		n := len(pts)
		if d < len(pts) {
			c := d - 1
			for pts[c].side != -home {
				c--
			}
			n = c + 1
			for pts[n].sign != home {
				n++
			}
			exit := passage(a, tr.Points, pts[n-1], pts[n], cfg.MaxGap)
			cr.Exit = &exit
		}

		for _, p := range pts[m+1 : n] {
			if dist := math.Abs(p.d); p.sign == -home && dist > cr.Depth.DistanceM {
				q := tr.Points[p.index]
				cr.Depth = Depth{DistanceM: dist, Index: p.index, Position: q.Position, Time: q.Time, Observation: q.Observation}
			}
		}
		for _, p := range pts[m:min(n+1, len(pts))] {
			cr.Observations = append(cr.Observations, tr.Points[p.index].Observation)
		}
		out = append(out, cr)
		i = n
	}
	return out
}

// locate places the points with a valid position relative to the line.
func locate(a *terms.Agreement, points []Point, cfg Config) []located {
	out := make([]located, 0, len(points))
	for i, p := range points {
		loc := a.Locate(p.Position)
		if math.IsNaN(loc.SignedDistanceM) {
			continue
		}
		l := located{index: i, d: loc.SignedDistanceM, sign: signOf(loc.Side)}
		tol := 0.0 // a negative or NaN tolerance counts as 0
		if cfg.ToleranceM > tol {
			tol = cfg.ToleranceM
		}
		if u := cfg.UncertaintyFactor * p.UncertaintyM; u > tol {
			tol = u
		}
		if loc.DistanceM > tol {
			l.side = l.sign
		}
		out = append(out, l)
	}
	return out
}

// signOf returns +1 for the left side, -1 for the right and 0 on the line.
func signOf(s terms.Side) int {
	switch s {
	case terms.Left:
		return +1
	case terms.Right:
		return -1
	}
	return 0
}

// side returns the side with the sign s and its party's code.
func side(a *terms.Agreement, s int) (terms.Side, string) {
	sd := terms.Left
	if s < 0 {
		sd = terms.Right
	}
	p, _ := a.PartyBySide(sd)
	return sd, p.Code
}

// passage finds where the track passed the line between the consecutive
// points p and q, whose exact sides differ (one may be on the line).
func passage(a *terms.Agreement, points []Point, p, q located, maxGap time.Duration) Passage {
	pp, qq := points[p.index], points[q.index]
	out := Passage{Segment: p.index, Gap: qq.Time.Sub(pp.Time)}
	out.Inferred = out.Gap > maxGap
	switch {
	case p.sign == 0:
		out.Position, out.Time, out.DistanceM = pp.Position, pp.Time, math.Abs(p.d)
		return out
	case q.sign == 0:
		out.Position, out.Time, out.DistanceM = qq.Position, qq.Time, math.Abs(q.d)
		return out
	}
	length, azi, _ := geo.Inverse(pp.Position, qq.Position)
	lo, hi := 0.0, length
	dlo, dhi := p.d, q.d
	for hi-lo > bisectM {
		mid := lo + (hi-lo)/2
		x := geo.Direct(pp.Position, azi, mid)
		d := a.Locate(x).SignedDistanceM
		switch s := math.Copysign(1, d); {
		case d == 0:
			lo, hi, dlo, dhi = mid, mid, d, d
		case int(s) == p.sign:
			lo, dlo = mid, d
		default:
			hi, dhi = mid, d
		}
	}
	at := lo
	out.DistanceM = math.Abs(dlo)
	if math.Abs(dhi) < out.DistanceM {
		at, out.DistanceM = hi, math.Abs(dhi)
	}
	switch at {
	case 0:
		out.Position = pp.Position
	case length:
		out.Position = qq.Position
	default:
		out.Position = geo.Direct(pp.Position, azi, at)
	}
	out.Time = pp.Time
	if length > 0 {
		out.Time = pp.Time.Add(time.Duration(float64(out.Gap) * (at / length)))
	}
	out.OffLine = out.DistanceM > PassageToleranceM
	return out
}

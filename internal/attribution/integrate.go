package attribution

import (
	"fmt"
	"math"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// integrate returns the probabilities integrated numerically over the
// fixed points, the straight-line model (the signed distance lin, normal)
// serving as a control variate; grad is its gradient.
//
// Each point z of at.points stands for a cell of probability 1/n about it.
// Near radius ρ the points have density n·φ(ρ) in the standard normal
// plane, φ(ρ) = e^(−ρ²/2)/2π, so a cell is about a disc of radius
// √(2·e^(ρ²/2)/n) there. Rather than count the whole cell on the side of
// its centre, integrate takes the signed distance s to be linear across the
// cell, with the line's normal at the centre's nearest point as gradient,
// and counts the fraction of the disc on each side of each boundary (the
// line at s = 0, the zones' edges at s = ±w). That makes the sum over cells
// converge much faster than counting centres: against Monte Carlo on
// V-shaped lines, 128 points so counted were as accurate as 512 centres
// (root mean square error 0.003 over 112 cases, worst 0.012).
// The same sum with the straight-line model in place of Locate is
// subtracted and the model's exact probabilities added, so that wherever
// the line is straight the numerical part cancels exactly.
//
// It fails if Locate gives no distance for a point, which would mean that
// geo.ENU.Inverse returned an invalid position.
func (at *Attributor) integrate(enu geo.ENU, g gaussian, grad [2]float64, lin normal) (probs, error) {
	nz := len(at.zones)
	truth, model := newCells(nz), newCells(nz)
	n := float64(len(at.points))
	for _, z := range at.points {
		r := math.Sqrt(2 * math.Exp((z[0]*z[0]+z[1]*z[1])/2) / n)
		e, nn := g.offset(z)
		loc := at.agreement.Locate(enu.Inverse(e, nn))
		if math.IsNaN(loc.DistanceM) {
			return probs{}, fmt.Errorf("attribution: no distance to the contact line from %.0f m east, %.0f m north of (%g, %g)",
				e, nn, enu.Origin().Lon, enu.Origin().Lat)
		}
		s := loc.SignedDistanceM
		// The signed distance changes by at most σmax per unit of the
		// standard plane, so a cell farther than r·σmax from every boundary
		// is wholly on one side of each, and needs no gradient.
		var sigma float64
		if reach := r * g.s1; at.nearBoundary(s, reach) {
			dir := grad
			if v, ok := awayFromLine(enu, loc, e, nn); ok {
				dir = v
			}
			sigma = g.sigmaAlong(dir)
		}
		truth.add(at.zones, s, sigma, r)
		model.add(at.zones, lin.mean+grad[0]*e+grad[1]*nn, lin.sigma, r)
	}
	p := linearProbs(lin, at.zones)
	p.left = clamp01(p.left + (truth.left-model.left)/n)
	for i := range nz {
		p.zone[i] = clamp01(p.zone[i] + (truth.zone[i]-model.zone[i])/n)
		// Keep the joint probabilities within what the marginals allow.
		lo, hi := max(0, p.zone[i]-(1-p.left)), min(p.zone[i], p.left)
		p.zoneLeft[i] = min(max(p.zoneLeft[i]+(truth.zoneLeft[i]-model.zoneLeft[i])/n, lo), hi)
	}
	return p, nil
}

// nearBoundary reports whether the signed distance s is within reach of
// the line (0) or of a zone's edge (±width).
func (at *Attributor) nearBoundary(s, reach float64) bool {
	if math.Abs(s) < reach {
		return true
	}
	for _, z := range at.zones {
		if math.Abs(math.Abs(s)-z.width) < reach {
			return true
		}
	}
	return false
}

// cells sums the fractions of cells on each side of the boundaries.
type cells struct {
	left           float64
	zone, zoneLeft []float64 // per zone of Attributor.zones
}

func newCells(zones int) cells {
	return cells{zone: make([]float64, zones), zoneLeft: make([]float64, zones)}
}

// add adds a cell of radius r in the standard plane about a point whose
// signed distance is s and changes by sigma per unit of the standard plane
// across the cell (zero: the whole cell has the signed distance s).
func (c *cells) add(zones []zone, s, sigma, r float64) {
	// below returns the fraction of the cell whose signed distance is below
	// v, counting half of a cell exactly on v.
	below := func(v float64) float64 {
		if sigma == 0 {
			switch {
			case s < v:
				return 1
			case s > v:
				return 0
			}
			return 0.5
		}
		return discBelow((v-s)/sigma, r)
	}
	b0 := below(0)
	c.left += 1 - b0
	for i, z := range zones {
		bw, bm := below(z.width), below(-z.width)
		if sigma == 0 && math.Abs(s) == z.width { // zones include their edges
			bw, bm = 1, 0
		}
		c.zone[i] += bw - bm
		c.zoneLeft[i] += bw - b0
	}
}

// discBelow returns the fraction of a disc of radius r whose coordinate
// along an axis, from the centre, is below x.
func discBelow(x, r float64) float64 {
	switch {
	case x <= -r:
		return 0
	case x >= r:
		return 1
	}
	return (r*r*math.Acos(-x/r) + x*math.Sqrt(r*r-x*x)) / (math.Pi * r * r)
}

// clamp01 returns x within [0, 1].
func clamp01(x float64) float64 { return min(max(x, 0), 1) }

package attribution

import (
	"fmt"
	"math"
)

// gaussian is a two-dimensional normal error in a local east-north plane,
// factored by its eigen-decomposition: the error is z1·s1·u1 + z2·s2·u2 for
// independent standard normal z1, z2, where u1 and u2 are the orthonormal
// major and minor axes and s1 ≥ s2 ≥ 0 the standard deviations along them.
// The eigen-decomposition, unlike a Cholesky factor, also takes singular
// (positive semi-definite) covariances.
type gaussian struct {
	cov    [2][2]float64 // symmetrised
	s1, s2 float64       // standard deviations along the axes, metres
	u1, u2 [2]float64    // unit major and minor axes, east and north
}

// newGaussian factors cov: cov[0][0] is the variance of east, cov[1][1]
// that of north and cov[0][1] = cov[1][0] their covariance, in square
// metres. It fails for a matrix that is not finite, not symmetric (to a
// relative 1e-9) or not positive semi-definite (an eigenvalue below
// -1e-9 times the largest); smaller negative eigenvalues are rounding and
// count as zero.
func newGaussian(cov [2][2]float64) (gaussian, error) {
	for _, row := range cov {
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return gaussian{}, fmt.Errorf("covariance %v is not finite", cov)
			}
		}
	}
	a, d := cov[0][0], cov[1][1]
	if diff := math.Abs(cov[0][1] - cov[1][0]); diff > 1e-9*math.Max(math.Abs(a)+math.Abs(d), math.Abs(cov[0][1])+math.Abs(cov[1][0])) {
		return gaussian{}, fmt.Errorf("covariance %v is not symmetric", cov)
	}
	b := (cov[0][1] + cov[1][0]) / 2
	half := (a + d) / 2
	l1 := half + math.Hypot((a-d)/2, b)
	var l2 float64
	if l1 > 0 {
		l2 = (a*d - b*b) / l1 // not half - hypot, which cancels for thin ellipses
	}
	if l1 < 0 || l2 < -1e-9*l1 || a < 0 || d < 0 {
		return gaussian{}, fmt.Errorf("covariance %v is not positive semi-definite", cov)
	}
	l2 = max(l2, 0)
	// The major axis makes the angle atan2(2b, a-d)/2 with east, counter-clockwise.
	sin, cos := math.Sincos(math.Atan2(2*b, a-d) / 2)
	return gaussian{
		cov: [2][2]float64{{a, b}, {b, d}},
		s1:  math.Sqrt(l1),
		s2:  math.Sqrt(l2),
		u1:  [2]float64{cos, sin},
		u2:  [2]float64{-sin, cos},
	}, nil
}

// offset maps a point z of the standard normal plane to the error it
// stands for, in metres east and north.
func (g gaussian) offset(z [2]float64) (e, n float64) {
	a, b := z[0]*g.s1, z[1]*g.s2
	return a*g.u1[0] + b*g.u2[0], a*g.u1[1] + b*g.u2[1]
}

// sigmaAlong returns the standard deviation of the error's component along
// the unit vector v: the square root of vᵀΣv.
func (g gaussian) sigmaAlong(v [2]float64) float64 {
	q := v[0]*v[0]*g.cov[0][0] + 2*v[0]*v[1]*g.cov[0][1] + v[1]*v[1]*g.cov[1][1]
	return math.Sqrt(max(q, 0))
}

// normal is a one-dimensional normal distribution; a zero sigma is the
// point mass at mean.
type normal struct{ mean, sigma float64 }

// below returns the probability of a value below x, with half of any mass
// at x itself, so that a point mass exactly on x counts half on each side.
func (d normal) below(x float64) float64 {
	if d.sigma == 0 {
		switch {
		case d.mean < x:
			return 1
		case d.mean > x:
			return 0
		}
		return 0.5
	}
	return 0.5 * math.Erfc((d.mean-x)/(d.sigma*math.Sqrt2))
}

// within returns the probability of a value in [lo, hi], boundaries
// included as zones include theirs.
func (d normal) within(lo, hi float64) float64 {
	if d.sigma == 0 {
		if d.mean >= lo && d.mean <= hi {
			return 1
		}
		return 0
	}
	return max(d.below(hi)-d.below(lo), 0)
}

// leftWithin returns the probability of a value in (0, w], with half of
// any mass at 0: the probability of the left side of the line and a zone
// of half width w.
func (d normal) leftWithin(w float64) float64 {
	if d.sigma == 0 {
		switch {
		case d.mean == 0:
			return 0.5
		case d.mean > 0 && d.mean <= w:
			return 1
		}
		return 0
	}
	return max(d.below(w)-d.below(0), 0)
}

// sunflower returns n points of the standard normal plane that integrate
// smooth functions and indicators of half-planes and wedges well: a
// Fibonacci (golden-angle) spiral whose radii stratify the radial
// distribution exactly, point i at the radius where the chi distribution
// with two degrees of freedom has probability (i+½)/n. Every point has
// weight 1/n. The set is fixed, so results computed with it are
// reproducible.
func sunflower(n int) [][2]float64 {
	golden := math.Pi * (3 - math.Sqrt(5)) // the golden angle, radians
	zs := make([][2]float64, n)
	for i := range zs {
		u := (float64(i) + 0.5) / float64(n)
		r := math.Sqrt(-2 * math.Log1p(-u))
		sin, cos := math.Sincos(float64(i) * golden)
		zs[i] = [2]float64{r * cos, r * sin}
	}
	return zs
}

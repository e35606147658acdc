package geo

import (
	"fmt"
	"math"
)

// Ellipse is an uncertainty ellipse in a local east-north plane: its
// semi-axes in metres and the azimuth of its major axis in degrees clockwise
// from north, in [0, 180). A circle has azimuth 0.
type Ellipse struct {
	SemiMajorM, SemiMinorM, AzimuthDeg float64
}

// EllipseFromCov returns the ellipse that holds probability p of a
// two-dimensional normal distribution with covariance cov, given in a local
// east-north frame in square metres: cov[0][0] is the variance of east,
// cov[1][1] that of north and cov[0][1] = cov[1][0] their covariance. The
// axes are the square roots of the eigenvalues scaled by the square root of
// the chi-square quantile with two degrees of freedom, which has the closed
// form -2 ln(1-p): 2.448 for p = 0.95. It fails for p outside (0, 1) and for
// a matrix that is not finite, symmetric and positive definite.
func EllipseFromCov(cov [2][2]float64, p float64) (Ellipse, error) {
	if !(p > 0 && p < 1) {
		return Ellipse{}, fmt.Errorf("ellipse: probability %g is not in (0, 1)", p)
	}
	a, b, d, err := symmetric2(cov)
	if err != nil {
		return Ellipse{}, fmt.Errorf("ellipse: %w", err)
	}
	if !(a > 0 && d > 0 && a*d-b*b > 0) {
		return Ellipse{}, fmt.Errorf("ellipse: covariance [[%g %g] [%g %g]] is not positive definite", a, b, b, d)
	}
	half := (a + d) / 2
	l1 := half + math.Hypot((a-d)/2, b)
	l2 := (a*d - b*b) / l1 // not half - hypot, which cancels for thin ellipses
	k := math.Sqrt(-2 * math.Log1p(-p))
	// The major axis makes the angle θ = atan2(2b, a-d)/2 with east,
	// counter-clockwise; its azimuth from north, clockwise, is 90° - θ.
	theta := math.Atan2(2*b, a-d) / 2 * 180 / math.Pi
	az := math.Mod(90-theta, 180)
	if az < 0 {
		az += 180
	}
	if az >= 180 || l1 == l2 {
		az = 0
	}
	return Ellipse{SemiMajorM: k * math.Sqrt(l1), SemiMinorM: k * math.Sqrt(l2), AzimuthDeg: az}, nil
}

// symmetric2 returns the entries of a finite symmetric 2×2 matrix.
func symmetric2(m [2][2]float64) (a, b, d float64, err error) {
	for _, row := range m {
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, 0, fmt.Errorf("covariance [[%g %g] [%g %g]] is not finite", m[0][0], m[0][1], m[1][0], m[1][1])
			}
		}
	}
	a, d = m[0][0], m[1][1]
	if diff := math.Abs(m[0][1] - m[1][0]); diff > 1e-9*math.Max(math.Abs(a)+math.Abs(d), math.Abs(m[0][1])+math.Abs(m[1][0])) {
		return 0, 0, 0, fmt.Errorf("covariance [[%g %g] [%g %g]] is not symmetric", m[0][0], m[0][1], m[1][0], m[1][1])
	}
	return a, (m[0][1] + m[1][0]) / 2, d, nil
}

// Mahalanobis2 returns the squared Mahalanobis distance of the offset (de,
// dn) metres east and north under the covariance cov (as for
// EllipseFromCov): the chi-square statistic with two degrees of freedom
// of a normal error. It is +Inf when cov is not finite, symmetric and
// positive definite.
func Mahalanobis2(cov [2][2]float64, de, dn float64) float64 {
	a, b, d, err := symmetric2(cov)
	det := a*d - b*b
	if err != nil || !(a > 0 && d > 0 && det > 0) {
		return math.Inf(1)
	}
	return (d*de*de - 2*b*de*dn + a*dn*dn) / det
}

// axes returns unit vectors (east, north) along the major axis and along
// the minor axis a quarter turn counter-clockwise from it.
func (e Ellipse) axes() (major, minor [2]float64) {
	s, c := math.Sincos(e.AzimuthDeg * math.Pi / 180)
	return [2]float64{s, c}, [2]float64{-c, s}
}

// Polygon returns a closed ring of n+1 points around the ellipse centred on
// center, the last equal to the first, counter-clockwise as GeoJSON wants
// of an exterior ring. The vertices are at equal steps of the ellipse's
// parametric angle, starting at the end of the major axis, and are placed
// with the local plane about center (NewENU), so that they lie at their
// true geodesic distance and azimuth from it. n below 3 is taken as 3.
// Near the antimeridian longitudes wrap to [-180, 180], which a caller
// drawing the ring must handle.
func (e Ellipse) Polygon(center LonLat, n int) []LonLat {
	n = max(n, 3)
	plane := NewENU(center)
	major, minor := e.axes()
	ring := make([]LonLat, n+1)
	for i := range n {
		s, c := math.Sincos(2 * math.Pi * float64(i) / float64(n))
		u, v := e.SemiMajorM*c, e.SemiMinorM*s
		ring[i] = plane.Inverse(u*major[0]+v*minor[0], u*major[1]+v*minor[1])
	}
	ring[n] = ring[0]
	return ring
}

// Contains reports whether p lies inside or on the ellipse centred on
// center, measured in the local plane about center. A degenerate ellipse
// (an axis of zero length) contains only the points of its segment, and
// an ellipse with a non-finite or negative axis contains nothing.
func (e Ellipse) Contains(center, p LonLat) bool {
	if !(e.SemiMajorM >= 0 && e.SemiMinorM >= 0) || math.IsInf(e.SemiMajorM, 0) || math.IsInf(e.SemiMinorM, 0) {
		return false
	}
	de, dn := NewENU(center).Forward(p)
	major, minor := e.axes()
	u, v := de*major[0]+dn*major[1], de*minor[0]+dn*minor[1]
	const slack = 1e-9 // metres, for points on a degenerate axis
	switch {
	case e.SemiMajorM == 0:
		return math.Hypot(u, v) <= slack
	case e.SemiMinorM == 0:
		return math.Abs(v) <= slack && math.Abs(u) <= e.SemiMajorM+slack
	}
	u, v = u/e.SemiMajorM, v/e.SemiMinorM
	return u*u+v*v <= 1
}

// Package attribution says, with honest uncertainty, whose side of the
// contact line an estimated point is on. Given a position (such as the
// origin of fire) and its 2×2 covariance in a local east-north frame, it
// gives the probability that the true point lies on each party's side, the
// signed distance to the line and its standard deviation, the zones the
// estimate is in and the probability of each zone (alone and with each
// side), and a decision: the party when the most probable side reaches
// Config.MinProbability, otherwise "not attributable", with the
// probabilities still given.
//
// # Model
//
// The error of the estimate is normal, with the given covariance, in the
// local east-north plane about the estimate (geo.ENU, an azimuthal
// equidistant projection), and the true point is the estimate minus the
// error. The probabilities are therefore those of a flat prior over where
// events happen: what an estimate with a covariance says, and no more.
// Sides, distances and zones are always those of terms.Agreement.Locate,
// with its rules on the line itself (no side: such a point counts half to
// each party) and beyond the line's ends (the side continues along the end
// segment's geodesic; the distance is to the end point).
//
// # The analytic method
//
// At the estimate P, Locate gives the signed distance s (positive on the
// left) and the nearest point of the line. The unit vector from the nearest
// point to P, turned to point to the left side, is the gradient g of the
// signed distance (within a metre of the line it is taken from two probes
// instead). Where the line is straight over the ellipse, the signed
// distance of the true point P+δ is s+g·δ, normal with mean s and standard
// deviation σn = √(gᵀΣg), and exactly
//
//	P(left) = Φ(s/σn)
//	P(in a zone of half width w) = Φ((w−s)/σn) − Φ((−w−s)/σn)
//	P(left and in the zone) = Φ((w−s)/σn) − Φ(−s/σn)
//
// Attribute uses these only where it has proved them, from the line's
// vertices, to within 4·10⁻⁶. Let R be 5σmax, σmax the standard deviation
// along the ellipse's major axis: the disc of radius R about P holds all
// but e^(−12.5) ≈ 3.7·10⁻⁶ of the probability. The side formula is proved
// when, inside that disc, the line is either absent, with no end's
// extension crossing the disc (the side is then constant over it), or a
// single geodesic segment without a vertex. A zone formula is proved when
// the zone's edge is farther than R from |s| (the distance to the line
// changes no faster than the position, so the disc is then wholly in or
// out of the zone), or when every point of the line within |s|+2R of P
// lies on one segment between its vertices (then every point of the disc
// has its nearest point there, and the distance is linear over it). The
// proof asks geo.Polyline.Near, which bounds the distance to each segment
// from below by chords in Earth-centred coordinates, and takes a
// MultiLineString's parts to be drawn in the same sense, as the terms
// require.
//
// # The numerical method
//
// Otherwise (near a vertex or bend, an end, or two parts) Attribute
// integrates over a fixed set of Config.Samples points of the standard
// normal plane: a golden-angle spiral whose radii stratify the radial
// distribution exactly. Each point is mapped through the covariance's
// eigen-decomposition into the plane, back to WGS84 (geo.ENU.Inverse) and
// located with Locate. Each point stands for a cell of probability 1/n
// about it; instead of counting the whole cell on its centre's side, the
// signed distance is taken as linear across the cell, with the line's
// normal at the centre's nearest point as gradient, and the fractions of
// the cell on each side of the line and of each zone's edges are counted.
// The straight-line model above is a control variate: the same sum is
// computed for it, subtracted, and its exact probabilities added, so that
// wherever the line is straight the numerical part cancels and the two
// methods agree. Against brute-force Monte Carlo on V-shaped lines of 30°
// to 135° (TestBends), the side and zone probabilities are within 0.01 at
// the default 128 points. Beyond an end, near the end segment's extension,
// the side changes without the distance passing through zero, the cells
// cannot see the boundary, and the error is about 0.02.
//
// The points are the same for every call, so the result is a function of
// the input alone.
//
// # Degenerate input
//
// A covariance must be finite, symmetric and positive semi-definite. A
// singular one is an error along one axis only and is handled as such (its
// σn may be zero: then the side is certain where the line is straight). A
// zero covariance, or one whose major standard deviation is under
// PointSigmaM (1 mm, the accuracy of Locate), makes the estimate an exact
// point (MethodPoint). A standard deviation over MaxSigmaM (1,000 km), a
// covariance with NaN or infinities, and a position that is not a valid
// WGS84 longitude and latitude are errors.
//
// # Cost
//
// On the 148-point example line (BenchmarkAttribute, 2 cores): about 5 µs
// for the analytic method (one Locate, one pass over the segments); about
// 0.35 ms for the numerical one at the default 128 points (a Locate and a
// geodesic each). New costs about 0.2 ms, mostly decoding the line from the
// terms: build one Attributor per agreement and reuse it. The function
// Attribute builds one per call.
//
// Nothing here keeps state or does I/O.
package attribution

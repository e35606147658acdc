// Package geo holds the geodesy the rest of guarantor uses: distances and
// azimuths on the WGS84 ellipsoid, a local east-north projection, the
// distance and side of a point from a polyline, and self-intersection tests.
//
// Ellipsoidal computations use Karney's algorithms (github.com/tidwall/geodesic).
// Nearest-point queries prune with chord distances in Earth-centred
// Cartesian coordinates, which bound geodesic distances, and refine on the
// ellipsoid; crossing tests use github.com/golang/geo/s2's exact predicates
// on the sphere. Angles are in degrees, azimuths clockwise from north, and
// distances in metres. Nothing here keeps state or does I/O.
package geo

import (
	"math"

	"github.com/golang/geo/s2"
	"github.com/tidwall/geodesic"
)

// LonLat is a WGS84 position: longitude and latitude in degrees, in GeoJSON order.
type LonLat struct {
	Lon, Lat float64
}

// Valid reports whether p is a finite position with longitude in [-180, 180]
// and latitude in [-90, 90].
func (p LonLat) Valid() bool {
	return p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90
}

// Distance returns the geodesic distance in metres from a to b on WGS84.
func Distance(a, b LonLat) float64 {
	var s float64
	geodesic.WGS84.Inverse(a.Lat, a.Lon, b.Lat, b.Lon, &s, nil, nil)
	return s
}

// Azimuth returns the azimuth of the geodesic from a to b at a, in degrees
// clockwise from north in [0, 360). It is 0 when a and b coincide.
func Azimuth(a, b LonLat) float64 {
	var s, azi float64
	geodesic.WGS84.Inverse(a.Lat, a.Lon, b.Lat, b.Lon, &s, &azi, nil)
	if s == 0 {
		return 0
	}
	return normAzimuth(azi)
}

// Inverse solves the inverse geodesic problem: the distance in metres from
// a to b, the azimuth at a and the forward azimuth at b, in degrees
// clockwise from north in [0, 360).
func Inverse(a, b LonLat) (metres, azi1, azi2 float64) {
	geodesic.WGS84.Inverse(a.Lat, a.Lon, b.Lat, b.Lon, &metres, &azi1, &azi2)
	return metres, normAzimuth(azi1), normAzimuth(azi2)
}

// Direct returns the point reached by following the geodesic from p with
// the initial azimuth azimuthDeg (degrees clockwise from north) for metres
// (which may be negative). The longitude is in [-180, 180].
func Direct(p LonLat, azimuthDeg, metres float64) LonLat {
	var q LonLat
	geodesic.WGS84.Direct(p.Lat, p.Lon, azimuthDeg, metres, &q.Lat, &q.Lon, nil)
	return q
}

// normAzimuth maps an azimuth in degrees into [0, 360).
func normAzimuth(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	if a >= 360 { // -tiny + 360 rounds to 360
		a = 0
	}
	return a
}

// unitPoint maps p to a point on the unit sphere, treating geodetic
// latitude as spherical. Good enough for pruning and crossing tests.
func unitPoint(p LonLat) s2.Point {
	return s2.PointFromLatLng(s2.LatLngFromDegrees(p.Lat, p.Lon))
}

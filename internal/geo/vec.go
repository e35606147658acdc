package geo

import "math"

// vec is a point or vector in Earth-centred, Earth-fixed Cartesian
// coordinates, in metres.
type vec struct{ x, y, z float64 }

func (a vec) add(b vec) vec       { return vec{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec) sub(b vec) vec       { return vec{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec) scale(k float64) vec { return vec{a.x * k, a.y * k, a.z * k} }
func (a vec) dot(b vec) float64   { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec) norm() float64       { return math.Sqrt(a.dot(a)) }

// WGS84 ellipsoid constants.
const (
	wgs84A  = 6_378_137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// ecef returns the Earth-centred Cartesian coordinates of p on the ellipsoid.
func ecef(p LonLat) vec {
	sinLat, cosLat := math.Sincos(p.Lat * math.Pi / 180)
	sinLon, cosLon := math.Sincos(p.Lon * math.Pi / 180)
	n := wgs84A / math.Sqrt(1-wgs84E2*sinLat*sinLat)
	return vec{n * cosLat * cosLon, n * cosLat * sinLon, n * (1 - wgs84E2) * sinLat}
}

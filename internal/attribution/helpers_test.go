package attribution

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// agreement compiles terms with party A on the left and B on the right,
// the contact line through points, a buffer zone of half width buffer and
// the weapon classes.
func agreement(t testing.TB, points []geo.LonLat, buffer float64, classes ...terms.WeaponClass) *terms.Agreement {
	t.Helper()
	coords := make([][]float64, len(points))
	for i, p := range points {
		coords[i] = []float64{p.Lon, p.Lat}
	}
	a, err := terms.Compile(terms.Terms{
		ID:            "test",
		Version:       "1",
		EffectiveFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Parties:       []terms.Party{{Code: "A", Side: terms.Left}, {Code: "B", Side: terms.Right}},
		ContactLine:   terms.Geometry{Type: terms.LineString, Coordinates: coords},
		BufferZone:    terms.BufferZone{HalfWidthM: buffer},
		WeaponClasses: append([]terms.WeaponClass{}, classes...),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testdata compiles a terms file of internal/terms/testdata.
func testdata(t testing.TB, name string) *terms.Agreement {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "terms", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := terms.Parse(data, name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := terms.Compile(tm)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// straight returns an agreement whose contact line is one geodesic of
// about 150 km, drawn west to east at 48° N (so A is north, B south), with
// a 1 km buffer zone and a 3 km withdrawal band "artillery_100mm", and the
// point of the line at its middle, where the line runs due east.
func straight(t testing.TB) (*terms.Agreement, geo.LonLat) {
	t.Helper()
	a := agreement(t, []geo.LonLat{{Lon: 36, Lat: 48}, {Lon: 38, Lat: 48}}, 1000,
		terms.WeaponClass{Code: "artillery_100mm", WithdrawalM: 3000})
	return a, a.Locate(geo.LonLat{Lon: 37, Lat: 48}).LinePoint
}

// apex is the bend of the V-shaped test lines.
var apex = geo.LonLat{Lon: 37, Lat: 48}

// vLine returns a line of two 40 km legs meeting at apex with the angle
// angleDeg between them, opening to the south: drawn up the south-west
// leg to the apex and down the south-east leg, so that the inside of the
// V (south of the apex) is on the right, party B's side.
func vLine(angleDeg float64) []geo.LonLat {
	return []geo.LonLat{
		geo.Direct(apex, 180+angleDeg/2, 40_000),
		apex,
		geo.Direct(apex, 180-angleDeg/2, 40_000),
	}
}

// circle returns the covariance of a circular error of standard deviation s.
func circle(s float64) [2][2]float64 { return [2][2]float64{{s * s, 0}, {0, s * s}} }

// ellipse returns the covariance of an error with standard deviations
// major and minor, the major axis at azimuth azDeg (clockwise from north).
func ellipse(major, minor, azDeg float64) [2][2]float64 {
	sin, cos := math.Sincos(azDeg * math.Pi / 180) // the major axis is (sin, cos), east and north
	a, b := major*major, minor*minor
	return [2][2]float64{
		{a*sin*sin + b*cos*cos, (a - b) * sin * cos},
		{(a - b) * sin * cos, a*cos*cos + b*sin*sin},
	}
}

// phi is the standard normal distribution function.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// reference is a brute-force Monte Carlo estimate, independent of the
// package's method: the probability of A's side and of each zone.
type reference struct {
	a    float64
	zone map[string]float64
}

// monteCarlo draws n pseudo-random errors of e (seeded, so repeatable)
// and locates each true point with Locate.
func monteCarlo(t testing.TB, a *terms.Agreement, e Estimate, n int, seed uint64) reference {
	t.Helper()
	c := e.Cov
	// A Cholesky factor, not the package's eigen-decomposition.
	l11 := math.Sqrt(c[0][0])
	l21 := c[1][0] / l11
	l22 := math.Sqrt(max(c[1][1]-l21*l21, 0))
	rng := rand.New(rand.NewPCG(seed, 1))
	enu := geo.NewENU(e.Position)
	ref := reference{zone: map[string]float64{}}
	for range n {
		z1, z2 := rng.NormFloat64(), rng.NormFloat64()
		loc := a.Locate(enu.Inverse(l11*z1, l21*z1+l22*z2))
		switch loc.Side {
		case terms.Left:
			ref.a++
		case "":
			ref.a += 0.5
		}
		for _, z := range loc.Zones {
			ref.zone[z]++
		}
	}
	ref.a /= float64(n)
	for k := range ref.zone {
		ref.zone[k] /= float64(n)
	}
	return ref
}

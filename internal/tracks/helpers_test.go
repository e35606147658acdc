package tracks

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// t0 is the time of the first point of the test tracks.
var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

// agreement compiles terms with party A on the left and B on the right and
// the contact line through points.
func agreement(t testing.TB, points ...geo.LonLat) *terms.Agreement {
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
		BufferZone:    terms.BufferZone{HalfWidthM: 1000},
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

// straightLine is a contact line of one geodesic of about 150 km drawn
// west to east at 48° N: A is north (left), B south (right).
var straightLine = []geo.LonLat{{Lon: 36, Lat: 48}, {Lon: 38, Lat: 48}}

// apex is the bend of vLine.
var apex = geo.LonLat{Lon: 37, Lat: 48}

// vLine is a line of two 40 km legs meeting at apex at 90°, opening to the
// south: drawn up the south-west leg and down the south-east one, so the
// inside of the V, south of the apex, is on the right, B's side.
var vLine = []geo.LonLat{geo.Direct(apex, 225, 40_000), apex, geo.Direct(apex, 135, 40_000)}

// offset returns the point across metres from the point along metres from
// the start of segment seg of line, along the geodesic perpendicular to
// the segment there: positive across is to the left of the line.
func offset(line []geo.LonLat, seg int, along, across float64) geo.LonLat {
	_, az, _ := geo.Inverse(line[seg], line[seg+1])
	q := geo.Direct(line[seg], az, along)
	if across == 0 {
		return q
	}
	_, _, alpha := geo.Inverse(line[seg], q)
	return geo.Direct(q, alpha-90, across)
}

// fix is a point of a test track: seconds after t0 and a position.
type fix struct {
	s int
	p geo.LonLat
}

// trackObs returns the track observation with the id, source, track id,
// time and position, labelled PUBLIC.
func trackObs(id, source, track string, at time.Time, p geo.LonLat) observe.Observation {
	return observe.Observation{
		ID:            id,
		Kind:          observe.KindTrack,
		Source:        observe.Source{ID: source, Type: observe.SourceRadar, Grading: "B2"},
		ObservedAt:    at,
		Location:      observe.Point{Lon: p.Lon, Lat: p.Lat},
		Releasability: label.PublicLabel(),
		Track:         &observe.Track{TrackID: track, Platform: observe.PlatformDrone, SpeedMPS: new(30.0), HeadingDeg: new(180.0)},
	}
}

// build assembles one track "radar/T1" from fixes, whose observation ids
// are p1, p2, and so on.
func build(t testing.TB, fixes []fix) Track {
	t.Helper()
	obs := make([]observe.Observation, len(fixes))
	for i, f := range fixes {
		obs[i] = trackObs(fmt.Sprintf("p%d", i+1), "radar", "T1", t0.Add(time.Duration(f.s)*time.Second), f.p)
	}
	trs := Assemble(obs, label.Scheme{})
	if len(trs) != 1 {
		t.Fatalf("Assemble made %d tracks, want 1", len(trs))
	}
	return trs[0]
}

package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/verify"
)

//go:embed daily.html.tmpl
var dailyHTML string

// page is the daily report's template. It is parsed once and only read.
var page = template.Must(template.New("daily").Funcs(template.FuncMap{
	"num":      num,
	"signed":   signed,
	"km":       f1,
	"clock":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"state":    stateName,
	"delay":    delay,
	"longDate": longDate,
}).Parse(dailyHTML))

// The size of the map in SVG user units (pixels on screen).
const (
	mapWidth     = 960.0
	mapMaxHeight = 720.0
	mapMinHeight = 240.0
	mapPad       = 16.0
)

// The colours of the violation types on the map; other types take
// otherColours in turn.
var (
	typeColours = map[string]string{
		terms.FireAcrossLine:         "#d7191c",
		terms.FireSameSide:           "#f28e2b",
		terms.FireUnresolved:         "#9c6b30",
		terms.WeaponInWithdrawalZone: "#7b3294",
		terms.PresenceInBufferZone:   "#2c7bb6",
		terms.AirspaceCrossing:       "#1a9641",
	}
	otherColours = []string{"#e7298a", "#66a61e", "#e6ab02", "#17becf", "#666666"}
)

// view is what the template renders.
type view struct {
	R        Report
	Title    string
	Window   string
	Marking  string
	NoNation bool // restricted records that share no nation
	Map      svgMap
}

// svgMap is the map, projected.
type svgMap struct {
	Width, Height string
	Lines         []string // path data
	Regions       []svgPath
	Incidents     []svgMarker
	Violations    []svgMarker
	Restrictions  []svgMarker
	Legend        []legendItem
	Aggregated    bool
}

type svgPath struct{ D, Title string }

// svgMarker is a circle (violations, incidents) centred on X, Y with
// radius R, or a square (restrictions) with its corner at X, Y and sides Side.
type svgMarker struct {
	X, Y, R, Side string
	Colour, Title string
	Filled        bool
}

type legendItem struct {
	Colour, Label string
	Count         int
}

// HTML writes the report as a page to read and print: a title, the
// summary, a notice of the version, an inline SVG map, and the tables. It
// loads nothing from elsewhere and runs no script.
func (r Report) HTML(w io.Writer) error {
	v := view{
		R:       r,
		Title:   "Daily report for " + longDate(r.From),
		Window:  fmt.Sprintf("From %s UTC on %s to %s UTC on %s", r.From.UTC().Format("15:04"), longDate(r.From), r.To.UTC().Format("15:04"), longDate(r.To)),
		Marking: r.Label.String(),
		Map:     project(r),
	}
	v.NoNation = r.Restricted && len(r.Label.RelTo) == 0
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("report: render HTML: %w", err)
	}
	return nil
}

// projection maps longitude and latitude to the SVG's user units: an
// equirectangular projection scaled by the cosine of the mean latitude.
type projection struct {
	west, north, cosLat, k, x0, y0 float64
}

func (p projection) xy(lon, lat float64) (float64, float64) {
	return p.x0 + (lon-p.west)*p.cosLat*p.k, p.y0 + (p.north-lat)*p.k
}

// project draws the report's map.
func project(r Report) svgMap {
	m := r.Map
	west, south, east, north := m.BBox[0], m.BBox[1], m.BBox[2], m.BBox[3]
	if !(west <= east && south <= north) { // nothing to draw
		west, south, east, north = 0, 0, 1, 1
	}
	p := projection{west: west, north: north, cosLat: math.Cos((south + north) / 2 * math.Pi / 180)}
	dx := max((east-west)*p.cosLat, 1e-6)
	dy := max(north-south, 1e-6)
	p.k = min((mapWidth-2*mapPad)/dx, (mapMaxHeight-2*mapPad)/dy)
	height := min(max(dy*p.k+2*mapPad, mapMinHeight), mapMaxHeight)
	p.x0 = (mapWidth - dx*p.k) / 2
	p.y0 = (height - dy*p.k) / 2
	out := svgMap{Width: f1(mapWidth), Height: f1(height)}

	for _, line := range m.ContactLines {
		out.Lines = append(out.Lines, pathData(p, line, false))
	}
	for _, reg := range m.Regions {
		var d strings.Builder
		for _, ring := range reg.Rings {
			d.WriteString(pathData(p, ring, true))
		}
		out.Regions = append(out.Regions, svgPath{D: d.String(), Title: reg.Name})
	}

	colours := map[string]string{}
	n := 0
	for _, row := range r.ByType {
		c, ok := typeColours[row.Code]
		if !ok {
			c = otherColours[n%len(otherColours)]
			n++
		}
		colours[row.Code] = c
	}
	colour := func(kind string) string {
		if c, ok := colours[kind]; ok {
			return c
		}
		return otherColours[len(otherColours)-1]
	}
	names := map[string]string{}
	for _, row := range r.ByType {
		names[row.Code] = row.Name
	}
	// A cell of an aggregated layer is a circle (a square for restrictions)
	// whose area is in proportion to its count; the largest fills its cell.
	cell := max(dx, dy) / gridColumns * p.k
	most := map[*Layer]int{}
	for _, l := range []*Layer{&m.Incidents, &m.Violations, &m.Restrictions} {
		for _, mk := range l.Markers {
			most[l] = max(most[l], mk.Count)
		}
	}
	radius := func(l *Layer, mk Marker, single float64) float64 {
		if !l.Aggregated {
			return single
		}
		return max(cell/2*math.Sqrt(float64(mk.Count)/float64(most[l])), 1.2)
	}
	for _, mk := range m.Incidents.Markers {
		x, y := p.xy(mk.Lon, mk.Lat)
		title := "Incident " + mk.ID + " (" + mk.Kind + ")"
		if m.Incidents.Aggregated {
			title = "" // the background: keep the page small
		}
		out.Incidents = append(out.Incidents, svgMarker{X: f1(x), Y: f1(y), R: f1(radius(&m.Incidents, mk, 1.6)), Colour: "#8c8c8c", Title: title})
	}
	seen := map[string]int{}
	for _, mk := range m.Violations.Markers {
		x, y := p.xy(mk.Lon, mk.Lat)
		name := names[mk.Kind]
		if name == "" {
			name = humanize(mk.Kind)
		}
		title := mk.ID + ": " + name
		if m.Violations.Aggregated {
			title = plural(mk.Count, "violation", "violations") + ", most of them " + lower(name)
		}
		seen[mk.Kind] += mk.Count
		out.Violations = append(out.Violations, svgMarker{X: f1(x), Y: f1(y), R: f1(radius(&m.Violations, mk, 4)), Colour: colour(mk.Kind), Title: title})
	}
	for _, mk := range m.Restrictions.Markers {
		x, y := p.xy(mk.Lon, mk.Lat)
		what := "Access denied"
		if mk.Kind == KindDelayed {
			what = "Access delayed"
		}
		title := what + " (" + mk.ID + ")"
		if m.Restrictions.Aggregated {
			title = plural(mk.Count, "restriction", "restrictions") + ", most of them " + lower(what)
		}
		s := radius(&m.Restrictions, mk, 4.5)
		out.Restrictions = append(out.Restrictions, svgMarker{X: f1(x - s), Y: f1(y - s), Side: f1(2 * s), Filled: mk.Kind == KindDenied, Title: title})
	}
	out.Aggregated = m.Violations.Aggregated || m.Incidents.Aggregated || m.Restrictions.Aggregated
	for _, row := range r.ByType {
		if seen[row.Code] > 0 {
			out.Legend = append(out.Legend, legendItem{Colour: colours[row.Code], Label: row.Name, Count: seen[row.Code]})
		}
	}
	return out
}

// pathData writes an SVG path through the points, closed if ring.
func pathData(p projection, pts [][2]float64, ring bool) string {
	var b strings.Builder
	for i, q := range pts {
		x, y := p.xy(q[0], q[1])
		if i == 0 {
			b.WriteByte('M')
		} else {
			b.WriteByte('L')
		}
		b.WriteString(f1(x))
		b.WriteByte(' ')
		b.WriteString(f1(y))
	}
	if ring {
		b.WriteByte('Z')
	}
	return b.String()
}

// f1 writes x with one decimal.
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// signed writes a change with its sign: "+3", "−2" or "0".
func signed(n int) string {
	switch {
	case n > 0:
		return "+" + num(n)
	case n < 0:
		return "−" + num(-n)
	}
	return "0"
}

// stateName writes a verification state for a reader.
func stateName(s string) string {
	switch verify.State(s) {
	case verify.MoreInformation:
		return "more information asked"
	case verify.SecondReview:
		return "in second review"
	}
	return s
}

// delay writes how long a patrol was held.
func delay(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// longDate writes the day of t in UTC: "2 December 2026".
func longDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

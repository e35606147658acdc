package report

import (
	"cmp"
	"math"
	"slices"
)

// MaxMarkers is the most records a layer of the map draws one by one; a
// layer with more is drawn as counts on a grid.
const MaxMarkers = 2000

// gridColumns is the number of cells across the longer side of the map in
// the grid that aggregates markers.
const gridColumns = 48

// Map is what the report's map draws, in WGS84 longitude and latitude.
type Map struct {
	// BBox is the west, south, east and north bounds of the contact line
	// and the day's records drawn: the extent of the map.
	BBox [4]float64 `json:"bbox"`
	// ContactLines are the parts of the contact line, each a list of [lon, lat].
	ContactLines [][][2]float64 `json:"contact_lines"`
	// Regions are the outlines of the named regions, in the order of the terms.
	Regions []MapRegion `json:"regions"`
	// Violations are the day's violations, of Kind their type; Restrictions
	// the restrictions of access, of Kind "denied" or "delayed"; Incidents
	// the day's incidents, of Kind their class.
	Violations   Layer `json:"violations"`
	Restrictions Layer `json:"restrictions"`
	Incidents    Layer `json:"incidents"`
}

// MapRegion is the outline of a region: the rings of its area.
type MapRegion struct {
	Code  string         `json:"code"`
	Name  string         `json:"name"`
	Rings [][][2]float64 `json:"rings"`
}

// Layer is one kind of record on the map.
type Layer struct {
	// Aggregated is true when the layer had more than MaxMarkers records
	// with a position: then each marker is a cell of a grid over the map
	// (gridColumns cells across its longer side), at the mean position of the records in it.
	Aggregated bool `json:"aggregated"`
	// Markers are ordered by time then id, or by grid row then column.
	Markers []Marker `json:"markers"`
}

// Marker is one record, or the records of a grid cell.
type Marker struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	// Kind is the record's kind; for a cell, the most frequent kind in it
	// (on a tie, the one whose first record in the layer is earliest).
	Kind string `json:"kind"`
	// Count is 1 for a record, the number of records for a cell.
	Count int `json:"count"`
	// ID is the record's id; empty for a cell.
	ID string `json:"id,omitempty"`
}

// point is a record to draw.
type point struct {
	lon, lat float64
	kind     string
	id       string
}

// Kinds of restriction marker.
const (
	KindDenied  = "denied"
	KindDelayed = "delayed"
)

// mapData gathers what the map draws. Records without a valid position
// are counted but not drawn.
func (b *builder) mapData() Map {
	var m Map
	bb := newBounds()
	for _, l := range b.a.ContactLines() {
		var line [][2]float64
		for _, p := range l.Points() {
			line = append(line, [2]float64{p.Lon, p.Lat})
			bb.add(p.Lon, p.Lat)
		}
		m.ContactLines = append(m.ContactLines, line)
	}
	m.Regions = []MapRegion{}
	for _, r := range b.in.Terms.Regions {
		polys, err := r.Area.Polygons()
		if err != nil {
			continue // Compile accepted the terms, so this does not happen
		}
		mr := MapRegion{Code: r.Code, Name: regionName(r)}
		for _, poly := range polys {
			for _, ring := range poly {
				var out [][2]float64
				for _, p := range ring {
					out = append(out, [2]float64{p.Lon, p.Lat})
				}
				mr.Rings = append(mr.Rings, out)
			}
		}
		m.Regions = append(m.Regions, mr)
	}

	today := b.days[0]
	var vs, xs, ns []point
	for _, lv := range today.violations {
		if v := lv.rec; counted(v.State) && v.Position.Valid() {
			vs = append(vs, point{v.Position.Lon, v.Position.Lat, v.Type, v.ID})
		}
	}
	for _, lx := range today.restrictions {
		if x := lx.rec; x.Position.Valid() {
			kind := KindDelayed
			if x.Denied {
				kind = KindDenied
			}
			xs = append(xs, point{x.Position.Lon, x.Position.Lat, kind, x.ID})
		}
	}
	for _, n := range today.incidents {
		if n.Position.Valid() {
			ns = append(ns, point{n.Position.Lon, n.Position.Lat, n.Class, n.ID})
		}
	}
	for _, ps := range [][]point{vs, xs, ns} {
		for _, p := range ps {
			bb.add(p.lon, p.lat)
		}
	}
	m.BBox = [4]float64{bb.west, bb.south, bb.east, bb.north}
	g := newGrid(m.BBox)
	m.Violations = g.layer(vs)
	m.Restrictions = g.layer(xs)
	m.Incidents = g.layer(ns)
	return m
}

// bounds is a bounding box being grown.
type bounds struct{ west, south, east, north float64 }

func newBounds() bounds {
	return bounds{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b *bounds) add(lon, lat float64) {
	b.west, b.east = min(b.west, lon), max(b.east, lon)
	b.south, b.north = min(b.south, lat), max(b.north, lat)
}

// grid is the grid that aggregates the markers of a crowded layer: square
// cells on the map's projection, gridColumns across the box.
type grid struct {
	west, north  float64
	cosLat, cell float64 // cell is the side of a cell in degrees of latitude
	cols         int
}

func newGrid(bbox [4]float64) grid {
	cosLat := math.Cos((bbox[1] + bbox[3]) / 2 * math.Pi / 180)
	width := max((bbox[2]-bbox[0])*cosLat, bbox[3]-bbox[1], 1e-6)
	return grid{west: bbox[0], north: bbox[3], cosLat: cosLat, cell: width / gridColumns, cols: gridColumns + 1}
}

// layer returns the layer of points, aggregated if there are more than MaxMarkers.
func (g grid) layer(ps []point) Layer {
	if len(ps) <= MaxMarkers {
		l := Layer{Markers: make([]Marker, len(ps))}
		for i, p := range ps {
			l.Markers[i] = Marker{Lon: p.lon, Lat: p.lat, Kind: p.kind, Count: 1, ID: p.id}
		}
		return l
	}
	// The order in which kinds first appear breaks ties.
	rank := map[string]int{}
	for _, p := range ps {
		if _, ok := rank[p.kind]; !ok {
			rank[p.kind] = len(rank)
		}
	}
	type cell struct {
		key      int
		lon, lat float64
		n        int
		kinds    []int // by rank
	}
	cells := map[int]*cell{}
	for _, p := range ps {
		col := int((p.lon - g.west) * g.cosLat / g.cell)
		row := int((g.north - p.lat) / g.cell)
		key := row*g.cols + col
		c, ok := cells[key]
		if !ok {
			c = &cell{key: key, kinds: make([]int, len(rank))}
			cells[key] = c
		}
		c.lon += p.lon
		c.lat += p.lat
		c.n++
		c.kinds[rank[p.kind]]++
	}
	kinds := make([]string, len(rank))
	for k, i := range rank {
		kinds[i] = k
	}
	list := make([]*cell, 0, len(cells))
	for _, c := range cells {
		list = append(list, c)
	}
	slices.SortFunc(list, func(x, y *cell) int { return cmp.Compare(x.key, y.key) })
	l := Layer{Aggregated: true, Markers: make([]Marker, len(list))}
	for i, c := range list {
		best := 0
		for k, n := range c.kinds {
			if n > c.kinds[best] {
				best = k
			}
		}
		l.Markers[i] = Marker{Lon: c.lon / float64(c.n), Lat: c.lat / float64(c.n), Kind: kinds[best], Count: c.n}
	}
	return l
}

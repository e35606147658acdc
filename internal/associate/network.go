package associate

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// network is the sensor registry prepared for the search: for each sensor,
// the sensors that can hear a sound it hears (within twice the range) in its
// local east-north plane, and its pairs of helpers.
type network struct {
	ids   []string
	index map[string]int32
	pos   []geo.LonLat
	// nbrs[s] lists the other sensors within 2·MaxRangeM of s, nearest
	// first, with their coordinates in s's plane.
	nbrs [][]neighbour
	help [][]helpers
}

// neighbour is a sensor seen from another one.
type neighbour struct {
	s    int32   // sensor index
	e, n float64 // east and north of the origin sensor, metres
	d    float64 // distance, metres
}

// helpers are two sensors near a seed's sensor whose detections, with the
// seed, fix candidate sources. b and c index nbrs.
type helpers struct {
	b, c int
	// inv is the inverse of the matrix whose rows are the helpers'
	// coordinates (row-major), which solves the linearised equations.
	inv [4]float64
}

// minHelperSine is the least sine of the angle between the two helpers, seen
// from the seed's sensor: nearly collinear helpers fix a source badly.
const minHelperSine = 0.5

// newNetwork checks the registry and prepares it.
func newNetwork(sensors []Sensor, cfg Config) (*network, error) {
	if len(sensors) == 0 {
		return nil, errNoSensors
	}
	if len(sensors) > math.MaxInt32 {
		return nil, fmt.Errorf("%d sensors: too many", len(sensors))
	}
	nw := &network{
		ids:   make([]string, len(sensors)),
		index: make(map[string]int32, len(sensors)),
		pos:   make([]geo.LonLat, len(sensors)),
		nbrs:  make([][]neighbour, len(sensors)),
		help:  make([][]helpers, len(sensors)),
	}
	for i, s := range sensors {
		switch {
		case s.ID == "":
			return nil, fmt.Errorf("sensor %d: empty id", i)
		case !s.Position.Valid() || math.IsNaN(s.Position.Lon) || math.IsNaN(s.Position.Lat):
			return nil, fmt.Errorf("sensor %q: position %v is not a valid longitude and latitude", s.ID, s.Position)
		}
		if _, dup := nw.index[s.ID]; dup {
			return nil, fmt.Errorf("sensor %q: listed twice", s.ID)
		}
		nw.index[s.ID] = int32(i)
		nw.ids[i] = s.ID
		nw.pos[i] = s.Position
	}

	// Neighbours: sweep the sensors in order of latitude. A degree of
	// latitude is at least 110.5 km, so sensors further apart in latitude
	// than the reach cannot be neighbours.
	reach := 2 * cfg.MaxRangeM
	byLat := make([]int32, len(sensors))
	for i := range byLat {
		byLat[i] = int32(i)
	}
	slices.SortFunc(byLat, func(a, b int32) int {
		return cmp.Or(cmp.Compare(nw.pos[a].Lat, nw.pos[b].Lat), cmp.Compare(a, b))
	})
	dLat := reach/110_500 + 1e-9
	for k, a := range byLat {
		plane := geo.NewENU(nw.pos[a])
		visit := func(b int32) {
			e, n := plane.Forward(nw.pos[b])
			if d := math.Hypot(e, n); d <= reach {
				nw.nbrs[a] = append(nw.nbrs[a], neighbour{s: b, e: e, n: n, d: d})
			}
		}
		for j := k - 1; j >= 0 && nw.pos[a].Lat-nw.pos[byLat[j]].Lat <= dLat; j-- {
			visit(byLat[j])
		}
		for j := k + 1; j < len(byLat) && nw.pos[byLat[j]].Lat-nw.pos[a].Lat <= dLat; j++ {
			visit(byLat[j])
		}
		slices.SortFunc(nw.nbrs[a], func(x, y neighbour) int {
			return cmp.Or(cmp.Compare(x.d, y.d), cmp.Compare(x.s, y.s))
		})
		nw.help[a] = chooseHelpers(nw.nbrs[a], cfg.MaxRangeM)
	}
	return nw, nil
}

// maxHelperPairs is how many pairs of helpers a sensor has: if one of the
// first pair missed a sound, the next pairs can still find it.
const maxHelperPairs = 8

// helperCandidates is how many of a sensor's nearest neighbours its
// helpers are chosen from. Where sensors lie nearly in a line (along a
// front), the nearest four make few pairs that are not in line with the
// seed's sensor.
const helperCandidates = 6

// chooseHelpers returns the pairs of helpers of a sensor: of its nearest
// neighbours close enough to hear what it hears nearby, the pairs not
// nearly in line with it, nearest first.
func chooseHelpers(nb []neighbour, rangeM float64) []helpers {
	var near []int
	for i := range nb {
		if nb[i].d > 0 && nb[i].d <= 1.5*rangeM && len(near) < helperCandidates {
			near = append(near, i)
		}
	}
	var hs []helpers
	for x := 0; x < len(near); x++ {
		for y := x + 1; y < len(near); y++ {
			b, c := nb[near[x]], nb[near[y]]
			det := b.e*c.n - b.n*c.e
			if math.Abs(det)/(b.d*c.d) < minHelperSine {
				continue
			}
			hs = append(hs, helpers{b: near[x], c: near[y],
				inv: [4]float64{c.n / det, -b.n / det, -c.e / det, b.e / det}})
		}
	}
	slices.SortStableFunc(hs, func(x, y helpers) int {
		return cmp.Compare(nb[x.b].d+nb[x.c].d, nb[y.b].d+nb[y.c].d)
	})
	// Prefer pairs that do without each helper of the first in turn.
	if len(hs) > 2 {
		first := hs[0]
		rest := hs[1:]
		var ordered []helpers
		for _, drop := range []int{first.b, first.c} {
			for k, h := range rest {
				if h.b != drop && h.c != drop {
					ordered = append(ordered, h)
					rest = slices.Delete(slices.Clone(rest), k, k+1)
					break
				}
			}
		}
		hs = append([]helpers{first}, append(ordered, rest...)...)
	}
	return hs[:min(len(hs), maxHelperPairs)]
}

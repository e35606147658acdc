package sqlite

import "math"

// The observations table keeps, for each row, the number of the grid cell its
// location falls in. Cells are cellDeg degrees square. A bounding-box query
// turns into a short list of cells, and the index on (cell, observed_at) gives
// each cell's rows in time order. Unlike an R-tree, whose inserts land at
// random places, inserts into this index land at the end of each cell's run,
// so the pages being written stay in cache as the table grows.
const (
	cellDeg     = 0.1
	cellsPerRow = 3600 // 360 / cellDeg
	// maxQueryCells is the most cells a query lists before it is cheaper to
	// scan by time alone and filter the box.
	maxQueryCells = 400
)

// cellOf returns the grid cell of a position.
func cellOf(lon, lat float64) int64 {
	x := int64(math.Floor((lon + 180) / cellDeg))
	y := int64(math.Floor((lat + 90) / cellDeg))
	x = min(max(x, 0), cellsPerRow-1)
	y = min(max(y, 0), 1800-1)
	return y*cellsPerRow + x
}

// cellsOf lists the cells that a bounding box [west, south, east, north]
// touches, or reports false when there are more than maxQueryCells. A box
// whose west edge is east of its east edge crosses the antimeridian.
func cellsOf(b [4]float64) ([]int64, bool) {
	west, south, east, north := b[0], b[1], b[2], b[3]
	if west > east {
		a, ok := cellsOf([4]float64{west, south, 180, north})
		if !ok {
			return nil, false
		}
		c, ok := cellsOf([4]float64{-180, south, east, north})
		return append(a, c...), ok && len(a)+len(c) <= maxQueryCells
	}
	lo, hi := cellOf(west, south), cellOf(east, north)
	x0, y0 := lo%cellsPerRow, lo/cellsPerRow
	x1, y1 := hi%cellsPerRow, hi/cellsPerRow
	n := (x1 - x0 + 1) * (y1 - y0 + 1)
	if n > maxQueryCells {
		return nil, false
	}
	out := make([]int64, 0, n)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			out = append(out, y*cellsPerRow+x)
		}
	}
	return out, true
}

package sqlite

import (
	"math"
	"time"
)

// How observations are indexed for bounding-box-and-time queries.
//
// A spatial index such as an R-tree, or an index keyed by grid cell, puts each
// new row at a place in the B-tree chosen by its position: a transaction of
// 1,000 observations from all over the front writes about 1,000 different
// pages, and as the table grows past the cache the writes turn into random
// I/O. Ingest then slows with the size of the database.
//
// Instead, the spatial index leads with time: (minute, cell, ...), where
// minute is the observation time in whole minutes and cell a grid cell of
// cellDeg degrees. Observations arrive roughly in time order, so a batch
// lands in the last few minutes of the index: a few dozen pages, already in
// cache, whatever the size of the table. A query for a box and a time window
// lists the minutes of the window and the cells of the box and seeks to each
// (minute, cell) pair; a window or box too large for that scans the window's
// minutes and filters the cells from the index entries alone.
const (
	cellDeg     = 0.1
	cellsPerRow = 3600 // 360 / cellDeg
	// maxQueryCells is the most cells a query lists before it is cheaper to
	// scan by time alone and filter the box.
	maxQueryCells = 400
	// maxSeeks is the most (minute, cell) pairs a query seeks to one by one.
	maxSeeks = 20_000
	// maxListedMinutes is the longest window whose minutes are listed.
	maxListedMinutes = 7 * 24 * 60
)

// IndexKeys returns the index minute and grid cell under which an
// observation at a time and position is indexed. It is exported for the
// benchmarks that insert rows without the store.
func IndexKeys(t time.Time, lon, lat float64) (minute, cell int64) {
	return minuteOf(t), cellOf(lon, lat)
}

// minuteOf returns the index minute of a time.
func minuteOf(t time.Time) int64 {
	return floorDiv(t.UnixNano(), int64(time.Minute))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// minutesOf lists the index minutes that the window [from, to) touches, or
// reports false when the window is open or longer than maxListedMinutes.
func minutesOf(from, to time.Time) ([]int64, bool) {
	if from.IsZero() || to.IsZero() {
		return nil, false
	}
	first, last := minuteOf(from), minuteOf(to.Add(-1))
	if last < first || last-first+1 > maxListedMinutes {
		return nil, false
	}
	out := make([]int64, 0, last-first+1)
	for m := first; m <= last; m++ {
		out = append(out, m)
	}
	return out, true
}

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

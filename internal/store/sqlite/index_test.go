package sqlite

import (
	"slices"
	"testing"
	"time"
)

func TestCells(t *testing.T) {
	tests := []struct {
		name  string
		box   [4]float64
		count int
		ok    bool
	}{
		{"one cell", [4]float64{37.01, 48.01, 37.02, 48.02}, 1, true},
		{"a 0.5 degree box", [4]float64{37.0, 48.0, 37.45, 48.45}, 25, true},
		// On a cell border, floating point decides the side; what matters is that
		// insert and query decide alike, which the corner check below verifies.
		{"edges on cell borders", [4]float64{37.0, 48.0, 37.1, 48.1}, 2, true},
		{"antimeridian", [4]float64{179.95, 0.01, -179.95, 0.02}, 2, true},
		{"too large", [4]float64{30, 45, 40, 52}, 0, false},
		{"world", [4]float64{-180, -90, 180, 90}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cells, ok := cellsOf(tc.box)
			if ok != tc.ok || (ok && len(cells) != tc.count) {
				t.Fatalf("cellsOf(%v) = %d cells, %v; want %d, %v", tc.box, len(cells), ok, tc.count, tc.ok)
			}
			// Every point of the box must fall in a listed cell.
			for _, p := range [][2]float64{{tc.box[0], tc.box[1]}, {tc.box[2], tc.box[3]}, {tc.box[0], tc.box[3]}, {tc.box[2], tc.box[1]}} {
				if ok && !slices.Contains(cells, cellOf(p[0], p[1])) {
					t.Errorf("corner %v in cell %d, not listed", p, cellOf(p[0], p[1]))
				}
			}
		})
	}
}

func TestMinutes(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		count    int
		ok       bool
	}{
		{"one hour", t0, t0.Add(time.Hour), 60, true},
		{"to is exclusive on a minute border", t0, t0.Add(time.Minute), 1, true},
		{"partial minutes", t0.Add(30 * time.Second), t0.Add(90 * time.Second), 2, true},
		{"open window", t0, time.Time{}, 0, false},
		{"too long", t0, t0.Add(8 * 24 * time.Hour), 0, false},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 30, 0, time.UTC), 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := minutesOf(tc.from, tc.to)
			if ok != tc.ok || len(m) != tc.count {
				t.Fatalf("minutesOf = %d minutes, %v; want %d, %v", len(m), ok, tc.count, tc.ok)
			}
			if ok && (m[0] != minuteOf(tc.from) || m[len(m)-1] != minuteOf(tc.to.Add(-1))) {
				t.Errorf("minutes %d..%d do not cover the window", m[0], m[len(m)-1])
			}
		})
	}
}

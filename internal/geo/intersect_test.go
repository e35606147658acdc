package geo

import (
	"slices"
	"testing"
)

func TestSelfIntersections(t *testing.T) {
	long := wiggly(LonLat{37.5, 50.3}, 1000, 1200, 10, 400)
	// hook bends the long line back across the middle of segment 250.
	mid := Direct(long[250], Azimuth(long[250], long[251]), 600)
	hook := append(slices.Clone(long[:500]), Direct(long[499], 90, 30_000), Direct(mid, 90, 30_000), Direct(mid, 270, 30_000))
	tests := []struct {
		name  string
		lines [][]LonLat
		want  []Crossing
	}{
		{"straight", [][]LonLat{{{30, 48}, {31, 48}, {32, 48}}}, nil},
		{"long meander", [][]LonLat{long}, nil},
		{"Z crossing itself", [][]LonLat{{{30, 48}, {32, 48}, {30, 47}, {32, 49}}}, []Crossing{{SegmentRef{0, 0}, SegmentRef{0, 2}, false}}},
		{"bow tie", [][]LonLat{{{30, 48}, {32, 49}, {32, 48}, {30, 49}}}, []Crossing{{SegmentRef{0, 0}, SegmentRef{0, 2}, false}}},
		{"hook", [][]LonLat{hook}, []Crossing{{SegmentRef{0, 250}, SegmentRef{0, 501}, false}}},
		{"closed ring", [][]LonLat{{{30, 48}, {31, 48}, {31, 49}, {30, 48}}}, nil},
		{"touches itself at a vertex", [][]LonLat{{{30, 48}, {31, 48}, {31, 49}, {30.5, 48.5}, {31, 48}, {32, 48}}}, []Crossing{{SegmentRef{0, 0}, SegmentRef{0, 3}, true}, {SegmentRef{0, 0}, SegmentRef{0, 4}, true}, {SegmentRef{0, 1}, SegmentRef{0, 3}, true}, {SegmentRef{0, 1}, SegmentRef{0, 4}, true}}},
		{"repeated point", [][]LonLat{{{30, 48}, {31, 48}, {31, 48}, {32, 48}}}, nil},
		{"two lines end to end", [][]LonLat{{{30, 48}, {31, 48}}, {{31, 48}, {32, 48.5}}}, nil},
		{"two lines crossing", [][]LonLat{{{30, 48}, {31, 48}, {32, 48}}, {{31.5, 47}, {31.5, 49}}}, []Crossing{{SegmentRef{0, 1}, SegmentRef{1, 0}, false}}},
		{"across the antimeridian", [][]LonLat{{{179, 10}, {-179, 12}, {179, 12}, {-179, 10}}}, []Crossing{{SegmentRef{0, 0}, SegmentRef{0, 2}, false}}},
	}
	for _, tt := range tests {
		got := SelfIntersections(tt.lines...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: SelfIntersections = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkSelfIntersections(b *testing.B) {
	long := wiggly(LonLat{37.5, 50.3}, 1000, 1200, 10, 400)
	for b.Loop() {
		SelfIntersections(long)
	}
}

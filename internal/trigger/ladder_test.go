package trigger

import (
	"slices"
	"testing"
	"time"
)

func TestParseLadder(t *testing.T) {
	tests := []struct {
		in   string
		want Ladder
		ok   bool
	}{
		{"0s=liaison,12h=nation_admins,24h=coalition", DefaultLadder(), true},
		{DefaultLadder().String(), DefaultLadder(), true},
		{" 1h = liaison ", Ladder{{After: time.Hour, Notify: NotifyLiaison}}, true},
		{"", nil, false},
		{"12h", nil, false},
		{"soon=liaison", nil, false},
		{"1h=the press", nil, false},
		{"12h=liaison,1h=coalition", nil, false},
		{"-1h=liaison", nil, false},
	}
	for _, tc := range tests {
		got, err := ParseLadder(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseLadder(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

package terms

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// FuzzParse checks that Parse never panics, that every error it returns
// wraps Problems, and that whatever it accepts compiles and can be queried.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			f.Add(readFile(f, filepath.Base(file)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := Parse(data, "fuzz")
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %q does not wrap Problems", err)
			}
			return
		}
		a, err := Compile(terms)
		if err != nil {
			t.Fatalf("Parse accepted terms that Compile refuses: %v", err)
		}
		lines, err := terms.ContactLine.Lines()
		if err != nil {
			t.Fatalf("Parse accepted terms whose lines do not decode: %v", err)
		}
		for _, p := range []geo.LonLat{lines[0][0], {Lon: 30, Lat: 48}, {Lon: -180, Lat: -90}} {
			if loc := a.Locate(p); loc.DistanceM < 0 || loc.DistanceM != loc.DistanceM {
				t.Fatalf("Locate(%+v) = %+v", p, loc)
			}
		}
	})
}

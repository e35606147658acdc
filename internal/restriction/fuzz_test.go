package restriction

import (
	"errors"
	"reflect"
	"testing"

	"github.com/guarantor-project/guarantor/internal/label"
)

// FuzzParse checks that no input makes Parse panic, that every error it
// returns is Problems with a reason for each, and that whatever it accepts
// survives a round trip through its canonical bytes: the same restriction,
// and the same bytes again. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, label.Scheme{})
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %q is not Problems", err)
			}
			for _, p := range ps {
				if p.Reason == "" {
					t.Fatalf("problem without a reason: %+v", p)
				}
			}
			return
		}
		b, err := Marshal(r)
		if err != nil {
			t.Fatalf("Marshal of an accepted restriction: %v", err)
		}
		back, err := Parse(b, label.Scheme{})
		if err != nil {
			t.Fatalf("canonical bytes of an accepted restriction are refused: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip changed the restriction:\n got %+v\nwant %+v\n%s", back, r, b)
		}
		if b2, _ := Marshal(back); string(b2) != string(b) {
			t.Fatalf("canonical bytes are not stable:\n%s\n%s", b, b2)
		}
		if d, err := Decode(b); err != nil || !reflect.DeepEqual(d, r) {
			t.Fatalf("Decode of canonical bytes = %+v, %v; want %+v", d, err, r)
		}
		Count([]Restriction{r, back})
	})
}

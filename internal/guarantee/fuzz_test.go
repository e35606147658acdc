package guarantee

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzReadCommitmentsCSV checks that ReadCommitmentsCSV never panics, that
// its errors are CSVErrors with a line, and that whatever it reads is
// written back and read again unchanged.
func FuzzReadCommitmentsCSV(f *testing.F) {
	for _, name := range []string{"example-commitments.csv", "demo-commitments.golden.csv", "spreadsheet.csv"} {
		f.Add(readFile(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ReadCommitmentsCSV(bytes.NewReader(data))
		if err != nil {
			var es CSVErrors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %q does not wrap CSVErrors", err)
			}
			for _, e := range es {
				if e.Line < 1 {
					t.Fatalf("problem %q has no line", e.Error())
				}
			}
			return
		}
		var out bytes.Buffer
		if err := WriteCommitmentsCSV(&out, cs); err != nil {
			t.Fatalf("what was read cannot be written: %v", err)
		}
		back, err := ReadCommitmentsCSV(&out)
		if err != nil {
			t.Fatalf("what was written cannot be read: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(back, cs) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, cs)
		}
	})
}

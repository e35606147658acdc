package observe

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDocExamples checks that every example Feature in docs/api.md is valid,
// so that the documentation cannot drift from the decoder.
func TestDocExamples(t *testing.T) {
	f, err := os.Open("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[Kind]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, `{"type":"Feature"`) {
			continue
		}
		o, errs := Decode([]byte(line), Checks{WeaponClasses: []string{"artillery_100mm", "mlrs", "heavy_mlrs"}})
		if len(errs) > 0 {
			t.Errorf("docs/api.md example %.60s… is invalid: %v", line, errs)
			continue
		}
		kinds[o.Kind] = true
	}
	for _, k := range Kinds {
		if !kinds[k] {
			t.Errorf("docs/api.md has no example of kind %s", k)
		}
	}
}

package guarantee

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestDocExamples checks that the examples in docs/registry-formats.md are
// the files in testdata, that they parse, that the CSV files hold the
// registry of the YAML file (clauses aside), and that the analytics shown
// are what the package computes, so that the documentation cannot drift
// from the code.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/registry-formats.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := regexp.MustCompile("(?s)<!-- example: testdata/([^ ]+) -->\n```[a-z]*\n(.*?)```\n").FindAllSubmatch(doc, -1)
	seen := map[string]bool{}
	for _, m := range examples {
		name, body := string(m[1]), m[2]
		seen[name] = true
		if want := readFile(t, name); !bytes.Equal(body, want) {
			t.Errorf("the example of testdata/%s in docs/registry-formats.md differs from the file", name)
		}
	}
	for _, name := range []string{"example.yaml", "example-guarantors.csv", "example-instruments.csv", "example-commitments.csv", "example-deliveries.csv"} {
		if !seen[name] {
			t.Errorf("docs/registry-formats.md has no example of %s", name)
		}
	}

	r := exampleRegistry(t)
	var fromCSV Registry
	if fromCSV.Guarantors, err = ReadGuarantorsCSV(bytes.NewReader(readFile(t, "example-guarantors.csv"))); err != nil {
		t.Fatal(err)
	}
	if fromCSV.Instruments, err = ReadInstrumentsCSV(bytes.NewReader(readFile(t, "example-instruments.csv"))); err != nil {
		t.Fatal(err)
	}
	if fromCSV.Commitments, err = ReadCommitmentsCSV(bytes.NewReader(readFile(t, "example-commitments.csv"))); err != nil {
		t.Fatal(err)
	}
	if fromCSV.Commitments, err = ReadDeliveriesCSV(bytes.NewReader(readFile(t, "example-deliveries.csv")), fromCSV.Commitments); err != nil {
		t.Fatal(err)
	}
	if err := fromCSV.Validate(); err != nil {
		t.Error(err)
	}
	noClauses := r
	noClauses.Instruments = append([]Instrument(nil), r.Instruments...)
	for i := range noClauses.Instruments {
		noClauses.Instruments[i].Clauses = nil
	}
	if !reflect.DeepEqual(fromCSV, noClauses) {
		t.Errorf("the CSV examples hold\n%+v\nthe YAML example\n%+v", fromCSV, noClauses)
	}

	// The JSON shown for Totals and Series.
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```\n").FindAllSubmatch(doc, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d JSON examples in docs/registry-formats.md, want 2", len(blocks))
	}
	var rows []Row
	if err := json.Unmarshal(blocks[0][1], &rows); err != nil {
		t.Fatal(err)
	}
	if want := r.Totals(ByGuarantor, Filter{})[:2]; !reflect.DeepEqual(rows, want) {
		t.Errorf("the Totals example shows\n%+v\nthe package computes\n%+v", rows, want)
	}
	var points []Point
	if err := json.Unmarshal(blocks[1][1], &points); err != nil {
		t.Fatal(err)
	}
	if want := r.Series(ByGuarantor, "missiles", Interval{From: NewMonth(2024, 4), To: NewMonth(2024, 5)}); !reflect.DeepEqual(points, want) {
		t.Errorf("the Series example shows\n%+v\nthe package computes\n%+v", points, want)
	}
	for _, want := range [][]string{RowColumns(), PointColumns()} {
		if !strings.Contains(string(doc), "`"+strings.Join(want, ",")+"`") {
			t.Errorf("docs/registry-formats.md does not give the columns %s", strings.Join(want, ","))
		}
	}
}

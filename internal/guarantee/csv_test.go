package guarantee

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// csvText are free texts for the CSV round trips: commas, quotes, line
// breaks, formula starts, apostrophes, spaces at either end.
var csvText = []string{
	"", "plain", "a, b", `say "yes"`, "two\nlines", "=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "\rx", "'", "'quoted", "''",
	" lead", "trail ", "semi;colon", "colon:x", "Türkiye", "🎯", "\\.", "a\rb", "end\r",
}

// csvCode are valid codes and ids, some of which start like formulas.
var csvCode = []string{"x", "gbr-1", "a.b:c_d", "-lead", "x9"}

// randomCommitment returns a commitment valid as far as it can be alone,
// with every field exercised.
func randomCommitment(rng *rand.Rand, i int) Commitment {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	c := Commitment{
		ID:          "c" + pick(csvCode) + "-" + string(rune('a'+i%26)) + strings.Repeat("z", i/26),
		Instrument:  pick(csvCode),
		Guarantor:   []string{"GBR", "FRA", "EU", "NATO"}[rng.IntN(4)],
		Category:    Categories()[rng.IntN(16)],
		Description: pick(csvText),
		Schedule:    pick(csvText),
		Caveats:     pick(csvText),
		CommittedOn: randomDate(rng),
		Committed:   float64(rng.IntN(1000000)) + []float64{0, 0.5, 0.1, 1e-9}[rng.IntN(4)],
	}
	if rng.IntN(2) == 0 {
		c.Quantity, c.Unit = float64(rng.IntN(100)), pick([]string{"systems", "155mm shells", "-x", "=units", "pieces, spare"})
	}
	if c.Unit == "" || rng.IntN(2) == 0 {
		c.Value, c.Currency = float64(rng.IntN(1e9))*1.5, pick([]string{"EUR", "USD", "GBP"})
	}
	c.Allocated = c.Committed * rng.Float64()
	for range rng.IntN(3) {
		if d := randomDate(rng); !d.IsZero() {
			c.Due = append(c.Due, d)
		}
	}
	for range rng.IntN(4) {
		c.Deliveries = append(c.Deliveries, Delivery{Date: NewDate(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(28)), Amount: 0.25 + float64(rng.IntN(5000)), Note: pick(csvText)})
	}
	for range rng.IntN(3) {
		c.ExcludedRegions = append(c.ExcludedRegions, pick([]string{"N", "DON-N", "-south", "'q", "zone 3"})+strings.Repeat("x", len(c.ExcludedRegions)))
	}
	if rng.IntN(2) == 0 {
		c.ExcludedTasks = []string{"offensive_operations", "cross_border_strikes"}[:1+rng.IntN(2)]
	}
	c.Illustrative = rng.IntN(2) == 0
	return c
}

func TestCommitmentsCSVRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		cs := make([]Commitment, rng.IntN(40))
		for i := range cs {
			cs[i] = randomCommitment(rng, i)
			if ps := commitmentProblems(cs[i]); len(ps) > 0 {
				t.Fatalf("generated an invalid commitment: %v", ps)
			}
		}
		var commitments, deliveries bytes.Buffer
		if err := WriteCommitmentsCSV(&commitments, cs); err != nil {
			t.Fatal(err)
		}
		if err := WriteDeliveriesCSV(&deliveries, cs); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCommitmentsCSV(bytes.NewReader(commitments.Bytes()))
		if err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, commitments.String())
		}
		back, err = ReadDeliveriesCSV(bytes.NewReader(deliveries.Bytes()), back)
		if err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, deliveries.String())
		}
		if len(cs) == 0 {
			cs = nil
		}
		if !reflect.DeepEqual(back, cs) {
			for i := range cs {
				if !reflect.DeepEqual(back[i], cs[i]) {
					t.Fatalf("round %d, commitment %d:\n got %+v\nwant %+v\n%s", round, i, back[i], cs[i], commitments.String())
				}
			}
			t.Fatalf("round %d: got %d commitments, want %d", round, len(back), len(cs))
		}
	}
}

func TestRegistryCSVRoundTrip(t *testing.T) {
	// The demonstration registry through the four files, clauses aside,
	// with reporters' ids on some deliveries.
	r := Demo()
	ids := 0
	for i := range r.Commitments {
		if len(r.Commitments[i].Deliveries) > 0 && ids < 3 {
			r.Commitments[i].Deliveries[0].ID = fmt.Sprintf("report-%d", i)
			ids++
		}
	}
	if ids == 0 {
		t.Fatal("the demonstration registry has no delivery to give an id")
	}
	var g, in, c, d bytes.Buffer
	for _, err := range []error{WriteGuarantorsCSV(&g, r.Guarantors), WriteInstrumentsCSV(&in, r.Instruments),
		WriteCommitmentsCSV(&c, r.Commitments), WriteDeliveriesCSV(&d, r.Commitments)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var back Registry
	var err error
	if back.Guarantors, err = ReadGuarantorsCSV(&g); err != nil {
		t.Fatal(err)
	}
	if back.Instruments, err = ReadInstrumentsCSV(&in); err != nil {
		t.Fatal(err)
	}
	if back.Commitments, err = ReadCommitmentsCSV(&c); err != nil {
		t.Fatal(err)
	}
	if back.Commitments, err = ReadDeliveriesCSV(&d, back.Commitments); err != nil {
		t.Fatal(err)
	}
	for i := range r.Instruments {
		r.Instruments[i].Clauses = nil
	}
	if !reflect.DeepEqual(back, r) {
		t.Error("the demonstration registry does not survive the CSV files")
	}
	if err := back.Validate(); err != nil {
		t.Error(err)
	}
}

func TestCommitmentsCSVGolden(t *testing.T) {
	r := Demo()
	var c, d bytes.Buffer
	if err := WriteCommitmentsCSV(&c, r.Commitments); err != nil {
		t.Fatal(err)
	}
	if err := WriteDeliveriesCSV(&d, r.Commitments); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo-commitments.golden.csv", c.Bytes())
	golden(t, "demo-deliveries.golden.csv", d.Bytes())

	// The secretariat's spreadsheet, as a spreadsheet saves it: a byte
	// order mark, CRLF line ends, columns in its own order and case, cells
	// padded, formula-like text escaped with an apostrophe.
	cs, err := ReadCommitmentsCSV(bytes.NewReader(readFile(t, "spreadsheet.csv")))
	if err != nil {
		t.Fatal(err)
	}
	want := []Commitment{
		{ID: "c-1", Instrument: "gbr-ukr-2024", Guarantor: "GBR", Category: AirDefence, Description: "=not a formula",
			Quantity: 400, Unit: "missiles", Due: []Date{mustDate("2024-06-30"), mustDate("2024-12-31")}, Committed: 400, Allocated: 300,
			ExcludedTasks: []string{"cross_border_strikes", "offensive_operations"}, Illustrative: true},
		{ID: "c-2", Instrument: "eu-ukr-2024", Guarantor: "EU", Category: Financial, Description: "Budget support, first year\nsecond line",
			Value: 1500000000, Currency: "EUR", CommittedOn: mustDate("2024-06-27"), Committed: 1500000000, Allocated: 0.5},
	}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("spreadsheet.csv read as\n%+v\nwant\n%+v", cs, want)
	}
}

func TestReadCommitmentsCSVErrors(t *testing.T) {
	header := strings.Join(CommitmentColumns(), ",") + "\n"
	row := func(cells map[string]string) string {
		base := map[string]string{"id": "c1", "instrument": "i", "guarantor": "GBR", "category": "armour", "unit": "vehicles", "committed": "10", "allocated": "5"}
		for k, v := range cells {
			base[k] = v
		}
		out := make([]string, 0, 18)
		for _, name := range CommitmentColumns() {
			out = append(out, base[name])
		}
		return strings.Join(out, ",") + "\n"
	}
	tests := []struct {
		name, csv string
		want      []string
	}{
		{"thousands separator", header + row(nil) + row(map[string]string{"id": "c2", "committed": `"1,500"`}),
			[]string{`line 3, column 13 (committed): want a number such as 1500 or 2.5, with a decimal point and no thousands separators, got "1,500"`}},
		{"allocated more than committed", header + row(map[string]string{"allocated": "500", "committed": "400"}),
			[]string{"line 2, column 14 (allocated): 500 is more than committed 400"}},
		{"date as a spreadsheet shows it", header + row(map[string]string{"committed_on": "12/01/2024"}),
			[]string{`line 2, column 12 (committed_on): want a date written YYYY-MM-DD, such as 2024-01-12, got "12/01/2024"`}},
		{"bad due date", header + row(map[string]string{"due": "2024-01-01;2024-02-30"}),
			[]string{`line 2, column 11 (due): date 2: want a date written YYYY-MM-DD`}},
		{"unknown category", header + row(map[string]string{"category": "tanks"}),
			[]string{`line 2, column 4 (category): unknown category "tanks"`}},
		{"no measure", header + row(map[string]string{"unit": ""}),
			[]string{`line 2, column 9 (currency): a commitment needs a currency`}},
		{"bad boolean", header + row(map[string]string{"illustrative": "yes"}),
			[]string{`line 2, column 18 (illustrative): want true or false, got "yes"`}},
		{"bad task", header + row(map[string]string{"excluded_tasks": "Offense"}),
			[]string{`line 2, column 17 (excluded_tasks): must be lower-case letters`}},
		{"duplicate id", header + row(nil) + row(nil),
			[]string{`line 3, column 1 (id): duplicate commitment id "c1" (also line 2)`}},
		{"every problem", header + row(map[string]string{"committed": "x"}) + row(map[string]string{"id": "c2", "quantity": "-1", "category": ""}),
			[]string{"line 2, column 13 (committed)", "line 3, column 4 (category): required", "line 3, column 6 (quantity): must be 0 or more, got -1"}},
		{"the line where a cell starts", header + row(map[string]string{"description": "\"two\nlines\"", "committed": "ten"}),
			[]string{`line 3, column 13 (committed): want a number`}},
		{"a value without a header", header + strings.TrimSuffix(row(nil), "\n") + ",extra\n",
			[]string{`line 2, column 19: a value, "extra", in a column without a header`}},
		{"bare quote", header + `c1,i,GBR,armour,say "hi",,vehicles,,,,,,10,5,,,,` + "\n",
			[]string{`line 2: bare " in non-quoted-field`}},
		{"unknown column", "id,instrument,guarantor,category,committed,colour\n",
			[]string{`line 1, column 6 (colour): unknown column "colour"`}},
		{"repeated column", "id,instrument,guarantor,category,committed,ID\n",
			[]string{`line 1, column 6 (id): column "id" repeats column 1`}},
		{"missing column", "id,instrument,guarantor,category\n",
			[]string{`line 1 (committed): missing column`}},
		{"empty file", "", []string{"line 1: no header row"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCommitmentsCSV(strings.NewReader(tt.csv))
			var es CSVErrors
			if !errors.As(err, &es) {
				t.Fatalf("ReadCommitmentsCSV = %v, want CSVErrors", err)
			}
			if len(es) != len(tt.want) {
				t.Fatalf("ReadCommitmentsCSV = %v\nwant %d problems: %q", err, len(tt.want), tt.want)
			}
			for i, e := range es {
				if !strings.Contains(e.Error(), tt.want[i]) {
					t.Errorf("problem %d = %q\nwant %q", i, e.Error(), tt.want[i])
				}
			}
		})
	}
}

func TestReadCSVStopsAfterManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,instrument,guarantor,category,committed\n")
	for range 500 {
		b.WriteString("c,i,GBR,armour,x\n")
	}
	_, err := ReadCommitmentsCSV(strings.NewReader(b.String()))
	var es CSVErrors
	if !errors.As(err, &es) || len(es) != maxCSVErrors+1 || !strings.Contains(es[maxCSVErrors].Reason, "stopped after") {
		t.Fatalf("got %d problems", len(es))
	}
}

func TestReadDeliveriesCSV(t *testing.T) {
	cs := []Commitment{{ID: "a", Deliveries: []Delivery{{Date: mustDate("2024-01-01"), Amount: 1}}}, {ID: "b"}}
	got, err := ReadDeliveriesCSV(strings.NewReader("commitment,date,amount,note\nb,2024-02-01,2.5,\"first, partial\"\na,2024-03-01,3,\n"), cs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0].Deliveries) != 2 || got[0].Deliveries[1].Amount != 3 || got[1].Deliveries[0].Note != "first, partial" {
		t.Errorf("got %+v", got)
	}
	if len(cs[0].Deliveries) != 1 || cs[1].Deliveries != nil {
		t.Error("ReadDeliveriesCSV changed its argument")
	}
	tests := []struct{ csv, want string }{
		{"commitment,date,amount\nzz,2024-01-01,1\n", `line 2, column 1 (commitment): no commitment "zz"`},
		{"commitment,date,amount\na,,1\n", "line 2, column 2 (date): required: every delivery is dated"},
		{"commitment,date,amount\na,2024-01-01,0\n", "line 2, column 3 (amount): must be more than 0, got 0"},
		{"commitment,date\na,2024-01-01\n", "line 1 (amount): missing column"},
	}
	for _, tt := range tests {
		_, err := ReadDeliveriesCSV(strings.NewReader(tt.csv), cs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadDeliveriesCSV(%q) = %v, want %q", tt.csv, err, tt.want)
		}
	}
	if _, err := ReadDeliveriesCSV(strings.NewReader("commitment,date,amount\n"), []Commitment{{ID: "a"}, {ID: "a"}}); err == nil {
		t.Error("commitments with the same id were accepted")
	}
}

func TestGuarantorsAndInstrumentsCSV(t *testing.T) {
	tests := []struct {
		name string
		read func(string) error
		csv  string
		want string
	}{
		{"guarantors", readGuarantors, "code,name,kind\nFRA,France,nation\nEU,European Union,organisation\n", ""},
		{"bad nation code", readGuarantors, "code,name,kind\nFR,France,nation\n", "line 2, column 1 (code): a nation's code is its ISO 3166-1 alpha-3 code"},
		{"duplicate code", readGuarantors, "code,name,kind\nFRA,France,nation\nFRA,France,nation\n", `line 3, column 1 (code): duplicate guarantor code "FRA" (also line 2)`},
		{"kind", readGuarantors, "code,name,kind\nFRA,France,state\n", `line 2, column 3 (kind): must be nation or organisation, got "state"`},
		{"instruments", readInstruments, "id,title,kind,signatories,signed,binding\ni,T,bilateral, GBR ; UKR ,2024-01-12,political\n", ""},
		{"bilateral of 3", readInstruments, "id,title,kind,signatories,signed,binding\ni,T,bilateral,GBR;UKR;FRA,2024-01-12,political\n", "line 2, column 4 (signatories): a bilateral instrument has 2 signatories, got 3"},
		{"until before signed", readInstruments, "id,title,kind,signatories,signed,binding,in_force_until\ni,T,bilateral,GBR;UKR,2024-01-12,political,2024-01-11\n", "line 2, column 7 (in_force_until): 2024-01-11 is before signed 2024-01-12"},
		{"clauses are not CSV", readInstruments, "id,title,kind,signatories,signed,binding,clauses\n", `line 1, column 7 (clauses): unknown column "clauses"`},
	}
	for _, tt := range tests {
		err := tt.read(tt.csv)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func readGuarantors(s string) error {
	_, err := ReadGuarantorsCSV(strings.NewReader(s))
	return err
}

func readInstruments(s string) error {
	_, err := ReadInstrumentsCSV(strings.NewReader(s))
	return err
}

func TestWriteCSVRefuses(t *testing.T) {
	tests := []struct {
		c    Commitment
		want string
	}{
		{Commitment{ID: "a", ExcludedRegions: []string{"x;y"}}, `row 1 ("a"), column excluded_regions: item 1, "x;y", cannot be written`},
		{Commitment{ID: "a", ExcludedTasks: []string{" x"}}, "cannot be written"},
		{Commitment{ID: "a", Due: []Date{{}}}, "column due: date 1 is absent"},
	}
	for _, tt := range tests {
		err := WriteCommitmentsCSV(&bytes.Buffer{}, []Commitment{tt.c})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("WriteCommitmentsCSV(%+v) = %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestFormulaEscape(t *testing.T) {
	var b bytes.Buffer
	cs := []Commitment{{ID: "a", Instrument: "i", Guarantor: "GBR", Category: Armour, Unit: "x", Description: "=HYPERLINK(\"http://evil\")", Caveats: "@SUM(1)"}}
	if err := WriteCommitmentsCSV(&b, cs); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, `"'=HYPERLINK(""http://evil"")"`) || !strings.Contains(s, ",'@SUM(1),") {
		t.Errorf("formulas are not escaped:\n%s", s)
	}
	back, err := ReadCommitmentsCSV(&b)
	if err != nil || back[0].Description != cs[0].Description || back[0].Caveats != cs[0].Caveats {
		t.Errorf("read back %+v, %v", back, err)
	}
}

// failingReader fails after its data.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadCSVPassesReadErrors(t *testing.T) {
	_, err := ReadCommitmentsCSV(&failingReader{data: "id,instrument,guarantor,category,committed\nc,i,GBR,armour,1\n"})
	var es CSVErrors
	if err == nil || errors.As(err, &es) || !strings.Contains(err.Error(), "reading commitments: disk on fire") {
		t.Errorf("got %v, want the reader's error", err)
	}
}

package guarantee

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/trigger"
)

func TestParseYAMLExample(t *testing.T) {
	data := readFile(t, "example.yaml")
	r := exampleRegistry(t)
	if len(r.Guarantors) != 3 || len(r.Instruments) != 2 || len(r.Commitments) != 3 {
		t.Fatalf("got %d guarantors, %d instruments, %d commitments", len(r.Guarantors), len(r.Instruments), len(r.Commitments))
	}
	cl := r.Instruments[0].Clauses[0]
	if cl.Obligations[0].Deadline != trigger.Duration(24*time.Hour) || cl.Condition != `verified("major", "B", duration("72h")) >= 1` {
		t.Errorf("clause = %+v", cl)
	}
	c := r.Commitments[0]
	if c.Unit != "missiles" || c.Delivered() != 220 || len(c.Due) != 2 || c.Due[1] != mustDate("2024-12-31") || c.CommittedOn != mustDate("2024-01-12") {
		t.Errorf("commitment = %+v", c)
	}
	// The example is written as MarshalYAML writes: byte for byte.
	out, err := r.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, data) {
		t.Errorf("MarshalYAML of example.yaml differs from it:\n%s", out)
	}
}

func TestParseYAMLErrors(t *testing.T) {
	const head = "guarantors:\n  - code: GBR\n    name: United Kingdom\n    kind: nation\n"
	tests := []struct {
		name, yaml string
		want       []string // the problems, each "field: reason" or a part of it
	}{
		{"unknown top-level field", "guarantor: []\n", []string{"guarantor: unknown field"}},
		{"unknown nested field", head + "    flag: red\n", []string{"guarantors[0].flag: unknown field"}},
		{"field in the wrong case", "guarantors:\n  - Code: GBR\n    name: United Kingdom\n    kind: nation\n", []string{"guarantors[0].Code: unknown field"}},
		{"every unknown field", head + "    flag: red\n    motto: x\n", []string{"guarantors[0].flag: unknown field", "guarantors[0].motto: unknown field"}},
		{"key given twice", head + "    code: FRA\n", []string{`line 5: key "code" already set in map`}},
		{"number for a string", "guarantors:\n  - code: GBR\n    name: 12\n    kind: nation\n", []string{"guarantors[0].name: want a string, got the number 12 (quote it)"}},
		{"bool for a string", "guarantors:\n  - code: GBR\n    name: no\n    kind: nation\n", []string{"guarantors[0].name: want a string, got false (quote it)"}},
		{"string for a number", head + "commitments:\n  - id: c\n    committed: lots\n", []string{`commitments[0].committed: want a number, got the string "lots"`}},
		{"object for a list", "guarantors:\n  code: GBR\n", []string{"guarantors: want a list, got an object"}},
		{"list at the top", "- a\n", []string{"want an object, got a list"}},
		{"bad date", head + "instruments:\n  - id: i\n    signed: 12/01/2024\n", []string{`instruments[0].signed: want a date written YYYY-MM-DD, such as 2024-01-12, got "12/01/2024"`}},
		{"bad date in a list", head + "commitments:\n  - id: c\n    due: [2024-01-01, 2024-02-30]\n", []string{`commitments[0].due[1]: want a date written YYYY-MM-DD`}},
		{"bad deadline", head + "instruments:\n  - id: i\n    clauses:\n      - id: c\n        obligations:\n          - deadline: soon\n",
			[]string{`instruments[0].clauses[0].obligations[0].deadline: trigger: duration "soon"`}},
		{"numeric deadline", head + "instruments:\n  - id: i\n    clauses:\n      - id: c\n        obligations:\n          - deadline: 24\n",
			[]string{`instruments[0].clauses[0].obligations[0].deadline: trigger: a duration is a string`}},
		{"not YAML", "guarantors: [\n", []string{"did not find expected node content"}},
		{"invalid", head + "commitments:\n  - id: c\n    instrument: i\n    guarantor: GBR\n    category: armour\n    unit: vehicles\n    committed: 1\n    allocated: 2\n",
			[]string{`commitments[0].instrument: no instrument "i" in the registry`, "commitments[0].allocated: 2 is more than committed 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tt.yaml), "test.yaml")
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("ParseYAML = %v, want Problems", err)
			}
			if !strings.HasPrefix(err.Error(), "test.yaml: ") {
				t.Errorf("error %q does not name the file", err)
			}
			if len(ps) != len(tt.want) {
				t.Fatalf("ParseYAML = %v\nwant %d problems: %q", err, len(tt.want), tt.want)
			}
			for i, p := range ps {
				if !strings.Contains(p.Error(), tt.want[i]) {
					t.Errorf("problem %d = %q, want %q", i, p.Error(), tt.want[i])
				}
			}
		})
	}
}

func TestYAMLRoundTripDemo(t *testing.T) {
	r := Demo()
	var b bytes.Buffer
	if err := r.WriteYAML(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ParseYAML(b.Bytes(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Error("the demonstration registry does not survive WriteYAML and ParseYAML")
	}
	if (Registry{}).Validate() != nil {
		t.Fatal("empty")
	}
	empty, err := Registry{}.MarshalYAML()
	if err != nil || string(empty) != "{}\n" {
		t.Errorf("an empty registry is written %q, %v", empty, err)
	}
	if r, err := ParseYAML(empty, "empty"); err != nil || !reflect.DeepEqual(r, Registry{}) {
		t.Errorf("the empty registry reads back as %+v, %v", r, err)
	}
}

// trickyStrings are strings that YAML reads as something else when they
// are written plainly.
var trickyStrings = []string{
	"", " ", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~", "-", "- a", "a: b", "a:b", "#", "a #b",
	"12", "1e3", "0x1F", "0o17", "1_000", ".5", "-1", "+1", ".inf", ".NaN", "2024-01-12", "2024-01-12 10:00", "2024-1-2",
	"24h", "1h30m", "1e3h", "10:30", "190:20:30", "<<", "=", "!tag", "&anchor", "*alias", "|", ">", "%x", "@x", "`x",
	"'quoted'", `"double"`, "it's", "a\nb", "a\r\nb", "trailing\n", "\ttab", "tab\t", " lead", "trail ", "two  spaces",
	"[a, b]", "{a: b}", "a, b", "Türkiye", "UK–Ukraine", "Україна", "日本", "emoji 🎯", "\u2028", "\u0085", "\x00", "\x7f", "a\\b",
	`verified("major", "B", duration("72h")) >= 1`, "https://example.org/x?y=1#z", "NaN", "Infinity",
}

// randomString returns a tricky string, or some random runes.
func randomString(rng *rand.Rand) string {
	if rng.IntN(3) > 0 {
		return trickyStrings[rng.IntN(len(trickyStrings))]
	}
	alphabet := []rune("ab Z09-_:#,'\"\\\n\t;=+@[]{}&*!|>%~.é–ü🎯\u2028")
	var b strings.Builder
	for range rng.IntN(12) {
		b.WriteRune(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// randomFloat returns a finite float64 of very different sizes.
func randomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(6) {
	case 0:
		return 0
	case 1:
		return float64(rng.IntN(1000000))
	case 2:
		return rng.Float64()
	case 3:
		return math.Ldexp(rng.Float64(), rng.IntN(2000)-1000)
	case 4:
		return []float64{0.1, 1e21, 1e-7, 123456789012345678, math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5}[rng.IntN(7)]
	}
	return -rng.Float64() * 1000
}

func randomDate(rng *rand.Rand) Date {
	if rng.IntN(4) == 0 {
		return Date{}
	}
	return NewDate(1990+rng.IntN(50), time.Month(1+rng.IntN(12)), 1+rng.IntN(31))
}

// randomStrings returns nil or a few random strings.
func randomStrings(rng *rand.Rand) []string {
	var out []string
	for range rng.IntN(3) {
		out = append(out, randomString(rng))
	}
	return out
}

// randomRegistry returns a registry, not necessarily valid, with every
// field set at random, for the encoders' round trips.
func randomRegistry(rng *rand.Rand) Registry {
	var r Registry
	for range rng.IntN(4) {
		r.Guarantors = append(r.Guarantors, Guarantor{Code: randomString(rng), Name: randomString(rng), Kind: GuarantorKind(randomString(rng))})
	}
	for range rng.IntN(4) {
		in := Instrument{ID: randomString(rng), Title: randomString(rng), Kind: InstrumentKind(randomString(rng)),
			Signatories: randomStrings(rng), Signed: randomDate(rng), InForceFrom: randomDate(rng), InForceUntil: randomDate(rng),
			Binding: Binding(randomString(rng)), TextURL: randomString(rng), Illustrative: rng.IntN(2) == 0}
		for range rng.IntN(3) {
			cl := trigger.Clause{ID: randomString(rng), Instrument: randomString(rng), Title: randomString(rng), Condition: randomString(rng)}
			for range 1 + rng.IntN(2) {
				cl.Obligations = append(cl.Obligations, trigger.ObligationSpec{Guarantor: randomString(rng),
					Type: trigger.ObligationType(randomString(rng)), Deadline: trigger.Duration(rng.Int64N(1e15)), Responsible: randomString(rng)})
			}
			in.Clauses = append(in.Clauses, cl)
		}
		r.Instruments = append(r.Instruments, in)
	}
	for range rng.IntN(6) {
		c := Commitment{ID: randomString(rng), Instrument: randomString(rng), Guarantor: randomString(rng), Category: Category(randomString(rng)),
			Description: randomString(rng), Quantity: randomFloat(rng), Unit: randomString(rng), Value: randomFloat(rng), Currency: randomString(rng),
			Schedule: randomString(rng), CommittedOn: randomDate(rng), Committed: randomFloat(rng), Allocated: randomFloat(rng),
			Caveats: randomString(rng), ExcludedRegions: randomStrings(rng), ExcludedTasks: randomStrings(rng), Illustrative: rng.IntN(2) == 0}
		for range rng.IntN(3) {
			if d := randomDate(rng); !d.IsZero() {
				c.Due = append(c.Due, d)
			}
		}
		for range rng.IntN(3) {
			c.Deliveries = append(c.Deliveries, Delivery{Date: randomDate(rng), Amount: randomFloat(rng), Note: randomString(rng)})
		}
		r.Commitments = append(r.Commitments, c)
	}
	return r
}

func TestYAMLRoundTripProperty(t *testing.T) {
	// Whatever the strings and figures, decoding what MarshalYAML wrote
	// gives back the registry (validation aside: these are not valid).
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		r := randomRegistry(rng)
		out, err := r.MarshalYAML()
		if err != nil {
			t.Fatalf("%d: MarshalYAML: %v", i, err)
		}
		back, ps := decodeYAML(out)
		if len(ps) > 0 {
			t.Fatalf("%d: the YAML written does not decode: %v\n%s", i, ps, out)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("%d: round trip differs:\n got %+v\nwant %+v\n%s", i, back, r, out)
		}
	}
}

func TestYAMLString(t *testing.T) {
	// The common strings of a registry stay plain; the rest are quoted.
	tests := map[string]string{
		"United Kingdom":  "United Kingdom",
		"Türkiye":         "Türkiye",
		"2024-01-12":      "2024-01-12",
		"24h":             "24h",
		"air_defence":     "air_defence",
		"no":              "'no'",
		"155mm shells":    "'155mm shells'",
		"a: b":            "'a: b'",
		"it's":            "it's",
		"'quoted'":        "'''quoted'''",
		"a\nb":            `"a\nb"`,
		" lead":           `" lead"`,
		"Україна":         "'Україна'",
		"x = 1, y = 2 #z": "'x = 1, y = 2 #z'",
		"\u2028":          `"\u2028"`,
		"":                `""`,
	}
	for in, want := range tests {
		if got := yamlString(in); got != want {
			t.Errorf("yamlString(%q) = %s, want %s", in, got, want)
		}
	}
}

func ExampleRegistry_MarshalYAML() {
	r := Registry{Guarantors: []Guarantor{{Code: "NOR", Name: "Norway", Kind: Nation}}}
	out, _ := r.MarshalYAML()
	fmt.Print(string(out))
	// Output:
	// guarantors:
	//   - code: NOR
	//     name: Norway
	//     kind: nation
}

package trigger

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// finding is a finding of a party, ago before now.
func finding(id, typ, party, severity string, ago time.Duration) Finding {
	return Finding{ID: id, Type: typ, Party: party, Severity: severity, Clause: "2", Region: "donetsk", Time: now.Add(-ago)}
}

// clause is a clause with one obligation and the condition given.
func clause(id, condition string) Clause {
	return Clause{ID: id, Instrument: "paris-2026", Condition: condition,
		Obligations: []ObligationSpec{{Guarantor: "FRA", Type: Consult, Deadline: Duration(24 * time.Hour)}}}
}

const (
	fire     = "fire_across_line"
	same     = "fire_same_side"
	airspace = "airspace_crossing"
)

func TestConditions(t *testing.T) {
	const (
		major72  = `verified("major", "A", duration("72h")) >= 1`
		serious3 = `verified("serious", "", duration("24h")) >= 3`
		fireA2   = `verified_type("fire_across_line", "A", duration("24h")) >= 2`
		follows  = `"c1" in determinations`
		filter   = `findings.filter(f, f.party == "A" && f.severity == "major").size() >= 2`
		either   = `verified("major", "A", duration("24h")) >= 1 || verified("major", "B", duration("24h")) >= 1`
		both     = `verified("minor", "A", duration("24h")) >= 1 && verified_type("airspace_crossing", "", duration("48h")) >= 1`
		recent   = `findings.exists(f, f.time > now - duration("1h"))`
	)
	h := time.Hour
	tests := []struct {
		name       string
		condition  string
		findings   []Finding
		determined []string
		holds      bool
		// findings is what the proposal rests on, when it holds.
		want []string
	}{
		{"major: no findings", major72, nil, nil, false, nil},
		{"major: 71h59m ago", major72, []Finding{finding("f1", fire, "A", Major, 71*h+59*time.Minute)}, nil, true, []string{"f1"}},
		{"major: exactly 72h ago is outside", major72, []Finding{finding("f1", fire, "A", Major, 72*h)}, nil, false, nil},
		{"major: 72h01m ago", major72, []Finding{finding("f1", fire, "A", Major, 72*h+time.Minute)}, nil, false, nil},
		{"major: at now", major72, []Finding{finding("f1", fire, "A", Major, 0)}, nil, true, []string{"f1"}},
		{"major: after now is not counted", major72, []Finding{finding("f1", fire, "A", Major, -time.Minute)}, nil, false, nil},
		{"major: a serious one", major72, []Finding{finding("f1", fire, "A", Serious, h)}, nil, false, nil},
		{"major: a major one of B", major72, []Finding{finding("f1", fire, "B", Major, h)}, nil, false, nil},
		{"major: not attributable", major72, []Finding{finding("f1", fire, "", Major, h)}, nil, false, nil},
		{"major: counts only what satisfies it", major72, []Finding{
			finding("f3", fire, "A", Major, h), finding("f1", fire, "A", Serious, h), finding("f2", fire, "A", Major, 2*h), finding("f4", fire, "B", Major, h),
		}, nil, true, []string{"f2", "f3"}},
		{"serious: two and a minor", serious3, []Finding{
			finding("f1", fire, "A", Serious, h), finding("f2", same, "B", Serious, h), finding("f3", fire, "A", Minor, h),
		}, nil, false, nil},
		{"serious: two and a major, any party", serious3, []Finding{
			finding("f1", fire, "A", Serious, h), finding("f2", same, "B", Serious, h), finding("f3", fire, "", Major, h), finding("f4", fire, "A", Minor, h),
		}, nil, true, []string{"f1", "f2", "f3"}},
		{"serious: one of three out of the window", serious3, []Finding{
			finding("f1", fire, "A", Serious, h), finding("f2", same, "B", Serious, h), finding("f3", fire, "A", Serious, 25*h),
		}, nil, false, nil},
		{"serious: an unknown severity is not counted", serious3, []Finding{
			finding("f1", fire, "A", Serious, h), finding("f2", same, "B", Serious, h), finding("f3", fire, "A", "grave", h),
		}, nil, false, nil},
		{"type: two fires across the line by A", fireA2, []Finding{
			finding("f1", fire, "A", Minor, h), finding("f2", fire, "A", Major, 23*h),
		}, nil, true, []string{"f1", "f2"}},
		{"type: another type", fireA2, []Finding{finding("f1", fire, "A", Major, h), finding("f2", same, "A", Major, h)}, nil, false, nil},
		{"type: another party", fireA2, []Finding{finding("f1", fire, "A", Major, h), finding("f2", fire, "B", Major, h)}, nil, false, nil},
		{"follows: confirmed", follows, []Finding{finding("f1", fire, "A", Major, h), finding("f0", fire, "A", Major, 31*24*h)}, []string{"c0", "c1"}, true, []string{"f1"}},
		{"follows: not confirmed", follows, nil, []string{"c0"}, false, nil},
		{"follows: no findings at all", follows, nil, []string{"c1"}, true, []string{}},
		{"filter: two majors of A", filter, []Finding{
			finding("f1", fire, "A", Major, h), finding("f2", same, "A", Major, 40*24*h), finding("f3", fire, "B", Minor, 2*h),
		}, nil, true, []string{"f1", "f3"}}, // every finding of the last 30 days
		{"filter: one major of A", filter, []Finding{finding("f1", fire, "A", Major, h), finding("f2", same, "B", Major, h)}, nil, false, nil},
		{"or: the side evaluated", either, []Finding{finding("a1", fire, "A", Major, h), finding("b1", fire, "B", Major, h)}, nil, true, []string{"a1"}},
		{"or: the other side", either, []Finding{finding("a1", fire, "A", Serious, h), finding("b1", fire, "B", Major, h)}, nil, true, []string{"b1"}},
		{"and: the union", both, []Finding{
			finding("a1", fire, "A", Minor, h), finding("x1", airspace, "B", Serious, 30*h), finding("z1", same, "B", Serious, h),
		}, nil, true, []string{"a1", "x1"}},
		{"now: a finding in the last hour", recent, []Finding{finding("f1", fire, "A", Minor, 59*time.Minute)}, nil, true, []string{"f1"}},
		{"now: none in the last hour", recent, []Finding{finding("f1", fire, "A", Minor, 61*time.Minute)}, nil, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile([]Clause{clause("c2", tc.condition)})
			if err != nil {
				t.Fatal(err)
			}
			ps, err := s.Evaluate(tc.findings, now, tc.determined)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ps) == 1; got != tc.holds {
				t.Fatalf("holds = %v, want %v (%+v)", got, tc.holds, ps)
			}
			if !tc.holds {
				return
			}
			p := ps[0]
			if p.Clause != "c2" || p.Instrument != "paris-2026" || !p.At.Equal(now) {
				t.Errorf("proposal %+v", p)
			}
			if !reflect.DeepEqual(p.Findings, tc.want) {
				t.Errorf("findings %q, want %q", p.Findings, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	noObligations := clause("c-none", "true")
	noObligations.Obligations = nil
	badDeadline := clause("c-deadline", "true")
	badDeadline.Obligations[0].Deadline = Duration(-time.Hour)
	tests := []struct {
		name    string
		clauses []Clause
		want    []string
	}{
		{"no such variable", []Clause{clause("c-var", `incident.class == "fire"`)}, []string{"clause c-var", "undeclared reference to 'incident'"}},
		{"an int", []Clause{clause("c-int", `verified("major", "A", duration("72h"))`)}, []string{"clause c-int", "yields int, not bool"}},
		{"a syntax error", []Clause{clause("c-syntax", `verified("major", "A", duration("72h")) >=`)}, []string{"clause c-syntax", "Syntax error"}},
		{"arguments of the wrong types", []Clause{clause("c-args", `verified(3, "A", "72h") >= 1`)}, []string{"clause c-args", "no matching overload for 'verified'"}},
		{"a duplicate id", []Clause{clause("c1", "true"), clause("c1", "false")}, []string{"clause c1: the id is used by an earlier clause (#2)"}},
		{"no obligations", []Clause{noObligations}, []string{"clause c-none", "at least one obligation"}},
		{"a bad deadline", []Clause{badDeadline}, []string{"clause c-deadline", "the deadline must be positive"}},
		{"too costly", []Clause{clause("c-nested", `findings.exists(f, findings.exists(g, g.id != f.id && g.party == f.party))`)},
			[]string{"clause c-nested", "more than the limit of 1000000"}},
		{"every bad clause named", []Clause{clause("ok", "true"), clause("bad1", "nope"), clause("bad2", "1 + 1")},
			[]string{"clause bad1", "clause bad2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.clauses)
			if err == nil {
				t.Fatalf("Compile() = %v, want an error", s)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestEvaluateFailures(t *testing.T) {
	s, err := Compile([]Clause{
		clause("ok1", `verified("minor", "", duration("24h")) >= 1`),
		clause("absent", `findings.exists(f, f.weapon == "mlrs")`),
		clause("grave", `verified("grave", "A", duration("24h")) >= 1`),
		clause("window", `verified_type("fire_across_line", "A", duration("-1h")) >= 1`),
		clause("index", `findings[3].party == "A"`),
		clause("string", `findings[0].party`),
		clause("ok2", `size(findings) == 1`),
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Evaluate([]Finding{finding("f1", fire, "A", Minor, time.Hour)}, now, nil)
	if got := []string{ps[0].Clause, ps[1].Clause}; len(ps) != 2 || !slices.Equal(got, []string{"ok1", "ok2"}) {
		t.Errorf("proposals %+v, want ok1 and ok2", ps)
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		"clause absent: no such key: weapon", `clause grave: verified: unknown severity "grave"`,
		"clause window: verified_type: the window must be positive", "clause index: index out of bounds",
		"clause string: the condition yielded A, not a bool",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "ok1") || strings.Contains(err.Error(), "ok2") {
		t.Errorf("the error names a clause that did not fail:\n%v", err)
	}
}

// TestEvaluateLarge: over more findings than Compile bounded conditions
// for, a condition is estimated again, and one that would cost too much
// fails alone.
func TestEvaluateLarge(t *testing.T) {
	s, err := Compile([]Clause{
		clause("helper", `verified("major", "A", duration("720h")) >= 1`),
		clause("cheap", `findings.exists(f, f.party == "B")`),
		clause("costly", `findings.filter(f, f.party == "A" && f.type == "fire_across_line" && f.time > now - duration("24h")).size() >= 3`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var fs []Finding
	for i := range 60_000 {
		fs = append(fs, finding(fmt.Sprintf("f%05d", i), fire, "A", Major, time.Duration(i)*time.Second))
	}
	fs = append(fs, finding(strings.Repeat("x", 300), fire, "B", Minor, time.Hour))
	ps, err := s.Evaluate(fs, now, nil)
	if err == nil || !strings.Contains(err.Error(), "clause costly: the condition may cost up to") || strings.Contains(err.Error(), "clause cheap") {
		t.Errorf("error %v, want clause costly alone refused", err)
	}
	if len(ps) != 2 || ps[0].Clause != "helper" || ps[1].Clause != "cheap" {
		t.Errorf("proposals of %d clauses, want helper and cheap", len(ps))
	}
}

// TestScanLimit: the helpers' work in one condition is bounded.
func TestScanLimit(t *testing.T) {
	s, err := Compile([]Clause{clause("each", `findings.all(f, verified_type(f.id, "", duration("720h")) == 1)`)})
	if err != nil {
		t.Fatal(err)
	}
	var fs []Finding
	for i := range 4_000 {
		fs = append(fs, finding(fmt.Sprintf("f%05d", i), fmt.Sprintf("f%05d", i), "A", Major, time.Duration(i)*time.Second))
	}
	if _, err := s.Evaluate(fs[:100], now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(fs, now, nil); err == nil || !strings.Contains(err.Error(), "clause each: verified_type: the windows of the helper calls hold more than") {
		t.Errorf("error %v, want the scan limit", err)
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	s, err := Compile([]Clause{
		clause("a", `verified("serious", "A", duration("24h")) >= 2`),
		clause("b", `verified_type("fire_across_line", "", duration("48h")) >= 1 && size(findings) > 2`),
		clause("c", `findings.filter(f, f.party == "B").size() >= 1`),
	})
	if err != nil {
		t.Fatal(err)
	}
	inputs := make([][]Finding, 16)
	want := make([][]Proposal, len(inputs))
	for i := range inputs {
		for j := range i + 1 {
			party := []string{"A", "B"}[(i+j)%2]
			inputs[i] = append(inputs[i], finding(fmt.Sprintf("f%d-%d", i, j), []string{fire, same}[j%2], party, Serious, time.Duration(j)*3*time.Hour))
		}
		if want[i], err = s.Evaluate(inputs[i], now, nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		for i := range inputs {
			wg.Go(func() {
				got, err := s.Evaluate(inputs[i], now, nil)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					t.Errorf("input %d: %+v, %v; want %+v", i, got, err, want[i])
				}
			})
		}
	}
	wg.Wait()
}

func TestSetClauses(t *testing.T) {
	s, err := Compile([]Clause{clause("c1", "true"), clause("c2", "false")})
	if err != nil {
		t.Fatal(err)
	}
	cs := s.Clauses()
	if len(cs) != 2 || cs[0].ID != "c1" || cs[1].ID != "c2" {
		t.Fatalf("Clauses() = %+v", cs)
	}
	cs[0].Obligations[0].Guarantor = "XXX"
	if c, ok := s.Clause("c1"); !ok || c.Obligations[0].Guarantor != "FRA" {
		t.Errorf("Clause(c1) = %+v, %v: the set was changed through Clauses()", c, ok)
	}
	if _, ok := s.Clause("c3"); ok {
		t.Error("Clause(c3) found")
	}
}

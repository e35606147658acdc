package trigger

import (
	"fmt"
	"testing"
	"time"
)

// benchmarkSet is 200 clauses of 30 instruments naming up to 30
// guarantors, and 2,000 findings of two parties spread over the 30 days
// before now. One clause in filterEvery (none when 0) filters findings
// directly; of the others, half call verified() and half verified_type().
func benchmarkSet(b *testing.B, filterEvery int) (*Set, []Finding) {
	b.Helper()
	parties := []string{"A", "B"}
	types := []string{fire, same, "weapon_in_withdrawal_zone", "presence_in_buffer_zone", airspace}
	severities := []string{Minor, Serious, Major}
	var clauses []Clause
	for i := range 200 {
		p, window := parties[i%2], 24+i%5*24
		var cond string
		switch {
		case filterEvery > 0 && i%filterEvery == filterEvery-1:
			cond = fmt.Sprintf(`findings.filter(f, f.party == %q && f.type == %q && f.time > now - duration("%dh")).size() >= %d`,
				p, types[i%5], window, 3+i%4)
		case i%2 == 0:
			cond = fmt.Sprintf(`verified(%q, %q, duration("%dh")) >= %d`, severities[i%3], p, window, 1+i%7)
		default:
			cond = fmt.Sprintf(`verified_type(%q, %q, duration("%dh")) >= %d || verified("major", "", duration("24h")) >= 50`,
				types[i%5], p, window, 2+i%9)
		}
		var obligations []ObligationSpec
		for g := range 1 + i%30 {
			obligations = append(obligations, ObligationSpec{Guarantor: fmt.Sprintf("G%02d", g), Type: Consult, Deadline: Duration(24 * time.Hour)})
		}
		clauses = append(clauses, Clause{ID: fmt.Sprintf("c%03d", i), Instrument: fmt.Sprintf("i%02d", i%30), Condition: cond, Obligations: obligations})
	}
	s, err := Compile(clauses)
	if err != nil {
		b.Fatal(err)
	}
	findings := make([]Finding, 2000)
	for i := range findings {
		findings[i] = Finding{
			ID: fmt.Sprintf("fnd-%04d", i), Type: types[i%5], Party: parties[i%3%2], Severity: severities[i%7%3],
			Clause: "2", Region: "donetsk", Time: now.Add(-time.Duration(i) * 21 * time.Minute),
		}
	}
	return s, findings
}

// BenchmarkEvaluate200Clauses is one Evaluate call, as on each new
// finding, for three mixes of conditions.
func BenchmarkEvaluate200Clauses(b *testing.B) {
	for _, mix := range []struct {
		name        string
		filterEvery int
	}{{"helpers_only", 0}, {"filter_1_in_10", 10}, {"filter_1_in_3", 3}} {
		b.Run(mix.name, func(b *testing.B) {
			s, findings := benchmarkSet(b, mix.filterEvery)
			ps, err := s.Evaluate(findings, now, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Evaluate(findings, now, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ps)), "proposals")
		})
	}
}

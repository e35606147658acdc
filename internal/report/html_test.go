package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with the file in testdata, byte for byte, or
// rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from the report at line %d:\n got %s\nwant %s\n(run go test -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs from the report: %d lines, want %d (run go test -update if the change is intended)", path, len(gl), len(wl))
	}
}

func TestGolden(t *testing.T) {
	in := scenario(t)
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := r.HTML(&page); err != nil {
		t.Fatal(err)
	}
	golden(t, "daily.golden.html", page.Bytes())
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "daily.golden.json", append(data, '\n'))

	// The same records in another order make the same bytes.
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(in.Violations), func(i, j int) { in.Violations[i], in.Violations[j] = in.Violations[j], in.Violations[i] })
	rng.Shuffle(len(in.Restrictions), func(i, j int) { in.Restrictions[i], in.Restrictions[j] = in.Restrictions[j], in.Restrictions[i] })
	rng.Shuffle(len(in.Incidents), func(i, j int) { in.Incidents[i], in.Incidents[j] = in.Incidents[j], in.Incidents[i] })
	again, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var page2 bytes.Buffer
	if err := again.HTML(&page2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(page.Bytes(), page2.Bytes()) {
		t.Error("shuffling the input changed the page")
	}
}

// TestSelfContained checks that the page needs nothing from elsewhere and
// escapes what the records say.
func TestSelfContained(t *testing.T) {
	in := scenario(t)
	in.Violations[0].Reason = `<script>alert("x")</script>`
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<link", " src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	urls := regexp.MustCompile(`https?://[^"' >]*`).FindAllString(page, -1)
	for _, u := range urls {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("the page refers to %s", u)
		}
	}
	for _, want := range []string{`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, `Checkpoint 9 &lt;crossroads&gt; &amp; &#34;mill&#34;`, "@media print", "<svg class=\"map\""} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// spread returns n violations, n incidents and n/100 restrictions spread
// at random over the terms' regions and over the given number of days
// before the end of the report's day (1: the report's day alone),
// deterministic for the seed.
func spread(t testing.TB, n, days int, seed uint64) Input {
	in := scenario(t)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pos := func() geo.LonLat { return geo.LonLat{Lon: 36.5 + 2.3*rng.Float64(), Lat: 46.8 + 2.5*rng.Float64()} }
	span := time.Duration(days) * 24 * time.Hour
	when := func() time.Time { return cutoff.Add(24*time.Hour - span + time.Duration(rng.Int64N(int64(span)))) }
	classes := []string{"artillery_100mm", "mlrs", "heavy_mlrs"}
	parties := []string{"A", "B", ""}
	in.Violations = make([]Violation, n)
	for i := range in.Violations {
		v := Violation{
			ID: fmt.Sprintf("cand-%06d", i), Type: terms.ViolationTypes[rng.IntN(len(terms.ViolationTypes))],
			Party: parties[rng.IntN(3)], Severity: terms.Severities[rng.IntN(3)], Incident: fmt.Sprintf("inc-%06d", i),
			Time: when(), Position: pos(), State: string(states[rng.IntN(len(states))]), Reason: "A candidate of the benchmark.", Label: public,
		}
		if v.Type == terms.WeaponInWithdrawalZone {
			v.WeaponClass = classes[rng.IntN(3)]
			v.DistanceM = 50_000 * rng.Float64()
		}
		in.Violations[i] = v
	}
	in.Incidents = make([]Incident, n)
	for i := range in.Incidents {
		in.Incidents[i] = Incident{ID: fmt.Sprintf("inc-%06d", i), Class: []string{"fire", "equipment"}[rng.IntN(2)], Time: when(), Position: pos(), Label: public}
	}
	in.Restrictions = make([]Restriction, n/100)
	for i := range in.Restrictions {
		in.Restrictions[i] = Restriction{ID: fmt.Sprintf("restr-%05d", i), Time: when(), Position: pos(), Party: parties[rng.IntN(3)],
			Checkpoint: fmt.Sprintf("Checkpoint %d", i%40), PatrolSize: 2 + rng.IntN(6), Denied: rng.IntN(3) == 0, Delay: time.Duration(rng.IntN(180)) * time.Minute, Label: public}
	}
	return in
}

// TestAggregated checks that a crowded day is drawn as counts on a grid
// that add up to the records.
func TestAggregated(t *testing.T) {
	in := spread(t, 10_000, 2, 7)
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Map.Violations.Aggregated || !r.Map.Incidents.Aggregated || r.Map.Restrictions.Aggregated {
		t.Fatalf("aggregated: violations %v, incidents %v, restrictions %v; want true, true, false", r.Map.Violations.Aggregated, r.Map.Incidents.Aggregated, r.Map.Restrictions.Aggregated)
	}
	sum := 0
	for _, m := range r.Map.Violations.Markers {
		sum += m.Count
	}
	if sum != r.Violations.Total {
		t.Errorf("the cells hold %d violations, want %d", sum, r.Violations.Total)
	}
	if n := len(r.Map.Violations.Markers); n > gridColumns*gridColumns {
		t.Errorf("%d cells", n)
	}
	counted := 0
	for _, v := range in.Violations {
		if !v.Time.Before(r.From) && v.Time.Before(r.To) && (v.State == string(verify.Verified) || v.State == string(verify.Open) || v.State == string(verify.MoreInformation) || v.State == string(verify.SecondReview)) {
			counted++
		}
	}
	if counted != r.Violations.Total {
		t.Errorf("Total = %d, want %d", r.Violations.Total, counted)
	}
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	svg := b.String()[strings.Index(b.String(), "<svg class=\"map\""):strings.Index(b.String(), "</svg>")]
	if len(svg) > 400_000 {
		t.Errorf("the map is %d bytes", len(svg))
	}
	if !strings.Contains(b.String(), "each circle stands for the records in a cell of a grid") {
		t.Error("the caption does not say the markers are aggregated")
	}
}

// BenchmarkDaily50k builds and renders the report of a day of 50,000
// incidents, 50,000 candidate violations and 500 restrictions.
func BenchmarkDaily50k(b *testing.B) {
	in := spread(b, 50_000, 1, 1)
	b.ResetTimer()
	for b.Loop() {
		r, err := Build(in)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.HTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

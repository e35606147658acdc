package guarantee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// gapSet is a small set of commitments whose sums are worked out by hand
// in the tests below.
func gapSet() []Commitment {
	d := mustDate
	return []Commitment{
		{ID: "a", Instrument: "gbr", Guarantor: "GBR", Category: AirDefence, Unit: "missiles", CommittedOn: d("2024-01-15"),
			Committed: 100, Allocated: 80, Deliveries: []Delivery{{Date: d("2024-02-10"), Amount: 30}, {Date: d("2024-04-01"), Amount: 20}}},
		{ID: "b", Instrument: "gbr", Guarantor: "GBR", Category: Financial, Currency: "EUR", CommittedOn: d("2024-02-01"),
			Committed: 1000, Allocated: 500, Deliveries: []Delivery{{Date: d("2024-03-05"), Amount: 400}}},
		{ID: "c", Instrument: "fra", Guarantor: "FRA", Category: AirDefence, Unit: "missiles", CommittedOn: d("2024-01-01"),
			Committed: 50, Allocated: 50, Deliveries: []Delivery{{Date: d("2024-01-20"), Amount: 60}}},
		{ID: "d", Instrument: "fra", Guarantor: "FRA", Category: Financial, Currency: "EUR", // undated
			Committed: 2000},
		{ID: "e", Instrument: "decl", Guarantor: "EU", Category: Financial, Currency: "EUR", CommittedOn: d("2024-03-31"),
			Committed: 1000, Allocated: 1000, Deliveries: []Delivery{{Date: d("2024-05-01"), Amount: 250}}},
	}
}

func TestTotals(t *testing.T) {
	row := func(key, measure string, committed, allocated, delivered, share float64, n int) Row {
		return Row{Key: key, Measure: measure, Committed: committed, Allocated: allocated, Delivered: delivered,
			Gap: committed - delivered, DeliveredShare: share, Commitments: n}
	}
	tests := []struct {
		name string
		by   GroupBy
		f    Filter
		want []Row
	}{
		{"by guarantor", ByGuarantor, Filter{}, []Row{
			row("FRA", "EUR", 2000, 0, 0, 0, 1),
			row("EU", "EUR", 1000, 1000, 250, 0.25, 1),
			row("GBR", "EUR", 1000, 500, 400, 0.4, 1),
			row("GBR", "missiles", 100, 80, 50, 0.5, 1),
			row("FRA", "missiles", 50, 50, 60, 1.2, 1), // delivered more: a negative gap
		}},
		{"by category", ByCategory, Filter{}, []Row{
			{Key: "financial", Name: "Financial", Measure: "EUR", Committed: 4000, Allocated: 1500, Delivered: 650, Gap: 3350, DeliveredShare: 0.1625, Commitments: 3},
			{Key: "air_defence", Name: "Air defence", Measure: "missiles", Committed: 150, Allocated: 130, Delivered: 110, Gap: 40, DeliveredShare: 110.0 / 150, Commitments: 2},
		}},
		{"by instrument", ByInstrument, Filter{Measure: "EUR"}, []Row{
			row("fra", "EUR", 2000, 0, 0, 0, 1),
			row("decl", "EUR", 1000, 1000, 250, 0.25, 1),
			row("gbr", "EUR", 1000, 500, 400, 0.4, 1),
		}},
		{"one guarantor", ByCategory, Filter{Guarantor: "GBR"}, []Row{
			{Key: "financial", Name: "Financial", Measure: "EUR", Committed: 1000, Allocated: 500, Delivered: 400, Gap: 600, DeliveredShare: 0.4, Commitments: 1},
			{Key: "air_defence", Name: "Air defence", Measure: "missiles", Committed: 100, Allocated: 80, Delivered: 50, Gap: 50, DeliveredShare: 0.5, Commitments: 1},
		}},
		{"one category", ByGuarantor, Filter{Category: AirDefence}, []Row{
			row("GBR", "missiles", 100, 80, 50, 0.5, 1),
			row("FRA", "missiles", 50, 50, 60, 1.2, 1),
		}},
		{"a span of dates", ByGuarantor, Filter{From: mustDate("2024-01-15"), To: mustDate("2024-03-01")}, []Row{
			// a (15 January, the first day) and b; c is before, d undated,
			// e after. Deliveries after 1 March do not count.
			row("GBR", "EUR", 1000, 500, 0, 0, 1),
			row("GBR", "missiles", 100, 80, 30, 0.3, 1),
		}},
		{"from a day on", ByGuarantor, Filter{From: mustDate("2024-03-31")}, []Row{
			row("EU", "EUR", 1000, 1000, 250, 0.25, 1),
		}},
		{"nothing", ByGuarantor, Filter{Guarantor: "USA"}, nil},
		{"an unknown grouping", GroupBy("colour"), Filter{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Totals(gapSet(), tt.by, tt.f)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Totals =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestRegistryTotals(t *testing.T) {
	// The registry dates an undated commitment by its instrument's
	// signature, and names the rows.
	r := Registry{
		Guarantors:  []Guarantor{{Code: "FRA", Name: "France", Kind: Nation}},
		Instruments: []Instrument{{ID: "fra", Title: "France–Ukraine", Signed: mustDate("2024-02-16")}},
		Commitments: gapSet()[2:4],
	}
	got := r.Totals(ByGuarantor, Filter{From: mustDate("2024-02-16")})
	want := []Row{{Key: "FRA", Name: "France", Measure: "EUR", Committed: 2000, Gap: 2000, Commitments: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	if got := r.Totals(ByInstrument, Filter{}); got[0].Name != "France–Ukraine" {
		t.Errorf("Totals by instrument = %+v", got)
	}
	if r.Commitments[1].CommittedOn != (Date{}) {
		t.Error("Totals changed the registry")
	}
}

func TestSeries(t *testing.T) {
	type p = struct {
		key, measure, month  string
		committed, delivered float64
	}
	tests := []struct {
		name    string
		by      GroupBy
		measure string
		iv      Interval
		want    []p
	}{
		{"missiles by guarantor", ByGuarantor, "missiles", Interval{}, []p{
			{"FRA", "missiles", "2024-01", 50, 60}, {"FRA", "missiles", "2024-02", 50, 60}, {"FRA", "missiles", "2024-03", 50, 60}, {"FRA", "missiles", "2024-04", 50, 60},
			{"GBR", "missiles", "2024-01", 100, 0}, {"GBR", "missiles", "2024-02", 100, 30}, {"GBR", "missiles", "2024-03", 100, 30}, {"GBR", "missiles", "2024-04", 100, 50},
		}},
		{"within an interval", ByGuarantor, "missiles", Interval{From: NewMonth(2024, 2), To: NewMonth(2024, 3)}, []p{
			{"FRA", "missiles", "2024-02", 50, 60}, {"FRA", "missiles", "2024-03", 50, 60},
			{"GBR", "missiles", "2024-02", 100, 30}, {"GBR", "missiles", "2024-03", 100, 30},
		}},
		{"every measure by category", ByCategory, "", Interval{}, []p{
			// d has no date: left out.
			{"air_defence", "missiles", "2024-01", 150, 60}, {"air_defence", "missiles", "2024-02", 150, 90}, {"air_defence", "missiles", "2024-03", 150, 90},
			{"air_defence", "missiles", "2024-04", 150, 110}, {"air_defence", "missiles", "2024-05", 150, 110},
			{"financial", "EUR", "2024-01", 0, 0}, {"financial", "EUR", "2024-02", 1000, 0}, {"financial", "EUR", "2024-03", 2000, 400},
			{"financial", "EUR", "2024-04", 2000, 400}, {"financial", "EUR", "2024-05", 2000, 650},
		}},
		{"from a month on", ByInstrument, "EUR", Interval{From: NewMonth(2024, 4)}, []p{
			{"decl", "EUR", "2024-04", 1000, 0}, {"decl", "EUR", "2024-05", 1000, 250},
			{"gbr", "EUR", "2024-04", 1000, 400}, {"gbr", "EUR", "2024-05", 1000, 400},
		}},
		{"up to a month", ByGuarantor, "EUR", Interval{To: NewMonth(2024, 2)}, []p{
			{"EU", "EUR", "2024-02", 0, 0},
			{"GBR", "EUR", "2024-02", 1000, 0},
		}},
		{"a reversed interval", ByGuarantor, "", Interval{From: NewMonth(2024, 3), To: NewMonth(2024, 2)}, nil},
		{"an unknown measure", ByGuarantor, "litres", Interval{}, nil},
		{"an unknown grouping", "colour", "", Interval{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []p
			for _, pt := range Series(gapSet(), tt.by, tt.measure, tt.iv) {
				if pt.Gap != pt.Committed-pt.Delivered {
					t.Errorf("%+v: the gap is not committed - delivered", pt)
				}
				got = append(got, p{pt.Key, pt.Measure, pt.Month.String(), pt.Committed, pt.Delivered})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Series =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestSeriesIsBounded(t *testing.T) {
	cs := []Commitment{
		{Guarantor: "A", Currency: "EUR", CommittedOn: mustDate("0001-01-01"), Committed: 1},
		{Guarantor: "A", Currency: "EUR", CommittedOn: mustDate("9999-12-31"), Committed: 2},
	}
	got := Series(cs, ByGuarantor, "", Interval{})
	if len(got) != MaxSeriesMonths || got[0].Committed != 1 || got[len(got)-1].Committed != 3 || got[len(got)-1].Month.String() != "9999-12" {
		t.Errorf("%d points, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
}

func TestRegistrySeries(t *testing.T) {
	r := Registry{
		Guarantors:  []Guarantor{{Code: "FRA", Name: "France", Kind: Nation}},
		Instruments: []Instrument{{ID: "fra", Signed: mustDate("2023-12-05")}},
		Commitments: gapSet()[2:4],
	}
	got := r.Series(ByGuarantor, "EUR", Interval{})
	want := []Point{{Key: "FRA", Name: "France", Measure: "EUR", Month: NewMonth(2023, 12), Committed: 2000, Gap: 2000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Series = %+v, want %+v", got, want)
	}
}

func TestAnalyticsGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteRowsCSV(&b, Totals(gapSet(), ByGuarantor, Filter{})); err != nil {
		t.Fatal(err)
	}
	golden(t, "totals.golden.csv", b.Bytes())
	b.Reset()
	if err := WriteSeriesCSV(&b, Series(gapSet(), ByCategory, "", Interval{})); err != nil {
		t.Fatal(err)
	}
	golden(t, "series.golden.csv", b.Bytes())
	rows, err := json.MarshalIndent(Demo().Totals(ByGuarantor, Filter{Measure: "EUR"}), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "demo-totals-eur.golden.json", append(rows, '\n'))
}

// benchCommitments returns n commitments over 30 guarantors, each with
// three deliveries.
func benchCommitments(n int) []Commitment {
	rng := rand.New(rand.NewPCG(7, 8))
	cats := Categories()
	measures := []string{"EUR", "USD", "GBP", "155mm shells", "systems"}
	cs := make([]Commitment, n)
	for i := range cs {
		c := Commitment{ID: fmt.Sprint(i), Instrument: fmt.Sprintf("i%d", i%60), Guarantor: fmt.Sprintf("G%02d", i%30),
			Category: cats[rng.IntN(len(cats))], CommittedOn: NewDate(2024+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
			Committed: float64(1 + rng.IntN(1e6))}
		if m := measures[rng.IntN(len(measures))]; len(m) == 3 {
			c.Currency = m
		} else {
			c.Unit = m
		}
		c.Allocated = c.Committed / 2
		c.Deliveries = make([]Delivery, 3)
		for k := range c.Deliveries {
			c.Deliveries[k] = Delivery{Date: NewDate(2024+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)), Amount: c.Committed / 5}
		}
		cs[i] = c
	}
	return cs
}

// BenchmarkTotals100k is the analytics a dashboard asks for at once over
// 100,000 commitments with 3 deliveries each: totals by guarantor and by
// category, and the monthly series by guarantor.
func BenchmarkTotals100k(b *testing.B) {
	cs := benchCommitments(100_000)
	b.ResetTimer()
	for b.Loop() {
		byGuarantor := Totals(cs, ByGuarantor, Filter{})
		byCategory := Totals(cs, ByCategory, Filter{})
		series := Series(cs, ByGuarantor, "", Interval{})
		if len(byGuarantor) != 150 || len(byCategory) != 80 || len(series) != 150*36 {
			b.Fatalf("%d, %d, %d", len(byGuarantor), len(byCategory), len(series))
		}
	}
}

package guarantee

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// GroupBy is what Totals and Series add commitments up by.
type GroupBy string

// The groupings of the gap analytics.
const (
	ByGuarantor  GroupBy = "guarantor"
	ByCategory   GroupBy = "category"
	ByInstrument GroupBy = "instrument"
)

// Valid reports whether g is one of ByGuarantor, ByCategory and
// ByInstrument.
func (g GroupBy) Valid() bool {
	switch g {
	case ByGuarantor, ByCategory, ByInstrument:
		return true
	}
	return false
}

// key returns c's key under g.
func (g GroupBy) key(c Commitment) string {
	switch g {
	case ByGuarantor:
		return c.Guarantor
	case ByCategory:
		return string(c.Category)
	}
	return c.Instrument
}

// Filter selects the commitments Totals adds up. Each field set narrows
// the selection; the zero Filter selects everything.
type Filter struct {
	Guarantor string   `json:"guarantor,omitempty"`
	Category  Category `json:"category,omitempty"`
	// Measure is a currency or a unit: the commitments counted in it.
	Measure string `json:"measure,omitempty"`
	// From and To bound, inclusively, the dates the commitments were made
	// (CommittedOn): a commitment without one is left out when either is
	// set. With To set, only deliveries up to To count, so that a row says
	// what had been delivered by then.
	From Date `json:"from,omitzero"`
	To   Date `json:"to,omitzero"`
}

// Match reports whether f selects c.
func (f Filter) Match(c Commitment) bool {
	switch {
	case f.Guarantor != "" && c.Guarantor != f.Guarantor,
		f.Category != "" && c.Category != f.Category,
		f.Measure != "" && c.Measure() != f.Measure:
		return false
	case f.From.IsZero() && f.To.IsZero():
		return true
	}
	d := c.CommittedOn
	return !d.IsZero() && !d.Before(f.From) && (f.To.IsZero() || !d.After(f.To))
}

// Row is the sum of the commitments of one key (a guarantor's code, a
// category or an instrument's id) counted in one measure: units and
// currencies are never added together.
type Row struct {
	Key string `json:"key"`
	// Name is the key's name for people, where known: the guarantor's
	// name, the category's title, the instrument's title.
	Name      string  `json:"name,omitempty"`
	Measure   string  `json:"measure"`
	Committed float64 `json:"committed"`
	Allocated float64 `json:"allocated"`
	Delivered float64 `json:"delivered"`
	// Gap is Committed - Delivered: what is still owed (negative when
	// more was delivered than committed).
	Gap float64 `json:"gap"`
	// DeliveredShare is Delivered / Committed, 0 when nothing was
	// committed.
	DeliveredShare float64 `json:"delivered_share"`
	// Commitments is how many commitments were added up.
	Commitments int `json:"commitments"`
}

// groupKey is a key of a Row or of a series.
type groupKey struct{ key, measure string }

// Totals adds up the commitments f selects by (key, measure): committed,
// allocated and delivered, the gap and the share delivered. Rows are
// sorted by committed, largest first, then by key and measure. Row names
// are filled in for categories only; Registry.Totals names the rest. An
// invalid by yields nil.
func Totals(cs []Commitment, by GroupBy, f Filter) []Row {
	if !by.Valid() {
		return nil
	}
	index := map[groupKey]int{}
	var rows []Row
	for _, c := range cs {
		if !f.Match(c) {
			continue
		}
		k := groupKey{by.key(c), c.Measure()}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, Row{Key: k.key, Measure: k.measure})
		}
		row := &rows[i]
		row.Committed += c.Committed
		row.Allocated += c.Allocated
		for _, d := range c.Deliveries {
			if f.To.IsZero() || !d.Date.After(f.To) {
				row.Delivered += d.Amount
			}
		}
		row.Commitments++
	}
	for i := range rows {
		row := &rows[i]
		row.Gap = row.Committed - row.Delivered
		if row.Committed > 0 {
			row.DeliveredShare = row.Delivered / row.Committed
		}
		if by == ByCategory {
			row.Name = Category(row.Key).Title()
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Committed, a.Committed), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Measure, b.Measure))
	})
	return rows
}

// Totals is the package's Totals over the registry's commitments, each
// dated by its instrument's signature when it has no date of its own
// (FillCommittedOn), with every row named.
func (r Registry) Totals(by GroupBy, f Filter) []Row {
	rows := Totals(FillCommittedOn(r.Commitments, r.Instruments), by, f)
	names := r.names(by)
	for i := range rows {
		if n, ok := names[rows[i].Key]; ok {
			rows[i].Name = n
		}
	}
	return rows
}

// names maps the registry's keys under by to their names, for guarantors
// and instruments.
func (r Registry) names(by GroupBy) map[string]string {
	m := map[string]string{}
	switch by {
	case ByGuarantor:
		for _, g := range r.Guarantors {
			m[g.Code] = g.Name
		}
	case ByInstrument:
		for _, in := range r.Instruments {
			m[in.ID] = in.Title
		}
	}
	return m
}

// Interval is a span of months, both ends included. A zero end is taken
// from the data: the first or last month in which something was committed
// or delivered.
type Interval struct {
	From Month `json:"from,omitzero"`
	To   Month `json:"to,omitzero"`
}

// MaxSeriesMonths is the longest a series runs: an interval longer than
// this keeps its last MaxSeriesMonths months (what came before is still
// counted, in the first month).
const MaxSeriesMonths = 1200

// Point is one month of one series: the cumulative figures of one key in
// one measure at the end of the month. A series is the points of one
// (key, measure), one for every month of the interval.
type Point struct {
	Key     string `json:"key"`
	Name    string `json:"name,omitempty"`
	Measure string `json:"measure"`
	Month   Month  `json:"month"`
	// Committed is the sum of what was committed on or before the
	// month's last day (by CommittedOn).
	Committed float64 `json:"committed"`
	// Delivered is the sum of the deliveries dated on or before the
	// month's last day.
	Delivered float64 `json:"delivered"`
	// Gap is Committed - Delivered.
	Gap float64 `json:"gap"`
}

// Series returns, for every (key, measure) and every month of iv, the
// cumulative committed and delivered figures at the end of the month:
// commitments count from their CommittedOn date and deliveries from their
// own dates, and what came before iv counts in its first month.
// Commitments without a CommittedOn date are left out altogether (resolve
// them first with FillCommittedOn, as Registry.Series does). With measure
// set, only the commitments counted in it are included. Points are sorted
// by key, measure and month. An invalid by, or no data, yields nil.
func Series(cs []Commitment, by GroupBy, measure string, iv Interval) []Point {
	if !by.Valid() {
		return nil
	}
	include := func(c Commitment) bool {
		return !c.CommittedOn.IsZero() && (measure == "" || c.Measure() == measure)
	}
	from, to := iv.From, iv.To
	if from.IsZero() || to.IsZero() {
		var lo, hi Month
		for _, c := range cs {
			if !include(c) {
				continue
			}
			lo, hi = widen(lo, hi, c.CommittedOn.Month())
			for _, d := range c.Deliveries {
				lo, hi = widen(lo, hi, d.Date.Month())
			}
		}
		if from.IsZero() {
			from = lo
		}
		if to.IsZero() {
			to = hi
		}
	}
	if from.IsZero() || to.IsZero() || to.Compare(from) < 0 {
		return nil
	}
	if to.n-from.n >= MaxSeriesMonths {
		from = to.Add(1 - MaxSeriesMonths)
	}
	n := int(to.n-from.n) + 1
	// slot returns the month's index in the series, -1 after its end.
	slot := func(d Date) int {
		m := d.Month()
		if m.n > to.n {
			return -1
		}
		return max(int(m.n-from.n), 0)
	}
	index := map[groupKey]int{}
	var keys []groupKey
	var committed, delivered [][]float64
	for _, c := range cs {
		if !include(c) {
			continue
		}
		k := groupKey{by.key(c), c.Measure()}
		g, ok := index[k]
		if !ok {
			g = len(keys)
			index[k] = g
			keys = append(keys, k)
			committed = append(committed, make([]float64, n))
			delivered = append(delivered, make([]float64, n))
		}
		if i := slot(c.CommittedOn); i >= 0 {
			committed[g][i] += c.Committed
		}
		for _, d := range c.Deliveries {
			if i := slot(d.Date); i >= 0 {
				delivered[g][i] += d.Amount
			}
		}
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(keys[a].key, keys[b].key), cmp.Compare(keys[a].measure, keys[b].measure))
	})
	points := make([]Point, 0, len(keys)*n)
	for _, g := range order {
		var sumC, sumD float64
		for i := range n {
			sumC += committed[g][i]
			sumD += delivered[g][i]
			p := Point{Key: keys[g].key, Measure: keys[g].measure, Month: from.Add(i), Committed: sumC, Delivered: sumD, Gap: sumC - sumD}
			if by == ByCategory {
				p.Name = Category(p.Key).Title()
			}
			points = append(points, p)
		}
	}
	return points
}

// widen returns the span lo..hi widened to take in m.
func widen(lo, hi, m Month) (Month, Month) {
	if m.IsZero() {
		return lo, hi
	}
	if lo.IsZero() || m.n < lo.n {
		lo = m
	}
	if hi.IsZero() || m.n > hi.n {
		hi = m
	}
	return lo, hi
}

// Series is the package's Series over the registry's commitments, each
// dated by its instrument's signature when it has no date of its own
// (FillCommittedOn), with every point named.
func (r Registry) Series(by GroupBy, measure string, iv Interval) []Point {
	points := Series(FillCommittedOn(r.Commitments, r.Instruments), by, measure, iv)
	names := r.names(by)
	for i := range points {
		if n, ok := names[points[i].Key]; ok {
			points[i].Name = n
		}
	}
	return points
}

// RowColumns returns the header WriteRowsCSV writes.
func RowColumns() []string {
	return []string{"key", "name", "measure", "commitments", "committed", "allocated", "delivered", "gap", "delivered_share"}
}

// WriteRowsCSV writes rows as CSV under RowColumns, figures in decimal.
func WriteRowsCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RowColumns()); err != nil {
		return fmt.Errorf("writing totals: %w", err)
	}
	for _, r := range rows {
		rec := []string{escape(r.Key), escape(r.Name), escape(r.Measure), strconv.Itoa(r.Commitments),
			formatNumber(r.Committed), formatNumber(r.Allocated), formatNumber(r.Delivered), formatNumber(r.Gap), formatNumber(r.DeliveredShare)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing totals: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing totals: %w", err)
	}
	return nil
}

// PointColumns returns the header WriteSeriesCSV writes.
func PointColumns() []string {
	return []string{"key", "name", "measure", "month", "committed", "delivered", "gap"}
}

// WriteSeriesCSV writes points as CSV under PointColumns, one row a point
// (the "long" form that charting tools pivot), months as YYYY-MM.
func WriteSeriesCSV(w io.Writer, points []Point) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PointColumns()); err != nil {
		return fmt.Errorf("writing series: %w", err)
	}
	for _, p := range points {
		rec := []string{escape(p.Key), escape(p.Name), escape(p.Measure), p.Month.String(),
			formatNumber(p.Committed), formatNumber(p.Delivered), formatNumber(p.Gap)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing series: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing series: %w", err)
	}
	return nil
}

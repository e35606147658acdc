package guarantee

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The CSV files are the secretariat's spreadsheet: one file (or sheet) each
// for guarantors, instruments, commitments and deliveries, described in
// docs/registry-formats.md. A delivery is a row of its own sheet, naming
// its commitment, rather than a packed cell of the commitment's row: that
// is how a spreadsheet holds one-to-many data, each amount stays a number
// that SUMIF can add, and notes need no escaping of their own.
//
// Reading is by header, so columns may come in any order and optional ones
// may be left out; an unknown or repeated column is refused. Every value
// read is checked as far as it can be without the rest of the registry,
// and every problem is reported with its line and column. Writing then
// reading gives back exactly what was written, but for one thing: a line
// break inside a cell is read as a line feed, so a carriage return
// written before a line feed is lost.

// maxCSVErrors is the most problems a reader reports.
const maxCSVErrors = 100

// CSVError is a problem with a CSV file: the line (1-based, counting the
// header as line 1), the column (1-based, as a spreadsheet counts them;
// 0 when the problem is with the row as a whole) and the column's header.
type CSVError struct {
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
	Header string `json:"header,omitempty"`
	Reason string `json:"reason"`
}

// Error returns "line 4, column 13 (allocated): reason", leaving out what
// does not apply.
func (e CSVError) Error() string {
	switch {
	case e.Column > 0 && e.Header != "":
		return fmt.Sprintf("line %d, column %d (%s): %s", e.Line, e.Column, e.Header, e.Reason)
	case e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
	case e.Header != "":
		return fmt.Sprintf("line %d (%s): %s", e.Line, e.Header, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// CSVErrors is every problem found with a CSV file, in file order.
type CSVErrors []CSVError

// Error returns the one problem, or a count and one problem a line.
func (es CSVErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n\t")
		b.WriteString(e.Error())
	}
	return b.String()
}

// column is how one column of a CSV file reads into and writes from a T.
type column[T any] struct {
	name     string
	required bool
	write    func(T) (string, error)
	read     func(*T, string) error
}

// GuarantorColumns returns the header of the guarantors CSV, in the order
// WriteGuarantorsCSV writes it.
func GuarantorColumns() []string { return names(guarantorColumns()) }

// InstrumentColumns returns the header of the instruments CSV, in the
// order WriteInstrumentsCSV writes it.
func InstrumentColumns() []string { return names(instrumentColumns()) }

// CommitmentColumns returns the header of the commitments CSV, in the
// order WriteCommitmentsCSV writes it.
func CommitmentColumns() []string { return names(commitmentColumns()) }

// DeliveryColumns returns the header of the deliveries CSV, in the order
// WriteDeliveriesCSV writes it.
func DeliveryColumns() []string { return names(deliveryColumns()) }

func names[T any](cols []column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

func guarantorColumns() []column[Guarantor] {
	return []column[Guarantor]{
		{"code", true, func(g Guarantor) (string, error) { return g.Code, nil }, func(g *Guarantor, s string) error { g.Code = token(s); return nil }},
		{"name", true, func(g Guarantor) (string, error) { return g.Name, nil }, func(g *Guarantor, s string) error { g.Name = s; return nil }},
		{"kind", true, func(g Guarantor) (string, error) { return string(g.Kind), nil }, func(g *Guarantor, s string) error { g.Kind = GuarantorKind(token(s)); return nil }},
	}
}

func instrumentColumns() []column[Instrument] {
	return []column[Instrument]{
		{"id", true, func(in Instrument) (string, error) { return in.ID, nil }, func(in *Instrument, s string) error { in.ID = token(s); return nil }},
		{"title", true, func(in Instrument) (string, error) { return in.Title, nil }, func(in *Instrument, s string) error { in.Title = s; return nil }},
		{"kind", true, func(in Instrument) (string, error) { return string(in.Kind), nil }, func(in *Instrument, s string) error { in.Kind = InstrumentKind(token(s)); return nil }},
		{"signatories", true, func(in Instrument) (string, error) { return writeList(in.Signatories) }, func(in *Instrument, s string) error { in.Signatories = readList(s); return nil }},
		{"signed", true, func(in Instrument) (string, error) { return in.Signed.String(), nil }, func(in *Instrument, s string) (err error) { in.Signed, err = readDate(s); return err }},
		{"in_force_from", false, func(in Instrument) (string, error) { return in.InForceFrom.String(), nil }, func(in *Instrument, s string) (err error) { in.InForceFrom, err = readDate(s); return err }},
		{"in_force_until", false, func(in Instrument) (string, error) { return in.InForceUntil.String(), nil }, func(in *Instrument, s string) (err error) { in.InForceUntil, err = readDate(s); return err }},
		{"binding", true, func(in Instrument) (string, error) { return string(in.Binding), nil }, func(in *Instrument, s string) error { in.Binding = Binding(token(s)); return nil }},
		{"text_url", false, func(in Instrument) (string, error) { return in.TextURL, nil }, func(in *Instrument, s string) error { in.TextURL = token(s); return nil }},
		{"illustrative", false, func(in Instrument) (string, error) { return strconv.FormatBool(in.Illustrative), nil }, func(in *Instrument, s string) (err error) { in.Illustrative, err = readBool(s); return err }},
	}
}

func commitmentColumns() []column[Commitment] {
	return []column[Commitment]{
		{"id", true, func(c Commitment) (string, error) { return c.ID, nil }, func(c *Commitment, s string) error { c.ID = token(s); return nil }},
		{"instrument", true, func(c Commitment) (string, error) { return c.Instrument, nil }, func(c *Commitment, s string) error { c.Instrument = token(s); return nil }},
		{"guarantor", true, func(c Commitment) (string, error) { return c.Guarantor, nil }, func(c *Commitment, s string) error { c.Guarantor = token(s); return nil }},
		{"category", true, func(c Commitment) (string, error) { return string(c.Category), nil }, func(c *Commitment, s string) error { c.Category = Category(token(s)); return nil }},
		{"description", false, func(c Commitment) (string, error) { return c.Description, nil }, func(c *Commitment, s string) error { c.Description = s; return nil }},
		{"quantity", false, func(c Commitment) (string, error) { return writeOptional(c.Quantity) }, func(c *Commitment, s string) (err error) { c.Quantity, err = readNumber(s); return err }},
		{"unit", false, func(c Commitment) (string, error) { return c.Unit, nil }, func(c *Commitment, s string) error { c.Unit = token(s); return nil }},
		{"value", false, func(c Commitment) (string, error) { return writeOptional(c.Value) }, func(c *Commitment, s string) (err error) { c.Value, err = readNumber(s); return err }},
		{"currency", false, func(c Commitment) (string, error) { return c.Currency, nil }, func(c *Commitment, s string) error { c.Currency = token(s); return nil }},
		{"schedule", false, func(c Commitment) (string, error) { return c.Schedule, nil }, func(c *Commitment, s string) error { c.Schedule = s; return nil }},
		{"due", false, func(c Commitment) (string, error) { return writeDates(c.Due) }, func(c *Commitment, s string) (err error) { c.Due, err = readDates(s); return err }},
		{"committed_on", false, func(c Commitment) (string, error) { return c.CommittedOn.String(), nil }, func(c *Commitment, s string) (err error) { c.CommittedOn, err = readDate(s); return err }},
		{"committed", true, func(c Commitment) (string, error) { return writeNumber(c.Committed) }, func(c *Commitment, s string) (err error) { c.Committed, err = readNumber(s); return err }},
		{"allocated", false, func(c Commitment) (string, error) { return writeNumber(c.Allocated) }, func(c *Commitment, s string) (err error) { c.Allocated, err = readNumber(s); return err }},
		{"caveats", false, func(c Commitment) (string, error) { return c.Caveats, nil }, func(c *Commitment, s string) error { c.Caveats = s; return nil }},
		{"excluded_regions", false, func(c Commitment) (string, error) { return writeList(c.ExcludedRegions) }, func(c *Commitment, s string) error { c.ExcludedRegions = readList(s); return nil }},
		{"excluded_tasks", false, func(c Commitment) (string, error) { return writeList(c.ExcludedTasks) }, func(c *Commitment, s string) error { c.ExcludedTasks = readList(s); return nil }},
		{"illustrative", false, func(c Commitment) (string, error) { return strconv.FormatBool(c.Illustrative), nil }, func(c *Commitment, s string) (err error) { c.Illustrative, err = readBool(s); return err }},
	}
}

// deliveryRow is a row of the deliveries CSV.
type deliveryRow struct {
	commitment string
	Delivery
}

func deliveryColumns() []column[deliveryRow] {
	return []column[deliveryRow]{
		{"commitment", true, func(d deliveryRow) (string, error) { return d.commitment, nil }, func(d *deliveryRow, s string) error { d.commitment = token(s); return nil }},
		{"date", true, func(d deliveryRow) (string, error) { return d.Date.String(), nil }, func(d *deliveryRow, s string) (err error) { d.Date, err = readDate(s); return err }},
		{"amount", true, func(d deliveryRow) (string, error) { return writeNumber(d.Amount) }, func(d *deliveryRow, s string) (err error) { d.Amount, err = readNumber(s); return err }},
		{"note", false, func(d deliveryRow) (string, error) { return d.Note, nil }, func(d *deliveryRow, s string) error { d.Note = s; return nil }},
		{"id", false, func(d deliveryRow) (string, error) { return d.ID, nil }, func(d *deliveryRow, s string) error { d.ID = token(s); return nil }},
	}
}

// ReadGuarantorsCSV reads the guarantors CSV (columns code, name, kind).
// Errors are CSVErrors naming the line and column of each problem.
func ReadGuarantorsCSV(r io.Reader) ([]Guarantor, error) {
	gs, err := readCSV(r, guarantorColumns(), guarantorProblems, func(g Guarantor) string { return g.Code }, "guarantor code")
	if err != nil {
		return nil, fmt.Errorf("reading guarantors: %w", err)
	}
	return gs, nil
}

// WriteGuarantorsCSV writes gs as the guarantors CSV.
func WriteGuarantorsCSV(w io.Writer, gs []Guarantor) error {
	if err := writeCSV(w, guarantorColumns(), gs, func(g Guarantor) string { return g.Code }); err != nil {
		return fmt.Errorf("writing guarantors: %w", err)
	}
	return nil
}

// ReadInstrumentsCSV reads the instruments CSV. Instruments read from CSV
// have no clauses: clauses are written in YAML only. Errors are CSVErrors
// naming the line and column of each problem.
func ReadInstrumentsCSV(r io.Reader) ([]Instrument, error) {
	ins, err := readCSV(r, instrumentColumns(), instrumentProblems, func(in Instrument) string { return in.ID }, "instrument id")
	if err != nil {
		return nil, fmt.Errorf("reading instruments: %w", err)
	}
	return ins, nil
}

// WriteInstrumentsCSV writes ins as the instruments CSV, without their
// clauses (see ReadInstrumentsCSV).
func WriteInstrumentsCSV(w io.Writer, ins []Instrument) error {
	if err := writeCSV(w, instrumentColumns(), ins, func(in Instrument) string { return in.ID }); err != nil {
		return fmt.Errorf("writing instruments: %w", err)
	}
	return nil
}

// ReadCommitmentsCSV reads the commitments CSV. The commitments read have
// no deliveries: ReadDeliveriesCSV adds them from the deliveries CSV.
// Each commitment is checked as far as it can be alone (Registry.Validate
// checks the instruments and guarantors it names); errors are CSVErrors
// naming the line and column of each problem.
func ReadCommitmentsCSV(r io.Reader) ([]Commitment, error) {
	cs, err := readCSV(r, commitmentColumns(), commitmentProblems, func(c Commitment) string { return c.ID }, "commitment id")
	if err != nil {
		return nil, fmt.Errorf("reading commitments: %w", err)
	}
	return cs, nil
}

// WriteCommitmentsCSV writes cs as the commitments CSV; their deliveries
// go in the deliveries CSV (WriteDeliveriesCSV).
func WriteCommitmentsCSV(w io.Writer, cs []Commitment) error {
	if err := writeCSV(w, commitmentColumns(), cs, func(c Commitment) string { return c.ID }); err != nil {
		return fmt.Errorf("writing commitments: %w", err)
	}
	return nil
}

// ReadDeliveriesCSV reads the deliveries CSV (columns commitment, date,
// amount, note, id) and returns a copy of cs with each delivery appended, in
// file order, to the commitment it names; cs itself is not changed. A
// delivery naming no commitment of cs is refused. Errors are CSVErrors
// naming the line and column of each problem.
func ReadDeliveriesCSV(r io.Reader, cs []Commitment) ([]Commitment, error) {
	index := make(map[string]int, len(cs))
	for i, c := range cs {
		if j, dup := index[c.ID]; dup {
			return nil, fmt.Errorf("reading deliveries: commitments[%d] and commitments[%d] have the same id %q", j, i, c.ID)
		}
		index[c.ID] = i
	}
	check := func(d deliveryRow) Problems {
		ps := deliveryProblems(d.Delivery)
		if _, ok := index[d.commitment]; !ok {
			switch d.commitment {
			case "":
				ps = append(Problems{{Field: "commitment", Reason: "required: the id of a commitment"}}, ps...)
			default:
				ps = append(Problems{{Field: "commitment", Reason: fmt.Sprintf("no commitment %q", d.commitment)}}, ps...)
			}
		}
		return ps
	}
	rows, err := readCSV(r, deliveryColumns(), check, nil, "")
	if err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	out := slices.Clone(cs)
	added := make([]bool, len(cs))
	for _, d := range rows {
		i := index[d.commitment]
		if !added[i] {
			// Copy before appending, so that cs's arrays are left alone.
			out[i].Deliveries = append([]Delivery(nil), out[i].Deliveries...)
			added[i] = true
		}
		out[i].Deliveries = append(out[i].Deliveries, d.Delivery)
	}
	return out, nil
}

// WriteDeliveriesCSV writes every delivery of cs as the deliveries CSV, in
// the order of the commitments and then of their deliveries.
func WriteDeliveriesCSV(w io.Writer, cs []Commitment) error {
	var rows []deliveryRow
	for _, c := range cs {
		for _, d := range c.Deliveries {
			rows = append(rows, deliveryRow{commitment: c.ID, Delivery: d})
		}
	}
	if err := writeCSV(w, deliveryColumns(), rows, func(d deliveryRow) string { return d.commitment }); err != nil {
		return fmt.Errorf("writing deliveries: %w", err)
	}
	return nil
}

// readCSV reads a CSV file of Ts with the given columns: the header, then
// one T a row. check returns the problems of a T read without error, with
// fields named as in YAML (the first part of which is a column's name);
// key, when not nil, returns the value that must be unique among rows,
// which keyWhat names. Its errors are CSVErrors.
func readCSV[T any](r io.Reader, cols []column[T], check func(T) Problems, key func(T) string, keyWhat string) ([]T, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3) // the byte order mark spreadsheets write
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	var es CSVErrors
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, CSVErrors{{Line: 1, Reason: fmt.Sprintf("no header row: want the columns %s", strings.Join(names(cols), ","))}}
	}
	if err != nil {
		return nil, parseError(err, nil)
	}
	// at[j] is the column of the file's j-th cell; byName the reverse.
	at := make([]*column[T], len(header))
	byName := map[string]int{}
	for j, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if k, dup := byName[h]; dup && h != "" {
			es = append(es, CSVError{Line: 1, Column: j + 1, Header: h, Reason: fmt.Sprintf("column %q repeats column %d", h, k+1)})
			continue
		}
		for k := range cols {
			if cols[k].name == h {
				at[j] = &cols[k]
			}
		}
		if at[j] == nil && h != "" {
			es = append(es, CSVError{Line: 1, Column: j + 1, Header: h, Reason: fmt.Sprintf("unknown column %q (want some of %s)", h, strings.Join(names(cols), ","))})
		}
		byName[h] = j
	}
	for _, c := range cols {
		if _, ok := byName[c.name]; c.required && !ok {
			es = append(es, CSVError{Line: 1, Header: c.name, Reason: "missing column"})
		}
	}
	if len(es) > 0 {
		return nil, es
	}
	var items []T
	seen := map[string]int{}
	for len(es) < maxCSVErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, parseError(err, es)
		}
		line, _ := cr.FieldPos(0)
		// lineOf is the line where cell j starts; a cell missing from a
		// short row is taken to be at its end.
		lineOf := func(j int) int {
			l, _ := cr.FieldPos(min(j, len(rec)-1))
			return l
		}
		if blank(rec) {
			continue
		}
		var item T
		bad := false
		for j, cell := range rec {
			if j >= len(at) || at[j] == nil {
				if strings.TrimSpace(cell) != "" {
					es = append(es, CSVError{Line: lineOf(j), Column: j + 1, Reason: fmt.Sprintf("a value, %q, in a column without a header", cell)})
					bad = true
				}
				continue
			}
			if err := at[j].read(&item, unescape(strings.ReplaceAll(cell, "\r\n", "\n"))); err != nil {
				es = append(es, CSVError{Line: lineOf(j), Column: j + 1, Header: at[j].name, Reason: err.Error()})
				bad = true
			}
		}
		if bad {
			continue
		}
		for _, p := range check(item) {
			e := CSVError{Line: line, Reason: p.Reason}
			head, _, _ := strings.Cut(p.Field, ".")
			head, _, _ = strings.Cut(head, "[")
			e.Header = head
			if j, ok := byName[head]; ok {
				e.Column = j + 1
				e.Line = lineOf(j)
			}
			es = append(es, e)
		}
		if key != nil {
			if k := key(item); k != "" {
				if prev, dup := seen[k]; dup {
					j := byName[cols[0].name]
					es = append(es, CSVError{Line: lineOf(j), Column: j + 1, Header: cols[0].name, Reason: fmt.Sprintf("duplicate %s %q (also line %d)", keyWhat, k, prev)})
				} else {
					seen[k] = line
				}
			}
		}
		items = append(items, item)
	}
	if len(es) >= maxCSVErrors {
		es = append(es[:maxCSVErrors], CSVError{Line: es[maxCSVErrors-1].Line, Reason: fmt.Sprintf("stopped after %d problems", maxCSVErrors)})
	}
	if len(es) > 0 {
		return nil, es
	}
	return items, nil
}

// parseError returns es and the syntax error err of encoding/csv as
// CSVErrors, or err itself when reading failed otherwise.
func parseError(err error, es CSVErrors) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	return append(es, CSVError{Line: pe.Line, Reason: fmt.Sprintf("%v (at character %d)", pe.Err, pe.Column)})
}

// blank reports whether every cell of rec is empty or spaces, as in the
// rows a spreadsheet writes below its data.
func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// writeCSV writes the header of cols and a row for each of items; id names
// an item in errors.
func writeCSV[T any](w io.Writer, cols []column[T], items []T, id func(T) string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(names(cols)); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for i, item := range items {
		for j, c := range cols {
			s, err := c.write(item)
			if err != nil {
				return fmt.Errorf("row %d (%q), column %s: %w", i+1, id(item), c.name, err)
			}
			rec[j] = escape(s)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// escape keeps a cell from being taken for a formula by a spreadsheet: a
// cell that starts with =, +, -, @, a tab or a carriage return, or with an
// apostrophe, gets an apostrophe in front, which spreadsheets take to mean
// "text" and unescape removes.
func escape(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// unescape removes the apostrophe escape put in front of a cell.
func unescape(s string) string {
	return strings.TrimPrefix(s, "'")
}

// token is a cell holding a code, an id or a keyword, which spaces around
// it do not change.
func token(s string) string { return strings.TrimSpace(s) }

// formatNumber writes v in decimal, without an exponent, with as many
// digits as it takes to read back the same float64.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// writeNumber writes a figure, refusing one that is not finite.
func writeNumber(v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("%v is not a finite number", v)
	}
	return formatNumber(v), nil
}

// writeOptional writes a figure that 0 means is absent: as an empty cell.
func writeOptional(v float64) (string, error) {
	if v == 0 {
		return "", nil
	}
	return writeNumber(v)
}

// readNumber reads a figure: decimal, with a point, without thousands
// separators; an empty cell is 0.
func readNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a number such as 1500 or 2.5, with a decimal point and no thousands separators, got %q", s)
	}
	return v, nil
}

// readDate reads a date written YYYY-MM-DD; an empty cell is no date.
func readDate(s string) (Date, error) {
	return ParseDate(strings.TrimSpace(s))
}

// readBool reads true or false in any case; an empty cell is false.
func readBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("want true or false, got %q", s)
}

// readList reads a cell of items separated by semicolons; spaces around
// items and empty items are dropped, and no items is nil.
func readList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// writeList writes items separated by semicolons, refusing those that
// readList would not read back.
func writeList(items []string) (string, error) {
	for i, s := range items {
		if s == "" || strings.TrimSpace(s) != s || strings.Contains(s, ";") {
			return "", fmt.Errorf("item %d, %q, cannot be written in a list separated by semicolons (empty, spaces at either end, or a semicolon)", i+1, s)
		}
	}
	return strings.Join(items, ";"), nil
}

// readDates reads a cell of dates separated by semicolons.
func readDates(s string) ([]Date, error) {
	var out []Date
	for i, item := range readList(s) {
		d, err := ParseDate(item)
		if err != nil {
			return nil, fmt.Errorf("date %d: %w", i+1, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// writeDates writes dates separated by semicolons, refusing absent ones.
func writeDates(ds []Date) (string, error) {
	items := make([]string, len(ds))
	for i, d := range ds {
		if d.IsZero() {
			return "", fmt.Errorf("date %d is absent", i+1)
		}
		items[i] = d.String()
	}
	return strings.Join(items, ";"), nil
}

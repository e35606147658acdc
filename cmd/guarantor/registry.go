package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/server"
)

// registryCommands are the commands that load the registry of guarantees
// from files and write it out, as YAML or as the secretariat's spreadsheet
// (docs/registry-formats.md).
func registryCommands() []command {
	return []command{registryImportCommand(), registryExportCommand()}
}

func registryImportCommand() command {
	return command{
		name:  "registry import",
		short: "load registry files (YAML, JSON or CSV sheets) into the database",
		long: `Loads guarantors, instruments, commitments and deliveries into the registry
from the files given with --file: registry documents in YAML or JSON (.yaml,
.yml, .json), and CSV sheets of the secretariat's spreadsheet (.csv), each
recognised by its header row as the guarantors, instruments, commitments or
deliveries sheet. The formats are in docs/registry-formats.md.

All the files are read first and combined; their records replace the stored
ones with the same code or id. The registry that results must validate as
a whole and its trigger clauses compile, or nothing is stored; every
problem is reported with its file, and in a CSV sheet its line and column.

A CSV sheet cannot hold everything a record has, so what it leaves out is
kept: an instrument read from CSV keeps the trigger clauses of the stored
instrument, and a commitment read from CSV keeps its stored deliveries
unless the import has a deliveries sheet. A deliveries sheet lists all the
deliveries of each commitment it names: they replace the stored ones, so
that importing the same sheet twice changes nothing.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			var files fileList
			fs.Var(&files, "file", "a registry `FILE` to import: YAML or JSON (.yaml, .yml, .json) or one CSV sheet (.csv); repeat for several")
			return func(ctx context.Context, env *environment) error {
				if len(files) == 0 {
					return fmt.Errorf("%w: give the files to import with --file", errUsage)
				}
				for i, f := range files {
					if _, err := registryFileKind(f); err != nil {
						return err
					}
					if slices.ContainsFunc(files[:i], func(g string) bool { return filepath.Clean(g) == filepath.Clean(f) }) {
						return fmt.Errorf("%w: %s is given twice", errUsage, f)
					}
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				stored, err := st.LoadRegistry(ctx)
				if err != nil {
					return err
				}
				imp, err := readImport(files, stored)
				if err != nil {
					return err
				}
				if err := imp.check(stored); err != nil {
					return err
				}
				srv, err := server.New(ctx, server.Config{Store: st})
				if err != nil {
					return err
				}
				if err := srv.LoadRegistry(ctx, imp.reg); err != nil {
					return fmt.Errorf("nothing imported: %w", err)
				}
				deliveries := 0
				for _, c := range imp.reg.Commitments {
					deliveries += len(c.Deliveries)
				}
				fmt.Fprintf(env.stdout, "imported %s, %s, %s and %s from %s into %s\n",
					plural(len(imp.reg.Guarantors), "guarantor"), plural(len(imp.reg.Instruments), "instrument"),
					plural(len(imp.reg.Commitments), "commitment"), plural(deliveries, "delivery"), plural(len(files), "file"), *db)
				return nil
			}
		},
	}
}

func registryExportCommand() command {
	return command{
		name:  "registry export",
		short: "write the registry as YAML or as the four CSV sheets",
		long: `Writes the whole stored registry: as one YAML document (--format yaml, to
standard output or to --out FILE), or as the four sheets of the
secretariat's spreadsheet (--format csv): guarantors.csv, instruments.csv,
commitments.csv and deliveries.csv in the directory --out, created if need
be. Either imported with 'guarantor registry import' into an empty database
gives back the same registry, but for trigger clauses, which CSV does not
hold: export YAML to keep them.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			format := fs.String("format", "yaml", "the `FORMAT`: yaml (one document) or csv (four sheets)")
			out := fs.String("out", "", "write to `PATH`: a file for yaml (standard output when absent), a directory for csv (required)")
			return func(ctx context.Context, env *environment) error {
				if *format != "yaml" && *format != "csv" {
					return fmt.Errorf("%w: --format must be yaml or csv, got %q", errUsage, *format)
				}
				if *format == "csv" && *out == "" {
					return fmt.Errorf("%w: --format csv needs --out, the directory for the four sheets", errUsage)
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				reg, err := st.LoadRegistry(ctx)
				if err != nil {
					return err
				}
				if *format == "yaml" {
					return exportYAML(env, reg, *out)
				}
				return exportCSV(env, reg, *out)
			}
		},
	}
}

// exportYAML writes reg as YAML to the file out, or to standard output
// when out is empty.
func exportYAML(env *environment, reg guarantee.Registry, out string) error {
	b, err := reg.MarshalYAML()
	if err != nil {
		return err
	}
	if out == "" {
		_, err = env.stdout.Write(b)
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write the registry: %w", err)
	}
	return nil
}

// exportCSV writes reg as the four sheets into the directory dir.
func exportCSV(env *environment, reg guarantee.Registry, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create the directory for the sheets: %w", err)
	}
	sheets := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"guarantors.csv", func(w io.Writer) error { return guarantee.WriteGuarantorsCSV(w, reg.Guarantors) }},
		{"instruments.csv", func(w io.Writer) error { return guarantee.WriteInstrumentsCSV(w, reg.Instruments) }},
		{"commitments.csv", func(w io.Writer) error { return guarantee.WriteCommitmentsCSV(w, reg.Commitments) }},
		{"deliveries.csv", func(w io.Writer) error { return guarantee.WriteDeliveriesCSV(w, reg.Commitments) }},
	}
	for _, s := range sheets {
		var buf bytes.Buffer
		if err := s.write(&buf); err != nil {
			return err
		}
		path := filepath.Join(dir, s.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", s.name, err)
		}
	}
	withClauses := 0
	for _, in := range reg.Instruments {
		if len(in.Clauses) > 0 {
			withClauses++
		}
	}
	fmt.Fprintf(env.stderr, "wrote guarantors.csv, instruments.csv, commitments.csv and deliveries.csv to %s\n", dir)
	if withClauses > 0 {
		fmt.Fprintf(env.stderr, "note: the trigger clauses of %s are not in CSV; export --format yaml to keep them\n", plural(withClauses, "instrument"))
	}
	return nil
}

// fileList is a flag that may be given several times, each a file.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, " ") }

func (l *fileList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// The kinds of registry file: a registry document, or a CSV sheet, which
// readImport recognises by its header.
const (
	registryDocument = "registry"
	csvSheet         = "csv"
)

// registryFileKind returns the kind of the file at path, from its
// extension, or a usage error for an unknown one.
func registryFileKind(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return registryDocument, nil
	case ".csv":
		return csvSheet, nil
	}
	return "", fmt.Errorf("%w: %s: unknown extension %q: give a registry document (.yaml, .yml, .json) or a CSV sheet (.csv)", errUsage, path, filepath.Ext(path))
}

// The sheets of the secretariat's spreadsheet.
const (
	guarantorsSheet  = "guarantors"
	instrumentsSheet = "instruments"
	commitmentsSheet = "commitments"
	deliveriesSheet  = "deliveries"
)

// sheetColumns are the columns of each sheet, in the order of the sheets.
var sheetColumns = []struct {
	sheet   string
	columns func() []string
}{
	{guarantorsSheet, guarantee.GuarantorColumns},
	{instrumentsSheet, guarantee.InstrumentColumns},
	{commitmentsSheet, guarantee.CommitmentColumns},
	{deliveriesSheet, guarantee.DeliveryColumns},
}

// whichSheet returns the sheet whose columns the header has the most of;
// the guarantee package's reader then refuses any column that is not its.
// A header that has none of any sheet's columns, or as many of two
// sheets', is refused naming the sheets and their columns.
func whichSheet(header []string) (string, error) {
	var best []string
	bestScore := 0
	for _, s := range sheetColumns {
		score := 0
		for _, h := range header {
			if slices.Contains(s.columns(), strings.ToLower(strings.TrimSpace(h))) {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore = []string{s.sheet}, score
		case score == bestScore && score > 0:
			best = append(best, s.sheet)
		}
	}
	if len(best) == 1 {
		return best[0], nil
	}
	var want strings.Builder
	for _, s := range sheetColumns {
		fmt.Fprintf(&want, "\n\t%s: %s", s.sheet, strings.Join(s.columns(), ","))
	}
	if len(best) == 0 {
		return "", fmt.Errorf("line 1: the header row (%s) is none of the sheets; want the columns of one of them:%s", strings.Join(header, ","), want.String())
	}
	return "", fmt.Errorf("line 1: the header row (%s) could be the %s sheet; give more of the columns of one of them:%s", strings.Join(header, ","), strings.Join(best, " or the "), want.String())
}

// csvLayout returns the header of a CSV file, the column (1-based) of each
// header name, and the line on which each of its rows starts, blank rows
// left out as the guarantee package's readers leave them.
func csvLayout(data []byte) (header []string, columns map[string]int, lines []int, err error) {
	br := bufio.NewReader(bytes.NewReader(data))
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err = cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, nil, errors.New("line 1: no header row: the file is empty")
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("header row: %w", err)
	}
	columns = make(map[string]int, len(header))
	for j, h := range header {
		columns[strings.ToLower(strings.TrimSpace(h))] = j + 1
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The guarantee package's reader reports it; lines are
			// needed only for files it reads.
			return header, columns, lines, nil
		}
		if slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			line, _ := cr.FieldPos(0)
			lines = append(lines, line)
		}
	}
	return header, columns, lines, nil
}

// origin is where an imported record came from: a row of a CSV sheet, a
// record of a registry document, or, for a stored commitment given
// deliveries, a deliveries sheet.
type origin struct {
	file string
	// line is the line of a CSV row, and columns the columns of its sheet
	// by header name.
	line    int
	columns map[string]int
	// document is true for a record of a registry document, index its
	// index in its list.
	document bool
	index    int
}

// String returns "FILE: line N" for a CSV row, or FILE alone.
func (o origin) String() string {
	if o.line > 0 {
		return fmt.Sprintf("%s: line %d", o.file, o.line)
	}
	return o.file
}

// registryImport is the registry combined from the files of an import,
// with where each record came from, by list and then by code or id.
type registryImport struct {
	reg    guarantee.Registry
	origin map[string]map[string]origin
}

// add records where the key of list came from, refusing a key that
// another file (or row) of the import has already.
func (imp *registryImport) add(list, what, key string, o origin) error {
	if prev, dup := imp.origin[list][key]; dup {
		return fmt.Errorf("%s: %s %q is also in %s; give each once", o, what, key, prev)
	}
	imp.origin[list][key] = o
	return nil
}

// readImport reads the files and combines them into one registry, to be
// merged into stored. A CSV sheet leaves out what it cannot hold, which is
// kept from stored: an instrument's clauses, and a commitment's deliveries
// when no deliveries sheet is imported. The rows of the deliveries sheets
// go to the commitments of the import, or else replace the deliveries of
// the stored commitment they name. Its error names every file with
// problems.
func readImport(files []string, stored guarantee.Registry) (*registryImport, error) {
	imp := &registryImport{origin: map[string]map[string]origin{"guarantors": {}, "instruments": {}, "commitments": {}}}
	var deliveries []deliveriesFile
	var errs []error
	fail := func(file string, err error) { errs = append(errs, fmt.Errorf("%s: %w", file, err)) }
	for _, file := range files {
		kind, _ := registryFileKind(file)
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if kind == registryDocument {
			reg, err := guarantee.ParseYAML(data, file)
			if err != nil {
				errs = append(errs, err) // ParseYAML names the file
				continue
			}
			errs = append(errs, imp.addRegistry(file, reg)...)
			continue
		}
		header, columns, lines, err := csvLayout(data)
		if err != nil {
			fail(file, err)
			continue
		}
		name, err := whichSheet(header)
		if err != nil {
			fail(file, err)
			continue
		}
		at := func(i int) origin {
			o := origin{file: file, line: 1, columns: columns}
			if i < len(lines) {
				o.line = lines[i]
			}
			return o
		}
		switch name {
		case guarantorsSheet:
			gs, err := guarantee.ReadGuarantorsCSV(bytes.NewReader(data))
			if err != nil {
				fail(file, err)
				continue
			}
			for i, g := range gs {
				if err := imp.add("guarantors", "guarantor", g.Code, at(i)); err != nil {
					errs = append(errs, err)
				}
			}
			imp.reg.Guarantors = append(imp.reg.Guarantors, gs...)
		case instrumentsSheet:
			ins, err := guarantee.ReadInstrumentsCSV(bytes.NewReader(data))
			if err != nil {
				fail(file, err)
				continue
			}
			for i, in := range ins {
				if err := imp.add("instruments", "instrument", in.ID, at(i)); err != nil {
					errs = append(errs, err)
				}
				if have, ok := stored.Instrument(in.ID); ok {
					ins[i].Clauses = have.Clauses
				}
			}
			imp.reg.Instruments = append(imp.reg.Instruments, ins...)
		case commitmentsSheet:
			cs, err := guarantee.ReadCommitmentsCSV(bytes.NewReader(data))
			if err != nil {
				fail(file, err)
				continue
			}
			for i, c := range cs {
				if err := imp.add("commitments", "commitment", c.ID, at(i)); err != nil {
					errs = append(errs, err)
				}
			}
			imp.reg.Commitments = append(imp.reg.Commitments, cs...)
		case deliveriesSheet:
			deliveries = append(deliveries, deliveriesFile{file, data})
		}
	}
	if len(errs) == 0 {
		errs = imp.addDeliveries(deliveries, stored)
	}
	if len(errs) > 0 {
		problems := make([]string, len(errs))
		for i, err := range errs {
			problems[i] = err.Error()
		}
		return nil, refused(problems)
	}
	return imp, nil
}

// addRegistry adds the records of the registry document file.
func (imp *registryImport) addRegistry(file string, reg guarantee.Registry) []error {
	var errs []error
	for i, g := range reg.Guarantors {
		if err := imp.add("guarantors", "guarantor", g.Code, origin{file: file, document: true, index: i}); err != nil {
			errs = append(errs, err)
		}
	}
	for i, in := range reg.Instruments {
		if err := imp.add("instruments", "instrument", in.ID, origin{file: file, document: true, index: i}); err != nil {
			errs = append(errs, err)
		}
	}
	for i, c := range reg.Commitments {
		if err := imp.add("commitments", "commitment", c.ID, origin{file: file, document: true, index: i}); err != nil {
			errs = append(errs, err)
		}
	}
	imp.reg.Guarantors = append(imp.reg.Guarantors, reg.Guarantors...)
	imp.reg.Instruments = append(imp.reg.Instruments, reg.Instruments...)
	imp.reg.Commitments = append(imp.reg.Commitments, reg.Commitments...)
	return errs
}

// deliveriesFile is a deliveries sheet, read once every commitment of the
// import is known.
type deliveriesFile struct {
	file string
	data []byte
}

// addDeliveries reads the deliveries sheets into the commitments of the
// import and, for a commitment only stored, into a copy of it without its
// stored deliveries, which then joins the import. Without any sheet, the
// commitments read from CSV keep their stored deliveries.
func (imp *registryImport) addDeliveries(sheets []deliveriesFile, stored guarantee.Registry) []error {
	if len(sheets) == 0 {
		for i, c := range imp.reg.Commitments {
			if imp.origin["commitments"][c.ID].document {
				continue // from a registry document, which says what it has
			}
			if j := slices.IndexFunc(stored.Commitments, func(s guarantee.Commitment) bool { return s.ID == c.ID }); j >= 0 {
				imp.reg.Commitments[i].Deliveries = stored.Commitments[j].Deliveries
			}
		}
		return nil
	}
	pool := slices.Clone(imp.reg.Commitments)
	n := len(pool)
	for _, c := range stored.Commitments {
		if _, ok := imp.origin["commitments"][c.ID]; !ok {
			c.Deliveries = nil
			pool = append(pool, c)
		}
	}
	var errs []error
	for _, s := range sheets {
		next, err := guarantee.ReadDeliveriesCSV(bytes.NewReader(s.data), pool)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.file, err))
			continue
		}
		pool = next
		for _, c := range pool[n:] {
			if _, ok := imp.origin["commitments"][c.ID]; !ok && len(c.Deliveries) > 0 {
				imp.origin["commitments"][c.ID] = origin{file: s.file}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	imp.reg.Commitments = pool[:n]
	for _, c := range pool[n:] {
		if len(c.Deliveries) > 0 {
			imp.reg.Commitments = append(imp.reg.Commitments, c)
		}
	}
	return nil
}

// check validates the import merged into stored as the server merges it,
// and reports each problem at the file (and row) of the record it is in,
// or as a stored record's. The server validates again when it loads.
func (imp *registryImport) check(stored guarantee.Registry) error {
	merged := guarantee.Registry{
		Guarantors:  mergeByKey(stored.Guarantors, imp.reg.Guarantors, func(g guarantee.Guarantor) string { return g.Code }),
		Instruments: mergeByKey(stored.Instruments, imp.reg.Instruments, func(in guarantee.Instrument) string { return in.ID }),
		Commitments: mergeByKey(stored.Commitments, imp.reg.Commitments, func(c guarantee.Commitment) string { return c.ID }),
	}
	err := merged.Validate()
	var ps guarantee.Problems
	if !errors.As(err, &ps) {
		return err
	}
	problems := make([]string, len(ps))
	for i, p := range ps {
		problems[i] = imp.explain(p, merged)
	}
	return refused(problems)
}

// refused is the error of an import refused for problems: the one
// problem, or each on a line of its own.
func refused(problems []string) error {
	if len(problems) == 1 {
		return fmt.Errorf("nothing imported: %s", problems[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "nothing imported, %d problems:", len(problems))
	for _, p := range problems {
		b.WriteString("\n\t")
		b.WriteString(strings.ReplaceAll(p, "\n", "\n\t"))
	}
	return errors.New(b.String())
}

// mergeByKey returns have with the records of add replacing those with the
// same key, and add's new records appended, as the server merges them.
func mergeByKey[T any](have, add []T, key func(T) string) []T {
	out := slices.Clone(have)
	at := make(map[string]int, len(out))
	for i, v := range out {
		at[key(v)] = i
	}
	for _, v := range add {
		if i, ok := at[key(v)]; ok {
			out[i] = v
			continue
		}
		at[key(v)] = len(out)
		out = append(out, v)
	}
	return out
}

// problemField splits the field of a problem of a whole registry, such as
// "commitments[3].deliveries[0].amount", into its list, index and the rest.
var problemField = regexp.MustCompile(`^(guarantors|instruments|commitments)\[(\d+)\]\.?(.*)$`)

// explain returns a problem of the merged registry at the record it is
// in: "FILE: line 4, column 2 (instrument): reason" for a CSV row,
// "FILE: commitments[0].instrument: reason" for a registry document,
// `the stored commitment "x": guarantor: reason` for a stored record.
func (imp *registryImport) explain(p guarantee.Problem, merged guarantee.Registry) string {
	m := problemField.FindStringSubmatch(p.Field)
	if m == nil {
		return p.Error()
	}
	list, rest := m[1], m[3]
	i, _ := strconv.Atoi(m[2])
	var key, what string
	switch list {
	case "guarantors":
		key, what = merged.Guarantors[i].Code, "guarantor"
	case "instruments":
		key, what = merged.Instruments[i].ID, "instrument"
	default:
		key, what = merged.Commitments[i].ID, "commitment"
	}
	o, ok := imp.origin[list][key]
	switch {
	case !ok:
		return fmt.Sprintf("the stored %s %q: %s", what, key, guarantee.Problem{Field: rest, Reason: p.Reason}.Error())
	case o.line > 0:
		head, _, _ := strings.Cut(rest, ".")
		head, _, _ = strings.Cut(head, "[")
		e := guarantee.CSVError{Line: o.line, Reason: p.Reason}
		if col, ok := o.columns[head]; ok {
			e.Column, e.Header = col, head
		}
		if rest != head || e.Column == 0 && rest != "" {
			e.Reason = rest + ": " + e.Reason
		}
		return fmt.Sprintf("%s: %s", o.file, e.Error())
	case !o.document: // a stored commitment given deliveries by a sheet
		return fmt.Sprintf("%s: %s %q: %s", o.file, what, key, guarantee.Problem{Field: rest, Reason: p.Reason}.Error())
	}
	field := fmt.Sprintf("%s[%d]", list, o.index)
	if rest != "" {
		field += "." + rest
	}
	return fmt.Sprintf("%s: %s", o.file, guarantee.Problem{Field: field, Reason: p.Reason}.Error())
}

// plural returns "1 guarantor" or "2 guarantors" ("2 deliveries").
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

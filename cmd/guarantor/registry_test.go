package main

import (
	"bytes"
	"cmp"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/guarantor-project/guarantor/internal/guarantee"
)

// The sheets of a small registry: two guarantors, a declaration, two
// commitments and a delivery.
const (
	testGuarantorsCSV  = "code,name,kind\nGBR,United Kingdom,nation\nFRA,France,nation\n"
	testInstrumentsCSV = "id,title,kind,signatories,signed,binding\n" +
		"decl-1,Example declaration,multilateral,GBR;FRA;UKR,2026-01-06,political\n"
	testCommitmentsCSV = "id,instrument,guarantor,category,quantity,unit,committed,allocated\n" +
		"gbr-1,decl-1,GBR,air_defence,400,missiles,400,300\n" +
		"fra-1,decl-1,FRA,artillery_ammunition,1000,shells,1000,500\n"
	testDeliveriesCSV = "commitment,date,amount,note\ngbr-1,2026-03-01,120,first batch\n"
)

// migratedDB creates a database with `guarantor migrate` and returns its path.
func migratedDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "registry.db")
	if code, _, errOut := runCLI(t, nil, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	return db
}

// writeFiles writes each name's content into dir and returns the paths,
// in the order of names.
func writeFiles(t *testing.T, dir string, files map[string]string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(files[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// importFiles runs `guarantor registry import` with the files.
func importFiles(t *testing.T, db string, files ...string) (code int, stdout, stderr string) {
	t.Helper()
	args := []string{"registry", "import", "--db", db}
	for _, f := range files {
		args = append(args, "--file", f)
	}
	return runCLI(t, nil, args...)
}

// mustImport imports the files and fails the test if that fails.
func mustImport(t *testing.T, db string, files ...string) string {
	t.Helper()
	code, out, errOut := importFiles(t, db, files...)
	if code != 0 {
		t.Fatalf("registry import %v: exit %d: %s", files, code, errOut)
	}
	return out
}

// exportedYAML returns the stored registry as `guarantor registry export`
// writes it to standard output.
func exportedYAML(t *testing.T, db string) string {
	t.Helper()
	code, out, errOut := runCLI(t, nil, "registry", "export", "--db", db)
	if code != 0 {
		t.Fatalf("registry export: exit %d: %s", code, errOut)
	}
	return out
}

// csvSheets are the files of an export as CSV.
var csvSheets = []string{"guarantors.csv", "instruments.csv", "commitments.csv", "deliveries.csv"}

// TestRegistryRoundTrip loads the demonstration registry into a database,
// exports it, imports the export into a fresh database and exports that:
// both exports must be the same bytes.
func TestRegistryRoundTrip(t *testing.T) {
	demo, err := guarantee.Demo().MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		// export writes the registry of db into the new directory dir and
		// returns the files to import and what it printed on stderr.
		export func(t *testing.T, db, dir string) ([]string, string)
		// note is what the first export prints on stderr.
		note string
	}{
		{"yaml", func(t *testing.T, db, dir string) ([]string, string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "registry.yaml")
			code, out, errOut := runCLI(t, nil, "registry", "export", "--db", db, "--format", "yaml", "--out", path)
			if code != 0 || out != "" {
				t.Fatalf("export yaml: exit %d, stdout %q: %s", code, out, errOut)
			}
			return []string{path}, errOut
		}, ""},
		{"csv", func(t *testing.T, db, dir string) ([]string, string) {
			out := filepath.Join(dir, "sheets") // created by the export
			code, _, errOut := runCLI(t, nil, "registry", "export", "--db", db, "--format", "csv", "--out", out)
			if code != 0 {
				t.Fatalf("export csv: exit %d: %s", code, errOut)
			}
			var paths []string
			for _, name := range slices.Backward(csvSheets) { // deliveries first: the order does not matter
				paths = append(paths, filepath.Join(out, name))
			}
			return paths, errOut
		}, "the trigger clauses of 22 instruments are not in CSV"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			first, second := migratedDB(t), migratedDB(t)
			src := writeFiles(t, dir, map[string]string{"demo.yaml": string(demo)}, "demo.yaml")
			out := mustImport(t, first, src...)
			if want := "imported 31 guarantors, 22 instruments, 55 commitments and 45 deliveries from 1 file"; !strings.HasPrefix(out, want) {
				t.Errorf("import summary %q, want %q", out, want)
			}
			a, note := tc.export(t, first, filepath.Join(dir, "a"))
			if !strings.Contains(note, tc.note) {
				t.Errorf("the export prints %q, want %q", note, tc.note)
			}
			mustImport(t, second, a...)
			b, _ := tc.export(t, second, filepath.Join(dir, "b"))
			for i := range a {
				x, err := os.ReadFile(a[i])
				if err != nil {
					t.Fatal(err)
				}
				y, err := os.ReadFile(b[i])
				if err != nil {
					t.Fatal(err)
				}
				if len(x) < 100 || !bytes.Equal(x, y) {
					t.Errorf("%s: the export of the import differs from the export (%d and %d bytes)", filepath.Base(a[i]), len(x), len(y))
				}
			}
		})
	}
	// The YAML export is the demonstration registry, clauses included, in
	// the order of codes and ids.
	db := migratedDB(t)
	mustImport(t, db, writeFiles(t, t.TempDir(), map[string]string{"demo.yml": string(demo)}, "demo.yml")...)
	got, err := guarantee.ParseYAML([]byte(exportedYAML(t, db)), "export")
	if err != nil {
		t.Fatal(err)
	}
	want := guarantee.Demo()
	slices.SortFunc(want.Guarantors, func(a, b guarantee.Guarantor) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(want.Instruments, func(a, b guarantee.Instrument) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(want.Commitments, func(a, b guarantee.Commitment) int { return cmp.Compare(a.ID, b.ID) })
	if !reflect.DeepEqual(got, want) {
		t.Error("the YAML export is not the registry imported")
	}
}

// TestRegistryImportRefused imports files with problems: each is refused
// naming the file (and the row) and nothing of the import is stored, not
// even its good files.
func TestRegistryImportRefused(t *testing.T) {
	good := map[string]string{
		"guarantors.csv":  testGuarantorsCSV,
		"instruments.csv": testInstrumentsCSV,
		"commitments.csv": testCommitmentsCSV,
		"deliveries.csv":  testDeliveriesCSV,
	}
	for _, tc := range []struct {
		name  string
		setup []string          // good files imported first
		files map[string]string // the files of the import, with good's
		want  []string
	}{
		{
			name: "bad number",
			files: map[string]string{"commitments.csv": "id,instrument,guarantor,category,quantity,unit,committed,allocated\n" +
				"gbr-1,decl-1,GBR,air_defence,400,missiles,400,300\n" +
				`fra-1,decl-1,FRA,artillery_ammunition,1000,shells,"1,000",500` + "\n"},
			want: []string{"commitments.csv: reading commitments: line 3, column 7 (committed): want a number", `got "1,000"`},
		},
		{
			name: "missing instrument in CSV",
			files: map[string]string{"commitments.csv": "id,instrument,guarantor,category,quantity,unit,committed,allocated\n" +
				"gbr-1,decl-1,GBR,air_defence,400,missiles,400,300\n" +
				"fra-1,no-such-instrument,FRA,artillery_ammunition,1000,shells,1000,500\n"},
			want: []string{`commitments.csv: line 3, column 2 (instrument): no instrument "no-such-instrument" in the registry`},
		},
		{
			name: "missing instrument in YAML",
			files: map[string]string{"more.yaml": "guarantors:\n  - {code: DEU, name: Germany, kind: nation}\n" +
				"commitments:\n  - id: deu-1\n    instrument: no-such-instrument\n" +
				"    guarantor: DEU\n    category: training\n    unit: courses\n    committed: 3\n"},
			want: []string{`more.yaml: commitments[0].instrument: no instrument "no-such-instrument" in the registry`},
		},
		{
			name:  "missing instrument, stored registry",
			setup: []string{"guarantors.csv", "instruments.csv"},
			files: map[string]string{"commitments.csv": "id,instrument,guarantor,category,unit,committed\n" +
				"gbr-2,decl-2,GBR,training,courses,3\n", "deliveries.csv": "commitment,date,amount\n"},
			want: []string{`commitments.csv: line 2, column 2 (instrument): no instrument "decl-2" in the registry`},
		},
		{
			name:  "stored commitment no longer valid",
			setup: []string{"guarantors.csv", "instruments.csv", "commitments.csv"},
			files: map[string]string{"instruments.csv": "id,title,kind,signatories,signed,binding\n" +
				"decl-1,Example declaration,multilateral,GBR;UKR,2026-01-06,political\n"},
			want: []string{`the stored commitment "fra-1": guarantor: FRA is not a signatory of instrument "decl-1" (GBR, UKR)`},
		},
		{
			name:  "delivery to no commitment",
			files: map[string]string{"deliveries.csv": "commitment,date,amount\ngbr-9,2026-03-01,120\n"},
			want:  []string{`deliveries.csv: reading deliveries: line 2, column 1 (commitment): no commitment "gbr-9"`},
		},
		{
			name:  "same commitment in two files",
			files: map[string]string{"more.csv": "id,instrument,guarantor,category,unit,committed\ngbr-1,decl-1,GBR,training,courses,3\n"},
			want:  []string{`line 2: commitment "gbr-1" is also in`, "commitments.csv: line 2; give each once"},
		},
		{
			name:  "unknown header",
			files: map[string]string{"sheet.csv": "colour,size\nred,3\n"},
			want:  []string{"sheet.csv: line 1: the header row (colour,size) is none of the sheets", "deliveries: commitment,date,amount,note"},
		},
		{
			name:  "ambiguous header",
			files: map[string]string{"sheet.csv": "id\ndecl-9\n"},
			want:  []string{"sheet.csv: line 1: the header row (id) could be the instruments or the commitments or the deliveries sheet"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, dir := migratedDB(t), t.TempDir()
			if len(tc.setup) > 0 {
				mustImport(t, db, writeFiles(t, t.TempDir(), good, tc.setup...)...)
			}
			before := exportedYAML(t, db)
			files := map[string]string{}
			for name, content := range good {
				if !slices.Contains(tc.setup, name) {
					files[name] = content
				}
			}
			for name, content := range tc.files {
				files[name] = content
			}
			names := slices.Sorted(maps.Keys(files))
			code, out, errOut := importFiles(t, db, writeFiles(t, dir, files, names...)...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("the error does not say %q:\n%s", w, errOut)
				}
			}
			if !strings.Contains(errOut, "nothing imported") {
				t.Errorf("the error does not say that nothing was imported:\n%s", errOut)
			}
			if after := exportedYAML(t, db); after != before {
				t.Errorf("a refused import changed the registry:\n%s", after)
			}
		})
	}
}

// TestRegistryImportKeepsWhatCSVLeavesOut imports sheets into a database
// holding the demonstration registry: instruments keep their clauses,
// commitments their deliveries, and a deliveries sheet replaces the
// deliveries of the commitments it names, so that importing it again
// changes nothing.
func TestRegistryImportKeepsWhatCSVLeavesOut(t *testing.T) {
	db, dir := migratedDB(t), t.TempDir()
	demo, err := guarantee.Demo().MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, writeFiles(t, dir, map[string]string{"demo.yaml": string(demo)}, "demo.yaml")...)
	want := exportedYAML(t, db)
	sheets := filepath.Join(dir, "sheets")
	if code, _, errOut := runCLI(t, nil, "registry", "export", "--db", db, "--format", "csv", "--out", sheets); code != 0 {
		t.Fatal(errOut)
	}
	for _, files := range [][]string{{"instruments.csv"}, {"commitments.csv"}, {"deliveries.csv"}, {"deliveries.csv"}, {"commitments.csv", "deliveries.csv"}} {
		var paths []string
		for _, f := range files {
			paths = append(paths, filepath.Join(sheets, f))
		}
		mustImport(t, db, paths...)
		if got := exportedYAML(t, db); got != want {
			t.Fatalf("importing the exported %v changed the registry", files)
		}
	}
	// A sheet with one delivery for a stored commitment: it is then the
	// commitment's only one, and the other commitments keep theirs.
	reg := guarantee.Demo()
	i := slices.IndexFunc(reg.Commitments, func(c guarantee.Commitment) bool { return len(c.Deliveries) > 1 })
	c := reg.Commitments[i]
	one := writeFiles(t, dir, map[string]string{"one.csv": "commitment,date,amount,note\n" + c.ID + ",2026-12-01,1,corrected\n"}, "one.csv")
	if out := mustImport(t, db, one...); !strings.HasPrefix(out, "imported 0 guarantors, 0 instruments, 1 commitment and 1 delivery from 1 file") {
		t.Errorf("summary %q", out)
	}
	got, err := guarantee.ParseYAML([]byte(exportedYAML(t, db)), "export")
	if err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for _, gc := range got.Commitments {
		delivered += len(gc.Deliveries)
		if gc.ID == c.ID && (len(gc.Deliveries) != 1 || gc.Deliveries[0].Note != "corrected") {
			t.Errorf("%s has deliveries %v, want the one of the sheet", c.ID, gc.Deliveries)
		}
	}
	if want := 45 - len(c.Deliveries) + 1; delivered != want {
		t.Errorf("%d deliveries stored, want %d", delivered, want)
	}
}

// TestRegistryUsage checks the command lines that are refused before any
// file is read.
func TestRegistryUsage(t *testing.T) {
	db, dir := migratedDB(t), t.TempDir()
	sheet := writeFiles(t, dir, map[string]string{"guarantors.csv": testGuarantorsCSV}, "guarantors.csv")[0]
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"registry", "import", "--db", db}, 2, "give the files to import with --file"},
		{[]string{"registry", "import", "--db", db, "--file", filepath.Join(dir, "registry.txt")}, 2, `unknown extension ".txt"`},
		{[]string{"registry", "import", "--db", db, "--file", sheet, "--file", sheet}, 2, "is given twice"},
		{[]string{"registry", "import", "--db", db, "--file", filepath.Join(dir, "absent.csv")}, 1, "absent.csv"},
		{[]string{"registry", "import", "--db", filepath.Join(dir, "absent.db"), "--file", sheet}, 1, "no database at"},
		{[]string{"registry", "export", "--db", db, "--format", "xlsx"}, 2, `--format must be yaml or csv, got "xlsx"`},
		{[]string{"registry", "export", "--db", db, "--format", "csv"}, 2, "--format csv needs --out"},
		{[]string{"registry", "export", "--db", filepath.Join(dir, "absent.db")}, 1, "no database at"},
		{[]string{"registry"}, 2, "give one of: import, export"},
	} {
		code, _, errOut := runCLI(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "absent.db")); err == nil {
		t.Error("a command on a missing database created it")
	}
	if got := exportedYAML(t, db); got != "{}\n" {
		t.Errorf("the usage errors stored something: %q", got)
	}
}

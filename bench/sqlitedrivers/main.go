// Command sqlitedrivers compares Go SQLite drivers on guarantor's own write
// path: the observations schema from internal/store/sqlite/migrations, the
// same INSERT, the same rows, transactions of 1,000 rows in WAL mode with
// synchronous=FULL. Build it with exactly one driver tag:
//
//	go run -tags modernc . -n 1000000
//	go run -tags ncruces . -n 1000000
//	CGO_ENABLED=1 go run -tags mattn . -n 1000000
//
// It is a separate module so that guarantor itself depends on one driver only.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

func main() {
	n := flag.Int("n", 1_000_000, "rows to insert")
	dir := flag.String("dir", os.TempDir(), "directory for the database file")
	migrations := flag.String("migrations", "../../internal/store/sqlite/migrations", "guarantor's migrations directory")
	flag.Parse()
	if err := run(*n, *dir, *migrations); err != nil {
		fmt.Fprintln(os.Stderr, "sqlitedrivers:", err)
		os.Exit(1)
	}
}

func run(n int, dir, migrations string) error {
	path := filepath.Join(dir, "sqlitedrivers-"+driverName+".db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}()
	db, err := sql.Open(driverName, dsn(path))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	files, err := filepath.Glob(filepath.Join(migrations, "*.sql"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no migrations in %s (run from bench/sqlitedrivers or pass -migrations)", migrations)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := db.Exec(string(b)); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	var mode, sync string
	db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	db.QueryRow(`PRAGMA synchronous`).Scan(&sync)
	fmt.Printf("driver %s, %s, journal_mode=%s synchronous=%s, %d rows in transactions of 1000\n", driverLabel, runtime.Version(), mode, sync, n)

	const batch = 1000
	var inserting time.Duration
	lastReport, lastRows := time.Duration(0), 0
	for first := 0; first < n; first += batch {
		obs := storetest.Synthetic(1, first, min(batch, n-first))
		args := make([][]any, len(obs))
		for i, o := range obs {
			body, err := observe.Marshal(o)
			if err != nil {
				return err
			}
			minute, cell := sqlite.IndexKeys(o.ObservedAt, o.Location.Lon, o.Location.Lat)
			args[i] = []any{o.ID, string(o.Kind), o.Source.ID, o.ObservedAt.UnixNano(), minute, o.Location.Lon, o.Location.Lat, cell,
				string(o.Releasability.Classification), strings.Join(o.Releasability.RelTo, ","), time.Now().UnixNano(), body, nil, ""}
		}
		start := time.Now()
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		stmt, err := tx.Prepare(sqlite.InsertObservationSQL)
		if err != nil {
			return err
		}
		for _, a := range args {
			res, err := stmt.Exec(a...)
			if err != nil {
				return err
			}
			if _, err := res.RowsAffected(); err != nil {
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
		inserting += time.Since(start)
		if done := first + len(obs); done%250_000 == 0 || done == n {
			fmt.Printf("  %8d rows: %6.0f rows/s over the last %d\n", done, float64(done-lastRows)/(inserting-lastReport).Seconds(), done-lastRows)
			lastReport, lastRows = inserting, done
		}
	}
	fmt.Printf("%s: %.0f rows/s over %d rows (time inside transactions only)\n", driverLabel, float64(n)/inserting.Seconds(), n)
	return nil
}

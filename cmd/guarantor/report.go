package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/guarantor-project/guarantor/internal/server"
)

func reportCommand() command {
	return command{
		name:  "report daily",
		short: "write the daily report of a day",
		long: `Writes the mission's daily report for a day: ceasefire violations by type,
by region and by party with the change from the previous day, weapons in
violation of withdrawal lines, notable incidents, restrictions of access,
and the verification state of each figure. The day runs from --cutoff-hour
(UTC) on --date to the same hour the next day. It reads the database
directly, every record in it; with --public only the PUBLIC records, and
the report says so. HTML is a page to read and print, with a map of the
day; JSON is the same figures for other programs.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			date := fs.String("date", "", "the report's `DAY`, such as 2026-11-21 (required)")
			cutoff := fs.Int("cutoff-hour", 0, "the `HOUR` (UTC, 0 to 23) at which the report's day begins")
			public := fs.Bool("public", false, "the public version: PUBLIC records only")
			format := fs.String("format", "html", "the `FORMAT`: html or json")
			out := fs.String("out", "", "write to `FILE` instead of standard output")
			schemePath := fs.String("label-scheme", "", "the classification scheme `FILE` the server uses (YAML); by default PUBLIC, UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET")
			return func(ctx context.Context, env *environment) error {
				day, err := time.Parse(time.DateOnly, *date)
				if err != nil {
					return fmt.Errorf("%w: --date %q is not a day such as 2026-11-21", errUsage, *date)
				}
				if *cutoff < 0 || *cutoff > 23 {
					return fmt.Errorf("%w: --cutoff-hour must be 0 to 23, got %d", errUsage, *cutoff)
				}
				if *format != "html" && *format != "json" {
					return fmt.Errorf("%w: --format must be html or json, got %q", errUsage, *format)
				}
				scheme, err := loadScheme(*schemePath)
				if err != nil {
					return err
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				rep, err := server.DailyReport(ctx, st, server.DailyQuery{Date: day, CutoffHour: *cutoff, Public: *public,
					Scheme: scheme, Generated: time.Now().UTC()})
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if *format == "json" {
					b, err := json.MarshalIndent(rep, "", "  ")
					if err != nil {
						return err
					}
					buf.Write(append(b, '\n'))
				} else if err := rep.HTML(&buf); err != nil {
					return err
				}
				if *out == "" {
					_, err = env.stdout.Write(buf.Bytes())
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("write report: %w", err)
				}
				return nil
			}
		},
	}
}

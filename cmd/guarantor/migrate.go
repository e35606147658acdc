package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/guarantor-project/guarantor/internal/store/sqlite"
)

func migrateCommand() command {
	return command{
		name:  "migrate",
		short: "show and apply the database schema migrations",
		long: `Lists the schema migrations built into this binary, with when each was
applied to the database, and applies the pending ones. 'serve' applies them
too when it starts; this command lets an operator see and apply them first.
With --status it only shows them.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			status := fs.Bool("status", false, "only show the migrations; apply nothing")
			return func(ctx context.Context, env *environment) error {
				if *status {
					// Showing must not create a database where a path is mistyped.
					if _, err := os.Stat(*db); err != nil {
						return fmt.Errorf("no database at %s: %w", *db, err)
					}
				}
				s, err := sqlite.Open(ctx, *db, sqlite.Options{NoMigrate: true})
				if err != nil {
					return err
				}
				defer s.Close()
				if !*status {
					applied, err := s.Migrate(ctx)
					for _, m := range applied {
						fmt.Fprintf(env.stdout, "applied %04d_%s\n", m.Version, m.Name)
					}
					if err != nil {
						return err
					}
					if len(applied) == 0 {
						fmt.Fprintln(env.stdout, "the schema is up to date")
					}
				}
				list, err := s.Migrations(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
				for _, m := range list {
					at := "pending"
					if !m.AppliedAt.IsZero() {
						at = m.AppliedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, at)
				}
				return tw.Flush()
			}
		},
	}
}

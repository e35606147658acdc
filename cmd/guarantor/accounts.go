package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
)

// accountCommands are the commands that manage users and API tokens. They
// work on the database file directly, also while the server runs on it.
func accountCommands() []command {
	return []command{userAddCommand(), userListCommand(), userEnableCommand(true), userEnableCommand(false),
		userPasswdCommand(), tokenCreateCommand(), tokenListCommand(), tokenRevokeCommand()}
}

// openExisting opens an existing database for a command that works on it
// directly (accounts, reports); it does not create one where a path is
// mistyped.
func openExisting(ctx context.Context, path string) (*sqlite.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s (start 'guarantor serve --db %s' once, or run 'guarantor migrate --db %s'): %w", path, path, path, err)
	}
	return sqlite.Open(ctx, path, sqlite.Options{})
}

func userAddCommand() command {
	return command{
		name:  "user add",
		short: "add a user",
		long: `Adds a user with a nation, a clearance and roles. The password is asked
for on the terminal, or read from the first line of standard input with
--password-stdin; a machine client that signs in only with API tokens is
added with --no-password. This is how the first administrator of a new
server is made: a fresh server has no default account.

Roles: admin, analyst, liaison, authority, secretariat, viewer, ingest.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			name := fs.String("name", "", "the user's login `NAME` (a-z, 0-9, '.', '_', '-')")
			nation := fs.String("nation", "", "the user's nation, an ISO 3166-1 alpha-3 `CODE` such as FRA")
			clearance := fs.String("clearance", "", "the most protected `CLASSIFICATION` the user may see, such as RESTRICTED")
			roles := fs.String("roles", "", "comma-separated `ROLES`, such as analyst,viewer")
			stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
			noPassword := fs.Bool("no-password", false, "add a machine client that signs in with API tokens only")
			schemePath := fs.String("label-scheme", "", "the classification scheme `FILE` the server uses (YAML); by default PUBLIC, UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET")
			return func(ctx context.Context, env *environment) error {
				scheme, err := loadScheme(*schemePath)
				if err != nil {
					return err
				}
				rs, err := access.ParseRoles(*roles)
				if err != nil {
					return fmt.Errorf("%w: --roles: %v", errUsage, err)
				}
				u := access.User{Name: *name, Nation: *nation, Clearance: label.Classification(strings.ToUpper(*clearance)), Roles: rs, CreatedAt: time.Now().UTC()}
				if err := u.Check(scheme); err != nil {
					return fmt.Errorf("%w: %v", errUsage, err)
				}
				hash := ""
				if !*noPassword {
					pw, err := readPassword(env, *stdin)
					if err != nil {
						return err
					}
					if hash, err = access.HashPassword(pw, rand.Reader); err != nil {
						return err
					}
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.AddUser(ctx, u, hash); err != nil {
					if errors.Is(err, store.ErrExists) {
						return fmt.Errorf("a user named %q exists already", u.Name)
					}
					return err
				}
				fmt.Fprintf(env.stderr, "added %s (%s, cleared %s, %s)\n", u.Name, u.Nation, u.Clearance, joinRoles(u.Roles))
				return nil
			}
		},
	}
}

// readPassword reads a new password: from the first line of standard input
// with fromStdin, else twice from the terminal without echo.
func readPassword(env *environment, fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := env.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", fmt.Errorf("%w: standard input is not a terminal: give --password-stdin (and the password on standard input) or --no-password", errUsage)
		}
		fmt.Fprint(env.stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		fmt.Fprint(env.stderr, "Again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		pw = string(first)
	}
	if err := access.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func joinRoles(roles []access.Role) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

func userListCommand() command {
	return command{
		name:  "user list",
		short: "list the users",
		long:  "Lists every user with their nation, clearance, roles and whether they are disabled.",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			return func(ctx context.Context, env *environment) error {
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				users, err := st.ListUsers(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tNATION\tCLEARANCE\tROLES\tSTATE\tCREATED")
				for _, u := range users {
					state := "active"
					if u.Disabled {
						state = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Nation, u.Clearance, joinRoles(u.Roles), state, u.CreatedAt.Format(time.RFC3339))
				}
				return tw.Flush()
			}
		},
	}
}

// userEnableCommand is `user enable` (enable) or `user disable`.
func userEnableCommand(enable bool) command {
	c := command{
		name:  "user disable",
		short: "disable a user: their sessions end and their tokens stop working",
		long: `Disables a user at once: their browser sessions end and their API tokens
are refused until the user is enabled again. Nothing of theirs is deleted.`,
	}
	if enable {
		c.name, c.short, c.long = "user enable", "enable a disabled user", "Enables a disabled user again; their unrevoked API tokens work again."
	}
	c.flags = func(fs *flag.FlagSet) func(context.Context, *environment) error {
		db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
		name := fs.String("name", "", "the user's `NAME`")
		return func(ctx context.Context, env *environment) error {
			if *name == "" {
				return fmt.Errorf("%w: --name is required", errUsage)
			}
			st, err := openExisting(ctx, *db)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetUserDisabled(ctx, *name, !enable); err != nil {
				return err
			}
			fmt.Fprintf(env.stderr, "%s: %s\n", c.name, *name)
			return nil
		}
	}
	return c
}

func userPasswdCommand() command {
	return command{
		name:  "user passwd",
		short: "set a user's password",
		long:  "Sets a user's password (asked for on the terminal, or with --password-stdin) and ends their sessions.",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			name := fs.String("name", "", "the user's `NAME`")
			stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
			return func(ctx context.Context, env *environment) error {
				if *name == "" {
					return fmt.Errorf("%w: --name is required", errUsage)
				}
				pw, err := readPassword(env, *stdin)
				if err != nil {
					return err
				}
				hash, err := access.HashPassword(pw, rand.Reader)
				if err != nil {
					return err
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.SetPassword(ctx, *name, hash); err != nil {
					return err
				}
				fmt.Fprintf(env.stderr, "password of %s set\n", *name)
				return nil
			}
		},
	}
}

func tokenCreateCommand() command {
	return command{
		name:  "token create",
		short: "create an API token for a user; prints the token alone",
		long: `Creates an API token for a user and prints it, alone, on standard output,
so that a script can capture it. It is shown this once: only its hash is
kept. Clients send it as "Authorization: Bearer TOKEN".`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			user := fs.String("user", "", "the `NAME` of the user the token acts for")
			lbl := fs.String("label", "", "what the token is for, such as `\"acoustic array 3\"`")
			return func(ctx context.Context, env *environment) error {
				if *user == "" {
					return fmt.Errorf("%w: --user is required", errUsage)
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				u, _, err := st.User(ctx, *user)
				if err != nil {
					return err
				}
				tok, err := access.NewToken(rand.Reader)
				if err != nil {
					return err
				}
				id, err := st.AddToken(ctx, store.Token{Hash: access.TokenHash(tok), User: u.Name, Label: *lbl, CreatedAt: time.Now().UTC()})
				if err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, tok)
				fmt.Fprintf(env.stderr, "token %d created for %s; it is not shown again (revoke it with 'guarantor token revoke --id %d')\n", id, u.Name, id)
				return nil
			}
		},
	}
}

func tokenListCommand() command {
	return command{
		name:  "token list",
		short: "list API tokens (never the tokens themselves)",
		long:  "Lists the API tokens of a user, or of every user: id, user, label, when created and revoked.",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			user := fs.String("user", "", "only the tokens of the user `NAME`")
			return func(ctx context.Context, env *environment) error {
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				toks, err := st.ListTokens(ctx, *user)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUSER\tLABEL\tCREATED\tREVOKED")
				for _, t := range toks {
					revoked := "-"
					if !t.RevokedAt.IsZero() {
						revoked = t.RevokedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Label, t.CreatedAt.Format(time.RFC3339), revoked)
				}
				return tw.Flush()
			}
		},
	}
}

func tokenRevokeCommand() command {
	return command{
		name:  "token revoke",
		short: "revoke an API token",
		long:  "Revokes an API token by its id (see 'guarantor token list'); requests with it are refused from then on.",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			db := fs.String("db", "guarantor.db", "the SQLite database `FILE`")
			id := fs.Int64("id", 0, "the token's `ID`")
			return func(ctx context.Context, env *environment) error {
				if *id <= 0 {
					return fmt.Errorf("%w: --id is required (see 'guarantor token list')", errUsage)
				}
				st, err := openExisting(ctx, *db)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.RevokeToken(ctx, *id); err != nil {
					return err
				}
				fmt.Fprintf(env.stderr, "token %d revoked\n", *id)
				return nil
			}
		},
	}
}

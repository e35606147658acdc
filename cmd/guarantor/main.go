// Command guarantor runs the guarantor platform: the server, the scenario
// simulator and the maintenance commands. Run `guarantor help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one stops the process at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand. A name of two words ("user add") is a
// command of a group ("user").
type command struct {
	name  string
	short string // one line for the command list
	long  string // the help text above the flags
	// flags defines the command's flags on fs and returns the function that
	// runs the command once they are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, env *environment) error
}

// environment is what a running command talks to. Commands take flags
// only; run refuses positional arguments.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func commands() []command {
	return append([]command{serveCommand(), simulateCommand(), evalCommand(), reportCommand(), migrateCommand(), versionCommand(), auditCommand()}, append(accountCommands(), registryCommands()...)...)
}

// errUsage marks an error that the user fixes by changing the command line.
var errUsage = errors.New("usage")

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			args = append(args[1:], "--help")
		} else {
			usage(stdout, cmds)
			return 0
		}
	}
	cmd, args, group := findCommand(cmds, args)
	if cmd == nil && len(group) > 0 {
		fmt.Fprintf(stderr, "guarantor %s: give one of: %s\n", args[0], strings.Join(group, ", "))
		return 2
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "guarantor: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	fs := flag.NewFlagSet("guarantor "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runFn := cmd.flags(fs)
	fs.Usage = func() {} // run prints the usage itself, once
	if err := applyEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "guarantor %s: %v\n", cmd.name, err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, cmd, fs)
			return 0
		}
		fmt.Fprintf(stderr, "Run 'guarantor %s --help' for its flags.\n", cmd.name)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "guarantor %s: unexpected argument %q\nRun 'guarantor %s --help' for its flags.\n", cmd.name, fs.Arg(0), cmd.name)
		return 2
	}
	err := runFn(ctx, &environment{stdin: stdin, stdout: stdout, stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "guarantor %s: %v\n", cmd.name, err)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "Run 'guarantor %s --help' for its flags.\n", cmd.name)
			return 2
		}
		return 1
	}
	return 0
}

// findCommand finds the command args name: a command of a group by its
// two words ("user add"), or another by its one. It returns the command
// and its flags, or nil and, when args[0] names a group, the group's
// command names.
func findCommand(cmds []command, args []string) (*command, []string, []string) {
	var group []string
	for i := range cmds {
		name := cmds[i].name
		if len(args) > 1 && name == args[0]+" "+args[1] {
			return &cmds[i], args[2:], nil
		}
		if first, rest, ok := strings.Cut(name, " "); ok && first == args[0] {
			group = append(group, rest)
		}
	}
	for i := range cmds {
		if cmds[i].name == args[0] {
			return &cmds[i], args[1:], nil
		}
	}
	return nil, args, group
}

// envName is the environment variable that sets a flag: GUARANTOR_ and the
// flag's name in capitals with dashes as underscores.
func envName(flagName string) string {
	return "GUARANTOR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag that has an environment variable. Flags given on
// the command line are parsed afterwards and win.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("environment variable %s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "guarantor makes a coalition's security guarantees operational: a registry of")
	fmt.Fprintln(w, "commitments, ceasefire monitoring and verification, and the obligations that")
	fmt.Fprintln(w, "verified violations set in motion.")
	fmt.Fprintln(w, "\nUsage:\n  guarantor <command> [flags]\n\nCommands:")
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nRun 'guarantor <command> --help' for a command's flags. Every flag can also be")
	fmt.Fprintln(w, "set with an environment variable: --db is GUARANTOR_DB, --listen is GUARANTOR_LISTEN.")
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: guarantor %s [flags]\n\n%s\n", c.name, strings.TrimSpace(c.long))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if !hasFlags {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", line, use)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "\n      environment: %s\n", envName(f.Name))
	})
}

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when
// unset, the module version or VCS revision from the build info is used.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

func versionCommand() command {
	return command{
		name:  "version",
		short: "print the version of this binary",
		long:  "Prints the version of this guarantor binary and the Go version it was built with.",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			return func(ctx context.Context, env *environment) error {
				bi, _ := debug.ReadBuildInfo()
				goVersion := "unknown"
				if bi != nil {
					goVersion = bi.GoVersion
				}
				fmt.Fprintf(env.stdout, "guarantor %s (%s)\n", versionString(), goVersion)
				return nil
			}
		},
	}
}

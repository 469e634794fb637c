package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/term"

	"agora/internal/redact"
)

// command is one subcommand: its flags are declared by setup, run does the work.
type command struct {
	name    string
	summary string
	usage   string // what the command does, shown by --help
	run     func(ctx context.Context, env *cmdEnv) error
	setup   func(fs *flag.FlagSet) // declares flags into fields captured by run
	// flagsOnly are flags without an environment twin: a variable left set
	// in a shell must not turn on something destructive (purge --all).
	flagsOnly []string
	// server commands run until stopped: a stop signal that comes while
	// they start (`agora up` stopping an instance not yet ready, Ctrl-C
	// while the database does not answer) is a clean stop, not a failure.
	server bool
}

// cmdEnv is what a running command may use; no globals.
type cmdEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
	args           []string // positional arguments left after the flags
	// progress is where progress bars go: stderr when it is a terminal,
	// else nil, so logs and pipes get no carriage-return noise.
	progress io.Writer
}

// errUsage reports a command line mistake; Main prints it with a hint.
var errUsage = errors.New("usage")

func commands() []*command {
	return []*command{upCommand(), appCommand(), migrateCommand(), seedCommand(), importCommand(), exportCommand(), userCommand(), apikeyCommand(), edgeCommand(), purgeCommand(), cdnPurgeCommand(), drainCommand(), reloadCommand(), backupCommand(), restoreCommand(), loadtestCommand(), versionCommand()}
}

// Main runs agora with args (without the program name) and returns the exit
// code: 0 success, 1 failure, 2 command line mistake.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printOverview(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	for _, c := range cmds {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "agora: unknown command %q; run `agora --help` to see the commands\n", args[0])
		return 2
	}

	fs := flag.NewFlagSet("agora "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format: text (one line per event, for people) or json (for log pipelines)")
	if cmd.setup != nil {
		cmd.setup(fs)
	}
	fs.Usage = func() { printUsage(fs.Output(), cmd, fs) }
	if err := applyEnv(fs, getenv, cmd.flagsOnly); err != nil {
		fmt.Fprintf(stderr, "agora %s: %v\n", cmd.name, err)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2 // flag has printed the problem and the usage
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "agora %s: %v\n", cmd.name, err)
		return 2
	}
	useLogger(ctx, log)
	warnSecretsInArgs(log, fs, args[1:])
	env := &cmdEnv{stdout: stdout, stderr: stderr, getenv: getenv, log: log, args: fs.Args()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		env.progress = stderr
	}
	if err := cmd.run(ctx, env); err != nil {
		if cmd.server && ctx.Err() != nil && errors.Is(err, context.Canceled) {
			log.Info("stopped before serving: asked to stop while starting", "command", cmd.name, "during", err)
			return 0
		}
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "agora %s: %v; run `agora %s --help`\n", cmd.name, err, cmd.name)
			return 2
		}
		fmt.Fprintf(stderr, "agora %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

// envName is the environment twin of a flag: --cache-size → AGORA_CACHE_SIZE.
func envName(flagName string) string {
	return "AGORA_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets flags from their AGORA_* twins; flags given on the command
// line are parsed afterwards and so win.
func applyEnv(fs *flag.FlagSet, getenv func(string) string, flagsOnly []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(flagsOnly, f.Name) {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			shown := redact.URL(v)
			if slices.Contains(secretFlags, f.Name) {
				shown = "…" // a secret is never repeated, even a malformed one
			}
			err = fmt.Errorf("%s=%q: %v", envName(f.Name), shown, e)
		}
	})
	return err
}

func printOverview(w io.Writer, cmds []*command) {
	fmt.Fprint(w, `agora: a high-availability e-commerce store in one binary.

Usage: agora COMMAND [flags]

Commands:
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'agora COMMAND --help' for the flags of a command. Every flag has an
environment twin: --db is AGORA_DB, --drain-delay is AGORA_DRAIN_DELAY.

Start here:  agora up --demo   (then open http://localhost:8080)
`)
}

func printUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: agora %s [flags]\n\n%s\n\nFlags (each also read from its environment variable, unless marked):\n", cmd.name, strings.TrimSpace(cmd.usage))
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		def := ""
		if f.DefValue != "" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		env := envName(f.Name)
		if slices.Contains(cmd.flagsOnly, f.Name) {
			env = "command line only"
		}
		fmt.Fprintf(w, "  --%s  [%s]%s\n      %s\n", f.Name, env, def, f.Usage)
	}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/staff"
	"agora/internal/store"
)

func userCommand() *command {
	var fs *flag.FlagSet
	var db, email, name, role string
	var pwStdin bool
	return &command{
		name:    "user",
		summary: "create staff accounts for the admin (agora user create …)",
		usage: `agora user create --email E --name N --role ROLE [--password-stdin]

Creates a staff account for the admin. Roles: owner (everything), manager
(catalog, orders, customers, discounts), staff (reads orders only).

Without --password-stdin a strong password is generated and printed once on
standard output, alone on its line, so a script can capture it; keep it in a
password manager. With --password-stdin the password is read from standard
input (first line), or asked for twice without echo on a terminal; it needs
` + fmt.Sprint(password.MinLength) + ` to ` + fmt.Sprint(password.MaxLength) + ` characters.

A fresh install is scripted as: agora migrate; agora user create …;
agora apikey create … (see agora apikey --help).`,
		setup: func(f *flag.FlagSet) {
			fs = f
			f.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			f.StringVar(&email, "email", "", "the staff member's email address, used to log in")
			f.StringVar(&name, "name", "", "the staff member's name, as the admin shows it")
			f.StringVar(&role, "role", "", "owner, manager or staff")
			f.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input instead of generating one")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			sub, err := subcommand(fs, env, "create")
			if sub == "" || err != nil {
				return err
			}
			pw, generated := "", !pwStdin
			if generated {
				pw = password.Generate()
			} else if pw, err = readPassword(env); err != nil {
				return err
			}
			d, svc, err := openStaff(ctx, db, env)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := svc.Create(ctx, email, name, staff.Role(role), pw)
			if err != nil {
				return cliFault(err, map[string]string{"email": "--email", "name": "--name", "role": "--role", "password": "the password"})
			}
			if generated {
				fmt.Fprintln(env.stdout, pw)
				fmt.Fprintf(env.stderr, "created %s %s (id %d); its password, printed above, is shown only this once\n", st.Role, st.Email, st.ID)
				return nil
			}
			fmt.Fprintf(env.stdout, "created %s %s (id %d)\n", st.Role, st.Email, st.ID)
			return nil
		},
	}
}

// subcommand reads the word after the command (one of subs) and parses the
// flags after it; flags before it were parsed by Main, so both orders
// work. It returns "" when it printed the help (exit 0).
func subcommand(fs *flag.FlagSet, env *cmdEnv, subs ...string) (string, error) {
	if len(env.args) == 0 {
		return "", fmt.Errorf("%w: name what to do: %s", errUsage, strings.Join(subs, ", "))
	}
	sub := env.args[0]
	if !slices.Contains(subs, sub) {
		return "", fmt.Errorf("%w: unknown subcommand %q (use %s)", errUsage, sub, strings.Join(subs, ", "))
	}
	out := fs.Output()
	fs.SetOutput(io.Discard) // errors are returned, and help goes to stdout
	err := fs.Parse(env.args[1:])
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(env.stdout)
		fs.Usage()
		return "", nil
	case err != nil:
		return "", fmt.Errorf("%w: %v", errUsage, err)
	case fs.NArg() > 0:
		return "", fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return sub, nil
}

// openStaff opens the database, which must be migrated, and its staff
// service.
func openStaff(ctx context.Context, db string, env *cmdEnv) (*store.DB, *staff.Service, error) {
	d, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	if err := d.CheckSchema(ctx); err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, &staff.Service{DB: d, Log: env.log}, nil
}

// cliFault turns field errors into one line naming the flags; input
// mistakes exit with 2, like other command line mistakes.
func cliFault(err error, flagOf map[string]string) error {
	var msgs []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if f := flagOf[fault.FieldOf(e)]; f != "" {
			msgs = append(msgs, f+": "+fault.MessageOf(e))
		}
	}
	walk(err)
	switch {
	case fault.CodeOf(err) == fault.Invalid && len(msgs) > 0:
		return fmt.Errorf("%w: %s", errUsage, strings.Join(msgs, " "))
	case fault.CodeOf(err) != fault.Internal:
		return errors.New(fault.MessageOf(err))
	}
	return err
}

// readPassword reads the password for --password-stdin: asked twice
// without echo on a terminal, else the first line of standard input.
// cmdEnv carries no stdin (Main's callers give none), so this reads the
// process's own.
func readPassword(env *cmdEnv) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(env.stderr, "Password: ")
		a, err := term.ReadPassword(fd)
		fmt.Fprint(env.stderr, "\nRepeat it: ")
		b, err2 := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		if err := errors.Join(err, err2); err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("%w: the two passwords differ", errUsage)
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

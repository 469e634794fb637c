package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"agora/internal/fault"
	"agora/internal/staff"
)

func apikeyCommand() *command {
	var fs *flag.FlagSet
	var db, email, name string
	var id int64
	return &command{
		name:    "apikey",
		summary: "create, list and revoke admin API keys (agora apikey create …)",
		usage: `agora apikey create --email E --name N
agora apikey list
agora apikey revoke --id N

API keys authenticate scripts on /api/v1/admin/… (Authorization: Bearer KEY).
A key acts with the role of the staff member it belongs to (--email; create
one with agora user create).

create prints the new key once, on standard output alone, so a script can
capture it; only its hash is stored, so it cannot be shown again. --name
says what the key is for ("ERP sync").
list shows every key's id, prefix, name, owner, creation, last use and
revocation, never the keys.
revoke stops a key at once, on every app instance, from its next request.`,
		setup: func(f *flag.FlagSet) {
			fs = f
			f.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			f.StringVar(&email, "email", "", "create: the staff member the key acts for")
			f.StringVar(&name, "name", "", "create: what the key is for, such as \"ERP sync\"")
			f.Int64Var(&id, "id", 0, "revoke: the id of the key, as apikey list shows it")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			sub, err := subcommand(fs, env, "create", "list", "revoke")
			if sub == "" || err != nil {
				return err
			}
			if sub == "create" && email == "" {
				return fmt.Errorf("%w: --email: name the staff member the key acts for", errUsage)
			}
			if sub == "revoke" && id <= 0 {
				return fmt.Errorf("%w: --id: give the id of the key to revoke (agora apikey list shows it)", errUsage)
			}
			d, svc, err := openStaff(ctx, db, env)
			if err != nil {
				return err
			}
			defer d.Close()
			switch sub {
			case "create":
				return createKey(ctx, env, svc, email, name)
			case "revoke":
				return revokeKey(ctx, env, svc, id)
			}
			return listKeys(ctx, env, svc)
		},
	}
}

func createKey(ctx context.Context, env *cmdEnv, svc *staff.Service, email, name string) error {
	st, err := svc.ByEmail(ctx, email)
	if fault.CodeOf(err) == fault.NotFound {
		return fmt.Errorf("no staff account has the email %q; create one with agora user create", email)
	}
	if err != nil {
		return err
	}
	plain, k, err := svc.CreateAPIKey(ctx, st.ID, name)
	if err != nil {
		return cliFault(err, map[string]string{"name": "--name"})
	}
	fmt.Fprintln(env.stdout, plain)
	fmt.Fprintf(env.stderr, "created API key %d %q (%s…) for %s (%s); the key, printed above, is shown only this once\n",
		k.ID, k.Name, k.Prefix, st.Email, st.Role)
	return nil
}

func revokeKey(ctx context.Context, env *cmdEnv, svc *staff.Service, id int64) error {
	if err := svc.RevokeAPIKey(ctx, id); err != nil {
		return cliFault(err, nil)
	}
	fmt.Fprintf(env.stdout, "revoked API key %d\n", id)
	return nil
}

func listKeys(ctx context.Context, env *cmdEnv, svc *staff.Service) error {
	keys, err := svc.APIKeys(ctx)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintln(env.stdout, "no API keys; create one with agora apikey create --email E --name N")
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPREFIX\tNAME\tOWNER\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(w, "%d\t%s…\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, k.StaffEmail,
			stamp(k.CreatedAt, "-"), stamp(k.LastUsedAt, "never"), stamp(k.RevokedAt, "-"))
	}
	return w.Flush()
}

// stamp shows a time to the minute in UTC, or none for the zero time.
func stamp(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

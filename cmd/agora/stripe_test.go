package main

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// TestStripeKeysNeverOnAChildsCommandLine: agora up hands the Stripe keys
// to its app instances in their environment (readable by this user only),
// never in argv (readable by anyone through ps), as the cluster secret.
func TestStripeKeysNeverOnAChildsCommandLine(t *testing.T) {
	f := upFlags{stripe: stripeFlags{secretKey: "sk_test_SECRET", publishableKey: "pk_test_x",
		webhookSecret: "whsec_SECRET", cancelUnpaid: "card=1h"}}
	args := strings.Join(appArgs(slog.New(slog.DiscardHandler), f), " ")
	if strings.Contains(args, "SECRET") {
		t.Errorf("a Stripe secret on the app's command line: %s", args)
	}
	env := appEnv(f)
	for _, want := range []string{"AGORA_STRIPE_SECRET_KEY=sk_test_SECRET", "AGORA_STRIPE_WEBHOOK_SECRET=whsec_SECRET"} {
		if !slices.Contains(env, want) {
			t.Errorf("app environment lacks %s", want)
		}
	}
}

// TestStripeFlagErrors: bad settings stop the command with a usage error
// that names the problem and never repeats a key.
func TestStripeFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		f    stripeFlags
		want string
	}{
		{stripeFlags{secretKey: "pk_test_oops_SECRET", publishableKey: "pk_test_x"}, "starts with sk_"},
		{stripeFlags{secretKey: "sk_test_SECRET"}, "publishable key: missing"},
		{stripeFlags{secretKey: "sk_live_SECRET", publishableKey: "pk_test_x"}, "not of one mode"},
		{stripeFlags{secretKey: "sk_test_SECRET", publishableKey: "pk_test_x", webhookSecret: "SECRET"}, "whsec_"},
		{stripeFlags{webhookSecret: "whsec_SECRET"}, "need --stripe-secret-key"},
	} {
		_, err := tc.f.gateway()
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%+v: %v; want a usage error saying %q without the key", tc.f, err, tc.want)
		}
	}
	if g, err := (stripeFlags{}).gateway(); g != nil || err != nil {
		t.Errorf("no keys: %v, %v; want no card payments and no error", g, err)
	}
	for in, ok := range map[string]bool{"card=1h": true, "card=30m,manual=168h": true, "": true, "card": false, "card=-1h": false, "=1h": false} {
		if _, err := parseCancelUnpaid(in); (err == nil) != ok {
			t.Errorf("--cancel-unpaid %q: %v", in, err)
		}
	}
}

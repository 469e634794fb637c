package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"agora/internal/checkout"
	"agora/internal/stripepay"
)

// stripeFlags are the card payment settings (issue 14), shared by `app`
// and `up` (which hands them to its app instances in the environment,
// never on their command line).
type stripeFlags struct {
	secretKey, publishableKey, webhookSecret, apiBase string
	cancelUnpaid                                      string // "card=1h,…": parseCancelUnpaid
}

func (s *stripeFlags) declare(fs *flag.FlagSet) {
	secretVar(fs, &s.secretKey, "stripe-secret-key", "Stripe secret API key (sk_test_… or sk_live_…); set, the checkout offers card payments through Stripe (empty: manual payment only)")
	fs.StringVar(&s.publishableKey, "stripe-publishable-key", "", "Stripe publishable key (pk_test_… or pk_live_…, public) for Stripe.js on the checkout page; required with --stripe-secret-key")
	secretVar(fs, &s.webhookSecret, "stripe-webhook-secret", "signing secret (whsec_…) of the Stripe webhook endpoint https://PUBLIC-URL/api/v1/payments/stripe/webhook; without it payments are learned only when the shopper returns and by reconciliation")
	fs.StringVar(&s.apiBase, "stripe-api-base", "", "Stripe API base URL (empty: Stripe's own; tests use stripe-mock's address)")
	fs.StringVar(&s.cancelUnpaid, "cancel-unpaid", "card=1h", "cancel orders not paid in time and return their stock, per payment method: METHOD=DURATION,… (a method not listed, such as manual bank transfer, waits until staff cancel it; empty: never)")
}

// parseCancelUnpaid reads --cancel-unpaid: "card=1h,manual=168h".
func parseCancelUnpaid(v string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		method, d, ok := strings.Cut(item, "=")
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if !ok || err != nil || dur <= 0 || strings.TrimSpace(method) == "" {
			return nil, fmt.Errorf("%w: --cancel-unpaid %q: want METHOD=DURATION pairs such as card=1h,manual=168h", errUsage, item)
		}
		out[strings.TrimSpace(method)] = dur
	}
	return out, nil
}

// gateway builds the card method, or nil without a secret key.
func (s stripeFlags) gateway() (*stripepay.Stripe, error) {
	if s.secretKey == "" {
		if s.webhookSecret != "" || s.publishableKey != "" {
			return nil, fmt.Errorf("%w: --stripe-publishable-key and --stripe-webhook-secret need --stripe-secret-key", errUsage)
		}
		return nil, nil
	}
	g, err := stripepay.New(stripepay.Config{SecretKey: s.secretKey, PublishableKey: s.publishableKey,
		WebhookSecret: s.webhookSecret, APIBase: s.apiBase})
	if err != nil {
		// stripepay's messages name the problem, never the key.
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return g, nil
}

// providers are the checkout's payment methods: manual first (the
// default), then card when configured.
func providers(g *stripepay.Stripe) []checkout.Provider {
	ps := []checkout.Provider{checkout.Manual{}}
	if g != nil {
		ps = append(ps, g)
	}
	return ps
}

// env passes the settings to an app instance of `agora up`.
func (s stripeFlags) env() []string {
	return []string{
		"AGORA_STRIPE_SECRET_KEY=" + s.secretKey,
		"AGORA_STRIPE_PUBLISHABLE_KEY=" + s.publishableKey,
		"AGORA_STRIPE_WEBHOOK_SECRET=" + s.webhookSecret,
		"AGORA_STRIPE_API_BASE=" + s.apiBase,
	}
}

// Package stripepay is the card payment method: a checkout.Gateway over
// Stripe's Payment Intents (github.com/stripe/stripe-go, the official
// library), and the authentication of Stripe's webhooks (its webhook
// package: signature and tolerance window). It speaks to Stripe and turns
// what Stripe says into checkout's terms; it writes nothing itself (orders
// change only through checkout.ApplyPayment), and it never logs or shows
// a key or a client secret.
package stripepay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"agora/internal/checkout"
	"agora/internal/fault"
)

// Config is how to reach one Stripe account.
type Config struct {
	// SecretKey is the account's secret API key, "sk_test_…" or
	// "sk_live_…" (a restricted "rk_…" key works too).
	SecretKey string
	// PublishableKey ("pk_…") is handed to Stripe.js in the shopper's
	// browser; it is public by design.
	PublishableKey string
	// WebhookSecret ("whsec_…") verifies the Stripe-Signature of webhooks.
	// If "", webhooks are refused and only SyncPayment (the return page,
	// reconciliation) learns of payments.
	WebhookSecret string
	// APIBase is Stripe's API base URL. If "", Stripe's own; tests point
	// it at stripe-mock or a stand-in.
	APIBase string
	// Timeout bounds one call to Stripe, retries included. If zero, 30s.
	Timeout time.Duration
	// Tolerance is how old a webhook's signed timestamp may be (replay
	// protection). If zero, the library's default, 5 minutes.
	Tolerance time.Duration
	// MaxRetries is how often the library retries a failed call (network
	// errors, 409 lock timeouts, 5xx where Stripe allows), always with the
	// same idempotency key. If nil, the library's default (2).
	MaxRetries *int64
}

// Stripe is the card payment method. It is safe for concurrent use.
type Stripe struct {
	cfg    Config
	client *stripe.Client
}

var _ checkout.Gateway = (*Stripe)(nil)

// New checks cfg and builds the client; it calls nothing yet.
func New(cfg Config) (*Stripe, error) {
	if err := checkKey(cfg.SecretKey, "sk_", "rk_"); err != nil {
		return nil, fmt.Errorf("stripepay: secret key: %w", err)
	}
	if err := checkKey(cfg.PublishableKey, "pk_"); err != nil {
		return nil, fmt.Errorf("stripepay: publishable key: %w", err)
	}
	if cfg.WebhookSecret != "" && !strings.HasPrefix(cfg.WebhookSecret, "whsec_") {
		return nil, errors.New(`stripepay: webhook secret: a Stripe webhook signing secret starts with "whsec_"`)
	}
	if liveKey(cfg.SecretKey) != strings.HasPrefix(cfg.PublishableKey, "pk_live_") {
		return nil, errors.New("stripepay: the secret and publishable keys are not of one mode (test and live mixed)")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: cfg.Timeout},
		MaxNetworkRetries: cfg.MaxRetries,
		// The library's own logger would print to stderr outside slog.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	backends := &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, bc)}
	return &Stripe{cfg: cfg, client: stripe.NewClient(cfg.SecretKey, stripe.WithBackends(backends))}, nil
}

func checkKey(key string, prefixes ...string) error {
	if key == "" {
		return errors.New("missing")
	}
	if strings.ContainsAny(key, " \t\r\n") {
		return errors.New("contains white space (a stray line break in its file?)")
	}
	for _, p := range prefixes {
		if strings.HasPrefix(key, p) {
			return nil
		}
	}
	return fmt.Errorf("a Stripe key of this kind starts with %s", strings.Join(prefixes, " or "))
}

func liveKey(key string) bool { return strings.Contains(key, "_live_") }

// Mode is "live" or "test", from the secret key: staff see it in the admin
// so nobody takes test payments for money.
func (s *Stripe) Mode() string {
	if liveKey(s.cfg.SecretKey) {
		return "live"
	}
	return "test"
}

// PublishableKey is the key the browser's Stripe.js needs.
func (s *Stripe) PublishableKey() string { return s.cfg.PublishableKey }

// Method is the card method as checkout lists it.
func (s *Stripe) Method() checkout.PaymentMethod {
	return checkout.PaymentMethod{Code: "card", Name: "Card"}
}

// Start keeps the order awaiting payment: the intent is created after the
// order commits (checkout.Service.StartPayment).
func (s *Stripe) Start(context.Context, *checkout.Order) (checkout.Status, error) {
	return checkout.StatusPendingPayment, nil
}

// CreatePayment creates the PaymentIntent of o's total under key; Stripe
// answers a repeated key with the intent it created first (for 24 hours).
func (s *Stripe) CreatePayment(ctx context.Context, o *checkout.Order, key string) (checkout.Payment, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	p := &stripe.PaymentIntentCreateParams{
		Amount:   stripe.Int64(o.TotalCents),
		Currency: stripe.String(strings.ToLower(o.Currency)),
		// The Payment Element offers the methods enabled in the
		// dashboard; Stripe.js follows requires_action (3-D Secure).
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
		Description:             stripe.String("Order " + o.Number),
	}
	if o.Email != "" {
		p.ReceiptEmail = stripe.String(o.Email)
	}
	p.AddMetadata("order_number", o.Number)
	p.SetIdempotencyKey(key)
	pi, err := s.client.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return checkout.Payment{}, unavailable("create payment", err)
	}
	return paymentOf(pi), nil
}

// Payment retrieves the PaymentIntent ref.
func (s *Stripe) Payment(ctx context.Context, ref string) (checkout.Payment, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pi, err := s.client.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return checkout.Payment{}, unavailable("read payment", err)
	}
	return paymentOf(pi), nil
}

// CancelPayment cancels the PaymentIntent ref (an unpaid order expired).
func (s *Stripe) CancelPayment(ctx context.Context, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	p := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")}
	p.SetIdempotencyKey("cancel-" + ref)
	if _, err := s.client.V1PaymentIntents.Cancel(ctx, ref, p); err != nil {
		return unavailable("cancel payment", err)
	}
	return nil
}

// Refund creates a refund of amountCents of the PaymentIntent ref under
// key. Stripe's refusal (a 4xx: more than is left, a payment not
// succeeded) is a fault.Conflict with Stripe's message; no answer is a
// fault.Unavailable, and asking again with key cannot refund twice.
func (s *Stripe) Refund(ctx context.Context, ref string, amountCents int64, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amountCents)}
	p.SetIdempotencyKey(key)
	re, err := s.client.V1Refunds.Create(ctx, p)
	var se *stripe.Error
	switch {
	case err == nil:
		return re.ID, nil
	case errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != http.StatusConflict && se.HTTPStatusCode != http.StatusTooManyRequests:
		return "", &fault.Error{Code: fault.Conflict, Message: "The card payment service refused the refund: " + se.Msg,
			Cause: fmt.Errorf("stripepay: refund: %w", err)}
	}
	return "", &fault.Error{Code: fault.Unavailable,
		Message: "The card payment service did not answer. The refund is recorded as pending: repeat it to finish it; it cannot be paid out twice.",
		Cause:   fmt.Errorf("stripepay: refund: %w", err)}
}

func paymentOf(pi *stripe.PaymentIntent) checkout.Payment {
	return checkout.Payment{Ref: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status),
		Succeeded: pi.Status == stripe.PaymentIntentStatusSucceeded, AmountCents: pi.Amount}
}

// unavailable turns a failed call into the shopper's message: the cause
// (Stripe's error, never a key) stays for the log. Retrying is safe, since
// every call that creates something carries an idempotency key.
func unavailable(what string, err error) error {
	return &fault.Error{Code: fault.Unavailable,
		Message: "The card payment service did not answer. Please try again in a moment: you will not be charged twice.",
		Cause:   fmt.Errorf("stripepay: %s: %w", what, err)}
}

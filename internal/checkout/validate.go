package checkout

import (
	"errors"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"agora/internal/customer"
	"agora/internal/fault"
)

// maxEmailLen is the longest address SMTP can carry (RFC 5321 §4.5.3.1.3).
const maxEmailLen = 254

// maxKeyLen bounds Idempotency-Key values.
const maxKeyLen = 255

// placement is a validated Request with its method choices resolved.
type placement struct {
	Request
	ship     ShippingMethod
	provider Provider
}

// validate normalizes r and checks every field before any transaction, so
// bad input writes nothing. The first problem is returned, with its field.
func (s *Service) validate(r Request, st Settings) (*placement, error) {
	p := &placement{Request: r}
	p.Email = strings.TrimSpace(r.Email)
	if err := checkEmail(p.Email); err != nil {
		return nil, err
	}
	p.ShippingAddress = normalizeAddress(r.ShippingAddress)
	if err := customer.ValidateAddress(p.ShippingAddress); err != nil {
		return nil, prefixField("shipping_address.", err)
	}
	if !st.shipsTo(p.ShippingAddress.Country) {
		return nil, fault.Field("shipping_address.country", "We do not ship to %s.", p.ShippingAddress.Country)
	}
	if p.ShippingMethod == "" {
		p.ShippingMethod = "standard"
	}
	var ok bool
	if p.ship, ok = st.shipping(p.ShippingMethod); !ok {
		return nil, fault.Field("shipping_method", "Please choose one of the shipping methods offered.")
	}
	if p.PaymentMethod == "" {
		p.PaymentMethod = "manual"
	}
	if p.provider, ok = s.provider(p.PaymentMethod); !ok {
		return nil, fault.Field("payment_method", "Please choose one of the payment methods offered.")
	}
	p.DiscountCode = strings.ToUpper(strings.TrimSpace(r.DiscountCode))
	if err := checkKey(r.IdempotencyKey); err != nil {
		return nil, err
	}
	if r.Cart.CustomerID == 0 && r.Cart.SessionHash == "" {
		return nil, fault.Field("cart", "Your cart is empty.")
	}
	return p, nil
}

func checkEmail(e string) error {
	if e == "" {
		return fault.Field("email", "Please enter your e-mail address.")
	}
	a, err := netmail.ParseAddress(e)
	if len(e) > maxEmailLen || !utf8.ValidString(e) || err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return fault.Field("email", "Please enter a valid e-mail address, such as name@example.com.")
	}
	return nil
}

// checkKey accepts 1..255 printable ASCII characters (as HTTP header
// values carry them); clients typically send a UUID.
func checkKey(k string) error {
	if k == "" {
		return fault.Field("idempotency_key", "An Idempotency-Key is required, so a retried checkout cannot order twice.")
	}
	if len(k) > maxKeyLen {
		return fault.Field("idempotency_key", "The Idempotency-Key is longer than %d characters.", maxKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return fault.Field("idempotency_key", "The Idempotency-Key may hold printable ASCII characters only.")
		}
	}
	return nil
}

func normalizeAddress(a customer.Address) customer.Address {
	a.ID = 0
	a.Name = strings.TrimSpace(a.Name)
	a.Line1 = strings.TrimSpace(a.Line1)
	a.Line2 = strings.TrimSpace(a.Line2)
	a.City = strings.TrimSpace(a.City)
	a.PostalCode = strings.TrimSpace(a.PostalCode)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.Phone = strings.TrimSpace(a.Phone)
	return a
}

// prefixField puts prefix before the field of a fault, so the checkout form
// knows which of its address blocks a message is about.
func prefixField(prefix string, err error) error {
	var f *fault.Error
	if errors.As(err, &f) && f.Field != "" {
		c := *f
		c.Field = prefix + f.Field
		return &c
	}
	return err
}

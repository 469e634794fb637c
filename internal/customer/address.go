package customer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"agora/internal/fault"
)

// Address is a postal address, saved on an account or copied into an order.
type Address struct {
	ID         int64 // 0 when not saved
	Name       string
	Line1      string
	Line2      string // optional
	City       string
	PostalCode string
	Country    string // ISO 3166-1 alpha-2, upper case
	Phone      string // optional
}

// maxAddresses bounds an account's address book.
const maxAddresses = 50

// NormalizeAddress trims surrounding spaces from every field and upper-cases
// the country, so " de " from a form becomes "DE". Callers normalize, then
// validate.
func NormalizeAddress(a Address) Address {
	t := strings.TrimSpace
	return Address{ID: a.ID, Name: t(a.Name), Line1: t(a.Line1), Line2: t(a.Line2), City: t(a.City),
		PostalCode: t(a.PostalCode), Country: strings.ToUpper(t(a.Country)), Phone: t(a.Phone)}
}

// ValidateAddress checks every field and returns all problems (see join):
// fields "name", "line1", "line2", "city", "postal_code", "country",
// "phone", without prefix; the checkout prefixes them. Text must be valid
// UTF-8 without control characters; name and lines hold at most 200
// characters, city 100, postal code 20, phone 40; country is an ISO 3166-1
// alpha-2 code in upper case.
func ValidateAddress(a Address) error {
	var country *fault.Error
	switch {
	case strings.TrimSpace(a.Country) == "":
		country = fault.Field("country", "Country is required.")
	case !IsCountry(a.Country): // also rules out bad UTF-8 and control characters
		country = fault.Field("country", "Choose a country (a two-letter code such as DE or US).")
	}
	return join(
		checkText("name", "Name", a.Name, maxAddressLine, true),
		checkText("line1", "Address", a.Line1, maxAddressLine, true),
		checkText("line2", "Address line 2", a.Line2, maxAddressLine, false),
		checkText("city", "City", a.City, maxCity, true),
		checkText("postal_code", "Postal code", a.PostalCode, maxPostalCode, true),
		country,
		checkPhone(a.Phone),
	)
}

func checkPhone(p string) *fault.Error {
	if e := checkText("phone", "Phone", p, maxPhone, false); e != nil {
		return e
	}
	if strings.Trim(p, "+0123456789 ()-./") != "" {
		return fault.Field("phone", "Phone may hold digits, spaces and + ( ) - . / only.")
	}
	return nil
}

// Addresses returns a customer's saved addresses, oldest first.
func (s *Service) Addresses(ctx context.Context, customerID int64) ([]Address, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, name, line1, line2, city, postal_code, country, phone
		FROM customer_addresses WHERE customer_id = $1 ORDER BY id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: addresses: %w", err)
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		var a Address
		if err := rows.Scan(&a.ID, &a.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.Country, &a.Phone); err != nil {
			return nil, fmt.Errorf("customer: addresses: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: addresses: %w", err)
	}
	return out, nil
}

// AddAddress normalizes, validates and saves an address; the result has its
// ID. An account holds at most 50 addresses.
func (s *Service) AddAddress(ctx context.Context, customerID int64, a Address) (Address, error) {
	a = NormalizeAddress(a)
	if err := ValidateAddress(a); err != nil {
		return Address{}, err
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customer_addresses WHERE customer_id = $1`, customerID).Scan(&n); err != nil {
			return fmt.Errorf("customer: add address: %w", err)
		}
		if n >= maxAddresses {
			return fault.New(fault.Conflict, "Your address book is full (%d addresses). Delete one first.", maxAddresses)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO customer_addresses
			(customer_id, name, line1, line2, city, postal_code, country, phone, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			customerID, a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.Country, a.Phone, s.now()).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("customer: add address: %w", err)
		}
		return nil
	})
	if err != nil {
		return Address{}, err
	}
	return a, nil
}

// DeleteAddress removes one of the customer's addresses. Another
// customer's address, or none, gives fault.NotFound (the same answer, so
// ids cannot be probed).
func (s *Service) DeleteAddress(ctx context.Context, customerID, addressID int64) error {
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2`, addressID, customerID)
		if err != nil {
			return fmt.Errorf("customer: delete address: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.New(fault.NotFound, "No such address.")
		}
		return nil
	})
}

package storefront

import (
	"time"

	"agora/internal/checkout"
)

// formatDate is the template func "date": "2 Mar 2025", in UTC like every
// stored time.
func formatDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// statusLabel is the template func "status": an order status in the
// shopper's words.
func statusLabel(s checkout.Status) string {
	switch s {
	case "pending_payment":
		return "Awaiting payment"
	case "paid":
		return "Paid"
	case "fulfilled":
		return "Shipped"
	case "cancelled":
		return "Cancelled"
	case "refunded":
		return "Refunded"
	}
	return string(s)
}

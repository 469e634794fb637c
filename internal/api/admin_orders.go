package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/checkout"
	"agora/internal/fault"
)

// Order lists for staff: 50 to a page unless per_page says otherwise, at
// most 100 (larger values are clamped, like the catalog's).
const (
	adminOrdersPerPage    = 50
	adminOrdersMaxPerPage = 100
	adminOrdersMaxPage    = 10000
	maxOrderQueryLen      = 200
)

var orderStatuses = []checkout.Status{checkout.StatusPendingPayment, checkout.StatusPaid, checkout.StatusFulfilled,
	checkout.StatusCancelled, checkout.StatusRefunded}

type adminOrderSummaryJSON struct {
	OrderNumber string    `json:"order_number"`
	Status      string    `json:"status"`
	Email       string    `json:"email"`
	TotalCents  int64     `json:"total_cents"`
	Currency    string    `json:"currency"`
	CreatedAt   time.Time `json:"created_at"`
}

type adminOrdersJSON struct {
	Items   []adminOrderSummaryJSON `json:"items"`
	Total   int                     `json:"total"`
	Page    int                     `json:"page"`
	PerPage int                     `json:"per_page"`
}

// orderQuery is a parsed GET /api/v1/admin/orders.
type orderQuery struct {
	status        string
	q             string
	page, perPage int
}

func parseOrderQuery(r *http.Request) (orderQuery, error) {
	v := r.URL.Query()
	oq := orderQuery{status: v.Get("status"), q: strings.TrimSpace(v.Get("q"))}
	var err error
	if oq.page, err = positive(v.Get("page"), "page"); err != nil {
		return oq, err
	}
	if oq.perPage, err = positive(v.Get("per_page"), "per_page"); err != nil {
		return oq, err
	}
	oq.page = max(oq.page, 1)
	if oq.page > adminOrdersMaxPage {
		return oq, fault.Field("page", "Page must be at most %d.", adminOrdersMaxPage)
	}
	if oq.perPage == 0 {
		oq.perPage = adminOrdersPerPage
	}
	oq.perPage = min(oq.perPage, adminOrdersMaxPerPage)
	if oq.status != "" && !isOrderStatus(oq.status) {
		names := make([]string, len(orderStatuses))
		for i, s := range orderStatuses {
			names[i] = string(s)
		}
		return oq, fault.Field("status", "Unknown status %q: use one of %s.", truncateRunes(oq.status, 40), strings.Join(names, ", "))
	}
	if !utf8.ValidString(oq.q) || strings.ContainsRune(oq.q, 0) || utf8.RuneCountInString(oq.q) > maxOrderQueryLen {
		return oq, fault.Field("q", "Search by an order number or an e-mail address (at most %d characters of text).", maxOrderQueryLen)
	}
	return oq, nil
}

func isOrderStatus(s string) bool {
	for _, st := range orderStatuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// adminListOrders serves GET /api/v1/admin/orders: newest first, filtered
// by status and by q, an order number (exactly) or an e-mail address (or
// its beginning, case-insensitively).
func (h *Handler) adminListOrders(w http.ResponseWriter, r *http.Request) {
	oq, err := parseOrderQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.queryOrders(r.Context(), oq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, out)
}

// queryOrders reads one page of orders. It is read-only SQL over the
// checkout's tables; every change goes through checkout.Service.
func (h *Handler) queryOrders(ctx context.Context, oq orderQuery) (adminOrdersJSON, error) {
	out := adminOrdersJSON{Items: []adminOrderSummaryJSON{}, Page: oq.page, PerPage: oq.perPage}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if oq.status != "" {
		where = append(where, "o.status = "+arg(oq.status))
	}
	if oq.q != "" {
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(oq.q)) + "%"
		where = append(where, "(o.number = "+arg(strings.ToUpper(oq.q))+" OR lower(o.email) LIKE "+arg(like)+` ESCAPE '\')`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if err := h.DB.QueryRow(ctx, "SELECT count(*) FROM orders o"+cond, args...).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("api: count orders: %w", err)
	}
	offset := (oq.page - 1) * oq.perPage
	if offset >= out.Total {
		return out, nil
	}
	rows, err := h.DB.Query(ctx, "SELECT o.number, o.status, o.email, o.total_cents, o.currency, o.created_at FROM orders o"+
		cond+" ORDER BY o.created_at DESC, o.id DESC LIMIT "+arg(oq.perPage)+" OFFSET "+arg(offset), args...)
	if err != nil {
		return out, fmt.Errorf("api: orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o adminOrderSummaryJSON
		if err := rows.Scan(&o.OrderNumber, &o.Status, &o.Email, &o.TotalCents, &o.Currency, &o.CreatedAt); err != nil {
			return out, fmt.Errorf("api: orders: %w", err)
		}
		o.CreatedAt = o.CreatedAt.UTC()
		out.Items = append(out.Items, o)
	}
	return out, rows.Err()
}

// adminOrder serves GET /api/v1/admin/orders/{number}: any order, for staff.
func (h *Handler) adminOrder(w http.ResponseWriter, r *http.Request) {
	o, err := h.Checkout.Order(r.Context(), r.PathValue("number"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, toOrderJSON(o))
}

type orderStatusJSON struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// adminOrderStatus serves POST /api/v1/admin/orders/{number}/status:
// {status, note?}. A move the workflow does not allow is 409; cancelling
// or refunding puts the stock back once, however often it is asked.
func (h *Handler) adminOrderStatus(w http.ResponseWriter, r *http.Request) {
	var in orderStatusJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.Checkout.SetStatus(r.Context(), r.PathValue("number"), checkout.Status(in.Status), in.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "order status changed", "order", o.Number, "status", o.Status)
	writePrivate(w, http.StatusOK, toOrderJSON(o))
}

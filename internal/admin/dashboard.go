package admin

import (
	"net/http"
	"time"

	"agora/internal/catalog"
	"agora/internal/checkout"
)

// dashboardPage is the data of dashboard.html.
type dashboardPage struct {
	layout
	Periods       []periodFigures // today, this week
	LowStock      []catalog.LowStockVariant
	Recent        []checkout.OrderSummary
	LowStockLimit int
}

// periodFigures are the orders placed in a period and their revenue.
type periodFigures struct {
	Label string
	checkout.Sales
}

// dashboardLowStock bounds the low-stock list (the worst first), and
// dashboardRecent the latest orders.
const (
	dashboardLowStock = 20
	dashboardRecent   = 8
)

// dashboard serves GET /admin/: today's and this week's orders and
// revenue, variants running low, the latest orders. Staff who may not read
// orders see the stock list only.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := dashboardPage{layout: h.newLayout(r, "Dashboard", "dashboard"), LowStockLimit: catalog.LowStock}
	var err error
	if data.Can("orders.read") {
		now := h.now()
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		// Weeks start on Monday (ISO 8601).
		week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		for _, p := range []struct {
			label string
			from  time.Time
		}{{"Today", day}, {"This week", week}} {
			sales, err := h.Checkout.SalesSince(ctx, p.from)
			if err != nil {
				h.serverError(w, r, err)
				return
			}
			data.Periods = append(data.Periods, periodFigures{Label: p.label, Sales: sales})
		}
		recent, err := h.Checkout.ListOrders(ctx, checkout.OrderFilter{PerPage: dashboardRecent})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		data.Recent = recent.Orders
	}
	if data.LowStock, err = h.Catalog.LowStockVariants(ctx, dashboardLowStock); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "dashboard", data)
}

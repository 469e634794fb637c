package api

import (
	"net/http"
	"time"

	"agora/internal/checkout"
)

type refundLineJSON struct {
	LineNo   int `json:"line_no"`
	Quantity int `json:"quantity"`
}

type refundJSON struct {
	ID          int64            `json:"id"`
	Key         string           `json:"key"`
	AmountCents int64            `json:"amount_cents"`
	Lines       []refundLineJSON `json:"lines"`
	State       string           `json:"state"`
	ProviderRef string           `json:"provider_ref,omitempty"`
	Note        string           `json:"note"`
	CreatedAt   time.Time        `json:"created_at"`
}

type refundRequestJSON struct {
	Key         string           `json:"key"`
	Lines       []refundLineJSON `json:"lines"`
	AmountCents int64            `json:"amount_cents"`
	Note        string           `json:"note"`
}

type refundAnswerJSON struct {
	Refund refundJSON `json:"refund"`
	Order  orderJSON  `json:"order"`
}

func toRefundJSON(rf *checkout.Refund) refundJSON {
	out := refundJSON{ID: rf.ID, Key: rf.Key, AmountCents: rf.AmountCents, Lines: []refundLineJSON{}, State: rf.State,
		ProviderRef: rf.ProviderRef, Note: rf.Note, CreatedAt: rf.CreatedAt.UTC()}
	for _, l := range rf.Lines {
		out.Lines = append(out.Lines, refundLineJSON(l))
	}
	return out
}

// adminRefund serves POST /api/v1/admin/orders/{number}/refunds: {key,
// lines?: [{line_no, quantity}], amount_cents?, note?}, the key also
// accepted as an Idempotency-Key header. The same key returns the same
// refund (and finishes it if the provider had not answered); the lines
// given back go back to stock once. 503 when the card payment service did
// not answer: the refund is pending, repeat the request.
func (h *Handler) adminRefund(w http.ResponseWriter, r *http.Request) {
	var in refundRequestJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	req := checkout.RefundRequest{Key: in.Key, AmountCents: in.AmountCents, Note: in.Note}
	if req.Key == "" {
		req.Key = r.Header.Get("Idempotency-Key")
	}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, checkout.RefundLine(l))
	}
	rf, o, err := h.Checkout.Refund(r.Context(), r.PathValue("number"), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "order refunded", "order", o.Number, "refund", rf.ID, "amount_cents", rf.AmountCents, "state", rf.State)
	writePrivate(w, http.StatusOK, refundAnswerJSON{Refund: toRefundJSON(rf), Order: toOrderJSON(o)})
}

// adminRefunds serves GET /api/v1/admin/orders/{number}/refunds: the
// order's refunds, oldest first.
func (h *Handler) adminRefunds(w http.ResponseWriter, r *http.Request) {
	o, err := h.Checkout.Order(r.Context(), r.PathValue("number"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.Checkout.Refunds(r.Context(), o.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Items []refundJSON `json:"items"`
	}{Items: []refundJSON{}}
	for i := range list {
		out.Items = append(out.Items, toRefundJSON(&list[i]))
	}
	writePrivate(w, http.StatusOK, out)
}

-- Refunds by staff, in full or in part, by line or by amount (issue 14).
-- A refund is recorded, pending, before the provider is asked, under the
-- idempotency key of the staff's request: the same key is the same refund,
-- so a double submit or a retry after a timeout never refunds twice.
CREATE TABLE refunds (
	id INTEGER PRIMARY KEY,
	order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
	idem_key TEXT NOT NULL,
	amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
	-- pending (the provider not yet answered), succeeded or failed
	state TEXT NOT NULL,
	provider_ref TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	UNIQUE (order_id, idem_key)
);

-- the lines a refund returns, by order_lines.line_no
CREATE TABLE refund_lines (
	refund_id INTEGER NOT NULL REFERENCES refunds(id) ON DELETE CASCADE,
	line_no INTEGER NOT NULL,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	PRIMARY KEY (refund_id, line_no)
);

-- units of a line already put back in stock: a returned line, a cancel or
-- a full refund each put back only what is left, so no unit twice.
ALTER TABLE order_lines ADD COLUMN restocked_quantity INTEGER NOT NULL DEFAULT 0;
UPDATE order_lines SET restocked_quantity = quantity
	WHERE order_id IN (SELECT id FROM orders WHERE restocked);

-- Card payments (issue 14). The order keeps the provider's payment id (a
-- Stripe PaymentIntent) and how much of it was refunded; payment_events
-- records every provider event applied, in the transaction of the order's
-- change, so a webhook delivered twice (or twenty times at once) changes
-- the order once.
ALTER TABLE orders ADD COLUMN payment_ref TEXT;
-- the cumulative amount refunded by the provider, in minor units; between
-- 0 and total_cents an order is partially refunded (its status stays paid
-- or fulfilled: see checkout.Order.PartiallyRefunded).
ALTER TABLE orders ADD COLUMN refunded_cents INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX orders_payment_ref ON orders(payment_ref);
-- unpaid orders are cancelled after a while per payment method: the job
-- scans pending orders oldest first.
CREATE INDEX orders_status_created ON orders(status, created_at);

CREATE TABLE payment_events (
	provider TEXT NOT NULL,
	event_id TEXT NOT NULL,
	order_id INTEGER REFERENCES orders(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (provider, event_id)
);

-- Leases of background jobs that one instance at a time should run (the
-- unpaid-order sweep): a row per job, claimed by a conditional upsert.
CREATE TABLE job_leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	leased_until TIMESTAMP NOT NULL
);

-- Shopping: store settings, customers and their addresses, sessions, login
-- throttling, password resets, carts, discount codes, orders, the e-mail
-- outbox and the purge log. Mirrors migrations/postgres/0002.

-- Store settings as key/value text (JSON where structured); read through
-- checkout.Settings, which knows the keys and their defaults.
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE customers (
	id INTEGER PRIMARY KEY,
	-- lower-cased and trimmed by the writer: one account per address.
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE customer_addresses (
	id INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	line1 TEXT NOT NULL,
	line2 TEXT NOT NULL DEFAULT '',
	city TEXT NOT NULL,
	postal_code TEXT NOT NULL,
	country TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);

-- Sessions are stored by the SHA-256 of the cookie value: a leaked
-- database does not hand out live sessions.
CREATE TABLE sessions (
	id_hash TEXT PRIMARY KEY,
	customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_customer ON sessions(customer_id);

CREATE TABLE password_resets (
	token_hash TEXT PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at TIMESTAMP
);
CREATE INDEX password_resets_expires ON password_resets(expires_at);

-- Failed logins per key ("account:<email>" or "client:<address>") within a
-- window; shared by every app instance, so limits hold across the pool.
CREATE TABLE login_failures (
	key TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	window_start TIMESTAMP NOT NULL
);

-- A cart belongs to a guest session or to a customer, never both: a guest
-- cart dies with its session, a customer's stays for the next login.
CREATE TABLE carts (
	id INTEGER PRIMARY KEY,
	session_hash TEXT UNIQUE REFERENCES sessions(id_hash) ON DELETE CASCADE,
	customer_id INTEGER UNIQUE REFERENCES customers(id) ON DELETE CASCADE,
	updated_at TIMESTAMP NOT NULL,
	CHECK ((session_hash IS NULL) <> (customer_id IS NULL))
);

CREATE TABLE cart_items (
	cart_id INTEGER NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
	variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	added_at TIMESTAMP NOT NULL,
	PRIMARY KEY (cart_id, variant_id)
);

CREATE TABLE discounts (
	id INTEGER PRIMARY KEY,
	-- upper-cased by the writer; shoppers type codes in any case.
	code TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
	-- percent: 1..100; fixed: minor units of the store currency.
	value INTEGER NOT NULL CHECK (value > 0),
	min_subtotal_cents INTEGER NOT NULL DEFAULT 0,
	starts_at TIMESTAMP,
	ends_at TIMESTAMP,
	usage_limit INTEGER,
	used_count INTEGER NOT NULL DEFAULT 0,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TIMESTAMP NOT NULL,
	CHECK (usage_limit IS NULL OR used_count <= usage_limit)
);

CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	-- one order per key, ever: the same key returns the same order.
	idempotency_key TEXT NOT NULL UNIQUE,
	customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
	-- the placing session may show its confirmation page (guests).
	session_hash TEXT,
	email TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled', 'cancelled', 'refunded')),
	currency TEXT NOT NULL,
	subtotal_cents INTEGER NOT NULL,
	discount_cents INTEGER NOT NULL,
	shipping_cents INTEGER NOT NULL,
	tax_cents INTEGER NOT NULL,
	total_cents INTEGER NOT NULL,
	prices_include_tax BOOLEAN NOT NULL,
	discount_code TEXT NOT NULL DEFAULT '',
	shipping_method TEXT NOT NULL,
	payment_method TEXT NOT NULL,
	-- set when cancel or refund put the stock back, so it happens once.
	restocked BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer ON orders(customer_id, created_at);
CREATE INDEX orders_created ON orders(created_at);

CREATE TABLE order_lines (
	order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
	line_no INTEGER NOT NULL,
	-- copies of what was sold: the catalog may change later.
	variant_id INTEGER REFERENCES variants(id) ON DELETE SET NULL,
	product_id INTEGER,
	sku TEXT NOT NULL,
	product_name TEXT NOT NULL,
	variant_name TEXT NOT NULL,
	unit_price_cents INTEGER NOT NULL,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	line_total_cents INTEGER NOT NULL,
	PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_addresses (
	order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('shipping', 'billing')),
	name TEXT NOT NULL,
	line1 TEXT NOT NULL,
	line2 TEXT NOT NULL DEFAULT '',
	city TEXT NOT NULL,
	postal_code TEXT NOT NULL,
	country TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (order_id, kind)
);

-- Status history: who moved an order where, for the admin and support.
CREATE TABLE order_events (
	id INTEGER PRIMARY KEY,
	order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX order_events_order ON order_events(order_id, id);

-- E-mail outbox, written in the transaction that decides to send (an order,
-- a reset request) and delivered by a worker: a crash after commit still
-- sends, and a slow mail server never slows a checkout.
CREATE TABLE email_outbox (
	id INTEGER PRIMARY KEY,
	recipient TEXT NOT NULL,
	subject TEXT NOT NULL,
	body_text TEXT NOT NULL,
	body_html TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMP NOT NULL,
	claimed_until TIMESTAMP,
	sent_at TIMESTAMP,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX email_outbox_pending ON email_outbox(sent_at, next_attempt_at);

-- The purge log (DESIGN.md "Purge log"): written in the transaction of the
-- change that makes pages stale; edges follow it by seq.
CREATE TABLE purge_log (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	tags TEXT NOT NULL,
	soft BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMP NOT NULL
);

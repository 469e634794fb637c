package loadtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"time"
)

// Shopper state in the plan, after Magento's toolkit: a shopper with a cart
// adds linesPerCart products, then leaves or checks out (checkouts take the
// oldest open cart). Open carts beyond maxOpenCarts are abandoned for good,
// which bounds memory on long runs.
const (
	linesPerCart = 2
	maxOpenCarts = 1000
)

// step is one planned request.
type step struct {
	seq     int
	planned time.Duration // offset from the start of the run
	kind    Kind
	method  string
	path    string // with its query
	body    []byte
	shopper *shopper // nil for page views
	key     string   // Idempotency-Key of a checkout
	// A shopper's steps run in plan order: each waits for after (the
	// previous step's done) and closes done when finished, whatever
	// happened. Both nil for page views.
	after <-chan struct{}
	done  chan struct{}
}

// shopper is one visitor with a cart: its own cookie jar (the session that
// holds the cart), its requests one after another as a browser sends them.
type shopper struct {
	id   int
	jar  http.CookieJar
	last chan struct{} // done of the latest step planned for it; the planner's alone

	// hasCart is set when an add to the cart succeeded and cleared by a
	// placed order: a checkout without it is skipped, not sent. Only the
	// shopper's steps touch it, and they run one after another (after and
	// done order them), so it needs no lock.
	hasCart bool
}

// closed is the after of a shopper's first step.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// chain orders st after the shopper's previous step.
func (sh *shopper) chain(st *step) {
	st.shopper = sh
	st.after = sh.last
	st.done = make(chan struct{})
	sh.last = st.done
}

// planner draws the steps of a run from the mix and catalog; one seed gives
// one sequence of steps. Only the run's goroutine calls it.
type planner struct {
	rng      *rand.Rand
	mix      Mix
	total    int
	cat      Catalog
	runID    string     // makes idempotency keys unique across runs on one database
	open     []*shopper // open carts, oldest first
	lines    int        // lines planned into the newest open cart
	shoppers int
}

func newPlanner(seed uint64, mix Mix, cat Catalog, runID string) *planner {
	return &planner{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix, total: mix.total(), cat: cat, runID: runID}
}

// next plans request seq at offset at.
func (p *planner) next(seq int, at time.Duration) step {
	st := step{seq: seq, planned: at, kind: p.mix.pick(p.rng.IntN(p.total)), method: http.MethodGet}
	switch st.kind {
	case Home:
		st.path = "/"
	case Category:
		st.path = "/categories/" + url.PathEscape(p.choose(p.cat.Categories))
	case Product:
		st.path = "/products/" + url.PathEscape(p.choose(p.cat.Products))
	case Search:
		st.path = "/search?q=" + url.QueryEscape(p.choose(p.cat.Terms))
	case Checkout:
		if len(p.open) == 0 {
			// Nobody has a cart yet (the start of a run): this shopper
			// starts one, so the rate and the plan's length stay as asked.
			st.kind = Cart
			p.addToCart(&st)
			break
		}
		p.checkout(&st)
	case Cart:
		p.addToCart(&st)
	}
	return st
}

func (p *planner) addToCart(st *step) {
	if len(p.open) == 0 || p.lines >= linesPerCart {
		p.shoppers++
		jar, _ := cookiejar.New(nil) // never fails without options
		p.open = append(p.open, &shopper{id: p.shoppers, jar: jar, last: closed})
		p.lines = 0
		if len(p.open) > maxOpenCarts {
			p.open = p.open[1:]
		}
	}
	p.lines++
	p.open[len(p.open)-1].chain(st)
	st.method = http.MethodPost
	st.path = "/api/v1/cart/items"
	st.body = fmt.Appendf(nil, `{"variant_id":%d,"quantity":1}`, p.cat.Variants[p.rng.IntN(len(p.cat.Variants))])
}

func (p *planner) checkout(st *step) {
	p.open[0].chain(st)
	p.open = p.open[1:]
	if len(p.open) == 0 {
		p.lines = 0
	}
	st.method = http.MethodPost
	st.path = "/api/v1/checkout"
	st.key = p.runID + "-" + strconv.Itoa(st.seq)
	st.body = checkoutBody(st.shopper.id, p.runID)
}

func (p *planner) choose(from []string) string { return from[p.rng.IntN(len(from))] }

// checkoutBody is DESIGN.md's checkout request for one load-test shopper.
func checkoutBody(shopper int, runID string) []byte {
	type address struct {
		Name       string `json:"name"`
		Line1      string `json:"line1"`
		Line2      string `json:"line2"`
		City       string `json:"city"`
		PostalCode string `json:"postal_code"`
		Country    string `json:"country"`
		Phone      string `json:"phone"`
	}
	b, _ := json.Marshal(struct {
		Email           string  `json:"email"`
		ShippingAddress address `json:"shipping_address"`
		ShippingMethod  string  `json:"shipping_method"`
		PaymentMethod   string  `json:"payment_method"`
	}{
		Email:           fmt.Sprintf("shopper%d.%s@loadtest.example", shopper, runID),
		ShippingAddress: address{Name: fmt.Sprintf("Load Shopper %d", shopper), Line1: "Teststraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"},
		ShippingMethod:  "standard",
		PaymentMethod:   "manual",
	})
	return b
}

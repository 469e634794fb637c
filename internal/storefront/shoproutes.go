package storefront

import "net/http"

// registerShop mounts the private shopping pages whose services are set.
func (h *Handler) registerShop(mux *http.ServeMux) {
	if h.Sessions == nil || h.Carts == nil {
		return
	}
	mux.HandleFunc("GET /cart", h.cartPage)
	mux.HandleFunc("POST /cart/items", h.cartAdd)
	mux.HandleFunc("POST /cart/items/{variant_id}", h.cartSet)
	mux.HandleFunc("POST /cart/items/{variant_id}/remove", h.cartRemove)
	if h.Checkout != nil {
		mux.HandleFunc("GET /checkout", h.checkoutPage)
		mux.HandleFunc("POST /checkout", h.checkoutPost)
		mux.HandleFunc("GET /orders/{number}", h.orderPage)
		if h.Stripe != nil {
			mux.HandleFunc("GET /checkout/pay/{number}", h.payPage)
		}
	}
	if h.Customers != nil {
		mux.HandleFunc("GET /account", h.accountPage)
		mux.HandleFunc("GET /account/login", h.loginPage)
		mux.HandleFunc("POST /account/login", h.loginPost)
		mux.HandleFunc("POST /account/logout", h.logoutPost)
		mux.HandleFunc("GET /account/register", h.registerPage)
		mux.HandleFunc("POST /account/register", h.registerPost)
		mux.HandleFunc("POST /account/addresses", h.addressAdd)
		mux.HandleFunc("POST /account/addresses/{id}/delete", h.addressDelete)
		mux.HandleFunc("GET /account/reset", h.resetPage)
		mux.HandleFunc("POST /account/reset", h.resetPost)
		mux.HandleFunc("GET /account/reset/{token}", h.newPasswordPage)
		mux.HandleFunc("POST /account/reset/{token}", h.newPasswordPost)
	}
}

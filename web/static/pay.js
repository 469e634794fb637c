// Agora card payment page: mounts Stripe's Payment Element and confirms the
// order's PaymentIntent. Stripe.js follows Strong Customer Authentication
// (requires_action) itself and returns to this page, which asks Stripe how
// the payment stands. Without Stripe.js (blocked, offline) the page's own
// fallback message stays visible: the form is shown only once Stripe loaded.
(function () {
  "use strict";
  function start() {
    var form = document.querySelector("[data-pay]");
    if (!form || typeof window.Stripe !== "function") return;
    var stripe = window.Stripe(form.dataset.key);
    var elements = stripe.elements({ clientSecret: form.dataset.secret });
    elements.create("payment").mount("#payment-element");
    form.hidden = false;
    document.querySelector("[data-pay-fallback]").hidden = true;
    var msg = document.querySelector("[data-pay-message]");
    var button = form.querySelector("[data-pay-submit]");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      button.disabled = true;
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.return } })
        .then(function (res) {
          // Only reached on an immediate error: success redirects.
          if (res.error) {
            msg.textContent = res.error.message || "The payment did not go through.";
            msg.hidden = false;
          }
          button.disabled = false;
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

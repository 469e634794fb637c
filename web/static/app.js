// Agora storefront: the few private bits of a shared, cached page.
// Pages are identical for every visitor (they are cached at the edge), so
// the cart count and the account name come from GET /api/v1/session after
// load. Everything fails silently: without this script, or without that
// endpoint, the page still works.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  function session() {
    if (!window.fetch) return;
    fetch("/api/v1/session", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        var count = Number(s.cart_count) || 0;
        document.querySelectorAll("[data-cart-count]").forEach(function (el) {
          el.textContent = String(count);
          el.hidden = count === 0;
        });
        if (s.customer && s.customer.name) {
          document.querySelectorAll("[data-account]").forEach(function (el) {
            el.textContent = "Hello, " + s.customer.name;
          });
        }
      })
      .catch(function () {});
  }

  // Sort menus submit as soon as a choice is made (their button is for
  // browsers without JavaScript).
  function autoSubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
  }

  // Gallery thumbnails scroll the strip instead of jumping the page.
  function gallery() {
    document.querySelectorAll("[data-thumb]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (!target) return;
        e.preventDefault();
        target.parentElement.scrollTo({ left: target.offsetLeft - target.parentElement.offsetLeft, behavior: "smooth" });
        document.querySelectorAll("[data-thumb]").forEach(function (t) {
          t.removeAttribute("aria-current");
        });
        a.setAttribute("aria-current", "true");
      });
    });
  }

  // A form marked data-once (the checkout) is sent once: further clicks
  // while the first is on its way are ignored. The idempotency key makes a
  // second submit harmless anyway; this spares the shopper the wait. The
  // button is not disabled, which would drop its name=value from the form.
  function submitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      var sent = false;
      form.addEventListener("submit", function (e) {
        if (sent) {
          e.preventDefault();
          return;
        }
        sent = true;
        var b = e.submitter;
        if (b) b.setAttribute("aria-busy", "true");
      });
      // Coming back through the history cache: allow sending again.
      window.addEventListener("pageshow", function () { sent = false; });
    });
  }

  session();
  autoSubmit();
  gallery();
  submitOnce();
})();

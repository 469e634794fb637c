// Agora admin import page: while the import runs on the server, ask it how
// far it is every second and move the progress bar; when the job changes
// state (checked, done, failed…) reload, as the page then shows other
// things. Without JavaScript the page has a Refresh link instead.
(function () {
  "use strict";
  var me = document.currentScript;
  var url = me.dataset.importPoll, state = me.dataset.state;
  var bar = document.querySelector("[data-import-progress]");
  var count = document.querySelector("[data-import-count]");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return setTimeout(poll, 3000);
        if (p.state !== state) return location.reload();
        if (bar && p.rows > 0) { bar.max = 100; bar.value = p.percent; bar.textContent = p.percent + "%"; }
        if (count && p.rows > 0) {
          count.textContent = p.rows_done + " of " + p.rows + " rows written (" + p.steps_done + " of " + p.steps + " steps)";
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();

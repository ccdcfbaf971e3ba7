/* Service Desk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The incident list refreshes itself; skip a refresh while the tab is hidden (queue.js keeps
  // focus, selection and scroll across a swap, so refreshing while the agent works is safe).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (!element || element.id !== "incident-rows") return;
    if (document.hidden) {
      event.preventDefault();
    }
  });

  // A refresh after the session expired comes back as the sign-in page: reload the whole page
  // (which lands on sign-in) instead of pasting that page into the table.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var loginUrl = document.body.getAttribute("data-login-url");
    if (!xhr || !loginUrl || !xhr.responseURL) return;
    if (new URL(xhr.responseURL).pathname === loginUrl) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  // SLA countdowns: an element with data-sla-due (an ISO instant) shows the wall time left,
  // "in 3h 20m" / "overdue by 1h 05m", as the server wrote it; this keeps it current between
  // page loads. The badge beside it is the server's and changes on the next load.
  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 1) return "<1m";
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (!hours) return rest + "m";
    return hours + "h " + (rest < 10 ? "0" : "") + rest + "m";
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach(function (element) {
      var due = Date.parse(element.getAttribute("data-sla-due"));
      if (isNaN(due)) return;
      var left = due - now;
      element.textContent = left > 0 ? "in " + span(left) : "overdue by " + span(left);
    });
  }

  function startCountdowns() {
    if (!document.querySelector("[data-sla-due]")) return;
    window.setInterval(tickCountdowns, 30000);
  }

  // The account menu is a <details>: it opens and closes without this; here it also closes on
  // Escape (focus back on its button) and on a click anywhere else, as menus do.
  function closeAccountMenus(except) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    closeAccountMenus(event.target.closest ? event.target.closest("details.account-menu") : null);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.account-menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    var toggle = open.querySelector("summary");
    if (toggle) toggle.focus();
  });

  // Controls that only work with script (a search that shortens a select) come hidden.
  function showScriptOnlyControls() {
    document.querySelectorAll("[data-needs-script][hidden]").forEach(function (element) {
      element.removeAttribute("hidden");
    });
  }

  function ready() {
    startCountdowns();
    showScriptOnlyControls();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();

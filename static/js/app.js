/* Service Desk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The comment box says what will happen: a public reply or an internal note.
  function wireCommentForms() {
    document.querySelectorAll("[data-comment-form]").forEach(function (form) {
      var button = form.querySelector("[data-comment-submit]");
      if (!button) return;
      function update() {
        var chosen = form.querySelector('input[name$="visibility"]:checked');
        var internal = !chosen || chosen.value === "internal";
        button.textContent = internal ? "Add internal note" : "Send public reply";
        form.classList.toggle("is-internal", internal);
      }
      form.addEventListener("change", update);
      update();
    });
  }

  // Filters start open (so they work without JavaScript); on a phone they fold away unless
  // some are in use, so the list is what the agent sees first.
  function foldFiltersOnPhones() {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll('details[data-fold-on-phone="yes"]').forEach(function (details) {
      details.removeAttribute("open");
    });
  }

  // The incident list refreshes itself; skip a refresh while the tab is hidden or while the
  // keyboard focus is inside the rows, so a swap never steals focus from a Claim button.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (!element || element.id !== "incident-rows") return;
    if (document.hidden || element.contains(document.activeElement)) {
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

  function ready() {
    wireCommentForms();
    foldFiltersOnPhones();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();

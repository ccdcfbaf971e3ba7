/* Service Desk, manager dashboard: small enhancements of a page that works without them.
   - On a phone the dimension filters start folded unless some are in use.
   - A preset or a select that changes submits the filter form (dates wait for "Apply").
   - Typing a date picks "Custom"; picking a preset shows its days in the date inputs.
   - The form's request drops empty parameters (and the dates of a preset) so the URL pushed
     into the history stays short and shareable.
   - 400 answers (bad filters) are swapped in like any other, so their message shows.
   - Tiles that refresh themselves skip a round while the tab is hidden or the keyboard focus
     is inside them, so a swap never steals focus. */
(function () {
  "use strict";

  var FORM_ID = "dashboard-filters";

  // htmx "settles" the style attribute of swapped elements by writing style="" (seen on a
  // history restore), which the CSP refuses; nothing here has inline styles to settle.
  if (window.htmx && window.htmx.config) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  function form() {
    return document.getElementById(FORM_ID);
  }

  function checkedPeriod(element) {
    var chosen = element.querySelector('input[name="period"]:checked');
    return chosen ? chosen.value : "";
  }

  function submit(element) {
    if (typeof element.requestSubmit === "function") {
      element.requestSubmit();
    } else {
      element.submit();
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var filters = form();
    if (!filters || !filters.contains(target)) return;
    if (target.type === "date") {
      var custom = filters.querySelector('input[name="period"][value="custom"]');
      if (custom) custom.checked = true;
      return;
    }
    if (target.name === "period" && target.value === "custom") {
      var start = filters.querySelector('input[name="start"]');
      if (start) start.focus();
      return;
    }
    if (target.tagName === "SELECT" || target.name === "period") submit(filters);
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!detail || !detail.elt || detail.elt.id !== FORM_ID) return;
    var data = detail.formData;
    if (!data || typeof data.delete !== "function") return;
    var preset = checkedPeriod(detail.elt) !== "custom";
    var names = [];
    data.forEach(function (value, name) {
      var dates = name === "start" || name === "end";
      // Incidents are the default kind: leave it out, as the server writes its own links.
      if (value === "" || (preset && dates) || (name === "kind" && value === "incident")) {
        names.push(name);
      }
    });
    names.forEach(function (name) {
      data.delete(name);
    });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail || !detail.xhr || detail.xhr.status !== 400) return;
    var target = detail.target;
    if (target && target.closest && target.closest("[data-dashboard]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // After the filter form's request (not a tile's) swapped the body: show the days the period
  // covers in the date inputs. A tile's swap must not touch dates being typed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || !config.elt || config.elt.id !== FORM_ID) return;
    var body = document.getElementById("dashboard-body");
    var filters = form();
    if (!body || !filters) return;
    // Mark the fields the server refused (the message itself is in the body).
    var invalid = (body.getAttribute("data-invalid") || "").split(" ");
    filters.querySelectorAll("input, select").forEach(function (field) {
      var bad = field.name && invalid.indexOf(field.name) >= 0;
      var wrapper = field.closest(".field");
      if (bad) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
      if (wrapper) wrapper.classList.toggle("has-error", bad);
    });
    if (!body.getAttribute("data-start")) return;
    if (body.getAttribute("data-period") === "custom") return;
    var start = filters.querySelector('input[name="start"]');
    var end = filters.querySelector('input[name="end"]');
    if (start) start.value = body.getAttribute("data-start");
    if (end) end.value = body.getAttribute("data-end");
  });

  // The dimensions start open (so they work without JavaScript); on a phone they fold away
  // unless some are in use, so the numbers are what the manager sees first.
  function foldOnPhones() {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll('[data-dashboard] details[data-fold-on-phone="yes"]').forEach(
      function (details) {
        details.removeAttribute("open");
      }
    );
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", foldOnPhones);
  } else {
    foldOnPhones();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (!element || !element.hasAttribute || !element.hasAttribute("data-refresh")) return;
    if (document.hidden || element.contains(document.activeElement)) {
      event.preventDefault();
    }
  });
})();

/* Service Desk, agent workspace: the triage queue and live SLA clocks.
 *
 * Queue (templates/incidents/agent/list.html): selection for the bulk bar, the bulk panels,
 * keyboard shortcuts (j/k/Enter/x/a, "/" to search, "?" for help), and the HTMX refresh of the
 * rows, which must not lose the ticked boxes, the current row, the keyboard focus or the scroll
 * position.
 * SLA (queue badges and the incident page's clocks): elements with data-sla-live turn "at risk"
 * and "breached" when their instants pass; data-countdown elements count down every second
 * (a business-hours badge only to the end of its working time, data-until).
 * Ages (the queue's <time data-age datetime="…">) move on with the clock in the same words as
 * the server's. The queue's refresh relies on it: it answers 304 while the data is unchanged,
 * however long ago the page was made (incidents/views/queue_marker.py).
 *
 * Every page works without this file: the server renders the same state, the bulk bar posts to
 * a page of its own, and the clocks are right as of the page load.
 */
(function () {
  "use strict";

  // --- SLA clocks ----------------------------------------------------------------------------

  var TONES = { on_track: 0, at_risk: 1, breached: 2 };
  var LABELS = { on_track: "On track", at_risk: "At risk", breached: "Breached" };

  // The same words as sla.selectors.format_span: "45m", "3h 20m", "27h 00m", "<1m".
  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 1) return "<1m";
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (!hours) return rest + "m";
    return hours + "h " + (rest < 10 ? "0" : "") + rest + "m";
  }

  // The same words as core.templatetags.servicedesk.age: "45m", "5h", "3d 4h", "12d".
  function age(ms) {
    var minutes = Math.max(0, Math.floor(ms / 60000));
    if (minutes < 60) return minutes + "m";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + "h";
    var days = Math.floor(hours / 24);
    var rest = hours % 24;
    return days < 7 && rest ? days + "d " + rest + "h" : days + "d";
  }

  function ageText(element, now) {
    var since = Date.parse(element.getAttribute("datetime") || "");
    if (isNaN(since)) return;
    var text = age(now - since);
    if (element.textContent !== text) element.textContent = text;
  }

  function toneAt(element, now) {
    var due = Date.parse(element.getAttribute("data-due"));
    var warn = Date.parse(element.getAttribute("data-warn") || "");
    if (!isNaN(due) && now >= due) return "breached";
    if (!isNaN(warn) && now >= warn) return "at_risk";
    return "on_track";
  }

  function announce(element, text) {
    var panel = element.closest(".sla-panel");
    var region = panel && panel.querySelector("#sla-announce");
    if (region) region.textContent = text;
  }

  function recolour(element, now) {
    var current = element.getAttribute("data-tone");
    var next = toneAt(element, now);
    // Only ever worse: the server may know more (a clock already marked breached).
    if (!(current in TONES) || TONES[next] <= TONES[current]) return;
    element.setAttribute("data-tone", next);
    var prefix = element.getAttribute("data-tone-prefix");
    if (prefix) {
      element.classList.remove(prefix + current);
      element.classList.add(prefix + next);
    }
    var label = element.querySelector(".badge-sla");
    if (label) {
      label.classList.remove("sla-" + current);
      label.classList.add("sla-" + next);
      label.textContent = LABELS[next];
    }
    var metric = element.getAttribute("data-metric-label");
    if (metric) {
      announce(element, metric + " clock is now " + LABELS[next].toLowerCase() + ".");
    }
  }

  function countdown(element, now) {
    var mode = element.getAttribute("data-countdown");
    var text;
    if (mode === "business") {
      var clock = element.closest("[data-sla-live]");
      if (!clock || clock.getAttribute("data-tone") !== "breached") return;
      text = element.getAttribute("data-overdue-text");
    } else {
      // data-sla-due is also what static/js/app.js ticks; both write the same words.
      var due = Date.parse(element.getAttribute("data-sla-due") || element.getAttribute("data-due") || "");
      if (isNaN(due)) return;
      // A business-hours clock counts at the wall clock's rate only to the end of its working
      // time (data-until, sla/badge.py); then it stands still until the server's next answer.
      var until = Date.parse(element.getAttribute("data-until") || "");
      var left = due - (isNaN(until) ? now : Math.min(now, until));
      if (mode === "left") {
        text = (element.getAttribute("data-prefix") || "") + span(left) + (left > 0 ? " left" : " over");
      } else {
        text = left > 0 ? "in " + span(left) : "overdue by " + span(left);
      }
    }
    if (text && element.textContent !== text) element.textContent = text;
  }

  function tickClocks() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-live]").forEach(function (element) {
      recolour(element, now);
    });
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      countdown(element, now);
    });
    document.querySelectorAll("time[data-age]").forEach(function (element) {
      ageText(element, now);
    });
  }

  function startClocks() {
    // The queue's rows may bring clocks and ages with a later refresh.
    if (!document.querySelector("[data-sla-live], time[data-age]") && !rows()) return;
    tickClocks();
    window.setInterval(tickClocks, 1000);
  }

  // --- Queue ---------------------------------------------------------------------------------

  var selected = new Set();
  var current = null; // the incident number of the current row (j/k)
  var openedBy = null; // the bulk bar button that opened the panel, to return focus to
  var rowsElement = null;
  var saved = null; // state kept across a swap of the rows

  function rows() {
    return document.getElementById("incident-rows");
  }

  function rowElements() {
    var body = rows();
    return body ? Array.prototype.slice.call(body.querySelectorAll("tr[data-number]")) : [];
  }

  function rowOf(number) {
    return number ? document.getElementById("row-" + number) : null;
  }

  function checkboxes() {
    var body = rows();
    return body ? Array.prototype.slice.call(body.querySelectorAll("input.row-select")) : [];
  }

  function say(text) {
    var status = document.getElementById("queue-status");
    if (!status) return;
    status.textContent = "";
    var line = document.createElement("p");
    line.className = "queue-message queue-message-info";
    line.textContent = text;
    status.appendChild(line);
  }

  function updateBar() {
    var boxes = checkboxes();
    var count = 0;
    boxes.forEach(function (box) {
      box.checked = selected.has(box.value);
      var row = box.closest("tr");
      if (row) row.classList.toggle("is-selected", box.checked);
      if (box.checked) count += 1;
    });
    var all = document.getElementById("select-all");
    if (all) {
      all.checked = boxes.length > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
    var label = document.getElementById("bulk-count");
    if (label) {
      label.textContent = count ? count + " selected" : "None selected";
    }
    document.querySelectorAll("#bulk-bar button[name='step']").forEach(function (button) {
      button.disabled = count === 0;
    });
    var clear = document.getElementById("bulk-clear");
    if (clear) clear.hidden = count === 0;
    var bar = document.getElementById("bulk-bar");
    if (bar) bar.classList.toggle("has-selection", count > 0);
  }

  function markPanelStale() {
    var stale = document.querySelector("#bulk-panel [data-bulk-stale]");
    if (stale) stale.hidden = false;
  }

  function setSelected(number, on) {
    if (on) selected.add(number);
    else selected.delete(number);
  }

  function setCurrent(number, focus) {
    rowElements().forEach(function (row) {
      var on = row.getAttribute("data-number") === number;
      row.classList.toggle("is-current", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
    current = number;
    var row = rowOf(number);
    if (focus && row) {
      var link = row.querySelector("a.row-link");
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var list = rowElements();
    if (!list.length) return;
    var index = -1;
    list.forEach(function (row, i) {
      if (row.getAttribute("data-number") === current) index = i;
    });
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : index + step;
    next = Math.max(0, Math.min(list.length - 1, next));
    setCurrent(list[next].getAttribute("data-number"), true);
  }

  function claimCurrent() {
    var row = rowOf(current);
    if (!row) {
      say("Pick an incident first: j and k move through the list.");
      return;
    }
    var form = row.querySelector("form.claim-form");
    if (form) {
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
      return;
    }
    var who = row.querySelector(".col-assignee");
    var text = who ? who.textContent.replace(/\s+/g, " ").trim() : "";
    say(current + " cannot be claimed: " + (text ? "assigned to " + text : "it is not open") + ".");
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "image", "file", "range", "color"].indexOf(type) === -1;
  }

  function toggleHelp(force) {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    help.open = typeof force === "boolean" ? force : !help.open;
  }

  // Enter in a panel field would submit the bulk form with its *first* button, which is the
  // bar's "Assign…" (it comes first in the page): apply the open panel instead.
  function applyOnEnter(event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.closest || !target.closest("#bulk-panel")) return false;
    if (target.tagName === "TEXTAREA" || target.tagName === "BUTTON" || target.tagName === "SELECT") return false;
    var apply = document.getElementById("bulk-apply");
    if (!apply) return false;
    event.preventDefault();
    apply.click();
    return true;
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (applyOnEnter(event)) return;
    var target = event.target;
    if (event.key === "Escape") {
      if (target && target.id === "id_q") target.blur();
      toggleHelp(false);
      return;
    }
    if (isTyping(target)) return;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "x": {
        var row = rowOf(current);
        var box = row && row.querySelector("input.row-select");
        if (!box) return;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        break;
      }
      case "a":
        claimCurrent();
        break;
      case "/": {
        var search = document.getElementById("id_q");
        if (!search) return;
        search.focus();
        search.select();
        break;
      }
      case "?":
        toggleHelp();
        break;
      case "Enter": {
        // A focused link or button already does its own thing on Enter.
        if (target && target.closest && target.closest("a, button, summary, label")) return;
        var open = rowOf(current) && rowOf(current).querySelector("a.row-link");
        if (!open) return;
        window.location.assign(open.href);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  }

  // Selection state lives here, not in the DOM, so it survives a swap of the rows.
  function onChange(event) {
    var target = event.target;
    if (target.matches("input.row-select")) {
      setSelected(target.value, target.checked);
      updateBar();
      markPanelStale();
    } else if (target.id === "select-all") {
      checkboxes().forEach(function (box) {
        setSelected(box.value, target.checked);
      });
      updateBar();
      markPanelStale();
    } else if (target.name === "bulk-transition") {
      showTransitionFields();
    }
  }

  function showTransitionFields() {
    var chosen = document.querySelector("input[name='bulk-transition']:checked");
    document.querySelectorAll("[data-bulk-fields]").forEach(function (fieldset) {
      fieldset.hidden = !chosen || fieldset.getAttribute("data-bulk-fields") !== chosen.value;
    });
  }

  function onClick(event) {
    var target = event.target;
    if (!target.closest) return;
    var stepButton = target.closest("#bulk-bar button[name='step']");
    if (stepButton) openedBy = stepButton;
    if (target.closest("[data-bulk-close]")) {
      var panel = document.getElementById("bulk-panel");
      if (panel) panel.textContent = "";
      if (openedBy && document.body.contains(openedBy) && !openedBy.disabled) openedBy.focus();
      else if (document.getElementById("select-all")) document.getElementById("select-all").focus();
    } else if (target.id === "bulk-clear") {
      selected.clear();
      updateBar();
      markPanelStale();
      var all = document.getElementById("select-all");
      if (all) all.focus();
    }
  }

  function onFocusIn(event) {
    var row = event.target.closest && event.target.closest("#incident-rows tr[data-number]");
    if (row && row.getAttribute("data-number") !== current) {
      setCurrent(row.getAttribute("data-number"), false);
    }
  }

  function remember() {
    var active = document.activeElement;
    var inQueue = active && active.id && active.closest && active.closest("#incident-rows, #queue-tabs");
    var index = -1;
    rowElements().forEach(function (row, i) {
      if (row.getAttribute("data-number") === current) index = i;
    });
    saved = {
      scrollY: window.scrollY,
      focusId: inQueue ? active.id : null,
      index: index,
    };
  }

  function restore() {
    var body = rows();
    if (!body || body === rowsElement) return;
    rowsElement = body;
    // Incidents that left the list cannot stay selected: nothing would show them.
    var present = new Set(checkboxes().map(function (box) { return box.value; }));
    selected.forEach(function (number) {
      if (!present.has(number)) selected.delete(number);
    });
    updateBar();
    var list = rowElements();
    if (current && !rowOf(current) && saved && saved.index >= 0 && list.length) {
      // The current incident left the list (claimed from "Unassigned", resolved…): the one
      // that took its place becomes current.
      current = list[Math.min(saved.index, list.length - 1)].getAttribute("data-number");
    }
    if (current && rowOf(current)) setCurrent(current, false);
    if (saved) {
      var active = document.activeElement;
      var lost = !active || active === document.body;
      if (saved.focusId && lost) {
        var again = document.getElementById(saved.focusId);
        if (!again && current && rowOf(current)) again = rowOf(current).querySelector("a.row-link");
        if (again) again.focus({ preventScroll: true });
      }
      if (window.scrollY !== saved.scrollY) window.scrollTo(window.scrollX, saved.scrollY);
      saved = null;
    }
  }

  function refreshRows() {
    var body = rows();
    var url = body && body.getAttribute("data-refresh-url");
    if (!url || !window.htmx) return;
    remember();
    // Sourced from the table, not the rows: a refresh asked for by an action (a claim, a bulk
    // change) must happen even while the keyboard focus is in the rows; restore() puts it back.
    window.htmx.ajax("GET", url, {
      source: document.getElementById("queue-table") || body,
      target: "#incident-rows",
      swap: "outerHTML",
    });
  }

  function onQueueRefresh(event) {
    var detail = event.detail || {};
    // After a bulk action the refused incidents stay selected (to retry or inspect); the ones
    // that were changed are done.
    if (Array.isArray(detail.done)) {
      detail.done.forEach(function (number) { selected.delete(number); });
      (detail.unchanged || []).forEach(function (number) { selected.delete(number); });
      updateBar();
    }
    refreshRows();
  }

  // A list's refresh (the queue's, the request list's, the problem list's: an element with
  // data-etag) sends the ETag of the last answer (If-None-Match); the queue's also sends each
  // row's number and fingerprint (X-Queue-Rows). The server answers 304 when nothing changed
  // (core/web/list_marker.py); the queue answers only the changed rows (out of band, with
  // HX-Reswap: none) when the same incidents are listed in the same order
  // (incidents/views/queue.py, queue_refresh); otherwise every row.
  function onConfigRequest(event) {
    var detail = event.detail || {};
    var target = detail.target;
    if (!target || !target.hasAttribute("data-etag") || String(detail.verb).toLowerCase() !== "get") return;
    var etag = target.getAttribute("data-etag");
    if (etag) detail.headers["If-None-Match"] = etag;
    if (target.id !== "incident-rows") return;
    detail.headers["X-Queue-Rows"] = rowElements().map(function (row) {
      return row.getAttribute("data-number") + ":" + (row.getAttribute("data-digest") || "");
    }).join(",");
  }

  function onBeforeSwap(event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute || !target.hasAttribute("data-etag")) return;
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 304) {
      event.detail.shouldSwap = false; // nothing changed: keep the rows as they are
      return;
    }
    var etag = xhr && xhr.getResponseHeader("ETag");
    if (etag) target.setAttribute("data-etag", etag);
    if (target.id === "incident-rows") remember();
  }

  // A changed row replaced on its own: keep its tick, the current row and the keyboard focus.
  var focusInRow = null;

  function onOobBeforeSwap(event) {
    var old = event.detail && event.detail.target;
    var active = document.activeElement;
    focusInRow = old && old.matches && old.matches("tr[data-number]") && active && active.id && old.contains(active) ? active.id : null;
  }

  function onOobAfterSwap(event) {
    var row = event.target;
    if (!row || !row.matches || !row.matches("#incident-rows tr[data-number]")) return;
    updateBar();
    if (current && rowOf(current)) setCurrent(current, false);
    if (focusInRow && document.getElementById(focusInRow)) {
      document.getElementById(focusInRow).focus({ preventScroll: true });
    }
    focusInRow = null;
  }

  function onAfterSwap(event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "bulk-panel") return;
    showTransitionFields();
    var title = target.querySelector("#bulk-panel-title, #bulk-result-title");
    if (title) title.focus();
  }

  function startListRefresh() {
    if (rows() || !document.querySelector("[data-etag]")) return;
    document.body.addEventListener("htmx:configRequest", onConfigRequest);
    document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
  }

  function startQueue() {
    if (!rows()) return;
    rowsElement = rows();
    checkboxes().forEach(function (box) {
      if (box.checked) selected.add(box.value); // the browser may restore ticks on "back"
    });
    updateBar();
    document.addEventListener("change", onChange);
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", onFocusIn);
    document.body.addEventListener("queue-refresh", onQueueRefresh);
    document.body.addEventListener("htmx:configRequest", onConfigRequest);
    document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
    document.body.addEventListener("htmx:oobBeforeSwap", onOobBeforeSwap);
    document.body.addEventListener("htmx:oobAfterSwap", onOobAfterSwap);
    document.body.addEventListener("htmx:afterSwap", onAfterSwap);
    document.body.addEventListener("htmx:afterSettle", restore);
  }

  function startBulkPage() {
    // The bulk page without the queue (no JavaScript needed, but show only the chosen fields).
    if (rows() || !document.querySelector("[data-bulk-fields]")) return;
    document.addEventListener("change", function (event) {
      if (event.target.name === "bulk-transition") showTransitionFields();
    });
    showTransitionFields();
  }

  function ready() {
    startClocks();
    startQueue();
    startListRefresh();
    startBulkPage();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();

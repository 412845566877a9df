// Small page behaviours: auto-submitting selects, keyboard shortcuts, bulk selection.
// Keys: j/k move in the queue, x select, / search, r reply, n note, a assign to me, s solve,
// ? help.
(function () {
  "use strict";

  // <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit();
    }
  });

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-list .queue-row"));
  }

  function clickIf(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function openHelp() {
    var help = document.getElementById("help-overlay");
    if (help && !help.open) help.showModal();
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-help-open]")) openHelp();
  });

  function replyMode(mode) {
    var radio = document.querySelector('#reply-form input[name=mode][value="' + mode + '"]');
    var text = document.getElementById("reply-text");
    if (!radio || !text) return false;
    radio.checked = true;
    text.focus();
    return true;
  }

  var KEYS = {
    "?": openHelp,
    "/": function () {
      var q = document.getElementById("f-q");
      if (q) { q.focus(); q.select(); return true; }
      window.location.href = "/?focus=search";
      return true;
    },
    r: function () { return replyMode("reply"); },
    n: function () { return replyMode("note"); },
    a: function () { return clickIf('#ticket-header button[name=assignee][value=me]'); },
    s: function () {
      var select = document.getElementById("t-status");
      if (!select || select.value === "solved") return false;
      select.value = "solved";
      select.form.requestSubmit();
      return true;
    },
    x: function () {
      var el = document.activeElement;
      var item = el && el.closest && el.closest(".queue-item");
      var box = item && item.querySelector(".row-select");
      if (!box) return false;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    },
  };

  document.addEventListener("keydown", function (e) {
    // Ctrl/Cmd+Enter sends the reply.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.closest && e.target.closest("#reply-form")) {
      e.preventDefault();
      document.getElementById("reply-form").requestSubmit();
      return;
    }
    if (e.key === "Escape" && e.target.id === "reply-text") { e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (KEYS[e.key]) {
      if (KEYS[e.key]() !== false) e.preventDefault();
      return;
    }
    if (e.key !== "j" && e.key !== "k") return;
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(document.activeElement);
    if (index === -1) index = e.key === "j" ? 0 : list.length - 1;
    else index = Math.max(0, Math.min(list.length - 1, index + (e.key === "j" ? 1 : -1)));
    e.preventDefault();
    list[index].focus();
    list[index].scrollIntoView({ block: "nearest" });
    // Enter on a focused row follows its link natively.
  });

  // Bulk selection on the queue: count, select all, only the values that fit the action.
  function selectedBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-list .row-select:checked"));
  }
  function updateBulk() {
    var bar = document.getElementById("bulk-form");
    if (!bar) return;
    var n = selectedBoxes().length;
    var count = document.getElementById("bulk-count");
    if (n) count.textContent = count.dataset.template.replace("%s", n);
    var action = document.getElementById("bulk-action").value;
    var value = document.getElementById("bulk-value");
    value.hidden = action === "merge";
    value.disabled = action === "merge";
    var first = null;
    Array.prototype.forEach.call(value.querySelectorAll("optgroup"), function (group) {
      var on = group.dataset.for === action;
      group.hidden = !on;
      group.disabled = !on;
      if (on && !first) first = group.querySelector("option");
    });
    var current = value.selectedOptions[0];
    if (first && (!current || current.parentNode.dataset.for !== action)) first.selected = true;
    document.getElementById("bulk-apply").disabled = n === 0 || (action === "merge" && n < 2);
    bar.classList.toggle("has-selection", n > 0);
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "select-all") {
      document.querySelectorAll("#queue-list .row-select").forEach(function (box) {
        box.checked = e.target.checked;
      });
    }
    if (e.target.closest && (e.target.closest("#bulk-form") || e.target.classList.contains("row-select"))) {
      updateBulk();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    updateBulk();
    if (/[?&]focus=search/.test(location.search)) {
      var q = document.getElementById("f-q");
      if (q) q.focus();
    }
  });

  // Preferences page: sound and desktop notifications are choices of this browser.
  document.addEventListener("DOMContentLoaded", function () {
    var sound = document.getElementById("pref-sound");
    if (sound) {
      sound.checked = localStorage.getItem("helpdesk.sound") === "1";
      sound.addEventListener("change", function () {
        localStorage.setItem("helpdesk.sound", sound.checked ? "1" : "0");
      });
    }
    var notify = document.getElementById("pref-notify");
    if (notify && "Notification" in window) {
      notify.addEventListener("click", function () { Notification.requestPermission(); });
    } else if (notify) {
      notify.hidden = true;
    }
  });

  // Dates typed into the filter bar submit on change, like the selects.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches(".filter-bar input[type=date]") && e.target.form) {
      e.target.form.requestSubmit();
    }
  });

  // Keep the focused queue row focused when htmx replaces the list.
  // Selected rows stay selected, too.
  var focusedTicket = null;
  var selected = [];
  document.addEventListener("htmx:beforeSwap", function () {
    var el = document.activeElement;
    focusedTicket = el && el.classList && el.classList.contains("queue-row") ? el.dataset.ticketId : null;
    selected = selectedBoxes().map(function (box) { return box.value; });
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (focusedTicket) {
      var row = document.querySelector('.queue-row[data-ticket-id="' + focusedTicket + '"]');
      if (row) row.focus({ preventScroll: true });
    }
    selected.forEach(function (id) {
      var box = document.querySelector('#queue-list .row-select[value="' + id + '"]');
      if (box) box.checked = true;
    });
    updateBulk();
    scrollConversation(false);
  });

  // The conversation opens at its end; a live refresh keeps the reader's place unless
  // they were already at the bottom.
  var atBottom = true;
  function scrollConversation(force) {
    var c = document.getElementById("conversation");
    if (!c) return;
    if (force || atBottom) c.scrollTop = c.scrollHeight;
  }
  document.addEventListener("scroll", function (e) {
    if (e.target && e.target.id === "conversation") {
      var c = e.target;
      atBottom = c.scrollHeight - c.scrollTop - c.clientHeight < 40;
    }
  }, true);
  document.addEventListener("DOMContentLoaded", function () { scrollConversation(true); });
})();

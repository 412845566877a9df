// Small page behaviours: auto-submitting selects and keyboard shortcuts.
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

  document.addEventListener("keydown", function (e) {
    // Ctrl/Cmd+Enter sends the reply.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.closest && e.target.closest("#reply-form")) {
      e.preventDefault();
      document.getElementById("reply-form").requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
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

  // Keep the focused queue row focused when htmx replaces the list.
  var focusedTicket = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var el = document.activeElement;
    focusedTicket = el && el.classList && el.classList.contains("queue-row") ? el.dataset.ticketId : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (focusedTicket) {
      var row = document.querySelector('.queue-row[data-ticket-id="' + focusedTicket + '"]');
      if (row) row.focus({ preventScroll: true });
    }
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

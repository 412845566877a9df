// The rules settings page. Editor: add and remove condition/action rows, show the fields of
// the chosen kind. List: drag rules to reorder them (the arrow buttons work without this).
(function () {
  "use strict";

  // --- editor ---------------------------------------------------------------------------
  var form = document.getElementById("rule-form");

  function fromTemplate(tpl, index) {
    var holder = document.createElement("div");
    holder.innerHTML = tpl.innerHTML.replace(/__N__/g, String(index));
    return holder;
  }

  function rowIndex(row) {
    return row.getAttribute("data-index");
  }

  function showBody(row) {
    var kind = row.getAttribute("data-row");
    var type = row.querySelector("[data-row-type]").value;
    var body = row.querySelector("[data-row-body]");
    var tpl = type && document.querySelector(
      'template[data-proto="' + kind + '"][data-type="' + CSS.escape(type) + '"]'
    );
    body.textContent = "";
    if (!tpl) return;
    var holder = fromTemplate(tpl, rowIndex(row));
    while (holder.firstChild) body.appendChild(holder.firstChild);
    row.classList.remove("has-error");
    row.querySelectorAll(".rule-error").forEach(function (e) { e.remove(); });
    var first = body.querySelector("input:not([type=checkbox]), textarea, select");
    if (first) first.focus();
  }

  function addRow(kind) {
    var list = document.querySelector('[data-rows="' + kind + '"]');
    var attr = kind === "condition" ? "data-next-condition" : "data-next-action";
    var index = parseInt(form.getAttribute(attr), 10);
    form.setAttribute(attr, String(index + 1));
    var holder = fromTemplate(document.getElementById("tpl-" + kind + "-row"), index);
    var row = holder.firstElementChild;
    row.querySelector("[data-remove-row]").hidden = false;
    list.appendChild(row);
    row.querySelector("[data-row-type]").focus();
  }

  if (form) {
    form.classList.add("js");
    form.querySelectorAll("[data-add-row], [data-remove-row]").forEach(function (b) {
      b.hidden = false;
    });
    // The server always adds an empty row for browsers without this script; with it,
    // drop the empty rows when the rule has other rows (the "add" buttons replace them).
    form.querySelectorAll("[data-rows]").forEach(function (list) {
      var rows = list.querySelectorAll(".rule-row");
      if (rows.length > 1) {
        var last = rows[rows.length - 1];
        if (!last.querySelector("[data-row-type]").value) last.remove();
      }
    });
    form.addEventListener("change", function (e) {
      if (e.target.matches("[data-row-type]")) showBody(e.target.closest(".rule-row"));
    });
    form.addEventListener("click", function (e) {
      var add = e.target.closest("[data-add-row]");
      if (add) { addRow(add.getAttribute("data-add-row")); return; }
      var remove = e.target.closest("[data-remove-row]");
      if (remove) {
        var row = remove.closest(".rule-row");
        var list = row.parentElement;
        row.remove();
        var next = list.querySelector("[data-row-type]");
        if (next) next.focus();
      }
    });
  }

  // --- list: drag to reorder --------------------------------------------------------------
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (err) {
      return "";
    }
  }

  function saveOrder(list) {
    var ids = Array.prototype.map.call(list.querySelectorAll(".rule-item"), function (li) {
      return parseInt(li.getAttribute("data-rule-id"), 10);
    });
    return fetch(list.getAttribute("data-reorder-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ trigger: list.getAttribute("data-trigger"), order: ids }),
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      window.location.reload();
    }).catch(function () {
      window.alert(list.getAttribute("data-reorder-error"));
      window.location.reload();
    });
  }

  document.querySelectorAll(".rule-list").forEach(function (list) {
    if (list.children.length < 2) return;
    list.classList.add("js-reorder");
    var dragged = null;
    list.querySelectorAll(".rule-item").forEach(function (li) {
      var handle = li.querySelector(".drag-handle");
      // Only the handle starts a drag, so text in the row stays selectable.
      handle.addEventListener("mousedown", function () { li.draggable = true; });
      li.addEventListener("dragstart", function (e) {
        dragged = li;
        li.classList.add("dragging");
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", li.getAttribute("data-rule-id"));
      });
      li.addEventListener("dragend", function () {
        li.classList.remove("dragging");
        li.draggable = false;
        list.querySelectorAll(".drop-target").forEach(function (x) {
          x.classList.remove("drop-target");
        });
      });
      li.addEventListener("dragover", function (e) {
        if (!dragged || dragged === li || dragged.parentElement !== list) return;
        e.preventDefault();
        list.querySelectorAll(".drop-target").forEach(function (x) {
          x.classList.remove("drop-target");
        });
        li.classList.add("drop-target");
      });
      li.addEventListener("drop", function (e) {
        if (!dragged || dragged === li || dragged.parentElement !== list) return;
        e.preventDefault();
        var items = Array.prototype.slice.call(list.children);
        var before = items.indexOf(dragged) > items.indexOf(li) ? li : li.nextSibling;
        list.insertBefore(dragged, before);
        dragged = null;
        saveOrder(list);
      });
    });
  });
})();

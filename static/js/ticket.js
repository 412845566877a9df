// The ticket page: canned responses, collision detection (presence, typing, replies written
// meanwhile), focused work sessions for AHT, and the image viewer.
// Everything from the server is put into the page with textContent, never as HTML.
(function () {
  "use strict";
  var body = document.body;
  var ticketId = Number(body.dataset.ticketId);
  var myId = Number(body.dataset.userId);
  var form = document.getElementById("reply-form");
  var text = document.getElementById("reply-text");
  if (!ticketId || !form || !text) return;

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- canned responses ------------------------------------------------------------------
  var panel = document.getElementById("canned-panel");
  var search = document.getElementById("canned-q");
  var list = document.getElementById("canned-list");
  var slashStart = -1; // where "/shortcut" starts in the textarea, when typed there
  var active = 0;
  var timer = null;

  function openCanned(query) {
    panel.hidden = false;
    if (query !== undefined) search.value = query;
    load(search.value);
  }
  function closeCanned() {
    panel.hidden = true;
    slashStart = -1;
  }
  function load(query) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      fetch(form.dataset.cannedUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { render(data.results || []); })
        .catch(function () { render([]); });
    }, 120);
  }
  function render(results) {
    list.textContent = "";
    active = 0;
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "text-body-secondary small px-2 py-1";
      empty.textContent = list.dataset.empty;
      list.appendChild(empty);
      return;
    }
    results.forEach(function (item, i) {
      var li = document.createElement("li");
      li.className = "canned-item" + (i === 0 ? " active" : "");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      li.dataset.id = item.id;
      var title = document.createElement("span");
      title.className = "canned-title";
      title.textContent = item.title;
      var shortcut = document.createElement("code");
      shortcut.textContent = "/" + item.shortcut;
      var meta = document.createElement("span");
      meta.className = "canned-meta";
      meta.textContent = (item.team ? item.team + " · " : "") + list.dataset.uses.replace("%s", item.uses);
      var preview = document.createElement("span");
      preview.className = "canned-preview";
      preview.textContent = item.preview;
      li.append(title, " ", shortcut, " ", meta, preview);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); use(item.id); });
      list.appendChild(li);
    });
  }
  function move(delta) {
    var items = list.querySelectorAll(".canned-item");
    if (!items.length) return;
    items[active].classList.remove("active");
    items[active].setAttribute("aria-selected", "false");
    active = (active + delta + items.length) % items.length;
    items[active].classList.add("active");
    items[active].setAttribute("aria-selected", "true");
    items[active].scrollIntoView({ block: "nearest" });
  }
  function use(id) {
    var url = form.dataset.cannedUseUrl.replace(/\/0\/use\/$/, "/" + Number(id) + "/use/");
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (typeof data.text !== "string") return;
        var value = text.value;
        var start = slashStart >= 0 ? slashStart : text.selectionStart;
        var end = text.selectionEnd;
        text.value = value.slice(0, start) + data.text + value.slice(end);
        closeCanned();
        text.focus();
        var caret = start + data.text.length;
        text.setSelectionRange(caret, caret);
      });
  }
  function keys(e) {
    if (panel.hidden) return false;
    if (e.key === "ArrowDown") { move(1); } else if (e.key === "ArrowUp") { move(-1); } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      var item = list.querySelectorAll(".canned-item")[active];
      if (!item) return false;
      use(item.dataset.id);
    } else if (e.key === "Escape") { closeCanned(); text.focus(); } else { return false; }
    e.preventDefault();
    return true;
  }
  document.getElementById("canned-open").addEventListener("click", function () {
    slashStart = -1;
    openCanned("");
    search.focus();
  });
  search.addEventListener("input", function () { load(search.value); });
  search.addEventListener("keydown", keys);
  text.addEventListener("keydown", function (e) { keys(e); });
  // "/shortcut" typed at the start of a line in the reply box searches canned responses.
  text.addEventListener("input", function () {
    var upto = text.value.slice(0, text.selectionStart);
    var m = /(^|\n)(\/[\w-]*)$/.exec(upto);
    if (m) {
      slashStart = upto.length - m[2].length;
      openCanned(m[2]);
    } else if (slashStart >= 0) {
      closeCanned();
    }
  });
  text.addEventListener("blur", function () {
    window.setTimeout(function () { if (document.activeElement !== search) closeCanned(); }, 150);
  });

  // --- collision detection -----------------------------------------------------------------
  var presenceEl = document.getElementById("presence");
  var others = {}; // user id -> {name, state, at}
  var replied = {}; // names of people who replied since the page was rendered
  function renderPresence() {
    var now = Date.now();
    var parts = [];
    Object.keys(others).forEach(function (id) {
      var o = others[id];
      var fresh = o.state === "typing" ? now - o.at < 6000 : now - o.at < 75000;
      if (!fresh && o.state === "typing") { o.state = "viewing"; fresh = now - o.at < 75000; }
      if (!fresh) { delete others[id]; return; }
      parts.push((o.state === "typing" ? presenceEl.dataset.typing : presenceEl.dataset.viewing).replace("%s", o.name));
    });
    Object.keys(replied).forEach(function (name) {
      parts.push(presenceEl.dataset.replied.replace("%s", name));
    });
    presenceEl.textContent = parts.join(" · ");
    presenceEl.classList.toggle("has-replied", Object.keys(replied).length > 0);
  }
  body.addEventListener("helpdesk:presence", function (e) {
    var p = e.detail;
    if (Number(p.ticket_id) !== ticketId || Number(p.user_id) === myId) return;
    if (p.state === "left") delete others[p.user_id];
    else others[p.user_id] = { name: String(p.name || "?"), state: p.state, at: Date.now() };
    renderPresence();
  });
  body.addEventListener("helpdesk:ticket-event", function (e) {
    var ev = e.detail;
    // A public message by someone else while I may be writing: say so (the server checks too).
    // My own replies reload the page, so an agent's message arriving here is someone else's.
    if (ev.type === "message.created" && ev.author_kind === "agent" && ev.direction === "out") {
      var name = presenceEl.dataset.someone;
      Object.keys(others).forEach(function (id) { name = others[id].name; });
      if (name && text.value.trim()) { replied[name] = 1; renderPresence(); }
    }
  });
  function sendPresence(state) {
    if (window.helpdeskLive) window.helpdeskLive.send({ action: "presence", ticket_id: ticketId, state: state });
  }
  body.addEventListener("helpdesk:connected", function () { sendPresence("viewing"); });
  window.setInterval(function () { sendPresence("viewing"); renderPresence(); }, 30000);
  var lastTyping = 0;
  text.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2500) { lastTyping = now; sendPresence("typing"); }
  });

  // --- work sessions (AHT) -------------------------------------------------------------------
  var IDLE_MS = 5 * 60 * 1000;
  var session = null; // {sid, start}
  var lastActivity = Date.now();
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function beacon(reason, end) {
    if (!session) return;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf());
    data.append("ticket", ticketId);
    data.append("sid", session.sid);
    data.append("start", session.start);
    data.append("end", end || Date.now());
    data.append("reason", reason);
    if (navigator.sendBeacon) navigator.sendBeacon(form.dataset.workUrl, data);
  }
  function startSession() {
    if (!session && document.visibilityState === "visible" && document.hasFocus()) {
      session = { sid: newId(), start: Date.now() };
    }
  }
  function endSession(reason, end) {
    if (!session) return;
    beacon(reason, end);
    session = null;
  }
  function activity() {
    lastActivity = Date.now();
    startSession();
  }
  ["keydown", "mousedown", "mousemove", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  });
  window.addEventListener("focus", activity);
  window.addEventListener("blur", function () { endSession("blur"); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") endSession("hidden");
    else activity();
  });
  window.addEventListener("pagehide", function () { endSession("leave"); });
  form.addEventListener("submit", function () {
    if (form.querySelector("input[name=mode][value=reply]:checked")) endSession("reply");
    else beacon("heartbeat");
  });
  window.setInterval(function () {
    if (!session) return;
    if (Date.now() - lastActivity > IDLE_MS) endSession("idle", lastActivity);
    else beacon("heartbeat"); // so a crash loses at most a minute
  }, 60000);
  startSession();

  // --- image viewer ----------------------------------------------------------------------------
  var viewer = document.getElementById("image-viewer");
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-viewer]");
    if (!link || !viewer || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    var img = viewer.querySelector("img");
    img.src = link.getAttribute("href");
    img.alt = (link.querySelector("img") || {}).alt || "";
    viewer.querySelector("a").href = link.getAttribute("href");
    viewer.showModal();
  });
  if (viewer) {
    viewer.addEventListener("click", function (e) { if (e.target === viewer) viewer.close(); });
  }
})();

/*
 * Help desk web-chat widget. Embed with one tag:
 *
 *   <script src="https://desk.example.com/static/webchat/widget.js"
 *           data-channel="<channel id>" data-title="Chat with us" async></script>
 *
 * Optional: data-lang="ru" (default: the page's language). Vanilla JS, no dependencies.
 * The conversation survives page reloads (visitor token in localStorage); replies arrive
 * over a websocket, with plain HTTP polling when the socket cannot be used.
 * Everything a person wrote is inserted with textContent only.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.getAttribute("data-channel")) {
    var candidates = document.querySelectorAll("script[data-channel]");
    for (var i = 0; i < candidates.length; i++) {
      if (/webchat\/widget\.js(\?|#|$)/.test(candidates[i].src)) { script = candidates[i]; }
    }
  }
  if (!script) { return; }
  var channel = String(script.getAttribute("data-channel") || "").replace(/[^0-9]/g, "");
  if (!channel) { return; }
  var registry = (window.__helpdeskWebchat = window.__helpdeskWebchat || {});
  if (registry[channel]) { return; }
  registry[channel] = true;

  var STRINGS = {
    en: {
      title: "Chat with us", open: "Open chat", close: "Close chat", send: "Send",
      message: "Message", placeholder: "Write a message…", intro: "Tell us who you are (optional).",
      name: "Name", email: "Email", start: "Start chat", typing: "is typing…",
      operator: "Support", you: "You", sending: "Sending…", failed: "Not sent",
      offline: "Reconnecting…", online: "Online", empty: "Ask us anything: we usually answer within minutes.",
      unread: "new messages", tooMany: "Too many messages at once; we will send it in a moment.",
      error: "Something went wrong. Please try again.", conversation: "Conversation"
    },
    ru: {
      title: "Напишите нам", open: "Открыть чат", close: "Закрыть чат", send: "Отправить",
      message: "Сообщение", placeholder: "Напишите сообщение…", intro: "Представьтесь (необязательно).",
      name: "Имя", email: "Email", start: "Начать чат", typing: "печатает…",
      operator: "Поддержка", you: "Вы", sending: "Отправка…", failed: "Не отправлено",
      offline: "Переподключение…", online: "В сети", empty: "Спросите нас о чём угодно: обычно отвечаем за несколько минут.",
      unread: "новые сообщения", tooMany: "Слишком много сообщений подряд; отправим чуть позже.",
      error: "Что-то пошло не так. Попробуйте ещё раз.", conversation: "Переписка"
    }
  };
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en")
    .slice(0, 2).toLowerCase();
  var T = STRINGS[lang] || STRINGS.en;
  var title = script.getAttribute("data-title") || T.title;

  var src = new URL(script.src, location.href);
  var base = src.origin;
  var cssHref = src.href.replace(/widget\.js([?#].*)?$/, "widget.css");
  var api = base + "/webchat/" + channel + "/";
  var wsUrl = (src.protocol === "https:" ? "wss://" : "ws://") + src.host + "/ws/webchat/" + channel + "/";
  var storeKey = "helpdesk-webchat:" + base + ":" + channel;

  // ---- state kept across reloads --------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }
  var state = load();
  state.outbox = Array.isArray(state.outbox) ? state.outbox : [];
  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ token: state.token || "", open: !!state.open, outbox: state.outbox }));
    } catch (e) { /* private mode: the conversation lasts as long as the page */ }
  }

  // ---- DOM ------------------------------------------------------------------------------
  var uid = "hdw-" + channel + "-" + Math.random().toString(36).slice(2, 8);
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, key)) { node.setAttribute(key, attrs[key]); }
      }
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var host = el("div", { "data-helpdesk-webchat": channel });
  host.style.visibility = "hidden";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = el("link", { rel: "stylesheet", href: cssHref });
  css.onload = css.onerror = function () { host.style.visibility = ""; };
  root.appendChild(css);

  var wrap = el("div", { "class": "hdw" });
  var bubble = el("button", {
    type: "button", "class": "hdw-bubble", "aria-label": T.open + ": " + title,
    "aria-expanded": "false", "aria-controls": uid + "-panel"
  });
  bubble.appendChild(el("span", { "class": "hdw-bubble-icon", "aria-hidden": "true" }));
  var badge = el("span", { "class": "hdw-badge", hidden: "" });
  bubble.appendChild(badge);

  var panel = el("section", {
    id: uid + "-panel", "class": "hdw-panel", role: "dialog", "aria-labelledby": uid + "-title", hidden: ""
  });
  var header = el("header", { "class": "hdw-header" });
  var heading = el("h2", { id: uid + "-title", "class": "hdw-title" }, title);
  var status = el("span", { "class": "hdw-status", "aria-live": "polite" });
  var closeBtn = el("button", { type: "button", "class": "hdw-close", "aria-label": T.close }, "×");
  header.appendChild(heading);
  header.appendChild(status);
  header.appendChild(closeBtn);

  var intro = el("form", { "class": "hdw-intro", novalidate: "", hidden: "" });
  intro.appendChild(el("p", null, T.intro));
  var nameInput = el("input", { id: uid + "-name", name: "name", type: "text", maxlength: "120", autocomplete: "name" });
  var emailInput = el("input", { id: uid + "-email", name: "email", type: "email", maxlength: "254", autocomplete: "email" });
  intro.appendChild(el("label", { "for": uid + "-name" }, T.name));
  intro.appendChild(nameInput);
  intro.appendChild(el("label", { "for": uid + "-email" }, T.email));
  intro.appendChild(emailInput);
  var startBtn = el("button", { type: "submit", "class": "hdw-primary" }, T.start);
  intro.appendChild(startBtn);

  var log = el("div", { "class": "hdw-log", role: "log", "aria-live": "polite", "aria-label": T.conversation, tabindex: "0" });
  var emptyNote = el("p", { "class": "hdw-empty" }, T.empty);
  log.appendChild(emptyNote);
  var typingNote = el("div", { "class": "hdw-typing", "aria-live": "polite", hidden: "" });
  var alertBox = el("div", { "class": "hdw-alert", role: "alert", hidden: "" });

  var composer = el("form", { "class": "hdw-composer", hidden: "" });
  var textarea = el("textarea", {
    id: uid + "-text", rows: "2", maxlength: "4000", placeholder: T.placeholder
  });
  composer.appendChild(el("label", { "for": uid + "-text", "class": "hdw-sr" }, T.message));
  composer.appendChild(textarea);
  var sendBtn = el("button", { type: "submit", "class": "hdw-primary hdw-send" }, T.send);
  composer.appendChild(sendBtn);

  panel.appendChild(header);
  panel.appendChild(intro);
  panel.appendChild(log);
  panel.appendChild(typingNote);
  panel.appendChild(alertBox);
  panel.appendChild(composer);
  wrap.appendChild(panel);
  wrap.appendChild(bubble);
  root.appendChild(wrap);

  // ---- rendering ------------------------------------------------------------------------
  var shown = {};      // server message id -> node
  var pending = {};    // client id -> node, for the visitor's own messages
  var seenClient = {}; // client ids already stored on the server
  var lastId = 0;
  var unread = 0;

  function timeOf(iso) {
    var d = iso ? new Date(iso) : new Date();
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function bubbleFor(direction, author, text, iso) {
    var item = el("div", { "class": "hdw-msg hdw-" + (direction === "in" ? "mine" : "theirs") });
    var meta = el("div", { "class": "hdw-meta" });
    meta.appendChild(el("span", { "class": "hdw-author" }, direction === "in" ? T.you : (author || T.operator)));
    meta.appendChild(el("time", { "class": "hdw-time" }, timeOf(iso)));
    item.appendChild(meta);
    item.appendChild(el("div", { "class": "hdw-text" }, text));
    return item;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function append(node) {
    emptyNote.hidden = true;
    log.appendChild(node);
    scrollDown();
  }

  function render(msg) {
    if (!msg || typeof msg.id !== "number" || shown[msg.id]) { return; }
    lastId = Math.max(lastId, msg.id);
    if (msg.direction === "in" && msg.client_id) { seenClient[msg.client_id] = true; }
    var node = msg.direction === "in" && msg.client_id ? pending[msg.client_id] : null;
    if (node) {
      node.classList.remove("hdw-pending", "hdw-failed");
      var note = node.querySelector(".hdw-state");
      if (note) { note.remove(); }
      delete pending[msg.client_id];
      dropFromOutbox(msg.client_id);
    } else {
      node = bubbleFor(msg.direction, msg.author, msg.text, msg.sent_at);
      append(node);
      if (msg.direction === "in" && msg.client_id) { dropFromOutbox(msg.client_id); }
      if (msg.direction !== "in") {
        hideTyping();
        if (panel.hidden) { unread += 1; showBadge(); }
      }
    }
    node.setAttribute("data-id", String(msg.id));
    shown[msg.id] = node;
  }

  function markPending(item) {
    if (seenClient[item.id]) { return null; }
    var node = pending[item.id];
    if (!node) {
      node = bubbleFor("in", "", item.text, item.at);
      node.classList.add("hdw-pending");
      node.setAttribute("data-client-id", item.id);
      node.appendChild(el("div", { "class": "hdw-state" }, T.sending));
      pending[item.id] = node;
      append(node);
    }
    return node;
  }

  function markFailed(clientId, message) {
    var node = pending[clientId];
    if (!node) { return; }
    node.classList.add("hdw-failed");
    var note = node.querySelector(".hdw-state");
    if (note) { note.textContent = T.failed + (message ? ": " + message : ""); }
  }

  function showBadge() {
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.hidden = unread === 0;
    bubble.setAttribute("aria-label", T.open + ": " + title + (unread ? " (" + unread + " " + T.unread + ")" : ""));
  }

  var typingTimer = null;
  function showTyping(author) {
    typingNote.textContent = (author || T.operator) + " " + T.typing;
    typingNote.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 5000);
  }
  function hideTyping() { typingNote.hidden = true; typingNote.textContent = ""; }

  var alertTimer = null;
  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = false;
    clearTimeout(alertTimer);
    alertTimer = setTimeout(function () { alertBox.hidden = true; }, 6000);
  }

  function setStatus(online) {
    status.textContent = online ? T.online : T.offline;
    status.className = "hdw-status " + (online ? "hdw-online" : "hdw-offline");
  }

  // ---- HTTP -----------------------------------------------------------------------------
  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) { headers["X-Webchat-Token"] = state.token; }
    return fetch(api + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", mode: "cors", cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {} };
      });
    });
  }

  function forgetSession() {
    state.token = "";
    save();
    stopSocket();
    started = false;
    showIntro();
  }

  var fetching = false;
  function fetchHistory() {
    if (!state.token || fetching) { return Promise.resolve(); }
    fetching = true;
    return request("GET", "messages/?after=" + lastId).then(function (res) {
      fetching = false;
      if (res.status === 403) { forgetSession(); return; }
      (res.data.messages || []).forEach(render);
      if (res.data.messages && res.data.messages.length >= 200) { return fetchHistory(); }
    }, function () { fetching = false; });
  }

  // ---- sending, with an outbox that survives reloads -------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function dropFromOutbox(clientId) {
    state.outbox = state.outbox.filter(function (item) { return item.id !== clientId; });
    save();
  }

  var ackTimers = {};
  var retryAt = 0;

  function acknowledged(clientId) {
    clearTimeout(ackTimers[clientId]);
    delete ackTimers[clientId];
    dropFromOutbox(clientId);
    var node = pending[clientId];
    if (node) {
      node.classList.remove("hdw-pending");
      var note = node.querySelector(".hdw-state");
      if (note) { note.remove(); }
    }
    // the stored message (with its server id) comes with the next history read
    setTimeout(fetchHistory, 300);
  }

  function refused(clientId, code, message) {
    clearTimeout(ackTimers[clientId]);
    delete ackTimers[clientId];
    if (code === "rate_limited") {
      retryAt = Date.now() + 10000;
      showAlert(T.tooMany);
      return; // stays in the outbox; sent again later
    }
    dropFromOutbox(clientId);
    markFailed(clientId, message);
  }

  function sendHttp(item) {
    return request("POST", "messages/", { type: "message", id: item.id, text: item.text }).then(function (res) {
      if (res.status === 200 || res.status === 202) { acknowledged(item.id); }
      else if (res.status === 403) { forgetSession(); }
      else {
        var error = res.data.error || {};
        refused(item.id, error.code, error.message);
      }
    }, function () { /* offline: stays in the outbox */ });
  }

  function deliver(item) {
    if (!markPending(item)) { dropFromOutbox(item.id); return; }
    if (Date.now() < retryAt || ackTimers[item.id]) { return; }
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "message", id: item.id, text: item.text }));
      ackTimers[item.id] = setTimeout(function () {
        delete ackTimers[item.id];
        sendHttp(item);   // no ack over the socket: the same id over HTTP is stored once
      }, 5000);
    } else {
      ackTimers[item.id] = setTimeout(function () { delete ackTimers[item.id]; }, 5000);
      sendHttp(item);
    }
  }

  function flushOutbox() {
    if (!state.token) { return; }
    state.outbox.slice().forEach(deliver);
  }

  // ---- websocket with polling fallback --------------------------------------------------
  var socket = null;
  var failures = 0;
  var reconnectTimer = null;
  var pollTimer = null;
  var started = false;

  function startPolling() {
    if (pollTimer) { return; }
    pollTimer = setInterval(function () { fetchHistory(); flushOutbox(); }, 3000);
  }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  function stopSocket() {
    clearTimeout(reconnectTimer);
    stopPolling();
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
  }

  function connect() {
    if (!state.token || !("WebSocket" in window)) { startPolling(); return; }
    var ws;
    try { ws = new WebSocket(wsUrl + "?token=" + encodeURIComponent(state.token)); }
    catch (e) { startPolling(); return; }
    socket = ws;
    ws.onopen = function () {
      failures = 0;
      stopPolling();
      setStatus(true);
      fetchHistory().then(flushOutbox);
    };
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data || typeof data !== "object") { return; }
      if (data.type === "message") { render(data.message); }
      else if (data.type === "typing") { showTyping(data.author); }
      else if (data.type === "ack") { acknowledged(data.id); }
      else if (data.type === "error" && data.id) { refused(data.id, data.code, data.message); }
    };
    ws.onclose = function () {
      if (socket === ws) { socket = null; }
      setStatus(false);
      failures += 1;
      startPolling();
      fetchHistory();
      reconnectTimer = setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, failures)));
    };
  }

  function start() {
    if (started || !state.token) { return; }
    started = true;
    intro.hidden = true;
    composer.hidden = false;
    fetchHistory().then(function () {
      state.outbox.forEach(markPending);
      connect();
      flushOutbox();
    });
  }

  // ---- opening, closing, the form --------------------------------------------------------
  function showIntro() {
    intro.hidden = false;
    composer.hidden = true;
  }

  function openPanel(focus) {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    wrap.classList.add("hdw-is-open");
    unread = 0;
    showBadge();
    state.open = true;
    save();
    if (state.token) { start(); } else { showIntro(); }
    scrollDown();
    if (focus) { (state.token ? textarea : nameInput).focus(); }
  }

  function closePanel() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    wrap.classList.remove("hdw-is-open");
    state.open = false;
    save();
    bubble.focus();
  }

  bubble.addEventListener("click", function () {
    if (panel.hidden) { openPanel(true); } else { closePanel(); }
  });
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closePanel(); }
  });

  intro.addEventListener("submit", function (event) {
    event.preventDefault();
    startBtn.disabled = true;
    request("POST", "session/", { name: nameInput.value, email: emailInput.value }).then(function (res) {
      startBtn.disabled = false;
      if (res.status === 201 && res.data.token) {
        state.token = res.data.token;
        save();
        start();
        textarea.focus();
      } else {
        showAlert((res.data.error && res.data.error.message) || T.error);
        (res.status === 400 ? emailInput : startBtn).focus();
      }
    }, function () { startBtn.disabled = false; showAlert(T.error); });
  });

  function submitText() {
    var text = textarea.value.replace(/^\s+|\s+$/g, "");
    if (!text || !state.token) { return; }
    var item = { id: newId(), text: text.slice(0, 4000), at: new Date().toISOString() };
    state.outbox.push(item);
    save();
    textarea.value = "";
    deliver(item);
    textarea.focus();
  }

  composer.addEventListener("submit", function (event) { event.preventDefault(); submitText(); });
  var lastTyping = 0;
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitText();
    }
  });
  textarea.addEventListener("input", function () {
    var now = Date.now();
    if (socket && socket.readyState === 1 && now - lastTyping > 2500 && textarea.value) {
      lastTyping = now;
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });

  function mount() {
    document.body.appendChild(host);
    if (state.token) { start(); }
    if (state.open) { openPanel(false); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();

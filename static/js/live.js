// Live updates over the /ws/agent/ websocket: events from the server trigger htmx refreshes.
// helpdesk:queue refreshes the queue list and view counts; helpdesk:ticket refreshes the
// open ticket's conversation. Reconnects with backoff.
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;
  var body = document.body;
  var ticketId = body.dataset.ticketId ? Number(body.dataset.ticketId) : null;
  var statusEl = document.getElementById("live-status");
  var delay = 1000;
  var maxDelay = 30000;
  var socket = null;
  var connectedBefore = false;

  var QUEUE_EVENTS = { "ticket.created": 1, "ticket.updated": 1, "message.created": 1 };

  function setStatus(online) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.classList.toggle("online", online);
    statusEl.classList.toggle("offline", !online);
    statusEl.textContent = online ? statusEl.dataset.online : statusEl.dataset.offline;
  }

  function trigger(name, detail) {
    if (window.htmx) window.htmx.trigger(body, name, detail);
    else body.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  // A desktop notification (and an optional sound) for customer messages on my tickets.
  // The server marks them with for_me; the sound is a per-browser choice (localStorage).
  function notify(event) {
    var text = (body.dataset.newMessage || "#%s").replace("%s", event.ticket_id);
    var url = "/tickets/" + Number(event.ticket_id) + "/";
    toast(text, url);
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      try {
        var n = new Notification(text, { tag: "ticket-" + event.ticket_id });
        n.onclick = function () { window.focus(); location.href = url; };
      } catch (err) { /* some browsers only allow notifications from a service worker */ }
    }
    if (localStorage.getItem("helpdesk.sound") === "1") beep();
  }

  // SLA alerts (to the assignee and to managers): one toast per ticket, a few at most.
  var SLA_TEXT = {
    "sla.warning": "slaWarning", "sla.breached": "slaBreached",
    "sla.escalated": "slaEscalated", "sla.stuck": "slaStuck"
  };

  function slaAlert(event) {
    var template = body.dataset[SLA_TEXT[event.type]] || "#%s";
    var seen = {};
    (event.items || []).slice(0, 3).forEach(function (item) {
      var id = Number(item.ticket_id);
      if (!id || seen[id]) return;
      seen[id] = true;
      toast(template.replace("%s", id), "/tickets/" + id + "/");
    });
    trigger("helpdesk:queue", event);  // badges and the Overdue count change
  }

  function toast(text, url) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("a");
    item.className = "toast-item";
    item.href = url;
    item.textContent = text;
    box.appendChild(item);
    window.setTimeout(function () { item.remove(); }, 6000);
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.05;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (err) { /* no audio */ }
  }

  function handle(event) {
    if (!event || typeof event.type !== "string") return;
    if (event.type === "presence") {
      body.dispatchEvent(new CustomEvent("helpdesk:presence", { detail: event }));
      return;
    }
    if (SLA_TEXT[event.type]) {
      slaAlert(event);
      return;
    }
    if (event.type === "notification" && event.text) {  // a rule's notify action
      toast(String(event.text), "/tickets/" + Number(event.ticket_id) + "/");
      return;
    }
    if (QUEUE_EVENTS[event.type]) trigger("helpdesk:queue", event);
    if (ticketId !== null && Number(event.ticket_id) === ticketId) {
      trigger("helpdesk:ticket", event);
      body.dispatchEvent(new CustomEvent("helpdesk:ticket-event", { detail: event }));
    }
    if (event.type === "message.created" && event.for_me) notify(event);
  }

  function send(data) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(data));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/agent/");
    } catch (err) {
      schedule();
      return;
    }
    socket.onopen = function () {
      delay = 1000;
      setStatus(true);
      if (ticketId !== null) {
        socket.send(JSON.stringify({ action: "watch", ticket_id: ticketId }));
        body.dispatchEvent(new CustomEvent("helpdesk:connected"));
      }
      if (connectedBefore) {
        // Events may have been missed while the socket was down: refresh once.
        trigger("helpdesk:queue", {});
        if (ticketId !== null) trigger("helpdesk:ticket", {});
      }
      connectedBefore = true;
    };
    socket.onmessage = function (msg) {
      var data;
      try { data = JSON.parse(msg.data); } catch (err) { return; }
      handle(data);
    };
    socket.onclose = function () {
      setStatus(false);
      schedule();
    };
  }

  function schedule() {
    var wait = delay + Math.floor(Math.random() * 500);
    delay = Math.min(delay * 2, maxDelay);
    window.setTimeout(connect, wait);
  }

  window.helpdeskLive = { handle: handle, send: send, notify: notify };
  connect();
})();

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

  function handle(event) {
    if (!event || typeof event.type !== "string") return;
    if (QUEUE_EVENTS[event.type]) trigger("helpdesk:queue", event);
    if (ticketId !== null && Number(event.ticket_id) === ticketId) trigger("helpdesk:ticket", event);
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
      if (ticketId !== null) socket.send(JSON.stringify({ action: "watch", ticket_id: ticketId }));
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

  window.helpdeskLive = { handle: handle };
  connect();
})();

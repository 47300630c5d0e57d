// The live wallboard: the console pushes the picture over server-sent events; this script
// draws it and ticks the times on every second. Text goes in with textContent only.
"use strict";
(function () {
  const board = document.getElementById("board");
  const status = document.getElementById("status");
  const texts = JSON.parse(board.dataset.texts);
  const t = (text) => texts[text] || text;
  const MODES = {ready: "Ready", busy: "Busy", wrap_up: "Wrap-up", not_ready: "Not ready",
                 offered: "Offered", logged_out: "Logged out"};
  let view = null;
  let offset = 0; // the console's clock minus the browser's, in seconds

  function now() { return Date.now() / 1000 + offset; }

  function duration(since) {
    if (since === null || since === undefined) return "";
    const total = Math.max(0, Math.floor(now() - since));
    const h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function empty(tbody, columns, text) {
    const row = tbody.insertRow();
    const td = cell(row, text, "empty");
    td.colSpan = columns;
  }

  function drawQueues() {
    const tbody = document.querySelector("#queues tbody");
    tbody.replaceChildren();
    if (!view.queues.length) return empty(tbody, 8, t("No queue."));
    for (const q of view.queues) {
      const row = tbody.insertRow();
      row.dataset.queue = q.queue;
      cell(row, q.queue, "name");
      cell(row, String(q.waiting), "n waiting" + (q.waiting ? " alert" : ""));
      cell(row, q.waiting ? duration(q.oldest_since) : "", "n tick longest").dataset.since = q.oldest_since ?? "";
      for (const key of ["staffed", "ready", "busy", "wrap_up", "not_ready"]) cell(row, String(q[key]), "n " + key);
    }
  }

  function drawAgents() {
    const tbody = document.querySelector("#agents tbody");
    tbody.replaceChildren();
    if (!view.agents.length) return empty(tbody, 5, t("No agent logged in."));
    for (const a of view.agents) {
      const row = tbody.insertRow();
      row.dataset.agent = a.agent;
      row.className = "mode-" + a.mode;
      cell(row, a.name, "name");
      cell(row, t(MODES[a.mode] || a.mode), "mode");
      cell(row, a.reason || "", "reason");
      cell(row, duration(a.since), "n tick").dataset.since = a.since;
      const call = cell(row, "", "call");
      if (a.call) {
        call.textContent = (a.call.queue || a.call.direction) + " · ";
        const time = document.createElement("span");
        time.className = "tick";
        time.dataset.since = a.call.since ?? "";
        time.textContent = duration(a.call.since);
        call.appendChild(time);
      }
    }
  }

  function draw() {
    if (!view.online) {
      board.hidden = true; // no stale figure shown as live
      status.className = "status offline";
      status.textContent = view.problem === "connecting" ? t("Connecting to the CTI gateway…")
        : t("The CTI gateway cannot be reached: no figure here is live. The wallboard catches up as soon as it answers.");
      return;
    }
    status.className = "status live";
    status.textContent = t("Live");
    board.hidden = false;
    drawQueues();
    drawAgents();
  }

  function tick() {
    for (const element of document.querySelectorAll(".tick")) {
      const since = element.dataset.since;
      element.textContent = since === "" ? "" : duration(Number(since));
    }
  }

  const source = new EventSource("/wallboard/events");
  source.onmessage = (message) => {
    const data = JSON.parse(message.data);
    offset = data.now - Date.now() / 1000;
    view = data.view;
    draw();
  };
  source.addEventListener("ended", () => { source.close(); window.location.assign("/signin"); });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) { window.location.assign("/signin"); return; }
    board.hidden = true;
    status.className = "status offline";
    status.textContent = t("The console's connection is lost; reconnecting…");
  };
  setInterval(tick, 1000);
})();

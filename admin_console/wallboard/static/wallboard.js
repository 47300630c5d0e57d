// The live wallboard: the console pushes the picture over server-sent events (the gateway's
// phone part and the mail queue's email and chat part, each live or offline on its own); this
// script draws it and ticks the times on every second. Text goes in with textContent only.
"use strict";
(function () {
  const board = document.getElementById("board");
  const status = document.getElementById("status");
  const texts = JSON.parse(board.dataset.texts);
  const t = (text) => texts[text] || text;
  const MODES = {ready: "Ready", busy: "Busy", wrap_up: "Wrap-up", not_ready: "Not ready",
                 offered: "Offered", logged_out: "Logged out"};
  const lang = board.dataset.lang;
  const ALERTS = JSON.parse(board.dataset.alertTexts); // each kind's text, translated (alerts/texts.py)
  const CHANNELS = {email: "Email", chat: "Chat", phone: "Phone"};
  const mailStatus = document.getElementById("mail-status"); // absent: the console watches no mail queue
  const mailBoard = document.getElementById("mail-board");
  const notified = new Set(); // the alerts this page has shown as a notification
  let view = null;
  let offset = 0; // the console's clock minus the browser's, in seconds

  function now() { return Date.now() / 1000 + offset; }

  function duration(since) {
    if (since === null || since === undefined) return "";
    return clock(now() - since);
  }

  function clock(elapsed) {
    const total = Math.max(0, Math.floor(elapsed));
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

  function number(value, digits) {
    return Number(value.toFixed(digits)).toLocaleString(lang === "zh" ? "zh-CN" : "en");
  }

  // an email's or a chat's wait: in minutes from a minute on, else in seconds (alerts/texts.py)
  function waitText(seconds) {
    return seconds >= 60 ? t("{value} min").replace("{value}", number(seconds / 60, 1))
      : t("{value} s").replace("{value}", number(seconds, 1));
  }

  function alertText(alert) {
    const agent = view && view.agents.find((a) => a.agent === alert.agent);
    const values = {queue: alert.queue || "", agent: agent ? agent.name : (alert.agent || ""),
                    reason: alert.reason || "", threshold: number(alert.threshold, 1),
                    minutes: number(alert.threshold / 60, 1), wait: waitText(alert.threshold)};
    return (ALERTS[alert.kind] || alert.kind).replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  }

  // The phone queues' alerts and the email and chat queues', each while its part is live.
  function drawAlerts(mail) {
    const live = [view, mail].filter((part) => part && part.online);
    const panel = document.getElementById("alerts-panel");
    panel.hidden = live.length === 0; // nothing can be known: no alert shown, nor "no alert"
    const list = document.getElementById("alerts");
    list.replaceChildren();
    const alerts = live.flatMap((part) => part.alerts || []).sort((a, b) => a.started_at - b.started_at || a.id - b.id);
    panel.classList.toggle("alerting", alerts.length > 0);
    if (!alerts.length) {
      const item = document.createElement("li");
      item.className = "empty";
      item.textContent = t("No active alert.");
      list.appendChild(item);
    }
    for (const alert of alerts) {
      const item = document.createElement("li");
      item.dataset.alert = alert.id;
      item.dataset.kind = alert.kind;
      if (alert.channel) item.dataset.channel = alert.channel;
      item.textContent = alertText(alert) + " · ";
      const time = document.createElement("span");
      time.className = "tick";
      time.dataset.since = alert.started_at;
      time.textContent = duration(alert.started_at);
      item.appendChild(time);
      list.appendChild(item);
      notify(alert);
    }
  }

  // A browser notification for each new alert, once the supervisor allowed them (asked once).
  function notify(alert) {
    if (notified.has(alert.id)) return;
    notified.add(alert.id);
    board.dataset.notified = Array.from(notified).join(" ");
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      new Notification(t("Cicada alert"), {body: alertText(alert), tag: "cicada-alert-" + alert.id});
    } catch (error) { /* a browser that only notifies from a service worker: the list shows it */ }
  }

  function askForNotifications() {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    if (localStorage.getItem("cicada-notifications-asked")) return;
    localStorage.setItem("cicada-notifications-asked", "1");
    Notification.requestPermission();
  }

  function percent(level) { return level === null || level === undefined ? "" : number(level * 100, 1) + " %"; }
  function seconds(value) { return value === null || value === undefined ? "" : clock(Math.round(value)); }

  function drawFigures() {
    const panel = document.getElementById("figures");
    panel.replaceChildren();
    for (const q of view.queues) {
      const f = q.figures;
      if (!f) continue;
      const card = document.createElement("div");
      card.className = "figures-card" + (f.alerting ? " alerting" : "");
      card.dataset.queue = q.queue;
      const title = document.createElement("h3");
      title.textContent = q.queue;
      const advice = document.createElement("p");
      advice.className = "advice" + (f.advice ? " reason-" + f.advice.reason : "");
      advice.textContent = f.advice ? f.advice.sentence[lang] || f.advice.sentence.en : "";
      const table = document.createElement("table");
      table.className = "figures";
      const head = table.createTHead().insertRow();
      for (const label of ["", "Entered", "Answered", "Abandoned", "Abandonment rate", "Service level", "ASA", "AHT"]) {
        const th = document.createElement("th");
        th.textContent = label ? t(label) : "";
        if (label) th.className = "n";
        head.appendChild(th);
      }
      const body = table.createTBody();
      const today = body.insertRow();
      today.className = "today";
      cell(today, t("Today"));
      cell(today, String(f.today.offered), "n offered");
      cell(today, String(f.today.answered), "n answered");
      // short abandons (within the queue's τ) apart: they count against neither the rate nor the level
      cell(today, String(f.today.abandoned) + (f.today.short_abandons
        ? " (" + t("{n} short").replace("{n}", f.today.short_abandons) + ")" : ""), "n abandoned");
      cell(today, percent(f.today.abandonment_rate), "n abandonment-rate");
      cell(today, percent(f.today.service_level), "n service-level");
      cell(today, seconds(f.today.asa), "n asa");
      cell(today, seconds(f.today.aht), "n aht");
      for (const w of f.windows) {
        const row = body.insertRow();
        row.dataset.minutes = w.minutes;
        cell(row, t("Last {n} min").replace("{n}", w.minutes));
        cell(row, String(w.arrivals), "n offered");
        cell(row, String(w.answered), "n answered");
        cell(row, String(w.abandoned), "n abandoned");
        for (let i = 0; i < 4; i++) cell(row, "", "n");
      }
      card.append(title, advice, table);
      panel.appendChild(card);
    }
  }

  function drawQueues() {
    const tbody = document.querySelector("#queues tbody");
    tbody.replaceChildren();
    if (!view.queues.length) return empty(tbody, 9, t("No queue."));
    for (const q of view.queues) {
      const row = tbody.insertRow();
      row.dataset.queue = q.queue;
      if (q.figures && q.figures.alerting) row.className = "alerting";
      cell(row, q.queue, "name");
      cell(row, t("Phone"), "channel channel-phone");
      cell(row, String(q.waiting), "n waiting" + (q.waiting ? " alert" : ""));
      cell(row, q.waiting ? duration(q.oldest_since) : "", "n tick longest").dataset.since = q.oldest_since ?? "";
      for (const key of ["staffed", "ready", "busy", "wrap_up", "not_ready"]) cell(row, String(q[key]), "n " + key);
    }
  }

  // --- the agents tables: sorted and filtered as the page's address says ----------------------
  // Each table's choice lives in the address under its own keys (the phone agents' ?team=&queue=
  // &mode=&sort=&order=, the email and chat agents' the same prefixed mail_), so that a supervisor
  // can bookmark "my team, not ready"; each new picture is drawn through it, never resetting it.
  const collator = new Intl.Collator(lang === "zh" ? "zh-CN" : "en", {sensitivity: "base", numeric: true});
  const fullScreenLink = document.getElementById("full-screen");
  const byName = (a, b) => collator.compare(a.name, b.name);

  // A table sorted by its headers' buttons and filtered by its selects (absent on the wall screen).
  // `compare`: a comparison per sort key, the first the default; `mostFirst`: the keys whose first
  // click shows the most first; `redraw`: draws the table again from the last picture.
  function choiceTable({table, prefix, filters, compare, mostFirst, redraw}) {
    const sorts = Object.keys(compare);
    const param = (key) => prefix + key;
    const query = new URLSearchParams(window.location.search);
    const choice = {sort: sorts.includes(query.get(param("sort"))) ? query.get(param("sort")) : sorts[0],
                    order: query.get(param("order")) === "desc" ? "desc" : "asc"};
    const selects = {};
    for (const [key, id] of Object.entries(filters)) {
      choice[key] = query.get(param(key)) || "";
      selects[key] = document.getElementById(id);
    }

    function keep() {
      const query = new URLSearchParams(window.location.search);
      for (const key of Object.keys(filters)) {
        if (choice[key]) query.set(param(key), choice[key]); else query.delete(param(key));
      }
      if (choice.sort === sorts[0] && choice.order === "asc") { query.delete(param("sort")); query.delete(param("order")); }
      else { query.set(param("sort"), choice.sort); query.set(param("order"), choice.order); }
      const search = query.toString();
      window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
      if (fullScreenLink) { // the wall screen shows the same choice
        query.set("wall", "1");
        fullScreenLink.href = "/wallboard?" + query.toString();
      }
    }

    function sorted(rows) {
      const order = choice.order === "desc" ? -1 : 1;
      return rows.slice().sort((a, b) => compare[choice.sort](a, b) * order || compare[sorts[0]](a, b)
        || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
    }

    // the selects and headers as the choice says
    function show() {
      for (const [key, select] of Object.entries(selects)) if (select) select.value = choice[key];
      for (const th of document.querySelectorAll(`#${table} th[data-sort]`)) {
        const on = th.dataset.sort === choice.sort;
        th.setAttribute("aria-sort", on ? (choice.order === "desc" ? "descending" : "ascending") : "none");
      }
    }

    function choose(key, value) {
      choice[key] = value;
      keep();
      redraw();
    }

    for (const [key, select] of Object.entries(selects)) {
      if (select) select.addEventListener("change", () => choose(key, select.value));
    }
    for (const button of document.querySelectorAll(`#${table} th[data-sort] button.sort`)) {
      button.addEventListener("click", () => {
        const key = button.closest("th").dataset.sort;
        if (key === choice.sort) choice.order = choice.order === "asc" ? "desc" : "asc";
        else choice.order = mostFirst.has(key) ? "desc" : "asc";
        choose("sort", key);
      });
    }
    keep();
    return {choice, selects, sorted, show};
  }

  // A select's options from what the picture holds, the chosen one kept even when nobody has it now;
  // set again only when they change, so that a list the supervisor has open stays open.
  function offer(select, values, chosenValue) {
    if (!select) return;
    const all = Array.from(new Set([...values.filter(Boolean), ...(chosenValue ? [chosenValue] : [])]))
      .sort(collator.compare);
    const key = all.join("\n");
    if (select.dataset.offered !== key) {
      select.dataset.offered = key;
      const first = select.options[0];
      select.replaceChildren(first, ...all.map((value) => new Option(value, value)));
    }
    select.value = chosenValue;
  }

  // The filters said beside a table's title: the wall screen has no controls that would show them.
  function say(id, said) {
    const element = document.getElementById(id);
    if (element) element.textContent = said.filter(Boolean).length ? "· " + said.filter(Boolean).join(" · ") : "";
  }

  // --- the phone agents ------------------------------------------------------------------------
  const MODE_ORDER = {ready: 0, offered: 1, busy: 2, wrap_up: 3, not_ready: 4, logged_out: 5};

  function contactSince(agent) {
    return agent.call && agent.call.since !== null ? agent.call.since : Infinity; // no contact: the shortest
  }

  const agentsTable = choiceTable({
    table: "agents", prefix: "",
    filters: {team: "filter-team", queue: "filter-queue", mode: "filter-mode"},
    compare: {
      agent: byName,
      team: (a, b) => collator.compare(a.team || "", b.team || ""),
      mode: (a, b) => (MODE_ORDER[a.mode] ?? 9) - (MODE_ORDER[b.mode] ?? 9) || collator.compare(a.reason || "", b.reason || ""),
      time: (a, b) => b.since - a.since, // ascending: the shortest time in mode first
      contact: (a, b) => (contactSince(b) === contactSince(a) ? 0 : contactSince(b) > contactSince(a) ? 1 : -1),
      handled: (a, b) => (a.handled || 0) - (b.handled || 0),
    },
    mostFirst: new Set(["time", "contact", "handled"]),
    redraw: () => { if (view && view.online) drawAgents(); },
  });

  function chosen(agent) {
    const choice = agentsTable.choice;
    return (!choice.team || (agent.team || "") === choice.team)
      && (!choice.queue || agent.queues.includes(choice.queue) || (agent.call && agent.call.queue === choice.queue))
      && (!choice.mode || agent.mode === choice.mode);
  }

  function drawFilters() {
    const choice = agentsTable.choice;
    offer(agentsTable.selects.team, view.agents.map((a) => a.team), choice.team);
    offer(agentsTable.selects.queue, [...view.queues.map((q) => q.queue), ...view.agents.flatMap((a) => a.queues)],
      choice.queue);
    agentsTable.show();
    say("agents-choice", [choice.team, choice.queue, choice.mode ? t(MODES[choice.mode] || choice.mode) : ""]);
  }

  function limitText(limit) {
    return limit % 60 === 0 ? t("over {n} min").replace("{n}", number(limit / 60, 0))
      : t("over {n} s").replace("{n}", number(limit, 0));
  }

  // A time with its threshold: the console says when it is crossed, the page turns it when that passes.
  function timed(container, since, warn) {
    const cue = document.createElement("span");
    cue.className = "cue";
    cue.setAttribute("role", "img");
    cue.textContent = "\u26a0"; // a sign beside the colour, for those who cannot tell colours apart
    const time = document.createElement("span");
    time.className = "tick";
    time.dataset.since = since ?? "";
    time.textContent = duration(since);
    container.append(cue, time);
    if (warn) {
      container.dataset.warnAt = warn.at;
      cue.setAttribute("aria-label", limitText(warn.limit));
      container.dataset.over = limitText(warn.limit);
    }
  }

  function markOver() {
    const at = now();
    for (const element of document.querySelectorAll("#agents [data-warn-at], #mail-agents [data-warn-at]")) {
      const over = at > Number(element.dataset.warnAt);
      element.classList.toggle("over", over);
      element.title = over ? element.dataset.over : "";
    }
    for (const row of document.querySelectorAll("#agents tbody tr, #mail-agents tbody tr")) {
      row.classList.toggle("over", row.querySelector(".over") !== null);
    }
  }

  function drawAgents() {
    const tbody = document.querySelector("#agents tbody");
    tbody.replaceChildren();
    drawFilters();
    if (!view.agents.length) return empty(tbody, 7, t("No agent logged in."));
    const agents = agentsTable.sorted(view.agents.filter(chosen));
    if (!agents.length) return empty(tbody, 7, t("No agent matches the filters."));
    for (const a of agents) {
      const row = tbody.insertRow();
      row.dataset.agent = a.agent;
      row.className = "mode-" + a.mode;
      cell(row, a.name, "name");
      cell(row, a.team || "", "team");
      cell(row, t(MODES[a.mode] || a.mode), "mode");
      cell(row, a.reason || "", "reason");
      timed(cell(row, "", "n in-mode"), a.since, a.warn);
      const call = cell(row, "", "call");
      if (a.call) {
        call.append(`${t(CHANNELS[a.call.channel] || "Phone")} · ${a.call.queue || a.call.direction} · `);
        timed(call, a.call.since, a.call.warn);
      }
      cell(row, String(a.handled ?? ""), "n handled");
    }
    markOver();
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
    drawFigures();
    drawAgents();
  }

  // The mail queue's part: offline on its own, with no figure, whatever the gateway does.
  function drawMail(mail) {
    if (!mailStatus) return;
    if (!mail || !mail.online) {
      mailBoard.hidden = true;
      mailStatus.className = "status offline";
      mailStatus.textContent = !mail || mail.problem === "connecting" ? t("Connecting to the mail queue…")
        : t("The mail queue cannot be reached: no email or chat figure here is live. It catches up as soon as the mail queue answers.");
      if (mail && mail.problem === "connecting") mailStatus.className = "status connecting";
      return;
    }
    mailStatus.className = "status live";
    mailStatus.textContent = t("Mail queue: live");
    mailBoard.hidden = false;
    mailView = mail;
    drawMailQueues(mail);
    drawMailAgents(mail);
  }

  function drawMailQueues(mail) {
    const tbody = document.querySelector("#mail-queues tbody");
    tbody.replaceChildren();
    if (!mail.queues.length) return empty(tbody, 12, t("No email or chat queue."));
    for (const q of mail.queues) {
      const row = tbody.insertRow();
      row.dataset.queue = q.queue;
      row.dataset.channel = q.channel || "";
      if (q.alerting) row.className = "alerting";
      cell(row, q.queue, "name");
      cell(row, q.channel ? t(CHANNELS[q.channel] || q.channel) : "", "channel channel-" + (q.channel || "mail"));
      cell(row, String(q.waiting), "n waiting" + (q.waiting ? " alert" : ""));
      cell(row, q.waiting ? duration(q.oldest_since) : "", "n tick longest").dataset.since = q.oldest_since ?? "";
      for (const key of ["serving", "available", "busy"]) cell(row, q[key] === null ? "" : String(q[key]), "n " + key);
      drawMailToday(row, q);
    }
  }

  // Today so far: the conversations that entered since midnight (docs/reports.md, email and chat).
  function drawMailToday(row, q) {
    const f = q.today;
    cell(row, String(f.entered), "n today entered");
    cell(row, String(f.answered), "n today answered");
    // a chat's customer may leave before an agent takes it; an email is not abandoned
    cell(row, q.channel === "email" ? "" : String(f.abandoned) + (f.short_abandons
      ? " (" + t("{n} short").replace("{n}", f.short_abandons) + ")" : ""), "n today abandoned");
    cell(row, seconds(f.first_response), "n today first-response");
    const due = cell(row, percent(f.within_due), "n today within-due");
    if (f.due_seconds !== null) due.title = t("Due within {due}").replace("{due}", clock(f.due_seconds));
  }

  // --- the email and chat agents ----------------------------------------------------------------
  let mailView = null;
  const oldestWork = (agent) => agent.work.length ? Math.min(...agent.work.map((w) => w.since)) : Infinity;
  const onFirst = (channel) => (a, b) => Number(Boolean(b.available[channel])) - Number(Boolean(a.available[channel]));

  const mailAgentsTable = choiceTable({
    table: "mail-agents", prefix: "mail_",
    filters: {queue: "filter-mail-queue", channel: "filter-mail-channel", available: "filter-mail-available"},
    compare: {
      agent: byName,
      email: onFirst("email"), // ascending: the available first
      chat: onFirst("chat"),
      since: (a, b) => b.since - a.since, // ascending: the shortest first
      open: (a, b) => a.work.length - b.work.length,
      conversations: (a, b) => (oldestWork(b) === oldestWork(a) ? 0 : oldestWork(b) > oldestWork(a) ? 1 : -1),
    },
    mostFirst: new Set(["since", "open", "conversations"]),
    redraw: () => { if (mailView && mailView.online) drawMailAgents(mailView); },
  });

  // Queue: logged in to it or holding a conversation of it. Availability: for the chosen channel,
  // else for either ("away": from both). Channel alone: available for it or holding one of it.
  function mailChosen(agent) {
    const {queue, channel, available} = mailAgentsTable.choice;
    if (queue && !agent.queues.includes(queue) && !agent.work.some((w) => w.queue === queue)) return false;
    const channels = channel ? [channel] : ["email", "chat"];
    if (available) return channels.some((c) => agent.available[c]) === (available === "available");
    return !channel || Boolean(agent.available[channel]) || agent.work.some((w) => w.channel === channel);
  }

  function drawMailFilters(mail) {
    const {queue, channel, available} = mailAgentsTable.choice;
    offer(mailAgentsTable.selects.queue, [...mail.queues.map((q) => q.queue), ...mail.agents.flatMap((a) => a.queues)],
      queue);
    mailAgentsTable.show();
    say("mail-agents-choice", [queue, channel ? t(CHANNELS[channel] || channel) : "",
                               available ? t(available === "available" ? "Available" : "Away") : ""]);
  }

  function drawMailAgents(mail) {
    const tbody = document.querySelector("#mail-agents tbody");
    tbody.replaceChildren();
    drawMailFilters(mail);
    if (!mail.agents.length) return empty(tbody, 6, t("No agent logged in to the mail queue."));
    const agents = mailAgentsTable.sorted(mail.agents.filter(mailChosen));
    if (!agents.length) return empty(tbody, 6, t("No agent matches the filters."));
    for (const a of agents) {
      const row = tbody.insertRow();
      row.dataset.agent = a.agent;
      cell(row, a.name, "name");
      for (const channel of ["email", "chat"]) {
        const on = a.available[channel];
        cell(row, t(on ? "Available" : "Away"), "availability " + channel + (on ? " on" : " off"));
      }
      timed(cell(row, "", "n since"), a.since, a.warn);
      cell(row, String(a.work.length), "n open");
      const work = cell(row, "", "work");
      for (const w of a.work) {
        const item = document.createElement("span");
        item.className = "conversation " + w.state;
        item.dataset.channel = w.channel;
        item.append(`${t(CHANNELS[w.channel] || w.channel)} · ${w.queue} · ${t(w.state === "offered" ? "Offered" : "Working")} `);
        timed(item, w.since, w.warn);
        work.appendChild(item);
      }
    }
    markOver();
  }

  function tick() {
    for (const element of document.querySelectorAll(".tick")) {
      const since = element.dataset.since;
      element.textContent = since === "" ? "" : duration(Number(since));
    }
    markOver();
  }

  // the wall screen's stream says so: it keeps the sign-in for the wall while nobody touches it
  const source = new EventSource(document.body.classList.contains("wall") ? "/wallboard/events?wall=1"
    : "/wallboard/events");
  source.onmessage = (message) => {
    const data = JSON.parse(message.data);
    offset = data.now - Date.now() / 1000;
    view = data.view;
    draw();
    drawMail(data.mail);
    drawAlerts(data.mail);
  };
  source.addEventListener("ended", () => { source.close(); window.location.assign("/signin"); });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) { window.location.assign("/signin"); return; }
    board.hidden = true;
    status.className = "status offline";
    status.textContent = t("The console's connection is lost; reconnecting…");
    if (mailBoard) mailBoard.hidden = true;
    document.getElementById("alerts-panel").hidden = true;
  };
  setInterval(tick, 1000);
  askForNotifications();
})();

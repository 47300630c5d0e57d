// Acting on agents from the wallboard: "Not ready…", "Log off" and "Message…" on each phone agent's row,
// "Away…" on each email and chat agent's,
// "Message…" on each queue's, and one for all the supervisor's agents or one of his teams. Each is a POST with the sign-in's
// CSRF token; the console answers with the gateway's result in the supervisor's language, shown
// above the board. Text goes in with textContent only; the rows are wallboard.js's, so the
// buttons are added to each row it draws.
"use strict";
(function () {
  const board = document.getElementById("board");
  if (!board || document.body.classList.contains("wall")) return;
  const csrfInput = document.querySelector("form[action='/signout'] input[name=csrf]");
  const csrf = csrfInput ? csrfInput.value : "";
  let texts = {};
  let reasons = [];
  let teams = [];
  const t = (text, params) => {
    let out = texts[text] || text;
    for (const [key, value] of Object.entries(params || {})) out = out.split("{" + key + "}").join(value);
    return out;
  };

  function element(tag, attributes, text) {
    const made = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) made.setAttribute(key, value);
    if (text !== undefined) made.textContent = text;
    return made;
  }

  // --- where the answer shows ---------------------------------------------------------------
  const result = element("div", {id: "action-result", role: "status", "aria-live": "polite", hidden: ""});
  board.parentNode.insertBefore(result, board);

  function show(ok, text) {
    result.hidden = false;
    result.className = "action-result " + (ok ? "ok" : "refused");
    result.textContent = text;
  }

  // --- the dialog -----------------------------------------------------------------------------
  const dialog = element("dialog", {id: "action-dialog"});
  const form = element("form", {method: "dialog"});
  const title = element("h3");
  const reasonLabel = element("label", {}, "");
  const reasonSelect = element("select", {name: "reason"});
  const toLabel = element("label", {}, "");
  const toSelect = element("select", {name: "team"});
  const channelLabel = element("label", {}, "");
  const channelSelect = element("select", {name: "channel"});
  const textLabel = element("label", {}, "");
  const textArea = element("textarea", {name: "text", maxlength: "500", rows: "3"});
  const question = element("p", {class: "question"});
  const buttons = element("div", {class: "buttons"});
  const send = element("button", {type: "submit", id: "action-send"});
  const cancel = element("button", {type: "button", id: "action-cancel"});
  reasonLabel.append(element("span", {class: "label-reason"}), reasonSelect);
  toLabel.append(element("span", {class: "label-to"}), toSelect);
  textLabel.append(element("span", {class: "label-text"}), textArea);
  channelLabel.append(element("span", {class: "label-channel"}), channelSelect);
  buttons.append(send, cancel);
  form.append(title, reasonLabel, channelLabel, toLabel, textLabel, question, buttons);
  dialog.append(form);
  document.body.append(dialog);
  let pending = null; // {url, fields}

  function open(kind, target) {
    pending = kind;
    reasonLabel.hidden = kind.action !== "not_ready";
    textLabel.hidden = kind.action !== "message";
    channelLabel.hidden = kind.action !== "away";
    channelLabel.querySelector("span").textContent = t("Channels");
    channelSelect.replaceChildren(element("option", {value: ""}, t("Email and chat")),
      element("option", {value: "email"}, t("Email")), element("option", {value: "chat"}, t("Chat")));
    toLabel.hidden = !kind.toTeams;
    toLabel.querySelector("span").textContent = t("To");
    toSelect.replaceChildren(element("option", {value: ""}, t("All my agents")),
      ...teams.map((team) => element("option", {value: team.code}, t("Team {team}", {team: team.name}))));
    question.hidden = kind.action !== "log_off";
    title.textContent = kind.title;
    question.textContent = kind.question || "";
    reasonLabel.querySelector("span").textContent = t("Reason");
    textLabel.querySelector("span").textContent = t("Message");
    send.textContent = kind.action === "log_off" ? t("Log off") : kind.action === "away" ? t("Set Away") : t("Send");
    cancel.textContent = t("Cancel");
    reasonSelect.replaceChildren(...reasons.map((reason) => element("option", {value: reason}, reason)));
    textArea.value = "";
    dialog.showModal();
    (kind.action === "message" ? textArea : kind.action === "not_ready" ? reasonSelect
      : kind.action === "away" ? channelSelect : send).focus();
  }

  cancel.addEventListener("click", () => { pending = null; dialog.close(); });
  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    if (!pending) return;
    const fields = new URLSearchParams({csrf, ...pending.fields});
    if (pending.action === "not_ready") fields.set("reason", reasonSelect.value);
    if (pending.action === "message") fields.set("text", textArea.value);
    if (pending.action === "away") fields.set("channel", channelSelect.value);
    if (pending.toTeams && toSelect.value) fields.set("team", toSelect.value);
    const url = pending.url;
    pending = null;
    dialog.close();
    show(true, t("Working…"));
    fetch(url, {method: "POST", body: fields, credentials: "same-origin"})
      .then((response) => (response.headers.get("content-type") || "").startsWith("application/json")
        ? response.json() : {ok: false, text: t("The form has expired: please try again.")})
      .then((answer) => show(answer.ok, answer.text))
      .catch(() => show(false, t("The form has expired: please try again.")));
  });

  // --- the buttons on the rows ----------------------------------------------------------------
  function button(label, className, onClick) {
    const made = element("button", {type: "button", class: className}, label);
    made.addEventListener("click", onClick);
    return made;
  }

  function agentActions(row) {
    const agent = row.dataset.agent;
    const cell = row.insertCell();
    cell.className = "actions";
    cell.append(
      button(t("Not ready…"), "act-not-ready", () => open({action: "not_ready", url: "/actions/agent",
        title: t("Set {agent} Not ready", {agent}), fields: {action: "not_ready", agent}})),
      button(t("Log off"), "act-log-off", () => open({action: "log_off", url: "/actions/agent",
        title: t("Log off"), question: t("Log off {agent} (after the current call, if any)?", {agent}),
        fields: {action: "log_off", agent}})),
      button(t("Message…"), "act-message", () => open({action: "message", url: "/actions/agent",
        title: t("Message to {agent}", {agent}), fields: {action: "message", agent}})));
  }

  // An email and chat agent (the mail queue's): Away on a channel or both; what he holds stays his.
  function mailAgentActions(row) {
    const agent = row.dataset.agent;
    const cell = row.insertCell();
    cell.className = "actions";
    cell.append(button(t("Away…"), "act-away", () => open({action: "away", url: "/actions/mail-away",
      title: t("Set {agent} Away", {agent}), fields: {agent}})));
  }

  function queueActions(row) {
    const queue = row.dataset.queue;
    const cell = row.insertCell();
    cell.className = "actions";
    cell.append(button(t("Message…"), "act-message", () => open({action: "message", url: "/actions/message",
      title: t("Message to queue {queue}", {queue}), fields: {queue}})));
  }

  function decorate(table, key, add) {
    const head = table.querySelector("thead tr");
    if (head && !head.querySelector("th.actions")) head.append(element("th", {class: "actions"}, t("Actions")));
    for (const row of table.querySelectorAll("tbody tr")) {
      if (row.dataset[key] !== undefined && !row.querySelector("td.actions")) add(row);
    }
  }

  function watch(id, key, add) {
    const table = document.getElementById(id);
    const tbody = table.querySelector("tbody");
    new MutationObserver(() => decorate(table, key, add)).observe(tbody, {childList: true});
    decorate(table, key, add);
  }

  function start() {
    const agentsSection = document.getElementById("agents").closest("section");
    const everyone = button(t("Message to my agents…"), "act-message-all", () => open({action: "message",
      url: "/actions/message", title: t("Message to all the agents of my org units"), fields: {}, toTeams: true}));
    everyone.id = "message-all";
    agentsSection.querySelector("h2").after(everyone);
    watch("agents", "agent", agentActions);
    watch("queues", "queue", queueActions);
    if (document.getElementById("mail-agents")) watch("mail-agents", "agent", mailAgentActions);
  }

  fetch("/actions/choices", {credentials: "same-origin"})
    .then((response) => response.json())
    .then((answer) => { texts = answer.texts || {}; reasons = answer.reasons || []; teams = answer.teams || []; })
    .catch(() => {})
    .finally(start);
})();

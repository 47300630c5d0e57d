/*
 * Cicada web chat widget: plain JavaScript, no build step, no external resources.
 *
 * Talks JSON over the WebSocket next to this page (chat/ws):
 *   out: hello {token | name, email, phone}, message {text, client_id}, typing, end, leave
 *   in:  welcome {token, conversation, transcript}, ack {client_id, line}, line {line},
 *        typing {name}, error {code, message[, client_id, retry_after]}, closed {by: customer | agent}
 * An error "unavailable" means nothing was stored (the service's database is away): the customer is told,
 * and the line, the resume or the end is tried again every few seconds. A new chat refused by the
 * service's limits (too_many_chats, chat_rate_limited, chat_busy) is explained on the start form.
 * The token and the lines not yet acknowledged live in localStorage, so a reload
 * resumes the conversation and resends them (same client_id: the server stores
 * each line once). "End chat" asks once more in place (the button turns into "End the chat?"),
 * then sends end; the server answers closed. All text goes into the page through textContent,
 * never as markup.
 */
(function () {
  "use strict";

  const STRINGS = {
    en: {
      title: "Chat with us",
      intro: "Hello! Tell us who you are and one of our agents will be with you shortly.",
      name: "Name",
      email: "Email",
      phone: "Phone",
      contactHint: "Give an email address or a phone number, so that we can get back to you.",
      start: "Start chat",
      needName: "Please enter your name.",
      nameTooLong: "Please use at most 100 characters.",
      needContact: "Please enter an email address or a phone number.",
      badEmail: "This email address does not look right.",
      connecting: "Connecting…",
      online: "Connected",
      reconnecting: "Reconnecting…",
      cannotConnect: "We could not reach the chat. Please try again in a moment.",
      placeholder: "Write a message…",
      message: "Message",
      send: "Send",
      sending: "sending…",
      you: "You",
      typing: "{name} is typing…",
      closed: "The agent has closed this chat.",
      newChat: "Start a new chat",
      expired: "Your previous chat has ended. Please start a new one.",
      tooLong: "Your message is too long (at most 4000 characters).",
      failed: "Something went wrong. Please try again.",
      closeWindow: "Close chat",
      endChat: "End chat",
      endConfirm: "End the chat?",
      endKeep: "Keep chatting",
      youEnded: "You ended the chat.",
      startUnavailable: "We cannot start a chat just now. Please try again in a moment.",
      lineUnavailable: "Your message could not be delivered just now. We will try again in a moment.",
      unavailable: "The chat is not available just now. We will try again in a moment.",
      tooManyChats: "You already have chats open with us. Please go on in one of them, or try again once they are closed.",
      chatRateLimited: "Too many chats were started from your connection. Please try again in a few minutes.",
      chatBusy: "All our agents are busy and many customers are waiting. Please try again later, or write us an email.",
    },
    zh: {
      title: "在线咨询",
      intro: "您好！请留下您的信息，客服人员将很快为您服务。",
      name: "姓名",
      email: "电子邮箱",
      phone: "电话",
      contactHint: "请填写电子邮箱或电话号码，以便我们与您联系。",
      start: "开始聊天",
      needName: "请输入您的姓名。",
      nameTooLong: "姓名最多 100 个字符。",
      needContact: "请填写电子邮箱或电话号码。",
      badEmail: "电子邮箱地址格式不正确。",
      connecting: "正在连接…",
      online: "已连接",
      reconnecting: "正在重新连接…",
      cannotConnect: "暂时无法连接，请稍后再试。",
      placeholder: "输入消息…",
      message: "消息",
      send: "发送",
      sending: "发送中…",
      you: "我",
      typing: "{name} 正在输入…",
      closed: "客服已结束本次对话。",
      newChat: "开始新的对话",
      expired: "您之前的对话已结束，请开始新的对话。",
      tooLong: "消息太长（最多 4000 个字符）。",
      failed: "出了点问题，请重试。",
      closeWindow: "关闭对话",
      endChat: "结束对话",
      endConfirm: "确定结束对话？",
      endKeep: "继续对话",
      youEnded: "您已结束本次对话。",
      startUnavailable: "暂时无法开始对话，请稍后再试。",
      lineUnavailable: "您的消息暂时无法送达，我们稍后会自动重试。",
      unavailable: "在线咨询暂时不可用，我们稍后会自动重试。",
      tooManyChats: "您已有正在进行的对话，请在其中继续，或在对话结束后再试。",
      chatRateLimited: "您的网络发起的对话过多，请几分钟后再试。",
      chatBusy: "客服人员正忙，等待的客户较多，请稍后再试或给我们发送电子邮件。",
    },
  };
  const ERROR_STRINGS = {
    missing_name: "needName",
    name_too_long: "nameTooLong",
    missing_contact: "needContact",
    bad_email: "badEmail",
    too_long: "tooLong",
    too_many_chats: "tooManyChats",
    chat_rate_limited: "chatRateLimited",
    chat_busy: "chatBusy",
    unavailable: "startUnavailable",
  };
  const TOKEN_KEY = "cicada-chat-token";
  const PENDING_KEY = "cicada-chat-pending";
  const MAX_TEXT = 4000;
  const TYPING_EVERY_MS = 2000;
  const TYPING_SHOWN_MS = 3000;
  const RETRY_AFTER_ERROR_MS = 3000;
  const RETRY_UNAVAILABLE_MS = 5000;
  const END_CONFIRM_MS = 5000; // "End the chat?" turns back into "End chat" unless clicked again

  // ---------------------------------------------------------------- storage (may be blocked: then memory only)

  const storage = {
    get(key) {
      try { return localStorage.getItem(key); } catch (e) { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(key, value); } catch (e) { /* private mode: keep going without */ }
    },
    remove(key) {
      try { localStorage.removeItem(key); } catch (e) { /* as above */ }
    },
  };

  const params = new URLSearchParams(location.search);
  const LANG = chooseLanguage();
  const t = STRINGS[LANG];
  const $ = (id) => document.getElementById(id);
  const view = {
    start: $("start"), startButton: $("start-button"), startError: $("start-error"),
    name: $("name"), email: $("email"), phone: $("phone"),
    nameError: $("name-error"), contactError: $("contact-error"),
    conversation: $("conversation"), lines: $("lines"), typing: $("typing"), typingText: $("typing-text"),
    notice: $("notice"), closed: $("closed"), closedText: $("closed-text"), compose: $("compose"), text: $("text"),
    endChat: $("end-chat"), endKeep: $("end-keep"),
    status: $("status"), statusText: $("status-text"),
  };

  const state = {
    token: storage.get(TOKEN_KEY),
    socket: null,
    welcomed: false,
    details: null, // the start form's values until the first welcome
    myName: null,
    pending: loadPending(), // [{client_id, text}] not yet acknowledged, in order
    pendingElements: new Map(), // client_id -> element
    shownLines: new Map(), // line id -> element
    closed: false,
    confirmingEnd: false,
    ending: false, // the customer ended the chat; sent again after a reconnect until closed comes
    endTimer: null,
    retries: 0,
    reconnectTimer: null,
    retryTimer: null,
    typingTimer: null,
    noticeTimer: null,
    lastTypingSent: 0,
  };

  // ---------------------------------------------------------------- language

  function chooseLanguage() {
    const asked = params.get("lang");
    const wanted = asked ? [asked] : navigator.languages || [navigator.language || "en"];
    for (const code of wanted) {
      const base = String(code).toLowerCase().split("-")[0];
      if (STRINGS[base]) return base;
    }
    return "en";
  }

  function applyStrings() {
    document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
    document.title = t.title;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t];
    for (const el of document.querySelectorAll("[data-t-placeholder]")) el.placeholder = t[el.dataset.tPlaceholder];
    for (const el of document.querySelectorAll("[data-t-label]")) {
      el.setAttribute("aria-label", t[el.dataset.tLabel]);
      el.title = t[el.dataset.tLabel];
    }
  }

  function errorText(frame) {
    if (frame.code === "invalid" && frame.message) return frame.message; // the backend's words for the customer
    return t[ERROR_STRINGS[frame.code]] || t.failed;
  }

  function loadPending() {
    try {
      const list = JSON.parse(storage.get(PENDING_KEY) || "[]");
      return Array.isArray(list) ? list.filter((p) => p && typeof p.client_id === "string") : [];
    } catch (e) {
      return [];
    }
  }

  function savePending() {
    if (state.pending.length) storage.set(PENDING_KEY, JSON.stringify(state.pending));
    else storage.remove(PENDING_KEY);
  }

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // Pages served over plain http outside localhost have no randomUUID.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ---------------------------------------------------------------- connection

  function socketUrl() {
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.search = "";
    return url.href;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.socket) return;
    setStatus(state.retries ? "reconnecting" : "connecting");
    const socket = new WebSocket(socketUrl());
    state.socket = socket;
    socket.onopen = () => sendHello();
    socket.onmessage = (event) => receive(event.data);
    socket.onclose = () => socketClosed(socket);
  }

  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
  }

  function sendHello() {
    if (state.token) send({ type: "hello", token: state.token });
    else if (state.details) send({ type: "hello", token: null, ...state.details });
  }

  function socketClosed(socket) {
    if (state.socket !== socket) return; // one we dropped on purpose
    state.socket = null;
    state.welcomed = false;
    if (!state.token) {
      if (state.details) startRefused(t.cannotConnect);
      setStatus("");
      return;
    }
    if (!state.closed) scheduleReconnect();
  }

  function scheduleReconnect() {
    // Exponential backoff with jitter, so that a restarted server is not hit by every customer at once.
    const delay = Math.min(30000, 500 * 2 ** state.retries) * (0.75 + Math.random() * 0.5);
    state.retries += 1;
    setStatus("reconnecting");
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function dropSocket() {
    const socket = state.socket;
    state.socket = null;
    state.welcomed = false;
    clearTimeout(state.reconnectTimer);
    if (socket) socket.close();
  }

  function setStatus(kind) {
    view.status.hidden = !kind;
    view.status.className = `chat-status ${kind}`;
    view.statusText.textContent = kind ? t[kind] : "";
  }

  // ---------------------------------------------------------------- frames from the server

  function receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      return;
    }
    const handler = HANDLERS[frame && frame.type];
    if (handler) handler(frame);
  }

  const HANDLERS = {
    welcome(frame) {
      state.token = frame.token;
      storage.set(TOKEN_KEY, frame.token);
      if (state.details) state.myName = state.details.name;
      state.details = null;
      state.welcomed = true;
      state.retries = 0;
      view.startButton.disabled = false;
      setStatus("online");
      showConversation();
      renderTranscript(frame.transcript || []);
      resendPending();
      if (state.ending && !state.closed) send({ type: "end" });
    },
    ack(frame) {
      acknowledge(frame.client_id, frame.line);
    },
    line(frame) {
      showLine(frame.line);
      if (frame.line.from === "agent") hideTyping();
    },
    typing(frame) {
      showTyping(frame.name);
    },
    closed(frame) {
      showClosed(frame.by);
    },
    error(frame) {
      handleError(frame);
    },
  };

  function handleError(frame) {
    if (frame.code === "unknown_token") {
      forgetChat();
      showStart();
      view.startError.textContent = t.expired;
    } else if (!state.welcomed && state.details) {
      startRefused(errorText(frame));
    } else if (frame.code === "unavailable") {
      showNotice(frame.client_id ? t.lineUnavailable : t.unavailable);
      clearTimeout(state.retryTimer);
      state.retryTimer = setTimeout(tryAgain, RETRY_UNAVAILABLE_MS);
    } else if (frame.client_id && frame.code === "server_error") {
      clearTimeout(state.retryTimer);
      state.retryTimer = setTimeout(resendPending, RETRY_AFTER_ERROR_MS);
    } else if (frame.client_id) {
      dropPending(frame.client_id);
      showNotice(errorText(frame));
    } else {
      showNotice(errorText(frame));
    }
  }

  function tryAgain() {
    // What the service could not store: the resume of the chat, the lines, the end.
    if (!state.welcomed) {
      if (state.token) sendHello();
      return;
    }
    resendPending();
    if (state.ending && !state.closed) send({ type: "end" });
  }

  // ---------------------------------------------------------------- start form

  function showStart() {
    view.conversation.hidden = true;
    view.start.hidden = false;
    setStatus("");
    showEndButtons();
  }

  function checkStartForm() {
    const details = {
      name: view.name.value.trim(),
      email: view.email.value.trim(),
      phone: view.phone.value.trim(),
    };
    const nameProblem = !details.name ? t.needName : details.name.length > 100 ? t.nameTooLong : "";
    let contactProblem = !details.email && !details.phone ? t.needContact : "";
    if (!contactProblem && details.email && !/^[^\s@]+@[^\s@]+$/.test(details.email)) contactProblem = t.badEmail;
    markField(view.name, view.nameError, nameProblem);
    markField(view.email, view.contactError, contactProblem);
    view.phone.setAttribute("aria-invalid", String(contactProblem === t.needContact));
    return nameProblem || contactProblem ? null : details;
  }

  function markField(input, errorElement, problem) {
    errorElement.textContent = problem;
    input.setAttribute("aria-invalid", String(Boolean(problem)));
  }

  function startChat(event) {
    event.preventDefault();
    view.startError.textContent = "";
    const details = checkStartForm();
    if (!details) return;
    state.details = { ...details, page: params.get("page") || document.referrer || null, language: LANG };
    view.startButton.disabled = true;
    if (state.socket && state.socket.readyState === WebSocket.OPEN) sendHello();
    else connect();
  }

  function startRefused(message) {
    state.details = null;
    view.startButton.disabled = false;
    view.startError.textContent = message;
  }

  // ---------------------------------------------------------------- conversation

  function showConversation() {
    view.start.hidden = true;
    view.conversation.hidden = false;
    view.closed.hidden = !state.closed;
    view.compose.hidden = state.closed;
    showEndButtons();
    if (!state.closed) view.text.focus();
  }

  // ---------------------------------------------------------------- ending the chat

  function showEndButtons() {
    const open = !view.conversation.hidden && !state.closed && !state.ending;
    view.endChat.hidden = !open;
    view.endKeep.hidden = !open || !state.confirmingEnd;
    view.endChat.textContent = state.confirmingEnd ? t.endConfirm : t.endChat;
    view.endChat.classList.toggle("confirm", state.confirmingEnd);
  }

  function endClicked() {
    if (!state.confirmingEnd) {
      state.confirmingEnd = true;
      clearTimeout(state.endTimer);
      state.endTimer = setTimeout(keepChatting, END_CONFIRM_MS);
      showEndButtons();
      return;
    }
    clearTimeout(state.endTimer);
    state.confirmingEnd = false;
    state.ending = true;
    showEndButtons();
    if (state.welcomed) send({ type: "end" });
    else if (!state.socket) connect(); // the welcome sends it
  }

  function keepChatting() {
    clearTimeout(state.endTimer);
    state.confirmingEnd = false;
    showEndButtons();
  }

  function renderTranscript(transcript) {
    view.lines.replaceChildren();
    state.shownLines.clear();
    state.pendingElements.clear();
    for (const line of transcript) {
      showLine(line);
      if (line.from === "customer") state.myName = line.author;
    }
    for (const entry of state.pending) showPending(entry);
  }

  function lineElement(from, author, at, text) {
    const item = document.createElement("li");
    item.className = `line from-${from === "customer" || from === "agent" ? from : "system"}`;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = from === "system" ? formatTime(at) : `${author} · ${formatTime(at)}`;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = text;
    item.append(meta, bubble);
    return item;
  }

  function formatTime(at) {
    return new Date(at * 1000).toLocaleTimeString(LANG === "zh" ? "zh-CN" : "en", {
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  function appendLine(item) {
    const list = view.lines;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(item);
    if (atBottom || item.classList.contains("from-customer")) list.scrollTop = list.scrollHeight;
  }

  function showLine(line) {
    if (!line || state.shownLines.has(line.id)) return; // a line may come by transcript, replay and push
    const item = lineElement(line.from, line.author, line.at, line.text);
    item.dataset.id = line.id;
    state.shownLines.set(line.id, item);
    appendLine(item);
  }

  function showPending(entry) {
    const item = lineElement("customer", state.myName || t.you, Date.now() / 1000, entry.text);
    item.classList.add("pending");
    const sending = document.createElement("div");
    sending.className = "state";
    sending.textContent = t.sending;
    item.append(sending);
    state.pendingElements.set(entry.client_id, item);
    appendLine(item);
  }

  function acknowledge(clientId, line) {
    const item = state.pendingElements.get(clientId);
    state.pendingElements.delete(clientId);
    state.pending = state.pending.filter((entry) => entry.client_id !== clientId);
    savePending();
    if (!item) return showLine(line);
    if (state.shownLines.has(line.id)) return item.remove();
    // The pending bubble becomes the stored line, where it stands.
    const stored = lineElement(line.from, line.author, line.at, line.text);
    stored.dataset.id = line.id;
    item.replaceWith(stored);
    state.shownLines.set(line.id, stored);
  }

  function dropPending(clientId) {
    const item = state.pendingElements.get(clientId);
    if (item) item.remove();
    state.pendingElements.delete(clientId);
    state.pending = state.pending.filter((entry) => entry.client_id !== clientId);
    savePending();
  }

  function resendPending() {
    if (!state.welcomed) return;
    for (const entry of state.pending) send({ type: "message", text: entry.text, client_id: entry.client_id });
  }

  function sendText() {
    const text = view.text.value.trim();
    if (!text || state.closed) return;
    if (text.length > MAX_TEXT) return showNotice(t.tooLong);
    const entry = { client_id: newId(), text };
    state.pending.push(entry);
    savePending();
    showPending(entry);
    view.text.value = "";
    growTextBox();
    // Without a welcome yet, the next welcome sends it.
    if (state.welcomed) send({ type: "message", text: entry.text, client_id: entry.client_id });
  }

  function customerTyping() {
    growTextBox();
    const now = Date.now();
    if (!state.welcomed || !view.text.value.trim() || now - state.lastTypingSent < TYPING_EVERY_MS) return;
    state.lastTypingSent = now;
    send({ type: "typing" });
  }

  function growTextBox() {
    view.text.style.height = "auto";
    view.text.style.height = `${Math.min(view.text.scrollHeight, 120)}px`;
  }

  function showTyping(name) {
    view.typingText.textContent = t.typing.replace("{name}", name || "");
    view.typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    view.typing.hidden = true;
  }

  function showNotice(message) {
    view.notice.textContent = message;
    view.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => { view.notice.hidden = true; }, 6000);
  }

  function showClosed(by) {
    state.closed = true;
    clearTimeout(state.endTimer);
    state.confirmingEnd = false;
    view.closedText.textContent = state.ending || by === "customer" ? t.youEnded : t.closed;
    hideTyping();
    view.closed.hidden = false;
    view.compose.hidden = true;
    showEndButtons();
  }

  function forgetChat() {
    state.token = null;
    state.closed = false;
    state.ending = false;
    state.confirmingEnd = false;
    clearTimeout(state.endTimer);
    state.pending = [];
    storage.remove(TOKEN_KEY);
    savePending();
    view.lines.replaceChildren();
    state.shownLines.clear();
    state.pendingElements.clear();
  }

  function newChat() {
    send({ type: "leave" });
    dropSocket();
    forgetChat();
    showStart();
    view.name.focus();
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    view.start.addEventListener("submit", startChat);
    view.compose.addEventListener("submit", (event) => {
      event.preventDefault();
      sendText();
    });
    view.text.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter breaks the line; never while an input method is composing (Chinese, Japanese).
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      sendText();
    });
    view.text.addEventListener("input", customerTyping);
    $("new-chat").addEventListener("click", newChat);
    view.endChat.addEventListener("click", endClicked);
    view.endKeep.addEventListener("click", keepChatting);
    window.addEventListener("online", () => {
      if (!state.socket && state.token && !state.closed) connect();
    });
    if (params.get("embed") === "1" && window.parent !== window) {
      const close = $("close-embed");
      close.hidden = false;
      close.addEventListener("click", () => window.parent.postMessage({ cicadaChat: "close" }, "*"));
    }
  }

  applyStrings();
  wire();
  if (state.token) {
    showConversation();
    connect();
  } else {
    showStart();
  }
})();

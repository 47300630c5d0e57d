/*
 * Cicada web chat for a company's own page:
 *
 *   <script src="https://chat.example.com/chat/embed.js" data-lang="zh" async></script>
 *
 * Adds a floating "Chat with us" button that opens the chat (/chat/ of the same
 * server as this script) in an iframe. Styles are set on the elements themselves,
 * so nothing leaks into or out of the host page. data-lang is optional (en, zh);
 * without it the chat follows the browser's language.
 */
(function () {
  "use strict";

  const LABELS = { en: { open: "Chat with us", close: "Close chat" }, zh: { open: "在线咨询", close: "关闭对话" } };
  const script = document.currentScript;
  if (!script || window.__cicadaChat) return;
  window.__cicadaChat = true;

  const chatUrl = new URL("./", script.src); // the folder embed.js came from: /chat/
  const lang = chooseLanguage(script.dataset.lang);
  const labels = LABELS[lang];
  let frame = null;

  function chooseLanguage(asked) {
    for (const code of asked ? [asked] : navigator.languages || [navigator.language || "en"]) {
      const base = String(code).toLowerCase().split("-")[0];
      if (LABELS[base]) return base;
    }
    return "en";
  }

  function styled(tag, styles) {
    const el = document.createElement(tag);
    Object.assign(el.style, styles);
    return el;
  }

  const button = styled("button", {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000",
    padding: "12px 20px", border: "0", borderRadius: "999px", cursor: "pointer",
    background: "#2563eb", color: "#fff", font: "600 15px system-ui, sans-serif",
    boxShadow: "0 6px 20px rgba(0,0,0,.2)",
  });
  button.type = "button";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");

  function openChat() {
    if (!frame) {
      const src = new URL(chatUrl);
      src.searchParams.set("embed", "1");
      src.searchParams.set("lang", lang);
      src.searchParams.set("page", location.href.slice(0, 2000));
      frame = styled("iframe", {
        position: "fixed", right: "20px", bottom: "80px", zIndex: "2147483000",
        width: "min(380px, calc(100vw - 40px))", height: "min(580px, calc(100vh - 110px))",
        border: "0", borderRadius: "16px", background: "#fff", boxShadow: "0 12px 40px rgba(0,0,0,.25)",
      });
      frame.src = src.href;
      frame.title = labels.open;
      frame.allow = "clipboard-write";
      document.body.append(frame);
    }
    frame.style.display = "block";
    button.textContent = labels.close;
    button.setAttribute("aria-expanded", "true");
  }

  function closeChat() {
    if (frame) frame.style.display = "none"; // kept, so the conversation stays open behind the button
    button.textContent = labels.open;
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", () => (frame && frame.style.display !== "none" ? closeChat() : openChat()));
  window.addEventListener("message", (event) => {
    if (frame && event.source === frame.contentWindow && event.data && event.data.cicadaChat === "close") closeChat();
  });

  function mount() {
    document.body.append(button);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

"use strict";
// The web chat on a portal's page: <script src="https://CHAT-ADDRESS/chat/embed.js" defer></script>
// adds a round button at the bottom right that opens the chat in a frame (and closes it again).
(function () {
  const script = document.currentScript;
  if (!script) return;
  const base = new URL(".", script.src).href;
  const label = script.dataset.label || "💬";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-label", script.dataset.title || "Chat");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483646;width:56px;height:56px;" +
    "border-radius:50%;border:0;background:#0b5cab;color:#fff;font-size:26px;box-shadow:0 2px 8px #0005;cursor:pointer";
  let frame = null;
  button.addEventListener("click", () => {
    if (frame) { frame.remove(); frame = null; return; }
    frame = document.createElement("iframe");
    frame.src = base;
    frame.title = script.dataset.title || "Chat";
    frame.style.cssText = "position:fixed;right:16px;bottom:84px;z-index:2147483647;border:0;border-radius:12px;" +
      "width:min(380px,calc(100vw - 32px));height:min(620px,calc(100vh - 110px));box-shadow:0 4px 16px #0005;background:#fff";
    document.body.appendChild(frame);
  });
  document.body.appendChild(button);
})();

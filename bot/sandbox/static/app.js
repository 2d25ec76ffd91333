"use strict";

// Web chat for the local Bot API emulator. Every bot message is rendered from its
// plain text and Telegram entities with DOM nodes only, so bot output is never
// interpreted as HTML.

const SAFE_SCHEMES = ["http:", "https:", "tg:", "mailto:"];
const TOAST_MS = 2500;
const RETRY_MS = 1000;

const state = {
  userId: null,
  since: 0,
  generation: 0, // bumped on user switch so stale long polls stop
  controller: null,
  keyboardJson: "null",
  bubbles: new Map(),
};

const $ = (id) => document.getElementById(id);

async function api(path, body, signal) {
  const options = { signal };
  if (body !== undefined) {
    options.method = "POST";
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// ---------------------------------------------------------------- notifications

let toastTimer = null;

function showToast(text, isError = false) {
  const toast = $("toast");
  toast.textContent = text;
  toast.classList.toggle("error", isError);
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, TOAST_MS);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert-backdrop").hidden = false;
  $("alert-ok").focus();
}

function setConnection(text, offline = false) {
  const status = $("connection");
  status.textContent = text;
  status.classList.toggle("offline", offline);
}

// ---------------------------------------------------------------- users

async function loadUsers(preferredId) {
  const { users } = await api("/api/users");
  const select = $("user-select");
  select.replaceChildren(
    // Short enough for a 360 px wide phone; the user id is in the tooltip.
    ...users.map((user) => el("option", { value: String(user.id), title: `${user.first_name} · ${user.id}` },
      `${user.first_name} (${user.language_code || "?"})`)),
  );
  select.disabled = users.length === 0;
  if (users.length === 0) {
    toggleUserForm(true);
    setComposerEnabled(false);
    return;
  }
  const remembered = Number(localStorage.getItem("sandbox.user"));
  const wanted = [preferredId, state.userId, remembered].find((id) => users.some((u) => u.id === id));
  selectUser(wanted ?? users[users.length - 1].id);
}

function selectUser(userId) {
  $("user-select").value = String(userId);
  localStorage.setItem("sandbox.user", String(userId));
  if (state.controller) state.controller.abort();
  state.userId = userId;
  state.since = 0;
  state.generation += 1;
  state.keyboardJson = "null";
  state.bubbles.clear();
  $("chat").replaceChildren($("empty-hint") || emptyHint());
  renderKeyboard(null);
  setComposerEnabled(true);
  poll(state.generation);
}

function emptyHint() {
  return el("p", { className: "empty", id: "empty-hint" }, "Say ", el("code", {}, "/start"), " to begin.");
}

function toggleUserForm(open) {
  $("user-form").hidden = !open;
  $("user-new").setAttribute("aria-expanded", String(open));
  if (open) $("user-name").focus();
}

async function createUser(event) {
  event.preventDefault();
  try {
    const user = await api("/api/users", {
      first_name: $("user-name").value,
      language_code: $("user-lang").value,
      phone_number: $("user-phone").value,
    });
    $("user-form").reset();
    toggleUserForm(false);
    await loadUsers(user.id);
  } catch (error) {
    showToast(error.message, true);
  }
}

function setComposerEnabled(enabled) {
  for (const id of ["message-input", "send-button", "sticker-button"]) $(id).disabled = !enabled;
}

// ---------------------------------------------------------------- live updates

async function poll(generation) {
  let wait = 0; // the first request returns the history at once
  while (generation === state.generation) {
    const controller = new AbortController();
    state.controller = controller;
    try {
      const data = await api(
        `/api/updates?user=${state.userId}&since=${state.since}&wait=${wait}`, undefined, controller.signal,
      );
      if (generation !== state.generation) return;
      applyUpdates(data, wait === 0);
      setConnection(data.user.blocked ? "you blocked this bot" : "online");
      wait = 1;
    } catch (error) {
      if (generation !== state.generation) return;
      setConnection("reconnecting…", true);
      await sleep(RETRY_MS);
    }
  }
}

function applyUpdates(data, isHistory) {
  const chat = $("chat");
  const stickToBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  for (const event of data.events) {
    if (event.kind === "incoming") renderMessage(event.message, "user", false);
    else if (event.kind === "sent") renderMessage(event.message, "bot", false);
    else if (event.kind === "edited") renderMessage(event.message, "bot", !isHistory);
    else if (event.kind === "deleted") removeMessage(event.message_id);
    else if (event.kind === "callback_answer") settleCallback(event, isHistory);
  }
  state.since = data.next;
  renderKeyboard(data.keyboard);
  if (data.events.length && (stickToBottom || isHistory)) chat.scrollTop = chat.scrollHeight;
}

function settleCallback(event, isHistory) {
  const bubble = state.bubbles.get(event.message_id);
  if (bubble) bubble.querySelectorAll(".pending").forEach((b) => b.classList.remove("pending"));
  const answer = event.answer || {};
  if (isHistory || !answer.text) return;
  if (answer.show_alert) showAlert(answer.text);
  else showToast(answer.text);
}

// ---------------------------------------------------------------- messages

function renderMessage(message, side, flash) {
  const hint = $("empty-hint");
  if (hint) hint.remove();
  const bubble = el("article", {
    className: `bubble ${side}${flash ? " flash" : ""}`,
    "data-testid": "message",
    "data-message-id": String(message.message_id),
    "data-from": side,
    "aria-label": side === "bot" ? "Bot message" : "Your message",
  });
  if (message.reply_to_message) bubble.append(replyQuote(message.reply_to_message));
  bubble.append(...mediaNodes(message));
  const text = message.text ?? message.caption;
  if (text) {
    const body = el("div", { className: "text", "data-testid": "message-text" });
    body.append(renderEntities(text, message.entities || message.caption_entities || []));
    bubble.append(body);
  }
  const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
  if (keyboard && keyboard.length) bubble.append(inlineKeyboard(keyboard, message.message_id));
  bubble.append(metaLine(message));

  const existing = state.bubbles.get(message.message_id);
  if (existing) existing.replaceWith(bubble);
  else $("chat").append(bubble);
  state.bubbles.set(message.message_id, bubble);
}

function removeMessage(messageId) {
  const bubble = state.bubbles.get(messageId);
  if (bubble) bubble.remove();
  state.bubbles.delete(messageId);
}

function replyQuote(original) {
  const preview = original.text || original.caption || (original.sticker ? "Sticker" : "Media");
  return el("div", { className: "quote" }, preview);
}

function mediaNodes(message) {
  if (message.photo && message.photo.length) {
    const largest = message.photo[message.photo.length - 1];
    return [el("img", {
      className: "photo", src: fileUrl(largest.file_id), alt: message.caption || "Photo", loading: "lazy",
      "data-testid": "photo",
    })];
  }
  if (message.document) {
    const name = message.document.file_name || "file";
    return [el("a", {
      className: "document", href: fileUrl(message.document.file_id), download: name,
      "data-testid": "document-link",
    }, "📄 ", name, ` (${formatSize(message.document.file_size || 0)})`)];
  }
  if (message.sticker) {
    return [el("div", { className: "sticker", role: "img", "aria-label": "Sticker" }, message.sticker.emoji || "🖼")];
  }
  if (message.contact) {
    const contact = message.contact;
    return [el("div", { className: "contact" }, `📱 ${contact.first_name || "Contact"}`,
      el("span", {}, contact.phone_number))];
  }
  return [];
}

function metaLine(message) {
  const time = new Date(message.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const meta = el("div", { className: "meta" });
  if (message.edit_date) meta.append(el("span", { "data-testid": "edited" }, "edited"));
  meta.append(el("time", {}, time));
  return meta;
}

const fileUrl = (fileId) => `/api/files/${encodeURIComponent(fileId)}`;

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Entities are nested ranges in UTF-16 code units, which is also how JS strings
// index, so offsets can be used directly.
function renderEntities(text, entities) {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const fragment = document.createDocumentFragment();
  appendRange(fragment, text, 0, text.length, sorted);
  return fragment;
}

function appendRange(parent, text, start, end, entities) {
  let cursor = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const entityEnd = entity.offset + entity.length;
    let j = i + 1;
    while (j < entities.length && entities[j].offset < entityEnd) j += 1;
    const from = Math.max(entity.offset, cursor);
    const to = Math.min(entityEnd, end);
    if (from < to) {
      if (from > cursor) parent.append(text.slice(cursor, from));
      const [outer, inner] = entityElement(entity, text.slice(from, to));
      appendRange(inner, text, from, to, entities.slice(i + 1, j));
      parent.append(outer);
      cursor = to;
    }
    i = j;
  }
  if (cursor < end) parent.append(text.slice(cursor, end));
}

function entityElement(entity, covered) {
  const simple = { bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code" };
  if (simple[entity.type]) {
    const node = el(simple[entity.type]);
    return [node, node];
  }
  switch (entity.type) {
    case "pre": {
      const code = el("code");
      if (entity.language) code.dataset.language = entity.language;
      return [el("pre", {}, code), code];
    }
    case "blockquote":
    case "expandable_blockquote": {
      const node = el("blockquote");
      return [node, node];
    }
    case "spoiler": {
      const node = el("span", { className: "spoiler", tabindex: "0", role: "button", "aria-label": "Spoiler, activate to reveal" });
      const reveal = () => { node.classList.add("revealed"); node.removeAttribute("aria-label"); };
      node.addEventListener("click", reveal);
      node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") reveal(); });
      return [node, node];
    }
    case "text_link":
      return linkElement(entity.url);
    case "url":
      return linkElement(/^[a-z]+:/i.test(covered) ? covered : `http://${covered}`);
    case "email":
      return linkElement(`mailto:${covered}`);
    case "bot_command": {
      const node = el("a", { href: "#", onclick: (e) => { e.preventDefault(); sendText(covered); } });
      return [node, node];
    }
    default: {
      const node = el("span");
      return [node, node];
    }
  }
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return SAFE_SCHEMES.includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function linkElement(url) {
  const href = safeUrl(url);
  const node = href
    ? el("a", { href, target: "_blank", rel: "noopener noreferrer", title: href })
    : el("span", { title: "link blocked: unsupported scheme" });
  return [node, node];
}

// ---------------------------------------------------------------- keyboards

function inlineKeyboard(rows, messageId) {
  const keyboard = el("div", { className: "inline-keyboard", role: "group", "aria-label": "Message buttons" });
  for (const row of rows) {
    keyboard.append(el("div", { className: "kb-row" }, ...row.map((button) => inlineButton(button, messageId))));
  }
  return keyboard;
}

function inlineButton(button, messageId) {
  if (button.url) {
    const href = safeUrl(button.url);
    if (href) {
      return el("a", {
        className: "inline-button", href, target: "_blank", rel: "noopener noreferrer",
        "data-testid": "inline-button",
      }, button.text);
    }
  }
  if (button.callback_data !== undefined) {
    const node = el("button", { type: "button", className: "inline-button", "data-testid": "inline-button" }, button.text);
    node.addEventListener("click", () => press(node, messageId, button.callback_data));
    return node;
  }
  return el("button", {
    type: "button", className: "inline-button", "data-testid": "inline-button", disabled: "",
    title: "This button type is not supported in the sandbox",
  }, button.text);
}

async function press(node, messageId, data) {
  node.classList.add("pending");
  try {
    await api("/api/press", { user: state.userId, message_id: messageId, data });
  } catch (error) {
    node.classList.remove("pending");
    showToast(error.message, true);
  }
}

function renderKeyboard(markup) {
  const json = JSON.stringify(markup);
  if (json === state.keyboardJson) return;
  state.keyboardJson = json;
  const container = $("reply-keyboard");
  const input = $("message-input");
  input.placeholder = (markup && markup.input_field_placeholder) || "Message";
  if (!markup || !markup.keyboard) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  container.replaceChildren(...markup.keyboard.map((row) => el(
    "div", { className: "kb-row" }, ...row.map((button) => replyButton(button, markup)),
  )));
  container.hidden = false;
}

function replyButton(button, markup) {
  const spec = typeof button === "string" ? { text: button } : button;
  const node = el("button", { type: "button", className: "reply-button", "data-testid": "reply-button" }, spec.text);
  if (spec.request_contact) {
    node.dataset.request = "contact";
    node.title = "Shares this test user's phone number";
    node.addEventListener("click", () => shareContact(markup));
  } else if (Object.keys(spec).length > 1) {
    node.disabled = true;
    node.title = "This button type is not supported in the sandbox";
  } else {
    node.addEventListener("click", () => sendText(spec.text, true, markup));
  }
  return node;
}

function hideIfOneTime(markup) {
  if (markup && markup.one_time_keyboard) renderKeyboard(null);
}

async function shareContact(markup) {
  try {
    await api("/api/contact", { user: state.userId });
    hideIfOneTime(markup);
  } catch (error) {
    showToast(error.message, true);
  }
}

// ---------------------------------------------------------------- sending

async function sendText(text, fromKeyboard = false, markup = null) {
  if (!text.trim() || state.userId === null) return;
  try {
    await api("/api/send", { user: state.userId, text, from_keyboard: fromKeyboard });
    if (fromKeyboard) hideIfOneTime(markup);
  } catch (error) {
    showToast(error.message, true);
  }
}

async function submitMessage(event) {
  event.preventDefault();
  const input = $("message-input");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  await sendText(text);
  input.focus();
}

async function sendSticker() {
  try {
    await api("/api/sticker", { user: state.userId });
  } catch (error) {
    showToast(error.message, true);
  }
}

// ---------------------------------------------------------------- start

async function init() {
  $("composer").addEventListener("submit", submitMessage);
  $("sticker-button").addEventListener("click", sendSticker);
  $("user-form").addEventListener("submit", createUser);
  $("user-new").addEventListener("click", () => toggleUserForm($("user-form").hidden));
  $("user-cancel").addEventListener("click", () => toggleUserForm(false));
  $("user-select").addEventListener("change", (e) => selectUser(Number(e.target.value)));
  $("alert-ok").addEventListener("click", () => { $("alert-backdrop").hidden = true; });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") $("alert-backdrop").hidden = true;
  });
  try {
    const bot = await api("/api/bot");
    $("bot-name").textContent = bot.username ? `${bot.first_name} (@${bot.username})` : bot.first_name;
    document.title = `${bot.first_name} · sandbox chat`;
    await loadUsers();
  } catch (error) {
    setConnection("emulator unreachable", true);
    showToast(error.message, true);
  }
}

document.addEventListener("DOMContentLoaded", init);

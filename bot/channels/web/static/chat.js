"use strict";
// The web chat page. Everything the server sends is drawn with DOM nodes and textContent only: a text is a tree
// of strings and a few known tags (bot/channels/web/render.py), never HTML, so nothing typed by a citizen or
// written in content can run or change the page.

const BASE = document.body.dataset.base;
const S = JSON.parse(document.getElementById("strings").textContent);
const RETRY_MS = 2000;
const TAGS = { b: "strong", i: "em", u: "u", s: "s", code: "code", pre: "pre", quote: "blockquote" };
const COMMAND = /(^|\s)(\/[a-z_]{2,32})(?=\s|$|[.,!?])/g;
const state = { since: 0, bubbles: new Map(), polling: false };
const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  options.credentials = "same-origin";
  const response = await fetch(`${BASE}/api/${path}`, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || S.failed);
    error.status = response.status;
    throw error;
  }
  return data;
}

// ------------------------------------------------------------------ notices
let toastTimer = null;
function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 3000);
}

function dialog(text, withCancel = false) {
  return new Promise((resolve) => {
    $("alert-text").textContent = text;
    $("alert-cancel").hidden = !withCancel;
    $("alert").hidden = false;
    const done = (answer) => {
      $("alert").hidden = true;
      $("alert-ok").onclick = null;
      $("alert-cancel").onclick = null;
      resolve(answer);
    };
    $("alert-ok").onclick = () => done(true);
    $("alert-cancel").onclick = () => done(false);
    $("alert-ok").focus();
  });
}

// ------------------------------------------------------------------ texts
function textWithCommands(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(COMMAND)) {
    const start = match.index + match[1].length;
    fragment.append(text.slice(last, start));
    const link = el("a", { href: "#", className: "command" }, match[2]);
    link.addEventListener("click", (event) => { event.preventDefault(); sendText(match[2]); });
    fragment.append(link);
    last = start + match[2].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function drawTree(nodes, commands) {
  const fragment = document.createDocumentFragment();
  for (const node of nodes || []) {
    if (typeof node === "string") {
      fragment.append(commands ? textWithCommands(node) : document.createTextNode(node));
      continue;
    }
    let element;
    if (node.t === "a") {
      element = el("a", { href: node.href, target: "_blank", rel: "noopener noreferrer" });
    } else if (node.t === "spoiler") {
      element = el("span", { className: "spoiler", tabindex: "0" });
      element.addEventListener("click", () => element.classList.add("shown"));
    } else {
      element = el(TAGS[node.t] || "span");
    }
    element.append(drawTree(node.c, commands && node.t !== "a"));
    fragment.append(element);
  }
  return fragment;
}

// ------------------------------------------------------------------ messages
function bubble(event) {
  const mine = event.from === "me";
  const node = el("article", {
    className: `bubble ${mine ? "me" : "bot"}`, "data-testid": "message", "data-from": mine ? "me" : "bot",
    "data-id": String(event.id),
  });
  if (event.file) node.append(fileNode(event.file));
  if (event.text) {
    node.append(el("div", { className: "text", "data-testid": "message-text" }, drawTree(event.text, !mine)));
  }
  if (event.buttons && event.buttons.length) node.append(buttons(event.buttons, event.id));
  const time = new Date(event.at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const meta = el("div", { className: "meta" });
  if (event.kind === "edit") meta.append(`${S.edited} · `);
  meta.append(time);
  node.append(meta);
  return node;
}

function fileNode(file) {
  const box = el("div", { className: "file" });
  if (file.kind === "photo") box.append(el("img", { src: file.url, alt: file.name, "data-testid": "photo" }));
  box.append(el("a", {
    className: "button", href: file.url, download: file.name, "data-testid": "file",
  }, `📄 ${file.name}`));
  return box;
}

function buttons(rows, messageId) {
  const box = el("div", { className: "buttons", role: "group", "aria-label": S.buttons });
  for (const row of rows) {
    const line = el("div", { className: "row" });
    for (const button of row) {
      if (button.url) {
        line.append(el("a", {
          className: "button", href: button.url, target: "_blank", rel: "noopener noreferrer", "data-testid": "button",
        }, button.label));
      } else {
        const node = el("button", { type: "button", "data-testid": "button" }, button.label);
        if (button.off) node.disabled = true;
        else node.addEventListener("click", () => press(node, messageId, button.data));
        line.append(node);
      }
    }
    box.append(line);
  }
  return box;
}

function setUnder(under) {
  if (!under) return;
  const box = $("under");
  const form = $("contact");
  box.replaceChildren();
  box.hidden = true;
  form.hidden = true;
  if (under.keyboard) {
    for (const row of under.keyboard) {
      const line = el("div", { className: "row" });
      for (const label of row) {
        const node = el("button", { type: "button", "data-testid": "big-button" }, label);
        node.addEventListener("click", () => sendText(label));
        line.append(node);
      }
      box.append(line);
    }
    box.hidden = false;
  } else if (under.contact) {
    $("contact-title").textContent = under.contact;
    form.hidden = false;
  }
}

function apply(events, history) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 120;
  for (const event of events) {
    state.since = Math.max(state.since, event.seq);
    if (event.kind === "toast") {
      if (!history && event.text) (event.alert ? dialog(event.text) : toast(event.text));
      continue;
    }
    $("welcome").hidden = true;
    const node = bubble(event);
    const old = state.bubbles.get(event.ref);
    if (event.kind === "edit" && old) old.replaceWith(node);
    else chat.append(node);
    state.bubbles.set(event.ref, node);
    setUnder(event.under);
  }
  if (events.length && (atBottom || history)) chat.scrollTop = chat.scrollHeight;
}

async function poll() {
  if (state.polling) return;
  state.polling = true;
  let wait = 0;
  for (;;) {
    try {
      const data = await api(`events?since=${state.since}&wait=${wait}`);
      apply(data.events, wait === 0);
      $("status").textContent = "";
      if (!data.known) { await new Promise((r) => setTimeout(r, RETRY_MS)); continue; }
      wait = 1;
    } catch (error) {
      $("status").textContent = S.offline;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

// ------------------------------------------------------------------ what the citizen does
async function post(path, body) {
  try {
    await api(path, body);
    return true;
  } catch (error) {
    toast(error.message || S.failed);
    return false;
  }
}

async function sendText(text) {
  if (!text.trim()) return;
  $("welcome").hidden = true;
  await post("send", { text });
}

async function press(node, messageId, data) {
  node.disabled = true;
  await post("press", { id: messageId, data });
  node.disabled = false;
}

async function shareContact(event) {
  event.preventDefault();
  if (!$("contact-consent").checked || !$("contact-phone").value.trim()) { toast(S.contact_needed); return; }
  const ok = await post("contact", {
    name: $("contact-name").value, phone: $("contact-phone").value, consent: $("contact-consent").checked,
  });
  if (ok) { $("contact").reset(); $("contact").hidden = true; }
}

async function endChat() {
  if (!(await dialog(S.end_confirm, true))) return;
  if (!(await post("end", {}))) return;
  state.bubbles.clear();
  state.since = 0;
  $("chat").replaceChildren($("welcome"));
  $("welcome").hidden = false;
  $("under").hidden = true;
  $("contact").hidden = true;
  toast(S.ended);
}

function init() {
  document.title = S.title;
  $("title").textContent = S.title;
  $("status").textContent = S.subtitle;
  $("welcome-text").textContent = S.empty;
  $("start").textContent = S.start;
  $("end").textContent = S.end;
  $("input").placeholder = S.placeholder;
  $("send").setAttribute("aria-label", S.send);
  $("send").title = S.send;
  $("contact-name-label").textContent = S.contact_name;
  $("contact-phone-label").textContent = S.contact_phone;
  $("contact-consent-label").textContent = S.contact_consent;
  $("contact-submit").textContent = S.contact_submit;
  $("alert-ok").textContent = S.ok;
  $("alert-cancel").textContent = S.cancel;
  $("start").addEventListener("click", () => sendText("/start"));
  $("end").addEventListener("click", endChat);
  $("contact").addEventListener("submit", shareContact);
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("input").value;
    $("input").value = "";
    sendText(text);
  });
  poll();
}

document.addEventListener("DOMContentLoaded", init);

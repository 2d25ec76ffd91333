// The sandbox's Zalo citizen: every text is inserted with textContent, never as markup.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { user: null, since: 0, timer: null };

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(`api/${path}`, options);
  const text = await response.text();
  if (!response.ok) throw new Error(text || `error ${response.status}`);
  return JSON.parse(text);
}

function say(status) { $("status").textContent = status; }

function bubble(kind, text) {
  const node = document.createElement("div");
  node.className = `message ${kind}`;
  node.dataset.testid = "message";
  node.dataset.from = kind;
  node.textContent = text;
  $("chat").append(node);
  node.scrollIntoView({ block: "end" });
  return node;
}

function show(message) {
  const node = bubble("oa", message.text || (message.template ? `[${message.template}]` : ""));
  if (message.template === "request_user_info") $("share").hidden = false;
  if (!message.buttons.length) return;
  const row = document.createElement("div");
  row.className = "buttons";
  message.buttons.forEach((button, index) => {
    let control;
    if (button.type === "oa.open.url" && /^https?:\/\//.test(button.url)) {
      control = document.createElement("a");
      control.href = button.url; control.target = "_blank"; control.rel = "noopener noreferrer";
    } else if (button.type === "oa.open.phone") {
      control = document.createElement("a");
      control.href = `tel:${button.phone.replace(/[^0-9+]/g, "")}`;
    } else {
      control = document.createElement("button");
      control.type = "button";
      control.addEventListener("click", () => act("press", { message: message.n, button: index }));
    }
    control.dataset.testid = "button";
    control.textContent = button.title;
    row.append(control);
  });
  node.append(row);
}

async function poll() {
  if (!state.user) return;
  try {
    const data = await api(`messages?user=${encodeURIComponent(state.user)}&since=${state.since}`);
    data.messages.forEach(show);
    state.since = data.count;
  } catch (error) {
    say(error.message);
  }
}

async function act(path, body) {
  try {
    await api(path, { user: state.user, ...body });
    say("");
  } catch (error) {
    say(error.message);
  }
  await poll();
}

async function newCitizen(event) {
  event.preventDefault();
  try {
    const data = await api("new", { name: $("name").value });
    state.user = data.id;
    state.since = 0;
    $("chat").replaceChildren();
    $("share").hidden = true;
    for (const id of ["text", "send", "sticker"]) $(id).disabled = false;
    say(`You are ${data.name} (Zalo id ${data.id}). Say hello, or type /start.`);
    clearInterval(state.timer);
    state.timer = setInterval(poll, 700);
  } catch (error) {
    say(error.message);
  }
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("text").value = "";
  bubble("me", text);
  await act("send", { text });
}

async function share(event) {
  event.preventDefault();
  $("share").hidden = true;
  await act("share", { name: $("share-name").value, phone: $("share-phone").value });
}

document.addEventListener("DOMContentLoaded", () => {
  $("who").addEventListener("submit", newCitizen);
  $("composer").addEventListener("submit", send);
  $("share").addEventListener("submit", share);
  $("sticker").addEventListener("click", () => { bubble("me", "[sticker]"); act("sticker", {}); });
});

// planner: push reminders on this device, an ES module. The permission prompt only comes
// from a tap on "Enable reminders" (iOS requires it); on iOS outside the home-screen app
// push is impossible, so a hint says to add the app to the home screen first. Strings come
// from #push-ui (templates/notifications/_bell.html): no strings of our own, no inline JS.
import { sendJson } from "./csrf.js";

const ui = document.getElementById("push-ui");
const MARK = "planner-push-user";

function msg(name, why) {
  return (ui.getAttribute("data-msg-" + name) || "").replace("{why}", why || "");
}
function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}
function isIOS() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
}
function standalone() {
  return navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
}
function keyBytes(b64) {
  const pad = "=".repeat((4 - (b64.length % 4)) % 4);
  const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}
function sameKey(sub) {
  const k = sub && sub.options && sub.options.applicationServerKey;
  if (!k) return true;
  const a = new Uint8Array(k), b = keyBytes(ui.dataset.key);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
async function post(url, body) {
  const r = await sendJson("POST", url, body);
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((j.error && j.error.message) || String(r.status));
  return j;
}
async function registration() {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}
// A subscription made with a rotated key is replaced by one with the current key.
async function subscribe(reg) {
  const old = await reg.pushManager.getSubscription();
  if (old && sameKey(old)) return old;
  if (old) await old.unsubscribe();
  return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(ui.dataset.key) });
}

function status(text) {
  const el = document.getElementById("push-status");
  if (el) el.textContent = text;
}
function show(el, on) { if (el) el.hidden = !on; }

const on = document.querySelector("[data-push-enable]");
const off = document.querySelector("[data-push-disable]");
const hint = document.getElementById("push-ios-hint");

// Called from the tap itself: requestPermission() must be the first thing it does.
async function enable() {
  try {
    const perm = await Notification.requestPermission();
    if (perm !== "granted") { status(msg("denied")); return; }
    const sub = await subscribe(await registration());
    const j = await post(ui.dataset.subscribeUrl, sub.toJSON());
    localStorage.setItem(MARK + "-endpoint", sub.endpoint);
    localStorage.setItem(MARK, ui.dataset.user);
    status(j.message || msg("on"));
    refresh();
  } catch (e) { status(msg("failed", e && e.message)); }
}

async function disable() {
  try {
    const sub = await (await registration()).pushManager.getSubscription();
    if (sub) {
      const endpoint = sub.endpoint;
      await sub.unsubscribe();
      await post(ui.dataset.unsubscribeUrl, { endpoint });
    }
    localStorage.removeItem(MARK);
    localStorage.removeItem(MARK + "-endpoint");
    status(msg("off"));
    refresh();
  } catch (e) { status(msg("failed", e && e.message)); }
}

function refresh() {
  if (!on) return;
  if (!supported()) {
    if (isIOS() && !standalone()) { hint.textContent = msg("ios"); show(hint, true); }
    else status(msg("unsupported"));
    show(on, false); show(off, false);
    return;
  }
  navigator.serviceWorker.getRegistration("/").then((reg) => (reg ? reg.pushManager.getSubscription() : null))
    .then((sub) => {
      const mine = sub && Notification.permission === "granted" && localStorage.getItem(MARK) === ui.dataset.user;
      show(on, !mine); show(off, !!mine);
    }).catch(() => { show(on, true); });
}

// Already on for this user: keep the server's copy current (a rotated key, a renewed
// subscription), at most once a day.
async function renew() {
  const last = Number(localStorage.getItem(MARK + "-at") || 0);
  if (Date.now() - last <= 864e5) return;
  try {
    const sub = await subscribe(await registration());
    localStorage.setItem(MARK + "-endpoint", sub.endpoint);
    await post(ui.dataset.subscribeUrl, sub.toJSON());
    localStorage.setItem(MARK + "-at", String(Date.now()));
  } catch (e) { /* tried again on the next page */ }
}

// Logging out on this device ends its subscription: the server drops it (session), and
// the browser's copy goes too, so the next person here gets nothing of ours.
function onLogout(f) {
  const endpoint = localStorage.getItem(MARK) === ui.dataset.user && localStorage.getItem(MARK + "-endpoint");
  if (endpoint && !f.querySelector("input[name=push_endpoint]")) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = "push_endpoint"; input.value = endpoint;
    f.appendChild(input);
  }
  localStorage.removeItem(MARK);
  localStorage.removeItem(MARK + "-at");
  localStorage.removeItem(MARK + "-endpoint");
  if (!supported()) return;
  navigator.serviceWorker.getRegistration("/").then((reg) => reg && reg.pushManager.getSubscription())
    .then((sub) => { if (sub) sub.unsubscribe(); }).catch(() => {});
}

function start() {
  if (on) on.addEventListener("click", () => { enable(); });
  if (off) off.addEventListener("click", () => { disable(); });
  refresh();
  if (supported() && Notification.permission === "granted" && localStorage.getItem(MARK) === ui.dataset.user) renew();
  document.querySelectorAll('form[action$="/logout"]').forEach((f) => {
    f.addEventListener("submit", () => onLogout(f));
  });
}

if (ui) start();

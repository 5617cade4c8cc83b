// The status banner under the top bar (#status-banner): offline, last updated, sent.
import { msg } from "./ui.js";
import { hhmm } from "./util.js";

export function banner(text, kind) {
  const b = document.getElementById("status-banner");
  if (!b) return;
  b.textContent = text;
  b.dataset.source = "offline";
  b.classList.toggle("banner-ok", kind === "ok");
  b.hidden = !text;
}

export function clearBanner() {
  const b = document.getElementById("status-banner");
  if (b && b.dataset.source === "offline") { b.hidden = true; b.textContent = ""; }
}

export function offlineBanner() {
  const at = document.documentElement.dataset.offlineAt;
  if (at) banner(msg("offline-at", { time: hhmm(new Date(Number(at) || Date.now())) }));
  else if (!navigator.onLine) banner(msg("offline-now"));
}

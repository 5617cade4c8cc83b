// The outbox card (#outbox, moved into [data-outbox-slot] on Today): what waits on the
// phone, its state and reason, Correct and Discard; and the local numbers.
import { applyLocal } from "./numbers.js";
import { everything, isMine, reasons } from "./store.js";
import { msg, ui } from "./ui.js";
import { fen, hhmm, money } from "./util.js";

function describe(item) {
  const p = item.payload || {};
  const parts = [];
  const at = new Date(p.visited_at || p.logged_at || item.created);
  if (!isNaN(at.getTime())) parts.push(item.day + " " + hhmm(at));
  if (fen(p.amount_signed)) parts.push(msg("signed", { amount: money(fen(p.amount_signed)) }));
  if (fen(p.amount_collected)) parts.push(msg("collected", { amount: money(fen(p.amount_collected)) }));
  return parts.join(" · ");
}

function stateText(item, other) {
  if (other) return msg("other-account");
  return { pending: msg("pending"), rejected: msg("rejected"), failed: msg("failed") }[item.status] || msg("conflict");
}

function row(tpl, item) {
  const li = tpl.content.firstElementChild.cloneNode(true);
  const f = (n) => li.querySelector('[data-f="' + n + '"]');
  const other = !isMine(item);
  li.dataset.id = item.id;
  li.dataset.status = other ? "other" : item.status;
  li.classList.add("is-" + li.dataset.status);
  f("label").textContent = item.label || "";
  f("state").textContent = stateText(item, other);
  f("state").classList.add(item.status === "pending" || other ? "warn" : "bad");
  f("detail").textContent = describe(item);
  const errs = f("errors");
  const why = reasons(item);
  why.forEach((r) => { const e = document.createElement("li"); e.textContent = r; errs.appendChild(e); });
  errs.hidden = why.length === 0;
  if (other) {
    // Saved by another account on this phone: kept for it, not ours to send or discard.
    f("actions").hidden = true;
  } else {
    // A pending one can be discarded too (after a confirmation); a rejected one or one
    // that failed on the server can be corrected and sent again.
    const formUrl = ui().dataset.formUrl;
    const correctable = item.status === "rejected" || item.status === "failed";
    f("correct").hidden = !correctable || !formUrl || (item.type || "visit") !== "visit";
    f("correct").href = (formUrl || "#") + "?outbox=" + encodeURIComponent(item.id);
    f("discard").dataset.id = item.id;
  }
  return li;
}

// Draw the card and the local numbers from the outbox.
export function render() {
  if (!ui()) return Promise.resolve();
  return draw().catch(() => { /* IndexedDB unavailable (private mode): nothing to show */ });
}

async function draw() {
  const items = await everything();
  const box = document.getElementById("outbox");
  const slot = document.querySelector("[data-outbox-slot]");
  if (box && slot && box.parentNode !== slot) slot.appendChild(box);
  applyLocal(items);
  if (!box) return;
  box.hidden = items.length === 0;
  box.querySelector("[data-outbox-count]").textContent = String(items.length);
  const list = box.querySelector("[data-outbox-list]");
  const tpl = document.getElementById("outbox-item");
  list.textContent = "";
  let review = 0;
  for (const item of items) {
    if (isMine(item) && item.status !== "pending") review += 1;
    list.appendChild(row(tpl, item));
  }
  const status = box.querySelector("[data-outbox-status]");
  if (review) { status.textContent = msg("review", { n: review }); status.hidden = false; }
  else if (status.dataset.kind !== "transient") { status.hidden = true; }
}

// A passing word on the card ("Sending failed, will retry", "Log in again", ...).
export function cardStatus(text) {
  const box = document.getElementById("outbox");
  const status = box && box.querySelector("[data-outbox-status]");
  if (!status) return;
  status.textContent = text;
  status.dataset.kind = "transient";
  status.hidden = !text;
}

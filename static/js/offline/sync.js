// Sending the outbox: POST /api/v1/sync in batches of 50 with a fresh CSRF token (../csrf.js), under
// the session of the user who saved each item; then the server's numbers replace the
// local ones. Each item applies at most once (its id).
import { sessionToken, setCsrfToken } from "../csrf.js";
import { banner, clearBanner } from "./banner.js";
import { cardStatus, render } from "./card.js";
import { deleteItem, mine, putItem } from "./store.js";
import { formDirty, fromCache, msg, ui } from "./ui.js";

const BATCH = 50;
let draining = null;

export function drain() {
  if (!ui()) return Promise.resolve();
  if (draining) return draining;
  draining = (async () => {
    try {
      const sent = await sendPending();
      if (sent) {
        banner(msg("sent", { n: sent }), "ok");
        setTimeout(clearBanner, 5000);
        await refresh();
      }
    } catch (err) {
      const m = err && err.message;
      cardStatus(m === "login" ? msg("login") : m === "account" ? msg("account") : msg("retry"));
    }
    draining = null;
    return render();
  })();
  return draining;
}

async function sendPending() {
  const pending = (await mine()).filter((i) => i.status === "pending");
  if (!pending.length || !navigator.onLine) return 0;
  const data = await sessionToken(ui().dataset.csrfUrl);
  // This page was rendered for another user than the session's now (logged out and in as
  // someone else in another tab): send nothing under the wrong account.
  if (data.user !== undefined && String(data.user) !== ui().dataset.user) throw new Error("account");
  let token = data.csrf_token;
  let sent = 0;
  for (let i = 0; i < pending.length; i += BATCH) {
    const res = await sendOrIsolate(pending.slice(i, i + BATCH), token);
    token = res.token || token;
    sent += res.done;
  }
  setCsrfToken(token);
  return sent;
}

async function sendBatch(batch, token) {
  const body = JSON.stringify({ items: batch.map((i) => ({ id: i.id, type: i.type, user: i.user, payload: i.payload })) });
  const resp = await fetch(ui().dataset.syncUrl, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    body,
  });
  if (resp.status === 401) throw new Error("login");
  if (!resp.ok) {
    // 5xx, CSRF, another account: all stay pending; sendOrIsolate decides what next.
    const j = await resp.json().catch(() => ({}));
    const err = new Error(resp.status === 409 ? "account" : "retry");
    err.status = resp.status;
    err.reason = (j && j.error && j.error.message) || "HTTP " + resp.status;
    throw err;
  }
  const data = await resp.json();
  const byId = {};
  batch.forEach((i) => { byId[i.id] = i; });
  let done = 0;
  await Promise.all((data.results || []).map((r) => {
    const item = byId[r.id];
    if (!item) return null;
    if (r.status === "applied" || r.status === "duplicate") { done += 1; return deleteItem(item.id); }
    // Rejected or conflicting: kept on the phone with the reason, never resent by itself.
    item.status = r.status === "conflict" ? "conflict" : "rejected";
    item.errors = r.errors || null;
    item.message = r.message || "";
    return putItem(item);
  }));
  return { done, token: data.csrf_token };
}

// A batch the server answers with a 5xx twice in a row is sent again one item at a time:
// the item that fails alone is marked "failed on the server" with the reason (kept, with
// Correct and Discard, not resent by itself); the others go through. If every item fails
// alone too, the server is in trouble, not an item: all stay pending for a later retry.
async function sendOrIsolate(batch, token) {
  try {
    return await sendBatch(batch, token);
  } catch (err) {
    if (!err || !(err.status >= 500)) throw err;
    batch.forEach((i) => { i.fails = (i.fails || 0) + 1; });
    await Promise.all(batch.map(putItem));
    if (!batch.some((i) => i.fails >= 2)) throw err;
    return isolate(batch, token);
  }
}

async function isolate(batch, token) {
  let done = 0;
  const failed = [];
  for (const item of batch) {
    try {
      const res = await sendBatch([item], token);
      token = res.token || token;
      done += res.done;
    } catch (err) {
      if (!(err && err.status >= 500)) throw err; // offline again, logged out: the rest stay pending
      failed.push([item, err]);
    }
  }
  if (batch.length > 1 && failed.length === batch.length) throw failed[0][1];
  await Promise.all(failed.map(([item, err]) => {
    item.status = "failed";
    item.errors = null;
    item.message = msg("failed-reason", { reason: err.reason });
    return putItem(item);
  }));
  return { done, token };
}

// After a sync the server's numbers replace the local ones: the regions marked
// [data-sync-refresh][id] are fetched again; a page from the cache reloads.
async function refresh() {
  const regions = document.querySelectorAll("[data-sync-refresh][id]");
  const wasCached = fromCache();
  if (!regions.length && !wasCached) return;
  if (wasCached && !formDirty()) { reloadOnce(); return; }
  try {
    const resp = await fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin", headers: { Accept: "text/html" }, cache: "no-store",
    });
    if (!resp.ok || resp.redirected) return;
    const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
    regions.forEach((el) => {
      const fresh = doc.getElementById(el.id);
      if (!fresh) return;
      const node = document.importNode(fresh, true);
      el.replaceWith(node);
      if (window.htmx) window.htmx.process(node);
    });
  } catch (e) { /* offline again: the next sync refreshes */ }
}

let reloading = false;
export function reloadOnce() {
  if (reloading) return;
  reloading = true;
  window.location.reload();
}

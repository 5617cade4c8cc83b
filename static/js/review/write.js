// The rep writing their weekly review (form[data-review-form]).
// - The text is kept on the phone at every keystroke (draft.js) and saved to the server
//   800 ms after the last one (PUT /api/v1/reviews/week/<monday>, with the version it was
//   read at). Offline it waits on the phone.
// - Submitting goes into the offline layer's outbox (../offline/outbox.js) as an item of
//   type "review", sent by the same POST /api/v1/sync as visits: applied at most once. A
//   review changed on the server meanwhile comes back as a conflict and is shown here,
//   never silently overwritten; the person decides (keep their text, or the server's).
import { sendJson } from "../csrf.js";
import * as outbox from "../offline/outbox.js";
import { hhmm } from "../offline/util.js";
import { draftStore, fieldsOf, fill, lock } from "./draft.js";
import { msg, page, say, serverCopy } from "./page.js";

const DELAY_MS = 800;

// One review being written: the form, its status line and conflict box, the version the
// page was read at, the text kept on the phone and the save under way.
function writing(form) {
  return {
    form, week: page.dataset.week,
    local: draftStore(page.dataset.user, page.dataset.week),
    status: form.querySelector("[data-review-saved]"),
    conflictBox: document.querySelector("[data-review-conflict]"),
    version: Number(page.dataset.version || 0),
    timer: null, inflight: null, again: false,
  };
}

function setVersion(r, v) {
  r.version = v;
  page.dataset.version = String(v);
  r.form.elements.version.value = String(v);
}

const keep = (r) => r.local.write({ fields: fieldsOf(r.form), base: r.version, dirty: true, at: Date.now() });
const savedOnPhone = (r, at) => say(r.status, msg("saved-phone", { time: hhmm(new Date(at)) }));

// Save the kept text to the server; a save asked for while one is under way follows it.
function save(r) {
  if (r.inflight) { r.again = true; return r.inflight; }
  const kept = r.local.read();
  if (!kept || !kept.dirty || kept.queued) return Promise.resolve(null);
  if (!navigator.onLine) { savedOnPhone(r, kept.at); return Promise.resolve(null); }
  say(r.status, msg("saving"));
  r.inflight = (async () => {
    try {
      await put(r, kept);
    } catch (e) {
      savedOnPhone(r, kept.at); // no network after all: it stays on the phone
    } finally {
      r.inflight = null;
    }
    if (r.again) { r.again = false; return save(r); }
    return null;
  })();
  return r.inflight;
}

async function put(r, kept) {
  const resp = await sendJson("PUT", page.dataset.apiUrl, { ...kept.fields, version: kept.base });
  const data = await resp.json().catch(() => ({}));
  if (resp.ok) { saved(r, kept, data.version); return; }
  if (resp.status === 409) { conflict(r, data.error ? data.error.message : "", data.review); return; }
  // The API's one error shape: {error: {code, message, fields?}}.
  const err = data.error || {};
  const reason = err.fields ? Object.values(err.fields).join(" ") : err.message || "HTTP " + resp.status;
  say(r.status, msg("failed", { reason }), true);
}

function saved(r, kept, version) {
  setVersion(r, version);
  const now = r.local.read() || kept;
  r.local.write({ ...now, base: version, dirty: now.at !== kept.at }); // typed meanwhile: still dirty
  say(r.status, msg("saved", { time: hhmm(new Date()) }));
  const badge = document.querySelector(".review-state [data-review-state='none']");
  if (badge) { badge.dataset.reviewState = "draft"; badge.textContent = msg("state-draft"); }
}

function conflict(r, message, server) {
  const box = r.conflictBox;
  if (!box) return;
  box.hidden = false;
  box.querySelector('[data-f="message"]').textContent = message || msg("conflict", { status: page.dataset.status });
  const line = box.querySelector('[data-f="server"]');
  const show = (s) => { line.textContent = s && s.review_comment ? "“" + s.review_comment + "”" : ""; };
  show(server);
  say(r.status, "");
  // The server's copy: the manager's comment is what the rep needs to see next.
  if (!server && navigator.onLine) serverCopy().then(show).catch(() => {});
}

// The queued submission's fate: gone = applied (or already there): show the server's page.
async function settle(r, id) {
  const item = await outbox.get(id);
  if (!item) { r.local.clear(); window.location.reload(); return; }
  if (item.status === "pending") { lock(r.form, true); say(r.status, msg("queued")); return; }
  lock(r.form, false);
  if (item.status === "conflict") { conflict(r, item.message); return; }
  say(r.status, msg("rejected", { reason: outbox.reasons(item).join(" ") }), true);
}

async function submit(r) {
  clearTimeout(r.timer);
  if (r.inflight) await r.inflight;
  const fields = fieldsOf(r.form);
  // An earlier submission the server refused is replaced by this one.
  const before = r.local.read();
  if (before && before.queued) {
    const old = await outbox.get(before.queued);
    if (old && old.status !== "pending") await outbox.remove(before.queued);
  }
  const item = await outbox.queue("review", { action: "submit", week: r.week, version: r.version, fields },
    r.week, msg("label-submit", { week: r.week }));
  r.local.write({ fields, base: r.version, dirty: false, at: Date.now(), queued: item.id });
  lock(r.form, true);
  say(r.status, msg("queued"));
  await outbox.drainFor(item.id);
  await settle(r, item.id);
}

// Keep the text typed here, on top of the server's newest version (if it is still the
// author's to edit): the conflict is resolved by the person, not by the machine.
async function keepMine(r) {
  const server = await serverCopy();
  if (!server) return;
  const kept = r.local.read();
  if (kept && kept.queued) await outbox.remove(kept.queued);
  if (server.status === "submitted" || server.status === "approved") {
    r.local.clear();
    window.location.reload();
    return;
  }
  setVersion(r, server.version);
  page.dataset.status = server.status;
  r.local.write({ fields: fieldsOf(r.form), base: server.version, dirty: true, at: Date.now() });
  r.conflictBox.hidden = true;
  lock(r.form, false);
  save(r);
}

async function showServers(r) {
  const kept = r.local.read();
  if (kept && kept.queued) await outbox.remove(kept.queued);
  r.local.clear();
  window.location.reload();
}

// What the phone kept from before (the page was closed, or is an older cached copy).
function restore(r) {
  const kept = r.local.read();
  if (!kept) return;
  if (kept.queued) {
    fill(r.form, kept.fields || {});
    settle(r, kept.queued);
  } else if (kept.base >= r.version) {
    // As new as the page or newer (the page came from the offline cache): the phone's text.
    fill(r.form, kept.fields || {});
    if (kept.base > r.version) setVersion(r, kept.base);
    if (!kept.dirty) return;
    say(r.status, msg("restored", { time: hhmm(new Date(kept.at)) }));
    if (navigator.onLine) save(r);
  } else if (kept.dirty) {
    fill(r.form, kept.fields || {});
    conflict(r, "");
  } else {
    r.local.clear();
  }
}

export function startWriting(form) {
  const r = writing(form);
  form.addEventListener("input", () => {
    keep(r);
    savedOnPhone(r, Date.now());
    clearTimeout(r.timer);
    r.timer = setTimeout(() => save(r), DELAY_MS);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if ((e.submitter ? e.submitter.value : "save") === "submit") { submit(r); return; }
    clearTimeout(r.timer);
    keep(r);
    save(r);
  });
  if (r.conflictBox) {
    r.conflictBox.querySelector("[data-review-keep]").addEventListener("click", () => keepMine(r));
    r.conflictBox.querySelector("[data-review-reload]").addEventListener("click", () => showServers(r));
  }
  window.addEventListener("online", async () => {
    const kept = r.local.read();
    await outbox.drain();
    if (kept && kept.queued) await settle(r, kept.queued);
    else save(r);
  });
  restore(r);
}

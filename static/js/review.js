// The weekly review, an ES module. No inline scripts, no eval; every string the
// person sees comes from data-msg-* attributes the server rendered in the page's language
// (templates/reviews/review.html, team.html).
//
// - The rep's draft is kept on the phone (localStorage) at every keystroke and saved to the
//   server 800 ms after the last one (PUT /api/v1/reviews/week/<monday>, with the version
//   it was read at). It survives closing the page; offline it waits on the phone.
// - Submitting, and a manager's approve / return, go into the outbox of the offline layer
//   (static/js/offline/outbox.js) as items of type "review" and are sent by the same
//   POST /api/v1/sync as visits: applied at most once (the item id). A review changed on
//   the server meanwhile comes back as a conflict and is shown here, never silently
//   overwritten.
// - Without JavaScript the forms post as ordinary forms.
import * as outboxApi from "./offline/outbox.js";
import { freshToken, pageToken as token } from "./offline/sync.js";
import { msg as uiMsg } from "./offline/ui.js";
import { hhmm, pad } from "./offline/util.js";

const DELAY_MS = 800;
const page = document.querySelector("[data-review-page]");

const msg = (key, vars) => uiMsg(key, vars, page);
const outbox = () => outboxApi;
// A JSON request with the session's CSRF token (fetched afresh once if the page's is stale).
async function send(method, url, body) {
  const go = (t) => fetch(url, {
    method, credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": t },
    body: JSON.stringify(body),
  });
  let resp = await go(token());
  if (resp.status === 400) resp = await go(await freshToken());
  return resp;
}

// Send the outbox now; a sync already under way may have begun before this item was
// queued: then once more.
async function drainFor(id) {
  const box = outbox();
  await box.drain();
  const item = await box.get(id);
  if (item && item.status === "pending" && navigator.onLine) await box.drain();
}

function say(el, text, bad) {
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("is-error", !!bad);
}

// ------------------------------------------------------------------ the rep's review
function repReview(form) {
  const week = page.dataset.week;
  const KEY = "planner-review:" + page.dataset.user + ":" + week;
  const status = form.querySelector("[data-review-saved]");
  const conflictBox = document.querySelector("[data-review-conflict]");
  let version = Number(page.dataset.version || 0);
  let timer = null;
  let inflight = null;
  let again = false;

  const readLocal = () => { try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; } };
  const writeLocal = (v) => { try { localStorage.setItem(KEY, JSON.stringify(v)); } catch (e) { /* full: the server copy still saves */ } };
  const clearLocal = () => { try { localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ } };
  const fields = () => {
    const out = {};
    form.querySelectorAll("[data-review-field]").forEach((el) => { out[el.name] = el.value; });
    return out;
  };
  const fill = (values) => {
    form.querySelectorAll("[data-review-field]").forEach((el) => {
      if (Object.prototype.hasOwnProperty.call(values, el.name)) el.value = values[el.name];
    });
  };
  const setVersion = (v) => {
    version = v;
    page.dataset.version = String(v);
    form.elements.version.value = String(v);
  };
  const lock = (on) => {
    form.classList.toggle("is-queued", on);
    form.querySelectorAll("textarea, input:not([type=hidden]), button").forEach((el) => {
      if (el.tagName === "BUTTON") el.disabled = on; else el.readOnly = on;
    });
  };

  function keep() {
    writeLocal({ fields: fields(), base: version, dirty: true, at: Date.now() });
  }

  async function save() {
    if (inflight) { again = true; return inflight; }
    const local = readLocal();
    if (!local || !local.dirty || local.queued) return null;
    if (!navigator.onLine) { say(status, msg("saved-phone", { time: hhmm(new Date(local.at)) })); return null; }
    say(status, msg("saving"));
    inflight = (async () => {
      try {
        const resp = await send("PUT", page.dataset.apiUrl, { ...local.fields, version: local.base });
        const data = await resp.json().catch(() => ({}));
        if (resp.ok) {
          setVersion(data.version);
          const now = readLocal() || local;
          writeLocal({ ...now, base: data.version, dirty: now.at !== local.at });
          say(status, msg("saved", { time: hhmm(new Date()) }));
          const badge = document.querySelector(".review-state [data-review-state='none']");
          if (badge) { badge.dataset.reviewState = "draft"; badge.textContent = msg("state-draft"); }
        } else if (resp.status === 409) {
          conflict(data.error ? data.error.message : "", data.review);
        } else {
          // The API's one error shape: {error: {code, message, fields?}}.
          const err = data.error || {};
          const reason = err.fields ? Object.values(err.fields).join(" ") :
            err.message || "HTTP " + resp.status;
          say(status, msg("failed", { reason }), true);
        }
      } catch (e) {
        say(status, msg("saved-phone", { time: hhmm(new Date(local.at)) }));
      } finally {
        inflight = null;
      }
      if (again) { again = false; return save(); }
      return null;
    })();
    return inflight;
  }

  function conflict(message, server) {
    if (!conflictBox) return;
    conflictBox.hidden = false;
    conflictBox.querySelector('[data-f="message"]').textContent = message ||
      msg("conflict", { status: page.dataset.status });
    const line = conflictBox.querySelector('[data-f="server"]');
    const show = (s) => { line.textContent = s && s.review_comment ? "“" + s.review_comment + "”" : ""; };
    show(server);
    say(status, "");
    // The server's copy: the manager's comment is what the rep needs to see next.
    if (!server && navigator.onLine) {
      fetch(page.dataset.apiUrl, { credentials: "same-origin", cache: "no-store",
        headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null)).then(show).catch(() => {});
    }
  }

  // The queued submission's fate: gone = applied (or already there): show the server's page.
  async function settle(id) {
    const box = outbox();
    const item = box && (await box.get(id));
    if (!item) { clearLocal(); window.location.reload(); return; }
    if (item.status === "pending") { lock(true); say(status, msg("queued")); return; }
    lock(false);
    if (item.status === "conflict") { conflict(item.message); return; }
    const reasons = Object.values(item.errors || {});
    if (item.message) reasons.push(item.message);
    say(status, msg("rejected", { reason: reasons.join(" ") }), true);
  }

  async function submit() {
    const box = outbox();
    clearTimeout(timer);
    if (inflight) await inflight;
    const f = fields();
    // An earlier submission the server refused is replaced by this one.
    const before = readLocal();
    if (before && before.queued) {
      const old = await box.get(before.queued);
      if (old && old.status !== "pending") await box.remove(before.queued);
    }
    const item = {
      id: box.uuid(), type: "review", user: page.dataset.user,
      payload: { action: "submit", week, version, fields: f },
      status: "pending", errors: null, message: "", fails: 0, created: Date.now(), day: week,
      label: msg("label-submit", { week }),
    };
    await box.put(item);
    writeLocal({ fields: f, base: version, dirty: false, at: Date.now(), queued: item.id });
    lock(true);
    say(status, msg("queued"));
    await drainFor(item.id);
    await settle(item.id);
  }

  form.addEventListener("input", () => {
    keep();
    say(status, msg("saved-phone", { time: hhmm(new Date()) }));
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });
  form.addEventListener("submit", (e) => {
    if (!outbox()) return; // no offline layer: the ordinary form post
    e.preventDefault();
    const action = e.submitter ? e.submitter.value : "save";
    if (action === "submit") { submit(); return; }
    clearTimeout(timer);
    keep();
    save();
  });
  conflictBox && conflictBox.querySelector("[data-review-keep]").addEventListener("click", async () => {
    // Keep the text typed here, on top of the server's newest version (if it is still the
    // author's to edit): the conflict is resolved by the person, not by the machine.
    const resp = await fetch(page.dataset.apiUrl, { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json" } });
    if (!resp.ok) return;
    const server = await resp.json();
    const local = readLocal();
    if (local && local.queued && outbox()) await outbox().remove(local.queued);
    if (server.status === "submitted" || server.status === "approved") {
      clearLocal();
      window.location.reload();
      return;
    }
    setVersion(server.version);
    page.dataset.status = server.status;
    writeLocal({ fields: fields(), base: server.version, dirty: true, at: Date.now() });
    conflictBox.hidden = true;
    lock(false);
    save();
  });
  conflictBox && conflictBox.querySelector("[data-review-reload]").addEventListener("click", async () => {
    const local = readLocal();
    if (local && local.queued && outbox()) await outbox().remove(local.queued);
    clearLocal();
    window.location.reload();
  });
  window.addEventListener("online", async () => {
    const box = outbox();
    const local = readLocal();
    if (box) await box.drain();
    if (local && local.queued) await settle(local.queued);
    else save();
  });

  // What the phone kept from before (the page was closed, or is an older cached copy).
  const local = readLocal();
  if (local && local.queued) {
    fill(local.fields || {});
    settle(local.queued);
  } else if (local && local.base >= version) {
    // As new as the page or newer (the page came from the offline cache): the phone's text.
    fill(local.fields || {});
    if (local.base > version) setVersion(local.base);
    if (local.dirty) {
      say(status, msg("restored", { time: hhmm(new Date(local.at)) }));
      if (navigator.onLine) save();
    }
  } else if (local && local.dirty) {
    fill(local.fields || {});
    conflict("");
  } else if (local) {
    clearLocal();
  }
}

// ------------------------------------------------------------------ a manager's decision
async function decide(form, action) {
  const box = outbox();
  const status = form.querySelector("[data-review-saved]");
  const comment = form.elements.comment ? form.elements.comment.value.trim() : "";
  if (action === "return" && !comment) {
    const details = form.querySelector("details");
    if (details) details.open = true;
    say(status, msg("comment-required"), true);
    if (form.elements.comment) form.elements.comment.focus();
    return;
  }
  const today = new Date();
  const item = {
    id: box.uuid(), type: "review", user: page.dataset.user,
    payload: { action, review_id: Number(form.dataset.reviewId), version: Number(form.dataset.version), comment },
    status: "pending", errors: null, message: "", fails: 0, created: Date.now(),
    day: today.getFullYear() + "-" + pad(today.getMonth() + 1) + "-" + pad(today.getDate()),
    label: msg("label-" + action, { name: form.dataset.name || "" }),
  };
  await box.put(item);
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  say(status, msg("decision-queued"));
  form.dataset.queued = item.id;
  await drainFor(item.id);
  await decided(form);
}

async function decided(form) {
  const box = outbox();
  const id = form.dataset.queued;
  if (!id || !box) return;
  const item = await box.get(id);
  const status = form.querySelector("[data-review-saved]");
  if (!item) { window.location.reload(); return; }
  if (item.status === "pending") return;
  // Not applied (changed meanwhile, or refused): say why; the page's copy is stale.
  const reasons = Object.values(item.errors || {});
  if (item.message) reasons.push(item.message);
  await box.remove(id);
  delete form.dataset.queued;
  form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  say(status, item.status === "conflict" ? reasons.join(" ") : msg("rejected", { reason: reasons.join(" ") }), true);
}

function start() {
  if (!page) return;
  const form = document.querySelector("form[data-review-form]");
  if (form && page.dataset.apiUrl) repReview(form);
  document.addEventListener("submit", (e) => {
    const form = e.target.closest && e.target.closest("form[data-review-decide]");
    if (!form || !outbox()) return;
    e.preventDefault();
    decide(form, e.submitter ? e.submitter.value : "approve");
  });
  window.addEventListener("online", async () => {
    const box = outbox();
    if (!box) return;
    await box.drain();
    for (const form of document.querySelectorAll("form[data-review-decide][data-queued]")) await decided(form);
  });
}

start();
// The handlers are on (tests wait for this before typing).
if (page) page.dataset.reviewReady = "1";

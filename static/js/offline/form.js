// The visit form offline (form[data-offline-form]): with no network (or when the request
// never reached the server) the visit is saved into the outbox instead of posted; a
// rejected one opens again in the form (?outbox=<id>) to be corrected.
import { banner } from "./banner.js";
import { render } from "./card.js";
import { getItem, isMine, newItem, putItem } from "./store.js";
import { drain } from "./sync.js";
import { fromCache, msg, ui } from "./ui.js";
import { companyDay, toLocalInput, uuid } from "./util.js";

const FORM_ONLY = ["csrf_token", "q", "context", "id", "lead_uuid"];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function formPayload(form) {
  const payload = {};
  const multi = {};
  form.querySelectorAll("[name]").forEach((el) => {
    if (el.type === "checkbox" || el.multiple) multi[el.name] = true;
  });
  new FormData(form).forEach((v, k) => {
    // Like services.visits.form_payload on the server (the same visit hashes alike).
    if (FORM_ONLY.indexOf(k) >= 0 || typeof v !== "string") return;
    v = v.trim();
    if (multi[k]) { (payload[k] = payload[k] || []).push(v); return; }
    if (v !== "") payload[k] = v;
  });
  return payload;
}

function customerLabel(form, payload) {
  if (payload.new_customer_name) return msg("new-lead", { name: payload.new_customer_name });
  const sel = form.querySelector("select[name=customer_id]");
  if (sel && sel.selectedIndex >= 0) return sel.options[sel.selectedIndex].text.trim();
  const picked = form.querySelector("[data-customer-label]");
  if (picked) return (picked.dataset.customerLabel || picked.textContent).trim();
  const checked = form.querySelector("input[name=customer_id]:checked");
  const label = checked && checked.closest("label");
  if (label) return (label.querySelector("b") || label).textContent.trim();
  return payload.customer_id ? "#" + payload.customer_id : "";
}

function formValue(form, name) {
  const el = form.elements[name];
  const v = el && typeof el.value === "string" ? el.value.trim().toLowerCase() : "";
  return UUID_RE.test(v) ? v : "";
}

// The visit's id: the one being corrected, else the id the server made for this form (so
// a POST that saved it but whose answer was lost is a duplicate, not a second visit),
// else a new one. A form served from the offline cache has the same id every time it is
// opened: it gets a new one (and never overwrites another waiting item).
async function itemId(form) {
  if (form.dataset.outboxId) return { id: form.dataset.outboxId, fresh: false };
  const formId = fromCache() ? "" : formValue(form, "id");
  if (!formId) return { id: uuid(), fresh: true };
  const have = await getItem(formId);
  return have ? { id: uuid(), fresh: true } : { id: formId, fresh: false, fromForm: true };
}

async function saveForm(form) {
  const payload = formPayload(form);
  const pick = await itemId(form);
  const old = form.dataset.outboxId ? await getItem(pick.id) : null;
  if (payload.customer_id) {
    // A customer picked: the visit is to that customer, not to a lead's name typed
    // before the pick (as services.visits.form_payload on the server).
    ["new_customer_name", "new_customer_contact", "new_customer_phone"].forEach((k) => { delete payload[k]; });
  } else if (payload.new_customer_name) {
    // The lead gets its UUID once (the form's, made by the server, when the form's id is
    // used): a resend or a later visit refers to the same lead.
    payload.customer_uuid = (old && old.payload.customer_uuid) ||
      (pick.fromForm && formValue(form, "lead_uuid")) || payload.customer_uuid || uuid();
  }
  if (!payload.visited_at) {
    // No time typed: the visit's time is the moment the rep saves it (kept when the item
    // is corrected later), sent as logged_at: not part of what the visit says, so a form
    // POST of the same visit whose answer was lost hashes alike.
    payload.logged_at = (old && old.payload && old.payload.logged_at) || new Date().toISOString();
  } else {
    delete payload.logged_at;
  }
  // A datetime-local value is company time already; an ISO moment is converted.
  const when = payload.visited_at || payload.logged_at;
  const naive = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(when);
  const item = newItem({
    id: pick.id, type: "visit", payload, created: old && old.created,
    day: naive ? when.slice(0, 10) : companyDay(new Date(when)), label: customerLabel(form, payload),
  });
  await putItem(item);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  if (navigator.serviceWorker && navigator.serviceWorker.ready) {
    navigator.serviceWorker.ready.then((reg) => {
      if (reg.sync) return reg.sync.register("planner-outbox");
      return null;
    }).catch(() => {});
  }
  sessionStorage.setItem("planner-flash", msg("saved-offline"));
  return item;
}

function afterSave(form) {
  const todayUrl = ui().dataset.todayUrl;
  if (window.location.pathname === todayUrl && !form.dataset.outboxId) {
    // The form is the sheet on Today: close it; the outbox card and numbers update here.
    form.remove();
    sessionStorage.removeItem("planner-flash");
    if (!navigator.onLine) banner(msg("saved-offline"));
    return render().then(drain);
  }
  const go = () => window.location.assign(todayUrl);
  if (navigator.onLine) return drain().then(go, go);
  go();
  return Promise.resolve();
}

function prefill(form) {
  const id = new URLSearchParams(window.location.search).get("outbox");
  if (!id) return;
  getItem(id).then((item) => {
    if (!item || !isMine(item)) return;
    form.dataset.outboxId = item.id;
    const p = item.payload || {};
    Object.keys(p).forEach((k) => {
      const values = [].concat(p[k]).map(String);
      form.querySelectorAll('[name="' + k + '"]').forEach((el) => {
        if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
        else if (el.multiple) Array.prototype.forEach.call(el.options, (o) => { o.selected = values.indexOf(o.value) >= 0; });
        else if (k === "visited_at" && el.type === "datetime-local") el.value = p[k].indexOf("Z") > 0 ? toLocalInput(new Date(p[k])) : p[k].slice(0, 16);
        else el.value = values[0];
      });
    });
    if (p.new_customer_name) {
      const sel = form.querySelector("[name=customer_id]");
      if (sel) sel.value = "";
    }
    const note = document.createElement("p");
    note.className = "flash flash-error";
    note.textContent = msg("correcting");
    form.insertBefore(note, form.firstChild);
    Object.keys(item.errors || {}).forEach((k) => {
      const el = form.querySelector('[name="' + k + '"]') || form.querySelector('[name="new_customer_name"]');
      const err = document.createElement("p");
      err.className = "field-error";
      err.textContent = item.errors[k];
      if (el) { el.classList.add("invalid"); el.insertAdjacentElement("afterend", err); }
      else note.insertAdjacentElement("afterend", err);
    });
  });
}

const isSameSite = (link) => link.getAttribute("href").charAt(0) === "/";

// The listeners (document-wide: the form may come later, swapped in by htmx).
export function startForms() {
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!ui() || !form.matches || !form.matches("form[data-offline-form]")) return;
    if (navigator.onLine && !form.dataset.outboxId) return; // online: the normal path
    e.preventDefault();
    e.stopImmediatePropagation(); // htmx must not send it as well
    saveForm(form).then(() => afterSave(form));
  }, true);
  // Online but the request never reached the server (lie-fi, server down): keep it too.
  document.addEventListener("htmx:sendError", (e) => {
    const elt = e.detail && e.detail.elt;
    const form = elt && elt.closest && elt.closest("form[data-offline-form]");
    if (ui() && form) { saveForm(form).then(() => afterSave(form)); return; }
    // A link that loads a fragment (e.g. "Log a visit" into the sheet) while the network
    // is gone: open it as a page instead; the service worker has its last copy.
    const link = elt && elt.closest && elt.closest("a[href][hx-get]");
    if (link && isSameSite(link)) window.location.assign(link.href);
  });
  document.addEventListener("htmx:beforeRequest", (e) => {
    const elt = e.detail && e.detail.elt;
    const link = elt && elt.closest && elt.closest("a[href][hx-get]");
    if (navigator.onLine || !link || !isSameSite(link)) return;
    e.preventDefault();
    window.location.assign(link.href);
  });
  if (!ui()) return;
  document.querySelectorAll("form[data-offline-form]").forEach((form) => {
    form.addEventListener("input", () => { form.dataset.dirty = "1"; });
    prefill(form);
  });
}

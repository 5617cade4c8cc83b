// The page's #offline-ui (templates/pwa/_offline_ui.html): the user, the URLs, the
// company's day and every string the offline layer shows, rendered by the server in the
// page's language. Absent on pages without a session.
let el;

export function ui() {
  if (el === undefined) el = document.getElementById("offline-ui");
  return el;
}

// data-msg-<key> of `from` (default #offline-ui) with {name} placeholders filled in.
export function msg(key, vars, from) {
  const box = from || ui();
  const name = "msg" + key.replace(/(^|-)([a-z])/g, (m, d, c) => c.toUpperCase());
  let s = (box && box.dataset[name]) || "";
  for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

export function lang() {
  const box = ui();
  return (box && box.dataset.lang) || document.documentElement.lang || "zh-CN";
}

// This page is the service worker's cached copy (served offline), not the server's answer.
export const fromCache = () => !!document.documentElement.dataset.offlineAt;

// The visit form has been typed into: no reload may lose it.
export function formDirty() {
  const form = document.querySelector("form[data-offline-form]");
  return !!(form && form.dataset.dirty);
}

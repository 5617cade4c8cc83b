// planner's offline layer, native ES modules with no build step; linked by
// templates/pwa/_head.html for pages with a session. No inline scripts, no eval; every
// string the user sees comes from data attributes the server rendered in the page's
// language (templates/pwa/_offline_ui.html, which lists the hooks on other pages).
//
//   ui.js      #offline-ui: user, URLs, strings     util.js    ids, dates, amounts
//   store.js   the IndexedDB outbox                 banner.js  the status banner
//   numbers.js pending visits move the numbers      card.js    the outbox card
//   sync.js    sending the outbox, CSRF, refresh    form.js    the visit form offline
//   worker.js  the service worker, pages kept       outbox.js  the API for ../review/
import { clearBanner, banner, offlineBanner } from "./banner.js";
import { cardStatus, render } from "./card.js";
import { startForms } from "./form.js";
import { deleteItem, mine } from "./store.js";
import { drain, reloadOnce } from "./sync.js";
import { formDirty, fromCache, msg, ui } from "./ui.js";
import { forgetOnLogout, forgetOtherUsers, registerWorker } from "./worker.js";

function start() {
  if (!fromCache() && (ui() || window.location.pathname === "/login")) forgetOtherUsers();
  if (!ui()) sessionStorage.removeItem("planner-warm");
  registerWorker();
  forgetOnLogout();
  startForms();
  offlineBanner();
  window.addEventListener("offline", () => banner(msg("offline-now")));
  window.addEventListener("online", () => {
    clearBanner();
    drain().then(() => {
      if (fromCache() && !formDirty()) reloadOnce();
    });
  });
  if (!ui()) return;
  const flash = sessionStorage.getItem("planner-flash");
  if (flash) { sessionStorage.removeItem("planner-flash"); if (!navigator.onLine) banner(flash); }
  document.addEventListener("click", (e) => {
    const t = e.target.closest && e.target.closest("[data-sync-now], #outbox [data-f=discard]");
    if (!t) return;
    if (t.matches("[data-sync-now]")) { cardStatus(""); drain(); return; }
    if (window.confirm(msg("confirm-discard"))) deleteItem(t.dataset.id).then(render);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") drain();
  });
  if (navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then(async (p) => {
      if (!p && (await mine()).length) await navigator.storage.persist();
    }).catch(() => {});
  }
  render().then(drain);
}

// A module runs once the document is parsed.
start();

// The service worker (/sw.js, static/sw.js): registration, reload onto a new version, the
// pages it keeps for offline (per user) and its requests to drain the outbox.
import { drain } from "./sync.js";
import { formDirty, fromCache, ui } from "./ui.js";

const PAGES_CACHE = "planner-pages-v1";

export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const sw = navigator.serviceWorker;
  let hadController = !!sw.controller;
  sw.register("/sw.js", { scope: "/" }).catch(() => {});
  sw.addEventListener("controllerchange", () => {
    // A new version took over: reload once onto the new shell (not on first install,
    // and not while the rep is typing a visit).
    if (!hadController) { hadController = true; return; }
    const last = Number(sessionStorage.getItem("planner-sw-reload") || 0);
    if (formDirty() || Date.now() - last < 10000) return;
    sessionStorage.setItem("planner-sw-reload", String(Date.now()));
    window.location.reload();
  });
  sw.addEventListener("message", (e) => {
    if (e.data && e.data.type === "drain-outbox") drain();
  });
  if (ui() && navigator.onLine && !fromCache()) {
    // workerStart is 0 when no worker handled this page's request.
    const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    keepPages(sw, nav ? !(nav.workerStart > 0) : !hadController);
  }
}

// This page (from the network) and, once per session, Today and the visit form are
// stored for offline by the worker. A page loaded before the worker controlled it (the
// first visit) never went through it: the worker fetches its copy now. When the worker
// says what is stored, <html data-offline-kept="/path ..."> tells (tests wait for it).
function keepPages(sw, fresh) {
  const user = ui().dataset.user;
  const here = window.location.pathname + window.location.search;
  const pages = [{ url: here, fresh }];
  const warm = sessionStorage.getItem("planner-warm") !== user;
  if (warm) {
    [ui().dataset.todayUrl, ui().dataset.formUrl].forEach((u) => {
      if (u && u !== here) pages.push({ url: u, fresh: true }); // a fresh copy once a session
    });
  }
  sw.ready.then((reg) => {
    if (!reg.active) return;
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => {
      if (warm) sessionStorage.setItem("planner-warm", user);
      document.documentElement.dataset.offlineKept = ((e.data && e.data.stored) || []).join(" ");
    };
    reg.active.postMessage({ type: "keep", pages }, [ch.port2]);
  }).catch(() => {});
}

// The worker keeps pages per user (X-Planner-User on each copy, from the page's
// #offline-ui): pages of anyone but the user of a page the server just rendered go, and
// the login page (no session: whoever logs in next may be someone else) drops them all.
export async function forgetOtherUsers() {
  if (!window.caches) return;
  const user = ui() ? ui().dataset.user : "";
  try {
    const cache = await caches.open(PAGES_CACHE);
    await Promise.all((await cache.keys()).map(async (req) => {
      const hit = await cache.match(req);
      if (!user || !hit || hit.headers.get("X-Planner-User") !== user) await cache.delete(req);
    }));
  } catch (e) { /* no Cache Storage: nothing kept */ }
}

// Logging out: the next user of this phone must not see these pages.
export function forgetOnLogout() {
  document.querySelectorAll('form[action$="/logout"]').forEach((f) => {
    f.addEventListener("submit", () => {
      if (window.caches) caches.delete(PAGES_CACHE);
      sessionStorage.removeItem("planner-warm");
    });
  });
}

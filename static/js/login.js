// planner: all a page without a session needs (the login page), an ES module. Whoever
// logs in next may be someone else: the pages kept for offline use (by the offline layer,
// static/js/offline/, and the service worker, per user) are dropped. No htmx, no offline
// layer here.
function forget() {
  if (window.location.pathname !== "/login") return; // e.g. the offline page
  if (document.documentElement.dataset.offlineAt) return; // a copy served offline
  try { sessionStorage.removeItem("planner-warm"); } catch (e) { /* storage disabled */ }
  if (window.caches) caches.delete("planner-pages-v1").catch(() => {});
}

forget();

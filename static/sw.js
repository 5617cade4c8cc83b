/* planner service worker, served from /sw.js (scope "/") by planner/pwa.py, which fills
   in the version (a hash of the shell files), the shell URLs and the network-first pages.

   - App shell (what the rep's pages link, under content-hashed URLs; htmx; /offline):
     precached per version from the HTTP cache (no second download), cache-first.
   - Today, customers, the visit form, plans: network first with a 3 s timeout; a good
     full-page answer is kept (with the time it was fetched); offline, the last copy is
     served, marked <html data-offline-at="..."> so the page shows "offline - last updated".
     A page loaded before this worker controlled it (the first visit, while the worker was
     still installing) never went through it: the page asks ("keep", below) and the worker
     fetches a copy then; the answer says which pages are stored for offline.
   - Other GETs: network, falling back to the offline page for navigations.
   - POSTs and /api/ are never cached (the outbox in IndexedDB holds what is unsent).
   - A new version takes over at once (skipWaiting + clients.claim); old caches go. */
"use strict";

const VERSION = "__SHELL_VERSION__";
const SHELL_URLS = ["__SHELL_URLS__"];
const NETWORK_FIRST = ["__NETWORK_FIRST__"];
const SHELL_CACHE = "planner-shell-" + VERSION;
const PAGES_CACHE = "planner-pages-v1";
const TIMEOUT_MS = 3000;
const OFFLINE_URL = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // Static shell URLs carry their content hash (?v=...) and are immutable, so the copy
    // the page just loaded (HTTP cache) is this version's: no second download. The offline
    // page is fetched afresh and without cookies so it holds nobody's data.
    await cache.addAll(SHELL_URLS.map((u) => new Request(u, u === OFFLINE_URL
      ? { cache: "reload", credentials: "omit" } : { credentials: "same-origin" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((n) => n.startsWith("planner-shell-") && n !== SHELL_CACHE)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function isNetworkFirst(path) {
  return NETWORK_FIRST.some((p) => path === p || path.startsWith(p + "/") || path.startsWith(p + "?"));
}

function timeout(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

// Pages are kept per user: each copy carries the id of the user it was rendered for (from
// the page's <div id="offline-ui" data-user="...">). Keeping a page of one user drops every
// copy of any other (a session expired and someone else logged in on the same phone), so
// offline nobody sees another user's Today, customers or form.
const USER_RE = /id="offline-ui"[^>]*?data-user="(\d+)"/;

async function forgetOthers(cache, user) {
  const keys = await cache.keys();
  await Promise.all(keys.map(async (req) => {
    const hit = await cache.match(req);
    if (!hit || hit.headers.get("X-Planner-User") !== user) await cache.delete(req);
  }));
}

async function keep(request, response) {
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.redirected || response.type !== "basic" || !type.includes("text/html")) return;
  const body = await response.clone().blob();
  const m = USER_RE.exec(await body.text());
  if (!m) return; // not a logged-in user's page: nothing worth keeping offline
  const headers = new Headers(response.headers);
  headers.set("X-Planner-Fetched-At", String(Date.now()));
  headers.set("X-Planner-User", m[1]);
  const cache = await caches.open(PAGES_CACHE);
  await forgetOthers(cache, m[1]);
  await cache.put(request.url, new Response(body, { status: 200, headers }));
}

async function fromCache(request) {
  const cache = await caches.open(PAGES_CACHE);
  const hit = (await cache.match(request.url)) || (await cache.match(request.url, { ignoreSearch: true }));
  if (!hit) return null;
  const at = hit.headers.get("X-Planner-Fetched-At") || "";
  const html = (await hit.text()).replace("<html", '<html data-offline-at="' + at + '"');
  return new Response(html, { status: 200, headers: hit.headers });
}

async function offlinePage() {
  const hit = await caches.match(OFFLINE_URL);
  return hit || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
}

// Copies being written, by URL: "is this page stored?" waits for the one in flight.
const keeping = new Map();

function track(url, promise) {
  const done = promise.catch(() => undefined);
  keeping.set(url, done);
  done.then(() => { if (keeping.get(url) === done) keeping.delete(url); });
  return done;
}

async function fetchAndKeep(url) {
  const req = new Request(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  return track(req.url, fetch(req).then((r) => keep(req, r)));
}

// Make sure a copy of each page is stored (fetching it if there is none, or if `fresh`:
// the page on screen never went through this worker); the URLs (path and query) stored.
async function ensureKept(pages) {
  const cache = await caches.open(PAGES_CACHE);
  const stored = [];
  for (const { url, fresh } of pages) {
    let u;
    try { u = new URL(url, self.location.origin); } catch (e) { continue; }
    if (u.origin !== self.location.origin || !isNetworkFirst(u.pathname)) continue;
    await keeping.get(u.href);
    if (fresh || !(await cache.match(u.href))) await fetchAndKeep(u.href).catch(() => undefined);
    if (await cache.match(u.href)) stored.push(u.pathname + u.search);
  }
  return stored;
}

async function networkFirst(event) {
  const request = event.request;
  const network = fetch(request);
  // Whenever the network answers (even after the timeout), keep the fresh copy.
  event.waitUntil(track(request.url, network.then((r) => keep(request, r.clone()))));
  try {
    return await Promise.race([network, timeout(TIMEOUT_MS)]);
  } catch (e) {
    return (await fromCache(request)) || (await offlinePage());
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never touch POSTs
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  const asset = url.pathname + url.search; // static URLs carry their content hash
  if (SHELL_URLS.includes(asset) && url.pathname !== OFFLINE_URL) {
    event.respondWith((async () => (await caches.match(asset, { cacheName: SHELL_CACHE })) || fetch(request))());
    return;
  }
  const isPage = request.mode === "navigate" ||
    ((request.headers.get("Accept") || "").includes("text/html") && !request.headers.get("HX-Request"));
  if (isPage && isNetworkFirst(url.pathname)) {
    event.respondWith(networkFirst(event));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "version" && event.ports && event.ports[0]) {
    event.ports[0].postMessage(VERSION); // tests wait for the shell version to settle
  } else if (data.type === "clear-pages") {
    // Logging out: the next user of this phone must not see these pages.
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "keep" && Array.isArray(data.pages)) {
    // A page from the network asks that it (and pages the rep will want offline, e.g. the
    // visit form) be stored; the answer (on the port) lists what is stored now.
    const port = event.ports && event.ports[0];
    event.waitUntil(ensureKept(data.pages).then(
      (stored) => port && port.postMessage({ type: "kept", stored }),
      () => port && port.postMessage({ type: "kept", stored: [] })));
  }
});

// Background Sync: ask an open page to drain the outbox (it holds the session and the
// CSRF token); with no page open, the next page load drains it.
self.addEventListener("sync", (event) => {
  if (event.tag !== "planner-outbox") return;
  event.waitUntil((async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    all.forEach((c) => c.postMessage({ type: "drain-outbox" }));
  })());
});

// Push reminders. The payload (JSON from the server's dispatcher) carries the
// title, body, the link, the kind (the tag: a newer reminder replaces an older one of the
// same kind) and "open" (/notifications/<id>/open marks it read, then goes to the link).
function waitFor(event, promise) {
  try { event.waitUntil(promise); } catch (e) { /* a synthetic event (tests) */ }
  return promise;
}

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  const title = data.title || "Planner";
  waitFor(event, self.registration.showNotification(title, {
    body: data.body || "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    tag: data.tag || data.kind || "planner",
    renotify: true,
    lang: data.lang || undefined,
    data: { url: data.open || data.url || "/notifications", id: data.id || null, kind: data.kind || "" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  const note = event.notification;
  const target = new URL((note.data && note.data.url) || "/notifications", self.location.origin).href;
  note.close();
  waitFor(event, (async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    // Focus a window of this app and take it to the page; else open one.
    const win = all.find((c) => new URL(c.url).origin === self.location.origin);
    if (win) {
      try { await win.focus(); } catch (e) { /* focus needs a real tap */ }
      try { return await win.navigate(target); } catch (e) { /* not controlled: open one */ }
    }
    return self.clients.openWindow(target);
  })());
});

// planner: push reminders on this device. The permission prompt only comes
// from a tap on "Enable reminders" (iOS requires it); on iOS outside the home-screen app
// push is impossible, so a hint says to add the app to the home screen first. Strings come
// from #push-ui (templates/notifications/_bell.html): no strings of our own, no inline JS.
(function () {
  "use strict";
  var ui = document.getElementById("push-ui");
  if (!ui) return;

  function msg(name, why) {
    return (ui.getAttribute("data-msg-" + name) || "").replace("{why}", why || "");
  }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }
  function isIOS() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }
  function standalone() {
    return navigator.standalone === true ||
      (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  }
  function keyBytes(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function sameKey(sub) {
    var k = sub && sub.options && sub.options.applicationServerKey;
    if (!k) return true;
    var a = new Uint8Array(k), b = keyBytes(ui.dataset.key);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error((j.error && j.error.message) || String(r.status));
        return j;
      });
    });
  }
  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }
  // A subscription made with a rotated key is replaced by one with the current key.
  function subscribe(reg) {
    return reg.pushManager.getSubscription().then(function (old) {
      if (old && sameKey(old)) return old;
      return (old ? old.unsubscribe() : Promise.resolve()).then(function () {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(ui.dataset.key) });
      });
    });
  }
  var MARK = "planner-push-user";

  function status(text) {
    var el = document.getElementById("push-status");
    if (el) el.textContent = text;
  }
  function show(el, on) { if (el) el.hidden = !on; }

  function enable() {
    // Called from the tap itself: requestPermission() must be the first thing it does.
    return Notification.requestPermission().then(function (perm) {
      if (perm !== "granted") { status(msg("denied")); return; }
      return registration().then(subscribe).then(function (sub) {
        return post(ui.dataset.subscribeUrl, sub.toJSON())
        .then(function (j) { localStorage.setItem(MARK + "-endpoint", sub.endpoint); return j; });
      }).then(function (j) {
        localStorage.setItem(MARK, ui.dataset.user);
        status(j.message || msg("on"));
        refresh();
      });
    }).catch(function (e) { status(msg("failed", e && e.message)); });
  }
  function disable() {
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) return null;
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () { return post(ui.dataset.unsubscribeUrl, { endpoint: endpoint }); });
      }).then(function () {
        localStorage.removeItem(MARK);
        localStorage.removeItem(MARK + "-endpoint");
        status(msg("off"));
        refresh();
      }).catch(function (e) { status(msg("failed", e && e.message)); });
  }

  var on = document.querySelector("[data-push-enable]");
  var off = document.querySelector("[data-push-disable]");
  var hint = document.getElementById("push-ios-hint");

  function refresh() {
    if (!on) return;
    if (!supported()) {
      if (isIOS() && !standalone()) { hint.textContent = msg("ios"); show(hint, true); }
      else status(msg("unsupported"));
      show(on, false); show(off, false);
      return;
    }
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      var mine = sub && Notification.permission === "granted" && localStorage.getItem(MARK) === ui.dataset.user;
      show(on, !mine); show(off, !!mine);
    }).catch(function () { show(on, true); });
  }

  function start() {
    if (on) on.addEventListener("click", function () { enable(); });
    if (off) off.addEventListener("click", function () { disable(); });
    refresh();
    // Already on for this user: keep the server's copy current (a rotated key, a renewed
    // subscription), at most once a day.
    if (supported() && Notification.permission === "granted" && localStorage.getItem(MARK) === ui.dataset.user) {
      var last = Number(localStorage.getItem(MARK + "-at") || 0);
      if (Date.now() - last > 864e5) {
        registration().then(subscribe).then(function (sub) {
          localStorage.setItem(MARK + "-endpoint", sub.endpoint);
          return post(ui.dataset.subscribeUrl, sub.toJSON());
        }).then(function () { localStorage.setItem(MARK + "-at", String(Date.now())); })
          .catch(function () {});
      }
    }
    // Logging out on this device ends its subscription: the server drops it (session),
    // and the browser's copy goes too, so the next person here gets nothing of ours.
    document.querySelectorAll('form[action$="/logout"]').forEach(function (f) {
      f.addEventListener("submit", function () {
        var endpoint = localStorage.getItem(MARK) === ui.dataset.user && localStorage.getItem(MARK + "-endpoint");
        if (endpoint && !f.querySelector("input[name=push_endpoint]")) {
          var input = document.createElement("input");
          input.type = "hidden"; input.name = "push_endpoint"; input.value = endpoint;
          f.appendChild(input);
        }
        localStorage.removeItem(MARK);
        localStorage.removeItem(MARK + "-at");
        localStorage.removeItem(MARK + "-endpoint");
        if (!supported()) return;
        navigator.serviceWorker.getRegistration("/").then(function (reg) {
          return reg && reg.pushManager.getSubscription();
        }).then(function (sub) { if (sub) sub.unsubscribe(); }).catch(function () {});
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

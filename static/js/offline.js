// planner offline layer (issue 5): service worker registration, the IndexedDB outbox,
// offline visit logging and the sync. No inline scripts, no eval; every string the user
// sees comes from data attributes the server rendered in the page's language
// (templates/pwa/_offline_ui.html).
//
// Hooks on other pages (documented in templates/pwa/_offline_ui.html):
//   form[data-offline-form]          the visit form; logged into the outbox when offline
//   [data-outbox-slot]               where the outbox card goes (Today)
//   [data-sync-refresh][id]          regions re-fetched from the server after a sync
//   [data-metric-source][data-metric-unit] with .achieved-today, .remaining-today and
//   .month-achieved children carrying data-value: numbers pending visits move locally
(function () {
  "use strict";

  var DB_NAME = "planner-offline";
  var STORE = "outbox";
  var BATCH = 50;
  var PAGES_CACHE = "planner-pages-v1";
  var FORM_ONLY = ["csrf_token", "q", "context", "id", "lead_uuid"];
  var ui = null;

  // ------------------------------------------------------------------ strings, helpers
  function msg(key, vars) {
    var name = "msg" + key.replace(/(^|-)([a-z])/g, function (m, d, c) { return c.toUpperCase(); });
    var s = (ui && ui.dataset[name]) || "";
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }
  function lang() { return (ui && ui.dataset.lang) || document.documentElement.lang || "zh-CN"; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localDay(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  // The company-local day of a moment (visits count on the company's calendar).
  function companyDay(d) {
    try {
      return new Intl.DateTimeFormat("en-CA", {
        timeZone: ui.dataset.tz, year: "numeric", month: "2-digit", day: "2-digit"
      }).format(d);
    } catch (e) { return localDay(d); }
  }
  function hhmm(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function fen(v) {
    if (v === undefined || v === null || v === "") return 0;
    var n = parseFloat(String(v).replace(/[,，¥￥\s]/g, ""));
    return isFinite(n) && n > 0 ? Math.round(n * 100) : 0;
  }
  function money(f, style) {
    // The one formatter's rules (planner/fmt.py), handed over by static/js/app.js.
    if (window.planner && window.planner.money) return window.planner.money(f, style || "exact");
    try {
      var digits = f % 100 === 0 ? 0 : 2; // like the server: ¥12,800 or ¥12,800.50
      return new Intl.NumberFormat(lang(), {
        style: "currency", currency: "CNY", minimumFractionDigits: digits, maximumFractionDigits: digits
      }).format(f / 100);
    } catch (e) { return "¥" + (f / 100).toFixed(2); }
  }

  // ------------------------------------------------------------------ IndexedDB outbox
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: "id" });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { dbPromise = null; reject(req.error); };
      });
    }
    return dbPromise;
  }
  function run(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var req = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  // Every item carries the id of the user who saved it; it is only ever sent under that
  // user's session. Others' items are shown (as another account's), never sent or lost.
  function everything() {
    return run("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function isMine(item) { return String(item.user) === ui.dataset.user; }
  function mine() { return everything().then(function (all) { return all.filter(isMine); }); }
  function getItem(id) { return run("readonly", function (s) { return s.get(id); }); }
  function putItem(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function deleteItem(id) { return run("readwrite", function (s) { return s.delete(id); }); }

  // ------------------------------------------------------------------ banner
  function banner(text, kind) {
    var b = document.getElementById("status-banner");
    if (!b) return;
    b.textContent = text;
    b.dataset.source = "offline";
    b.classList.toggle("banner-ok", kind === "ok");
    b.hidden = !text;
  }
  function clearBanner() {
    var b = document.getElementById("status-banner");
    if (b && b.dataset.source === "offline") { b.hidden = true; b.textContent = ""; }
  }
  function offlineBanner() {
    var at = document.documentElement.dataset.offlineAt;
    if (at) {
      banner(msg("offline-at", { time: hhmm(new Date(Number(at) || Date.now())) }));
    } else if (!navigator.onLine) {
      banner(msg("offline-now"));
    }
  }

  // ------------------------------------------------------------------ local numbers
  var DELTAS = {
    visits: function () { return 1; },
    visits_cold: function (p) { return p.kind === "cold" ? 1 : 0; },
    visits_return: function (p) { return p.kind === "return" ? 1 : 0; },
    contracts: function (p) { return fen(p.amount_signed) > 0 ? 1 : 0; },
    amount_signed: function (p) { return fen(p.amount_signed); },
    amount_collected: function (p) { return fen(p.amount_collected); }
  };
  function applyLocal(items) {
    var today = ui.dataset.day || companyDay(new Date());
    var pending = items.filter(function (i) { return i.status === "pending" && isMine(i) && (i.type || "visit") === "visit"; });
    function sum(source, sameDay) {
      var f = DELTAS[source];
      if (!f) return 0;
      return pending.reduce(function (acc, i) {
        var ok = sameDay ? i.day === today : i.day.slice(0, 7) === today.slice(0, 7) && i.day <= today;
        return acc + (ok ? f(i.payload) : 0);
      }, 0);
    }
    document.querySelectorAll("[data-metric-source]").forEach(function (box) {
      var source = box.dataset.metricSource;
      [[".achieved-today", 1, true], [".month-achieved", 1, false], [".remaining-today", -1, true]].forEach(function (spec) {
        var el = box.querySelector(spec[0] + "[data-value]");
        if (!el) return;
        if (el.dataset.serverText === undefined) el.dataset.serverText = el.textContent;
        var delta = sum(source, spec[2]) * spec[1];
        if (!delta) { el.textContent = el.dataset.serverText; el.classList.remove("pending-local"); return; }
        var v = Math.max(0, Number(el.dataset.value) + delta);
        if (v === Number(el.dataset.value)) { el.textContent = el.dataset.serverText; el.classList.remove("pending-local"); return; }
        el.title = msg("pending");
        el.textContent = box.dataset.metricUnit === "money" ? money(v, el.dataset.money) : new Intl.NumberFormat(lang()).format(v);
        el.classList.add("pending-local");
      });
    });
  }

  // ------------------------------------------------------------------ outbox card
  function describe(item) {
    var p = item.payload || {};
    var parts = [];
    var at = new Date(p.visited_at || p.logged_at || item.created);
    if (!isNaN(at.getTime())) parts.push(item.day + " " + hhmm(at));
    if (fen(p.amount_signed)) parts.push(msg("signed", { amount: money(fen(p.amount_signed)) }));
    if (fen(p.amount_collected)) parts.push(msg("collected", { amount: money(fen(p.amount_collected)) }));
    return parts.join(" · ");
  }
  function render() {
    if (!ui) return Promise.resolve();
    return everything().then(function (items) {
      var box = document.getElementById("outbox");
      var slot = document.querySelector("[data-outbox-slot]");
      if (box && slot && box.parentNode !== slot) slot.appendChild(box);
      applyLocal(items);
      if (!box) return;
      box.hidden = items.length === 0;
      box.querySelector("[data-outbox-count]").textContent = String(items.length);
      var list = box.querySelector("[data-outbox-list]");
      var tpl = document.getElementById("outbox-item");
      list.textContent = "";
      var review = 0;
      items.forEach(function (item) {
        var li = tpl.content.firstElementChild.cloneNode(true);
        var f = function (n) { return li.querySelector('[data-f="' + n + '"]'); };
        var other = !isMine(item);
        li.dataset.id = item.id;
        li.dataset.status = other ? "other" : item.status;
        li.classList.add("is-" + li.dataset.status);
        f("label").textContent = item.label || "";
        var state = other ? msg("other-account") : item.status === "pending" ? msg("pending")
          : item.status === "rejected" ? msg("rejected") : item.status === "failed" ? msg("failed") : msg("conflict");
        f("state").textContent = state;
        f("state").classList.add(item.status === "pending" || other ? "warn" : "bad");
        f("detail").textContent = describe(item);
        var errs = f("errors");
        var reasons = Object.keys(item.errors || {}).map(function (k) { return item.errors[k]; });
        if (item.message) reasons.push(item.message);
        reasons.forEach(function (r) { var e = document.createElement("li"); e.textContent = r; errs.appendChild(e); });
        errs.hidden = reasons.length === 0;
        if (other) {
          // Saved by another account on this phone: kept for it, not ours to send or discard.
          f("actions").hidden = true;
        } else {
          if (item.status !== "pending") review += 1;
          // A pending one can be discarded too (after a confirmation); a rejected one or one
          // that failed on the server can be corrected and sent again.
          var correctable = item.status === "rejected" || item.status === "failed";
          f("correct").hidden = !correctable || !ui.dataset.formUrl || (item.type || "visit") !== "visit";
          f("correct").href = (ui.dataset.formUrl || "#") + "?outbox=" + encodeURIComponent(item.id);
          f("discard").dataset.id = item.id;
        }
        list.appendChild(li);
      });
      var status = box.querySelector("[data-outbox-status]");
      if (review) { status.textContent = msg("review", { n: review }); status.hidden = false; }
      else if (status.dataset.kind !== "transient") { status.hidden = true; }
    }).catch(function () { /* IndexedDB unavailable (private mode): nothing to show */ });
  }
  function cardStatus(text) {
    var box = document.getElementById("outbox");
    var status = box && box.querySelector("[data-outbox-status]");
    if (!status) return;
    status.textContent = text;
    status.dataset.kind = "transient";
    status.hidden = !text;
  }

  // ------------------------------------------------------------------ logging offline
  function formPayload(form) {
    var payload = {};
    var multi = {};
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.type === "checkbox" || el.multiple) multi[el.name] = true;
    });
    new FormData(form).forEach(function (v, k) {
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
    var sel = form.querySelector("select[name=customer_id]");
    if (sel && sel.selectedIndex >= 0) return sel.options[sel.selectedIndex].text.trim();
    var picked = form.querySelector("[data-customer-label]");
    if (picked) return (picked.dataset.customerLabel || picked.textContent).trim();
    var checked = form.querySelector("input[name=customer_id]:checked");
    var label = checked && checked.closest("label");
    if (label) return (label.querySelector("b") || label).textContent.trim();
    return payload.customer_id ? "#" + payload.customer_id : "";
  }
  function formValue(form, name) {
    var el = form.elements[name];
    var v = el && typeof el.value === "string" ? el.value.trim().toLowerCase() : "";
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v) ? v : "";
  }
  // The visit's id: the one being corrected, else the id the server made for this form (so
  // a POST that saved it but whose answer was lost is a duplicate, not a second visit),
  // else a new one. A form served from the offline cache has the same id every time it is
  // opened: it gets a new one (and never overwrites another waiting item).
  function itemId(form) {
    if (form.dataset.outboxId) return Promise.resolve({ id: form.dataset.outboxId, fresh: false });
    var formId = document.documentElement.dataset.offlineAt ? "" : formValue(form, "id");
    if (!formId) return Promise.resolve({ id: uuid(), fresh: true });
    return getItem(formId).then(function (have) {
      return have ? { id: uuid(), fresh: true } : { id: formId, fresh: false, fromForm: true };
    });
  }
  function saveForm(form) {
    var payload = formPayload(form);
    var id;
    return itemId(form).then(function (pick) {
      id = pick.id;
      return form.dataset.outboxId ? getItem(id).then(function (old) { return [old, pick]; }) : [null, pick];
    }).then(function (both) {
      var old = both[0], pick = both[1];
      if (payload.customer_id) {
        // A customer picked: the visit is to that customer, not to a lead's name typed
        // before the pick (as services.visits.form_payload on the server).
        ["new_customer_name", "new_customer_contact", "new_customer_phone"].forEach(function (k) { delete payload[k]; });
      } else if (payload.new_customer_name) {
        // The lead gets its UUID once (the form's, made by the server, when the form's id is
        // used): a resend or a later visit refers to the same lead.
        payload.customer_uuid = (old && old.payload.customer_uuid) ||
          (pick.fromForm && formValue(form, "lead_uuid")) || payload.customer_uuid || uuid();
      }
      if (!payload.visited_at) {
        // No time typed: the visit's time is the moment the rep saves it (kept when the
        // item is corrected later), sent as logged_at: not part of what the visit says, so
        // a form POST of the same visit whose answer was lost hashes alike.
        payload.logged_at = (old && old.payload && old.payload.logged_at) || new Date().toISOString();
      } else {
        delete payload.logged_at;
      }
      // A datetime-local value is company time already; an ISO moment is converted.
      var when = payload.visited_at || payload.logged_at;
      var naive = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(when);
      var day = naive ? when.slice(0, 10) : companyDay(new Date(when));
      var item = {
        id: id, type: "visit", user: ui.dataset.user, payload: payload, status: "pending",
        errors: null, message: "", fails: 0, created: (old && old.created) || Date.now(), day: day,
        label: customerLabel(form, payload)
      };
      return putItem(item).then(function () {
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
        if (navigator.serviceWorker && navigator.serviceWorker.ready) {
          navigator.serviceWorker.ready.then(function (reg) {
            if (reg.sync) return reg.sync.register("planner-outbox");
          }).catch(function () {});
        }
        sessionStorage.setItem("planner-flash", msg("saved-offline"));
        return item;
      });
    });
  }
  function afterSave(form) {
    if (window.location.pathname === ui.dataset.todayUrl && !form.dataset.outboxId) {
      // The form is the sheet on Today: close it; the outbox card and numbers update here.
      form.remove();
      sessionStorage.removeItem("planner-flash");
      if (!navigator.onLine) banner(msg("saved-offline"));
      return render().then(drain);
    }
    var go = function () { window.location.assign(ui.dataset.todayUrl); };
    if (navigator.onLine) drain().then(go, go); else go();
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!ui || !form.matches || !form.matches("form[data-offline-form]")) return;
    if (navigator.onLine && !form.dataset.outboxId) return; // online: the normal path
    e.preventDefault();
    e.stopImmediatePropagation(); // htmx must not send it as well
    saveForm(form).then(function () { return afterSave(form); });
  }, true);
  // Online but the request never reached the server (lie-fi, server down): keep it too.
  document.addEventListener("htmx:sendError", function (e) {
    var form = e.detail && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-offline-form]");
    if (ui && form) { saveForm(form).then(function () { return afterSave(form); }); return; }
    // A link that loads a fragment (e.g. "Log a visit" into the sheet) while the network
    // is gone: open it as a page instead; the service worker has its last copy.
    var link = e.detail && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("a[href][hx-get]");
    if (link && link.getAttribute("href").charAt(0) === "/") window.location.assign(link.href);
  });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    var link = elt && elt.closest && elt.closest("a[href][hx-get]");
    if (navigator.onLine || !link || link.getAttribute("href").charAt(0) !== "/") return;
    e.preventDefault();
    window.location.assign(link.href);
  });
  function prefill(form) {
    var id = new URLSearchParams(window.location.search).get("outbox");
    if (!id) return;
    getItem(id).then(function (item) {
      if (!item || !isMine(item)) return;
      form.dataset.outboxId = item.id;
      var p = item.payload || {};
      Object.keys(p).forEach(function (k) {
        var els = form.querySelectorAll('[name="' + k + '"]');
        var values = [].concat(p[k]).map(String);
        els.forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
          else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
          else if (k === "visited_at" && el.type === "datetime-local") el.value = p[k].indexOf("Z") > 0 ? toLocalInput(new Date(p[k])) : p[k].slice(0, 16);
          else el.value = values[0];
        });
      });
      if (p.new_customer_name) {
        var sel = form.querySelector("[name=customer_id]");
        if (sel) sel.value = "";
      }
      var note = document.createElement("p");
      note.className = "flash flash-error";
      note.textContent = msg("correcting");
      form.insertBefore(note, form.firstChild);
      Object.keys(item.errors || {}).forEach(function (k) {
        var el = form.querySelector('[name="' + k + '"]') || form.querySelector('[name="new_customer_name"]');
        var err = document.createElement("p");
        err.className = "field-error";
        err.textContent = item.errors[k];
        if (el) { el.classList.add("invalid"); el.insertAdjacentElement("afterend", err); }
        else note.insertAdjacentElement("afterend", err);
      });
    });
  }
  function toLocalInput(d) { return localDay(d) + "T" + hhmm(d); }

  // ------------------------------------------------------------------ sync
  var draining = null;
  function setToken(token) {
    if (!token) return;
    // A page from the cache may carry an old session's token: use the fresh one.
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (i) { i.value = token; });
  }
  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" });
  }
  function drain() {
    if (!ui) return Promise.resolve();
    if (draining) return draining;
    draining = mine().then(function (items) {
      var pending = items.filter(function (i) { return i.status === "pending"; });
      if (!pending.length || !navigator.onLine) return 0;
      return getJson(ui.dataset.csrfUrl).then(function (resp) {
        if (resp.status === 401) throw new Error("login");
        if (!resp.ok) throw new Error("retry");
        return resp.json();
      }).then(function (data) {
        // This page was rendered for another user than the session's now (logged out and in
        // as someone else in another tab): send nothing under the wrong account.
        if (data.user !== undefined && String(data.user) !== ui.dataset.user) throw new Error("account");
        var token = data.csrf_token;
        var sent = 0;
        var batches = [];
        for (var i = 0; i < pending.length; i += BATCH) batches.push(pending.slice(i, i + BATCH));
        return batches.reduce(function (chain, batch) {
          return chain.then(function () { return sendOrIsolate(batch, token); }).then(function (res) {
            token = res.token || token;
            sent += res.done;
          });
        }, Promise.resolve()).then(function () { setToken(token); return sent; });
      });
    }).then(function (sent) {
      if (!sent) return;
      banner(msg("sent", { n: sent }), "ok");
      setTimeout(clearBanner, 5000);
      return refresh();
    }).catch(function (err) {
      var m = err && err.message;
      cardStatus(m === "login" ? msg("login") : m === "account" ? msg("account") : msg("retry"));
    }).then(function () {
      draining = null;
      return render();
    });
    return draining;
  }
  function sendBatch(batch, token) {
    var body = JSON.stringify({ items: batch.map(function (i) {
      return { id: i.id, type: i.type, user: i.user, payload: i.payload };
    }) });
    return fetch(ui.dataset.syncUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: body
    }).then(function (resp) {
      if (resp.status === 401) throw new Error("login");
      if (!resp.ok) {
        // 5xx, CSRF, another account: all stay pending; sendOrIsolate decides what next.
        return resp.json().catch(function () { return {}; }).then(function (j) {
          var err = new Error(resp.status === 409 ? "account" : "retry");
          err.status = resp.status;
          err.reason = (j && j.error && j.error.message) || "HTTP " + resp.status;
          throw err;
        });
      }
      return resp.json();
    }).then(function (data) {
      var byId = {};
      batch.forEach(function (i) { byId[i.id] = i; });
      var done = 0;
      return Promise.all((data.results || []).map(function (r) {
        var item = byId[r.id];
        if (!item) return null;
        if (r.status === "applied" || r.status === "duplicate") { done += 1; return deleteItem(item.id); }
        // Rejected or conflicting: kept on the phone with the reason, never resent by itself.
        item.status = r.status === "conflict" ? "conflict" : "rejected";
        item.errors = r.errors || null;
        item.message = r.message || "";
        return putItem(item);
      })).then(function () { return { done: done, token: data.csrf_token }; });
    });
  }
  // A batch the server answers with a 5xx twice in a row is sent again one item at a time:
  // the item that fails alone is marked "failed on the server" with the reason (kept, with
  // Correct and Discard, not resent by itself); the others go through. If every item fails
  // alone too, the server is in trouble, not an item: all stay pending for a later retry.
  function sendOrIsolate(batch, token) {
    return sendBatch(batch, token).catch(function (err) {
      if (!err || !(err.status >= 500)) throw err;
      batch.forEach(function (i) { i.fails = (i.fails || 0) + 1; });
      return Promise.all(batch.map(putItem)).then(function () {
        if (!batch.some(function (i) { return i.fails >= 2; })) throw err;
        return isolate(batch, token);
      });
    });
  }
  function isolate(batch, token) {
    var done = 0;
    var failed = [];
    return batch.reduce(function (chain, item) {
      return chain.then(function () {
        return sendBatch([item], token).then(function (res) {
          token = res.token || token;
          done += res.done;
        }, function (err) {
          if (err && err.status >= 500) { failed.push([item, err]); return; }
          throw err; // offline again, logged out: the rest stay pending
        });
      });
    }, Promise.resolve()).then(function () {
      if (batch.length > 1 && failed.length === batch.length) throw failed[0][1];
      return Promise.all(failed.map(function (f) {
        f[0].status = "failed";
        f[0].errors = null;
        f[0].message = msg("failed-reason", { reason: f[1].reason });
        return putItem(f[0]);
      })).then(function () { return { done: done, token: token }; });
    });
  }

  // After a sync the server's numbers replace the local ones.
  function refresh() {
    var regions = document.querySelectorAll("[data-sync-refresh][id]");
    var wasCached = !!document.documentElement.dataset.offlineAt;
    if (!regions.length && !wasCached) return Promise.resolve();
    if (wasCached && !formDirty()) { reloadOnce(); return Promise.resolve(); }
    return fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin", headers: { Accept: "text/html" }, cache: "no-store"
    }).then(function (resp) {
      if (!resp.ok || resp.redirected) return;
      return resp.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (!fresh) return;
          var node = document.importNode(fresh, true);
          el.replaceWith(node);
          if (window.htmx) window.htmx.process(node);
        });
      });
    }).catch(function () {});
  }

  var reloading = false;
  function reloadOnce() {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  }

  // ------------------------------------------------------------------ service worker
  function formDirty() {
    var form = document.querySelector("form[data-offline-form]");
    return !!(form && form.dataset.dirty);
  }
  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    var sw = navigator.serviceWorker;
    var hadController = !!sw.controller;
    sw.register("/sw.js", { scope: "/" }).catch(function () {});
    sw.addEventListener("controllerchange", function () {
      // A new version took over: reload once onto the new shell (not on first install,
      // and not while the rep is typing a visit).
      if (!hadController) { hadController = true; return; }
      var last = Number(sessionStorage.getItem("planner-sw-reload") || 0);
      if (formDirty() || Date.now() - last < 10000) return;
      sessionStorage.setItem("planner-sw-reload", String(Date.now()));
      window.location.reload();
    });
    sw.addEventListener("message", function (e) {
      if (e.data && e.data.type === "drain-outbox") drain();
    });
    if (ui && navigator.onLine && !document.documentElement.dataset.offlineAt) {
      // workerStart is 0 when no worker handled this page's request.
      var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
      keepPages(sw, nav ? !(nav.workerStart > 0) : !hadController);
    }
  }
  // This page (from the network) and, once per session, Today and the visit form are
  // stored for offline by the worker. A page loaded before the worker controlled it (the
  // first visit) never went through it: the worker fetches its copy now. When the worker
  // says what is stored, <html data-offline-kept="/path ..."> tells (tests wait for it).
  function keepPages(sw, fresh) {
    var here = window.location.pathname + window.location.search;
    var pages = [{ url: here, fresh: fresh }];
    var warm = sessionStorage.getItem("planner-warm") !== ui.dataset.user;
    if (warm) {
      [ui.dataset.todayUrl, ui.dataset.formUrl].forEach(function (u) {
        if (u && u !== here) pages.push({ url: u, fresh: false });
      });
    }
    sw.ready.then(function (reg) {
      if (!reg.active) return;
      var ch = new MessageChannel();
      ch.port1.onmessage = function (e) {
        var stored = (e.data && e.data.stored) || [];
        if (warm) sessionStorage.setItem("planner-warm", ui.dataset.user);
        document.documentElement.dataset.offlineKept = stored.join(" ");
      };
      reg.active.postMessage({ type: "keep", pages: pages }, [ch.port2]);
    }).catch(function () {});
  }

  // ------------------------------------------------------------------ start
  // The service worker keeps pages per user (X-Planner-User on each copy, from the page's
  // #offline-ui): pages of anyone but the user of a page the server just rendered go, and
  // the login page (no session: whoever logs in next may be someone else) drops them all.
  function forgetOtherUsers() {
    if (!window.caches) return Promise.resolve();
    var user = ui ? ui.dataset.user : "";
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.keys().then(function (keys) {
        return Promise.all(keys.map(function (req) {
          return cache.match(req).then(function (hit) {
            if (!user || !hit || hit.headers.get("X-Planner-User") !== user) return cache.delete(req);
          });
        }));
      });
    }).catch(function () {});
  }
  function start() {
    ui = document.getElementById("offline-ui");
    var fromNetwork = !document.documentElement.dataset.offlineAt;
    if (fromNetwork && (ui || window.location.pathname === "/login")) forgetOtherUsers();
    if (!ui) sessionStorage.removeItem("planner-warm");
    registerWorker();
    document.querySelectorAll('form[action$="/logout"]').forEach(function (f) {
      f.addEventListener("submit", function () {
        if (window.caches) caches.delete(PAGES_CACHE);
        sessionStorage.removeItem("planner-warm");
      });
    });
    offlineBanner();
    window.addEventListener("offline", function () { banner(msg("offline-now")); });
    window.addEventListener("online", function () {
      clearBanner();
      drain().then(function () {
        if (document.documentElement.dataset.offlineAt && !formDirty()) reloadOnce();
      });
    });
    if (!ui) return;
    var flash = sessionStorage.getItem("planner-flash");
    if (flash) { sessionStorage.removeItem("planner-flash"); if (!navigator.onLine) banner(flash); }
    document.querySelectorAll("form[data-offline-form]").forEach(function (form) {
      form.addEventListener("input", function () { form.dataset.dirty = "1"; });
      prefill(form);
    });
    document.addEventListener("click", function (e) {
      var t = e.target.closest && e.target.closest("[data-sync-now], #outbox [data-f=discard]");
      if (!t) return;
      if (t.matches("[data-sync-now]")) { cardStatus(""); drain(); return; }
      if (window.confirm(msg("confirm-discard"))) deleteItem(t.dataset.id).then(render);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") drain();
    });
    if (navigator.storage && navigator.storage.persisted) {
      navigator.storage.persisted().then(function (p) { if (!p) return mine().then(function (items) {
        if (items.length) return navigator.storage.persist();
      }); }).catch(function () {});
    }
    render().then(drain);
  }
  // Other pages' scripts queue their own items (type "review": static/js/review.js) in the
  // same outbox and let the same drain send them.
  window.plannerOutbox = { put: function (item) { return putItem(item).then(render); },
    get: getItem, remove: function (id) { return deleteItem(id).then(render); },
    drain: function () { return drain(); }, uuid: uuid };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

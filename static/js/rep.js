// The rep's pages: the phone's location for a visit (asked only on a tap: consent),
// and closing the visit sheet on Today. No inline scripts (CSP).
(function () {
  "use strict";
  function status(form, text) {
    var el = form.querySelector(".geo-status");
    if (el) el.textContent = text;
  }
  document.addEventListener("click", function (evt) {
    var geo = evt.target.closest("[data-geolocate]");
    if (geo) {
      evt.preventDefault();
      var form = geo.form;
      if (!navigator.geolocation) { status(form, geo.dataset.fail); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
        form.elements.latitude.value = lat;
        form.elements.longitude.value = lng;
        if (!form.elements.place.value) form.elements.place.value = lat + ", " + lng;
        status(form, geo.dataset.ok + " (" + lat + ", " + lng + ")");
      }, function () { status(form, geo.dataset.fail); }, { timeout: 10000, maximumAge: 60000 });
      return;
    }
    var close = evt.target.closest("[data-close-sheet]");
    if (close) {
      var sheet = document.getElementById("sheet");
      if (sheet) { evt.preventDefault(); sheet.innerHTML = ""; }
    }
  });
  // The user sees the result of every tap. After a swap into the visit
  // sheet: a saved visit scrolls Today's summary (the numbers that moved) and the
  // confirmation into view and takes the focus; a form sent back with errors shows and
  // focuses the first field in error; a newly opened sheet focuses its heading. The sticky
  // top bar never covers them (scroll-margin-top in rep.css).
  function reveal(el, block) {
    if (!el) return;
    if (!el.hasAttribute("tabindex") && !el.matches("input, select, textarea, button, a[href]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: block || "start" });
  }
  // A customer tapped while a search is on its way keeps being the chosen one: the list
  // the search brings back replaces the one that was tapped (it was sent without the
  // choice), so the choice is carried into it when the customer is still listed.
  function keepChoice() {
    var box = document.getElementById("customer-choices");
    var form = box ? box.closest("form") : null;
    if (!form || form.dataset.chosen === undefined || box.querySelector("input:checked")) return;
    var chosen = form.dataset.chosen;
    var radio = box.querySelector("input[name=customer_id][value='" + CSS.escape(chosen) + "']");
    if (radio) radio.checked = true;
  }
  document.addEventListener("htmx:afterSettle", function () {
    keepChoice();
    var saved = document.getElementById("visit-saved");
    if (saved && !saved.hasAttribute("data-shown")) {
      saved.setAttribute("data-shown", "");
      reveal(saved, "end");
      var summary = document.getElementById("today-summary");
      // Both fit on one phone screen: the summary first, else the confirmation alone.
      if (summary && saved.getBoundingClientRect().bottom - summary.getBoundingClientRect().top
          <= window.innerHeight - 72) {
        summary.scrollIntoView({ block: "start" });
      }
      return;
    }
    var form = document.getElementById("visit-form");
    if (!form || form.hasAttribute("data-shown")) return;
    form.setAttribute("data-shown", "");
    var err = form.querySelector(".field-error");
    if (err) {
      var name = err.id.replace(/^err-/, "");
      var field = form.querySelector("[name='" + name + "']:not([type=hidden])");
      var box = err.closest("fieldset") || err.parentElement;
      if (field) field.focus({ preventScroll: true });
      box.scrollIntoView({ block: "center" });
      return;
    }
    var alert = form.querySelector("[role=alert]");
    if (alert) { reveal(alert, "center"); return; }
    var head = form.querySelector(".sheet-head h2");
    if (head) reveal(head, "start");
  });

  // Choosing "a new lead" opens the fields for its name.
  document.addEventListener("change", function (evt) {
    if (evt.target.name === "customer_id" && evt.target.form) {
      evt.target.form.dataset.chosen = evt.target.value;
    }
    if (evt.target.matches("[data-new-lead]")) {
      var form = evt.target.form, details = form && form.querySelector(".new-lead");
      if (details) { details.open = true; var n = details.querySelector("input"); if (n) n.focus(); }
    }
  });
})();

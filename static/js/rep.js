// The rep's pages, an ES module: the phone's location for a visit (asked only on a tap:
// consent), closing the visit sheet on Today, and showing the result of every tap in the
// sheet. No inline scripts (CSP).
function status(form, text) {
  const el = form.querySelector(".geo-status");
  if (el) el.textContent = text;
}

function locate(geo) {
  const form = geo.form;
  if (!navigator.geolocation) { status(form, geo.dataset.fail); return; }
  navigator.geolocation.getCurrentPosition((pos) => {
    const lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
    form.elements.latitude.value = lat;
    form.elements.longitude.value = lng;
    if (!form.elements.place.value) form.elements.place.value = lat + ", " + lng;
    status(form, geo.dataset.ok + " (" + lat + ", " + lng + ")");
  }, () => { status(form, geo.dataset.fail); }, { timeout: 10000, maximumAge: 60000 });
}

document.addEventListener("click", (evt) => {
  const geo = evt.target.closest("[data-geolocate]");
  if (geo) {
    evt.preventDefault();
    locate(geo);
    return;
  }
  const close = evt.target.closest("[data-close-sheet]");
  if (close) {
    const sheet = document.getElementById("sheet");
    if (sheet) { evt.preventDefault(); sheet.innerHTML = ""; }
  }
});

// The user sees the result of every tap. After a swap into the visit sheet: a saved visit
// scrolls Today's summary (the numbers that moved) and the confirmation into view and
// takes the focus; a form sent back with errors shows and focuses the first field in
// error; a newly opened sheet focuses its heading. The sticky top bar never covers them
// (scroll-margin-top in rep.css).
function reveal(el, block) {
  if (!el) return;
  if (!el.hasAttribute("tabindex") && !el.matches("input, select, textarea, button, a[href]")) {
    el.setAttribute("tabindex", "-1");
  }
  el.focus({ preventScroll: true });
  el.scrollIntoView({ block: block || "start" });
}

// A customer tapped while a search is on its way keeps being the chosen one: the list the
// search brings back replaces the one that was tapped (it was sent without the choice), so
// the choice is carried into it when the customer is still listed.
function keepChoice() {
  const box = document.getElementById("customer-choices");
  const form = box ? box.closest("form") : null;
  if (!form || form.dataset.chosen === undefined || box.querySelector("input:checked")) return;
  const radio = box.querySelector("input[name=customer_id][value='" + CSS.escape(form.dataset.chosen) + "']");
  if (radio) radio.checked = true;
}

function showSaved(saved) {
  saved.setAttribute("data-shown", "");
  reveal(saved, "end");
  const summary = document.getElementById("today-summary");
  // Both fit on one phone screen: the summary first, else the confirmation alone.
  if (summary && saved.getBoundingClientRect().bottom - summary.getBoundingClientRect().top
      <= window.innerHeight - 72) {
    summary.scrollIntoView({ block: "start" });
  }
}

function showForm(form) {
  form.setAttribute("data-shown", "");
  const err = form.querySelector(".field-error");
  if (err) {
    const name = err.id.replace(/^err-/, "");
    const field = form.querySelector("[name='" + name + "']:not([type=hidden])");
    const box = err.closest("fieldset") || err.parentElement;
    if (field) field.focus({ preventScroll: true });
    box.scrollIntoView({ block: "center" });
    return;
  }
  const alert = form.querySelector("[role=alert]");
  if (alert) { reveal(alert, "center"); return; }
  reveal(form.querySelector(".sheet-head h2"), "start");
}

document.addEventListener("htmx:afterSettle", () => {
  keepChoice();
  const saved = document.getElementById("visit-saved");
  if (saved && !saved.hasAttribute("data-shown")) { showSaved(saved); return; }
  const form = document.getElementById("visit-form");
  if (form && !form.hasAttribute("data-shown")) showForm(form);
});

// Choosing "a new lead" opens the fields for its name.
document.addEventListener("change", (evt) => {
  if (evt.target.name === "customer_id" && evt.target.form) {
    evt.target.form.dataset.chosen = evt.target.value;
  }
  if (evt.target.matches("[data-new-lead]")) {
    const form = evt.target.form;
    const details = form && form.querySelector(".new-lead");
    if (details) {
      details.open = true;
      const n = details.querySelector("input");
      if (n) n.focus();
    }
  }
});

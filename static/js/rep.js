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
  // Choosing "a new lead" opens the fields for its name.
  document.addEventListener("change", function (evt) {
    if (evt.target.matches("[data-new-lead]")) {
      var form = evt.target.form, details = form && form.querySelector(".new-lead");
      if (details) { details.open = true; var n = details.querySelector("input"); if (n) n.focus(); }
    }
  });
})();

// Target planning: when a preview or an apply fails on the server or the network, say so
// in the panel under the form that was tapped (and scroll it into view), not only in the
// banner at the top of the page, which is off screen on a phone. No inline scripts (CSP).
(function () {
  "use strict";
  function strings() {
    var el = document.getElementById("target-strings");
    return el ? el.dataset : {};
  }
  function say(evt, text) {
    var elt = evt.detail && evt.detail.elt;
    var node = elt && elt.closest ? elt.closest(".tnode, .tpreview") : null;
    if (!node) return;
    var panel = node.classList.contains("tnode") ? node.querySelector(".tpanel") : node;
    if (!panel) return;
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    panel.replaceChildren(p);
    var details = panel.closest("details");
    if (details) details.open = true;
    panel.scrollIntoView({ block: "start" });
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail && evt.detail.xhr ? evt.detail.xhr.status : "";
    say(evt, (strings().serverError || "Error ({status})").replace("{status}", String(status)));
  });
  document.addEventListener("htmx:sendError", function (evt) {
    say(evt, strings().networkError || "No connection.");
  });
})();

// Target planning: when a preview or an apply fails on the server or the network, say so
// in the panel under the form that was tapped (and scroll it into view), not only in the
// banner at the top of the page, which is off screen on a phone. An ES module; no inline
// scripts (CSP).
function strings() {
  const el = document.getElementById("target-strings");
  return el ? el.dataset : {};
}

function say(evt, text) {
  const elt = evt.detail && evt.detail.elt;
  const node = elt && elt.closest ? elt.closest(".tnode, .tpreview") : null;
  if (!node) return;
  const panel = node.classList.contains("tnode") ? node.querySelector(".tpanel") : node;
  if (!panel) return;
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = text;
  panel.replaceChildren(p);
  const details = panel.closest("details");
  if (details) details.open = true;
  panel.scrollIntoView({ block: "start" });
}

document.addEventListener("htmx:responseError", (evt) => {
  const status = evt.detail && evt.detail.xhr ? evt.detail.xhr.status : "";
  say(evt, (strings().serverError || "Error ({status})").replace("{status}", String(status)));
});
document.addEventListener("htmx:sendError", (evt) => {
  say(evt, strings().networkError || "No connection.");
});

// planner: what every page with a session needs besides htmx and the offline layer, an
// ES module (templates/base.html). No inline scripts, no eval (CSP).

// A request htmx could not get done (4xx/5xx): the server's message, or a general one,
// in the status banner under the top bar.
document.addEventListener("htmx:responseError", (evt) => {
  const banner = document.getElementById("status-banner");
  if (!banner) return;
  const xhr = evt.detail.xhr;
  let msg = "";
  try { msg = JSON.parse(xhr.responseText).error.message; } catch (e) { msg = ""; }
  banner.textContent = msg || (document.documentElement.lang === "en"
    ? "The server could not do that (" + xhr.status + "). Nothing was lost; please try again."
    : "服务器未能完成操作（" + xhr.status + "）。内容未丢失，请重试。");
  banner.hidden = false;
});

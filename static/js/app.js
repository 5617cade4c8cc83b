// planner: the small amount of JavaScript the pages need. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:responseError", function (evt) {
    var banner = document.getElementById("status-banner");
    if (!banner) return;
    var xhr = evt.detail.xhr;
    var msg = "";
    try { msg = JSON.parse(xhr.responseText).error.message; } catch (e) { msg = ""; }
    banner.textContent = msg || (document.documentElement.lang === "en"
      ? "The server could not do that (" + xhr.status + "). Nothing was lost; please try again."
      : "服务器未能完成操作（" + xhr.status + "）。内容未丢失，请重试。");
    banner.hidden = false;
  });
})();

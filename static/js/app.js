// planner: the small amount of JavaScript the pages need. No inline scripts (CSP).
(function () {
  "use strict";
  // Money as the server shows it (planner/fmt.py): the pattern comes in data-money-*
  // attributes on <html>. style: "exact" (¥12,800.50), "whole" (¥1,861) or "short"
  // (whole below data-money-compact-from yuan, else ¥60.2万 / ¥601.9K).
  function halfUp(x) { return x < 0 ? -Math.round(-x) : Math.round(x); }
  function money(fen, style) {
    var d = document.documentElement.dataset;
    var loc = d.moneyLocale || document.documentElement.lang || "zh-CN";
    var sym = d.moneySymbol || "¥";
    fen = Math.round(Number(fen) || 0);
    var sign = fen < 0 ? "-" : "";
    var abs = Math.abs(fen);
    if (style !== "whole" && style !== "short") {
      var digits = abs % 100 === 0 ? 0 : 2;
      return sign + sym + new Intl.NumberFormat(loc, {
        minimumFractionDigits: digits, maximumFractionDigits: digits }).format(abs / 100);
    }
    var yuan = halfUp(abs / 100);
    if (style === "short" && yuan >= Number(d.moneyCompactFrom || 100000)) {
      var steps = (d.moneySteps || "10000,100000000").split(",").map(Number);
      var unit = steps[0];
      steps.forEach(function (s) { if (yuan >= s) unit = s; });
      var shown = halfUp(yuan / (unit / 10)) * (unit / 10);
      return sign + sym + new Intl.NumberFormat(loc, {
        notation: "compact", maximumFractionDigits: 1 }).format(shown);
    }
    return sign + sym + new Intl.NumberFormat(loc, { maximumFractionDigits: 0 }).format(yuan);
  }
  window.planner = window.planner || {};
  window.planner.money = money;

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

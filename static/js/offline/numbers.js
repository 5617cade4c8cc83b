// Pending visits move the page's numbers on the phone until the server's replace them:
// [data-metric-source][data-metric-unit] with .achieved-today, .remaining-today and
// .month-achieved children carrying data-value.
import { isMine } from "./store.js";
import { lang, msg, ui } from "./ui.js";
import { companyDay, fen, money } from "./util.js";

const DELTAS = {
  visits: () => 1,
  visits_cold: (p) => (p.kind === "cold" ? 1 : 0),
  visits_return: (p) => (p.kind === "return" ? 1 : 0),
  contracts: (p) => (fen(p.amount_signed) > 0 ? 1 : 0),
  amount_signed: (p) => fen(p.amount_signed),
  amount_collected: (p) => fen(p.amount_collected),
};

export function applyLocal(items) {
  const today = ui().dataset.day || companyDay(new Date());
  const pending = items.filter((i) => i.status === "pending" && isMine(i) && (i.type || "visit") === "visit");
  const sum = (source, sameDay) => {
    const f = DELTAS[source];
    if (!f) return 0;
    return pending.reduce((acc, i) => {
      const ok = sameDay ? i.day === today : i.day.slice(0, 7) === today.slice(0, 7) && i.day <= today;
      return acc + (ok ? f(i.payload) : 0);
    }, 0);
  };
  document.querySelectorAll("[data-metric-source]").forEach((box) => {
    const source = box.dataset.metricSource;
    [[".achieved-today", 1, true], [".month-achieved", 1, false], [".remaining-today", -1, true]].forEach(([sel, sign, sameDay]) => {
      const el = box.querySelector(sel + "[data-value]");
      if (!el) return;
      if (el.dataset.serverText === undefined) el.dataset.serverText = el.textContent;
      const delta = sum(source, sameDay) * sign;
      const v = Math.max(0, Number(el.dataset.value) + delta);
      if (!delta || v === Number(el.dataset.value)) {
        el.textContent = el.dataset.serverText;
        el.classList.remove("pending-local");
        return;
      }
      el.title = msg("pending");
      el.textContent = box.dataset.metricUnit === "money" ? money(v, el.dataset.money) : new Intl.NumberFormat(lang()).format(v);
      el.classList.add("pending-local");
    });
  });
}

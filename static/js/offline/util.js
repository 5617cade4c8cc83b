// Small pure helpers: ids, dates, amounts.
import { ui } from "./ui.js";

export function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.prototype.map.call(b, (x) => (x + 256).toString(16).slice(1)).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
export const pad = (n) => (n < 10 ? "0" : "") + n;
export const localDay = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
export const hhmm = (d) => pad(d.getHours()) + ":" + pad(d.getMinutes());
export const toLocalInput = (d) => localDay(d) + "T" + hhmm(d);

// The company-local day of a moment (visits count on the company's calendar).
export function companyDay(d) {
  try {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone: ui().dataset.tz, year: "numeric", month: "2-digit", day: "2-digit",
    }).format(d);
  } catch (e) { return localDay(d); }
}

// Amounts: planner/money.py's parser and planner/fmt.py's formatter (../money.js).
export { fen, money, parseFen } from "../money.js";

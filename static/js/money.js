// Money on the phone, by the server's rules: fen typed or sent are parsed as
// planner/money.py parses them (the same amounts accepted, the same refused, for the same
// reason: tests/web/test_js_money.py runs one table through both), and shown as
// planner/fmt.py shows them (the pattern comes in data-money-* attributes on <html>).

// A typed amount money.py refuses; `code` says why, as MoneyError.code does there:
// not_a_number, exponent, decimal_comma, grouping, decimals, negative, too_long, too_large.
export class MoneyError extends Error {
  constructor(code) {
    super(code);
    this.name = "MoneyError";
    this.code = code;
  }
}

const PLAIN = /^(?<int>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?<frac>[0-9]*))?$/;
const LEADING_POINT = /^\.(?<frac>[0-9]+)$/;
const MAX_CHARS = 40;
// What Python's str.strip() takes away (str.isspace()), which String.trim() does not match.
const SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const EDGES = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
const strip = (s) => s.replace(EDGES, "");

function why(s) {
  if (/^[0-9.,]*[0-9][eE][+-]?[0-9]+$/.test(s)) return "exponent";
  if (/^[0-9.]*[0-9],[0-9]{1,2}$/.test(s)) return "decimal_comma";
  if (/^[0-9.,]+$/.test(s) && /[0-9]/.test(s)) return "grouping";
  return "not_a_number";
}

function text(value) {
  if (typeof value === "string") return value;
  if (typeof value !== "number") throw new MoneyError("not_a_number");
  const s = String(value);
  if (!isFinite(value) || /e/i.test(s)) throw new MoneyError("exponent");
  return s;
}

// Yuan typed or sent (a string or a number) -> integer fen, 0 for empty; throws a
// MoneyError for anything money.parse_fen refuses (limit: the most fen allowed; a number
// of fen past 2^53 is not exact in JavaScript: callers give a limit, as the server does).
// A JSON number is read as Python reads it (an integral one as an int).
export function parseFen(value, limit) {
  if (value === undefined || value === null || (typeof value === "string" && strip(value) === "")) return 0;
  let s = strip(text(value)).split("，").join(",");
  if ([...s].length > MAX_CHARS) throw new MoneyError("too_long");
  for (const sign of ["¥", "￥"]) s = strip(s.startsWith(sign) ? s.slice(sign.length) : s);
  if (s.startsWith("-")) throw new MoneyError("negative");
  if (s.startsWith("+")) s = s.slice(1);
  const m = PLAIN.exec(s) || LEADING_POINT.exec(s);
  if (!m) throw new MoneyError(why(s));
  const frac = (m.groups.frac || "").replace(/0+$/, "");
  if (frac.length > 2) throw new MoneyError("decimals");
  const fen = BigInt((m.groups.int || "0").split(",").join("")) * 100n + BigInt((frac + "00").slice(0, 2));
  if (limit !== undefined && limit !== null && fen > BigInt(limit)) throw new MoneyError("too_large");
  return Number(fen);
}

// A typed amount in fen for showing (0 when empty or refused).
export function fen(value) {
  try { return parseFen(value); } catch (e) { return 0; }
}

const halfUp = (x) => (x < 0 ? -Math.round(-x) : Math.round(x));

// Fen for display, as planner/fmt.py's money(): style "exact" (¥12,800.50), "whole"
// (¥1,861) or "short" (whole below data-money-compact-from yuan, else ¥60.2万 / ¥601.9K).
export function money(f, style) {
  const d = document.documentElement.dataset;
  const loc = d.moneyLocale || document.documentElement.lang || "zh-CN";
  const sym = d.moneySymbol || "¥";
  const n = Math.round(Number(f) || 0);
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  if (style !== "whole" && style !== "short") {
    const digits = abs % 100 === 0 ? 0 : 2;
    return sign + sym + new Intl.NumberFormat(loc, {
      minimumFractionDigits: digits, maximumFractionDigits: digits }).format(abs / 100);
  }
  const yuan = halfUp(abs / 100);
  if (style === "short" && yuan >= Number(d.moneyCompactFrom || 100000)) {
    const steps = (d.moneySteps || "10000,100000000").split(",").map(Number);
    let unit = steps[0];
    steps.forEach((s) => { if (yuan >= s) unit = s; });
    const shown = halfUp(yuan / (unit / 10)) * (unit / 10);
    return sign + sym + new Intl.NumberFormat(loc, {
      notation: "compact", maximumFractionDigits: 1 }).format(shown);
  }
  return sign + sym + new Intl.NumberFormat(loc, { maximumFractionDigits: 0 }).format(yuan);
}

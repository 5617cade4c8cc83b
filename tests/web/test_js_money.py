"""The phone parses typed amounts as the server does: static/js/money.js `parseFen` (what
the offline layer's `fen()` is) and planner.money `parse_fen` take one table of inputs,
and accept the same ones as the same fen and refuse the same ones for the same reason.
The JavaScript runs in Node (no browser needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from planner.money import MoneyError, parse_fen

MONEY_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "money.js"
LIMIT = 100_000_000 * 100  # a visit's amounts (services.visits.MAX_AMOUNT_FEN)

# (typed value, limit in fen or None). Strings as a form sends them; JSON numbers as an
# API client sends them (integers, and decimals with a short exact form).
TABLE: list[tuple[Any, int | None]] = [
    # accepted
    ("12800", None), ("12800.50", None), ("12,800.5", None), ("¥12,800.50", None),
    ("￥ 1,234,567.89", None), ("1，234.5", None), (".5", None), ("5.", None), ("+5", None),
    ("0", None), ("00012", None), (" 12 ", None), ("\u300012\u3000", None), ("\t7\n", None),
    ("12.500", None), ("1,234", None), ("0.01", None), ("999,999,999.99", None),
    ("100000000", LIMIT), ("", None), ("   ", None), (None, None), (12, None), (12.5, None),
    (0, None), (9007199254740991, None), ("12345678901234567890123456789.99", LIMIT),
    # refused: exponents, a decimal comma, grouping, decimals, signs, length, words, limits
    ("1e5", None), ("1E5", None), ("1.5e3", None), ("2e-3", None), ("12,5", None),
    ("12,50", None), ("1.234,56", None), ("1,2345", None), ("12,34,567", None),
    (",123", None), ("1.2.3", None), ("1234,567", None), ("12.345", None),
    ("12.5000001", None), (0.1 + 0.2, None), ("-5", None), ("-0", None), ("¥-5", None),
    ("-¥5", None), ("1" * 41, None), ("NaN", None), ("Infinity", None), ("٣", None),
    ("1 000", None), ("1\u00a0000", None), ("0x10", None), ("¥", None), ("1_000", None),
    ("+-1", None), ("abc", None), ("12元", None), ("\ufeff12", None), ("12\u200b", None),
    ("\x1f12", None), (True, None), ("100000000.01", LIMIT), ("1,000,000,000", LIMIT),
]

NODE_SCRIPT = """
import { parseFen } from "./money.mjs";
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([value, limit]) => {
    try { return { fen: parseFen(value, limit) }; }
    catch (e) { return { code: e.code || String(e) }; }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _server(value: Any, limit: int | None) -> dict[str, Any]:
    try:
        return {"fen": parse_fen(value, limit=limit)}
    except MoneyError as exc:
        return {"code": exc.code}


def _phone(tmp_path: Path, table: list[tuple[Any, int | None]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is needed to run the phone's JavaScript"
    shutil.copy(MONEY_JS, tmp_path / "money.mjs")
    (tmp_path / "run.mjs").write_text(NODE_SCRIPT, encoding="utf-8")
    done = subprocess.run([node, str(tmp_path / "run.mjs")], input=json.dumps(table),
                          capture_output=True, text=True, timeout=30, check=True)
    return list(json.loads(done.stdout))


def test_the_phone_accepts_and_refuses_typed_amounts_as_money_py_does(
    app: Flask, tmp_path: Path
) -> None:
    with app.test_request_context():
        server = [_server(v, lim) for v, lim in TABLE]
    phone = _phone(tmp_path, TABLE)
    diff = [(v, lim, s, p) for (v, lim), s, p in zip(TABLE, server, phone, strict=True) if s != p]
    assert diff == []
    # The table holds both kinds, and every reason the server gives.
    codes = {r["code"] for r in server if "code" in r}
    assert codes == {"exponent", "decimal_comma", "grouping", "decimals", "negative",
                     "too_long", "not_a_number", "too_large"}
    assert sum("fen" in r for r in server) >= 20


@pytest.mark.parametrize("text", ["1e5", "12,5", "-3", "1.999"])
def test_the_offline_layers_fen_shows_a_refused_amount_as_nothing(
    tmp_path: Path, text: str
) -> None:
    """fen() (numbers moved locally, the outbox card) counts what the server would refuse
    as 0, never as another amount (1e5 used to count as ¥100,000, 12,5 as ¥125)."""
    shutil.copy(MONEY_JS, tmp_path / "money.mjs")
    (tmp_path / "fen.mjs").write_text(
        'import { fen } from "./money.mjs";\n'
        f"process.stdout.write(String(fen({json.dumps(text)})));\n", encoding="utf-8")
    done = subprocess.run([shutil.which("node") or "node", str(tmp_path / "fen.mjs")],
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == "0"

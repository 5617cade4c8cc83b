"""Hold every function in planner/ to at most 60 lines and a cyclomatic complexity of at
most 15 (ruff's C901, threshold in pyproject.toml), apart from the exceptions listed in
ALLOWED below, each with its reason. Run by `make lint`; exits 1 on a new offender and on
an allowed entry that no longer offends (so the list only shrinks).

    python tools/function_limits.py
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

MAX_LINES = 60
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "planner"

# "path:function" -> why it is allowed to be long or complex today. The one list of
# exceptions; README.md ("Limits") says the same in a sentence.
ALLOWED: dict[str, str] = {
    "planner/engine/allocate.py:allocate_matrix":
        "one numeric algorithm (largest remainders over a matrix), read top to bottom",
    "planner/engine/rolling.py:rolling_target":
        "one numeric algorithm (the rolling run rate), read top to bottom",
    "planner/devtools/page_bench.py:run": "a benchmark script, not the product",
}


def long_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_LINES:
                    found[f"{rel}:{node.name}"] = lines
    return found


def complex_functions() -> dict[str, str]:
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run(
        [str(ruff), "check", "planner", "--select", "C901", "--output-format", "json",
         "--exit-zero", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    found: dict[str, str] = {}
    for item in json.loads(out or "[]"):
        rel = Path(item["filename"]).resolve().relative_to(ROOT).as_posix()
        name = item["message"].split("`")[1]
        found[f"{rel}:{name}"] = item["message"]
    return found


def main() -> int:
    problems = []
    long = long_functions()
    complex_ = complex_functions()
    for key, lines in sorted(long.items()):
        if key not in ALLOWED:
            problems.append(f"{key}: {lines} lines (at most {MAX_LINES})")
    for key, message in sorted(complex_.items()):
        if key not in ALLOWED:
            problems.append(f"{key}: {message}")
    for key in sorted(ALLOWED):
        if key not in long and key not in complex_:
            problems.append(f"{key}: within the limits now; remove it from ALLOWED")
    for line in problems:
        print(line)
    print(f"function limits: {len(long)} over {MAX_LINES} lines, {len(complex_)} over "
          f"complexity 15, {len(ALLOWED)} allowed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

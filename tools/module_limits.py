"""Hold planner/'s modules to the house's two structural rules, run by `make lint`:

1. No import cycle among the modules of planner/: the import graph (grimp, the graph
   import-linter checks its contracts on; imports inside functions count too) has no
   strongly connected component of more than one module. A package's `__init__` that
   re-exports its insides is part of the graph like any module, so a door that imports
   an inside module which imports the door back is a cycle too.
2. No module over MAX_LINES lines, apart from those in ALLOWED, each with its reason
   (README.md "Limits" lists the same). An allowed module that shrinks below the limit
   must leave the list, so the list only shrinks.
3. The floors below the web read no request state: nothing in planner/services,
   planner/models or planner/engine imports `request`, `session` or `g` from flask (nor
   flask_login / flask_wtf, which the import-linter contract "Below the web" forbids as
   modules). A service gets the person and the values it needs as arguments.

    python tools/module_limits.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

MAX_LINES = 400
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "planner"

# "path" -> why it may be longer than MAX_LINES today.
ALLOWED: dict[str, str] = {}


def long_modules() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found[path.relative_to(ROOT).as_posix()] = lines
    return found


REQUEST_STATE = {"request", "session", "g"}
BELOW_WEB = ("planner/services", "planner/models", "planner/engine")


def request_state_imports() -> list[str]:
    found = []
    for folder in BELOW_WEB:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "flask":
                    names = {a.name for a in node.names} & REQUEST_STATE
                    if names:
                        rel = path.relative_to(ROOT).as_posix()
                        found.append(f"{rel}:{node.lineno} imports {', '.join(sorted(names))}"
                                     " from flask (request state belongs to the web floor)")
    return found


def import_cycles() -> list[list[str]]:
    """The strongly connected components of planner's import graph with more than one
    module (Tarjan's algorithm, iterative)."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("planner", cache_dir=None)
    modules = sorted(graph.modules)
    succ = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            nxt = succ[node]
            if i < len(nxt):
                work.append((node, i + 1))
                child = nxt[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    cycles.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return cycles


def main() -> int:
    problems: list[str] = []
    for cycle in import_cycles():
        problems.append("import cycle: " + " <-> ".join(cycle))
    problems.extend(request_state_imports())
    long = long_modules()
    for rel, lines in long.items():
        if rel not in ALLOWED:
            problems.append(f"{rel}: {lines} lines (at most {MAX_LINES})")
    for rel in ALLOWED:
        if rel not in long:
            problems.append(f"{rel} is no longer over {MAX_LINES} lines: remove it from ALLOWED")
    for p in problems:
        print(p)
    print(f"module limits: {len(long)} modules over {MAX_LINES} lines, {len(ALLOWED)} allowed, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

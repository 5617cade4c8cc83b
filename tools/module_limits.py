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
ALLOWED: dict[str, str] = {
    "planner/cli.py": "the command group; its operating and set-up commands already moved to "
                      "cli_ops.py and cli_setup.py, the benchmarks are next",
    "planner/devtools/demo.py": "the demo company's data, read top to bottom (not the product)",
    "planner/engine/tree_rules.py": "every rule that changes the target tree beside the "
                                    "invariant it keeps; to split by rule (edit, lock, decompose)",
    "planner/web/targets.py": "the Targets pages; the year switch and read-only past years "
                              "landed in it this round; to split like web/tracking/",
}

# Import cycles known today, each named by one module of it, with the reason. A cycle not
# listed fails; a listed one that is gone must leave the list.
ALLOWED_CYCLES: dict[str, str] = {
    "planner.services.cache": "function-level imports between the feature packages (cache, "
                              "reminders, reviews, targets, tracking, years) made at merge: to "
                              "be broken by moving the shared reads below the packages",
    "planner.web.admin": "the admin blueprint's page modules import `bp` from the package, "
                         "which lists them: to move the list out as web/pages.py does",
}


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
    seen = set()
    for cycle in import_cycles():
        known = [m for m in ALLOWED_CYCLES if m in cycle]
        if known:
            seen.update(known)
            continue
        problems.append("import cycle: " + " <-> ".join(cycle))
    for gone in set(ALLOWED_CYCLES) - seen:
        problems.append(f"the import cycle through {gone} is gone: remove it from ALLOWED_CYCLES")
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

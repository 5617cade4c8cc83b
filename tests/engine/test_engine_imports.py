"""The engine stays pure: standard library and holidays only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import planner.engine

ENGINE = Path(planner.engine.__file__).parent


def test_the_engine_imports_only_the_standard_library_and_holidays() -> None:
    allowed = set(sys.stdlib_module_names) | {"holidays"}
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_the_public_api_is_exported() -> None:
    for name in planner.engine.__all__:
        assert hasattr(planner.engine, name)

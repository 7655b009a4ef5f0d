"""Library parts never import the DAG wiring: only ``delivery_window.wiring`` (and the DAG files) build tasks.

Read with ``ast``, not by importing: a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import delivery_window

PACKAGE = Path(delivery_window.__file__).parent
WIRING = "delivery_window.wiring"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute; ``from x import y`` also yields ``x.y`` (y may be a module)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _library_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if not _module_name(p).startswith(WIRING)]


def test_the_walk_sees_the_library_parts():
    names = {_module_name(p) for p in _library_modules()}
    for part in ("checks", "monitor", "escalation", "runbooks", "reports"):
        assert f"delivery_window.{part}" in names, part
    assert not any(n.startswith(WIRING) for n in names)


def test_no_module_outside_wiring_imports_wiring():
    offenders = {
        _module_name(p): sorted(i for i in _imports(p) if i == WIRING or i.startswith(f"{WIRING}."))
        for p in _library_modules()
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_the_wiring_imports_the_task_bodies_not_the_other_way_round():
    assert "delivery_window.runbooks.run" in _imports(PACKAGE / "wiring" / "runbook_groups.py")


def test_there_is_no_tasks_module():
    assert importlib.util.find_spec("delivery_window.tasks") is None
    assert not (PACKAGE / "tasks.py").exists() and not (PACKAGE / "tasks").exists()
    importers = sorted(
        _module_name(p) for p in PACKAGE.rglob("*.py") if "delivery_window.tasks" in _imports(p)
    )
    assert importers == []

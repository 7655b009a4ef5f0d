"""Where the project's non-Python files live (the repo root holds include/ and sql/)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

# plugins/delivery_window/paths.py -> repo root; DELIVERY_WINDOW_HOME overrides for installed deployments.
ROOT = Path(os.environ.get("DELIVERY_WINDOW_HOME") or Path(__file__).resolve().parents[2])
SQL_DIR = ROOT / "sql"
INCLUDE_DIR = ROOT / "include"
MIGRATIONS_DIR = SQL_DIR / "migrations"
QUERIES_DIR = SQL_DIR / "queries"


@cache
def _query_text(name: str) -> str:
    return (QUERIES_DIR / f"{name}.sql").read_text()


def query(name: str, run_scope=None) -> str:
    """Text of ``sql/queries/<name>.sql`` (bind parameters only, never formatted), its report tables in
    ``run_scope`` (default: the running task's): the record's ``delivery_ops``, or an evaluation's own schema."""
    from delivery_window.scope import rewrite

    return rewrite(_query_text(name), name, run_scope)

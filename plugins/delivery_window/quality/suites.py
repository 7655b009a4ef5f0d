"""The suites of ``include/gx`` and their parameters (pure: no GX import, no I/O beyond reading the files)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from delivery_window import window
from delivery_window.paths import INCLUDE_DIR, query
from delivery_window.protocol import Protocol
from delivery_window.source_contract import STATUSES

SUITES_DIR = INCLUDE_DIR / "gx"
__all__ = ["STATUSES"]  # platform.delivery_attempts.status, defined with the rest of the source contract


@dataclass(frozen=True)
class SuiteSpec:
    """One suite: its name, the checkpoint it runs at, the view it validates, GX expectation configurations."""

    name: str
    checkpoint: str
    batch_view: str  # schema.view: the day's rows (sql/migrations/0003)
    expectations: tuple[dict[str, Any], ...]
    meta: dict[str, Any]


def sql_text(name: str) -> str:
    """``sql/queries/<name>.sql`` without its ``--`` comment lines (GX wants a query that starts with SELECT)."""
    lines = [line for line in query(name).splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip()


def _resolve(value: Any) -> Any:
    """Replace ``{"$QUERY": name}`` with the text of ``sql/queries/<name>.sql`` (SQL lives only there)."""
    if isinstance(value, dict):
        if set(value) == {"$QUERY"}:
            return sql_text(value["$QUERY"])
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


@cache
def load_suite(name: str, directory: Path = SUITES_DIR) -> SuiteSpec:
    """Read ``include/gx/<name>.json``; a suite without ``meta.batch_view`` or expectations is an error."""
    path = directory / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("meta") or {}
    if data.get("name") != name:
        raise ValueError(f"{path}: name {data.get('name')!r} must be the file name {name!r}")
    if not re.fullmatch(r"[a-z_]+\.[a-z_]+", meta.get("batch_view") or "") or not data.get("expectations"):
        raise ValueError(f"{path}: needs meta.batch_view (schema.view) and at least one expectation")
    expectations = tuple(_resolve(e) for e in data["expectations"])
    for i, e in enumerate(expectations):
        if not isinstance(e.get("type"), str) or not isinstance(e.get("kwargs"), dict):
            raise ValueError(f"{path}: expectations[{i}] needs a type and kwargs")
    return SuiteSpec(name, meta.get("checkpoint", ""), meta["batch_view"], expectations, meta)


def suite_names(directory: Path = SUITES_DIR) -> tuple[str, ...]:
    """Every suite in ``include/gx``, by name."""
    return tuple(sorted(p.stem for p in directory.glob("*.json")))


def suites_at(checkpoint: str, directory: Path = SUITES_DIR) -> tuple[str, ...]:
    """The suites that run at a checkpoint (``meta.checkpoint``, e.g. ``"06:15"``)."""
    return tuple(n for n in suite_names(directory) if load_suite(n, directory).checkpoint == checkpoint)


def suite_parameters(day: date, protocol: Protocol) -> dict[str, Any]:
    """Values of the suites' ``$PARAMETER``s: statuses, segments, latency bound, the window of the day."""
    from delivery_window.reports.advisor_issues import ERROR_CLASSES

    close = window.close(day, protocol)
    return {
        "statuses": list(STATUSES),
        "segment_max": protocol.checks.advisor_segments,
        "latency_max_ms": protocol.post_delivery_verification.dq_latency_max_ms,
        "window_start": window.at(day, "delivery_start").isoformat(),
        "window_end": close.isoformat(),
        "error_classes": list(ERROR_CLASSES),
    }


def expectation_label(config: dict[str, Any]) -> str:
    """A readable, stable name of an expectation: ``type(column)``, ``type(A,B)`` or ``type(meta name)``."""
    kwargs, meta = config.get("kwargs") or {}, config.get("meta") or {}
    if "column" in kwargs:
        arg = kwargs["column"]
    elif "column_A" in kwargs:
        arg = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif meta.get("name"):
        arg = meta["name"]
    else:
        arg = ",".join(
            f"{k}={v}"
            for k, v in sorted(kwargs.items())
            if k not in ("result_format", "catch_exceptions", "batch_id")
        )
    return f"{config['type']}({arg})"

"""What the monitor reads and writes, through ``sql/queries`` (bind parameters only).

The tick read (``iter_changes``: time slices, read by a thread while the caller aggregates) returns packed byteas that numpy decodes: new
attempts in full (``Batch``) and receipts of attempts read before (``Receipts``, four columns); the rest
is small: the advisor directory once per run, names of numbers/advisors only when a scope or an alert needs
one, the latency baseline, template observations, and the resume watermark.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from delivery_window import store
from delivery_window.monitor.metrics import TickMetrics
from delivery_window.monitor.state import Batch, Directory, Receipts
from delivery_window.paths import query
from delivery_window.protocol import Protocol

_ADVISOR_WIRE = np.dtype([("key", ">i8"), ("tier", ">i2"), ("active", ">i2")])


def _fetch_binary(conn, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """One row of ``name`` with bytea columns as bytes, fetched in binary (hex text would double the transfer)."""
    if type(conn).__module__.startswith("psycopg2"):
        with conn.cursor() as cur:
            cur.execute(query(name), params)
            names = [d[0] for d in cur.description]
            row = dict(zip(names, cur.fetchone(), strict=True))
    else:
        with conn.cursor(binary=True) as cur:
            cur.execute(query(name), params)
            names = [d[0] for d in cur.description]
            row = dict(zip(names, cur.fetchone(), strict=True))
    return {k: bytes(v) if isinstance(v, memoryview | bytearray) else v for k, v in row.items()}


@dataclass
class Changes:
    """One tick's read: attempts no earlier read returned (in full) and receipts of attempts read before."""

    rows: Batch
    receipts: Receipts

    def __len__(self) -> int:
        return len(self.rows) + len(self.receipts)


def _slices(lo: datetime, hi: datetime, n: int) -> list[tuple[datetime, datetime]]:
    """(lo, hi] cut into ``n`` consecutive slices ((lo, lo] n times when the range is empty)."""
    if hi <= lo:
        return [(lo, lo)] * n
    edges = [lo + (hi - lo) * k / n for k in range(n)] + [hi]
    return list(zip(edges, edges[1:], strict=False))


def _pieces(
    day: date, lo: datetime, t: datetime, lo_status: datetime, split: datetime, n: int
) -> list[dict[str, Any]]:
    """The parameters of the ``n`` time slices of one read (see select_attempt_changes.sql)."""
    full = _slices(max(lo, split), t, n)
    again = _slices(lo, split, n)
    status = _slices(lo_status, t, n)
    return [
        {"delivery_date": day, "split": split, "full_lo": f[0], "full_hi": f[1], "again_lo": a[0],
         "again_hi": a[1], "status_lo": st[0], "status_hi": st[1]}
        for f, a, st in zip(full, again, status, strict=True)
    ]  # fmt: skip


def _decode(row: dict[str, Any]) -> Changes:
    return Changes(Batch.from_blob(row["rows"] or b""), Receipts.from_blob(row["receipts"] or b""))


def read_changes(
    conn,
    day: date,
    lo: datetime,
    t: datetime,
    lo_status: datetime | None = None,
    *,
    split: datetime | None = None,
) -> Changes:
    """Attempts made in (lo, t] and attempts whose receipt arrived in (lo_status, t] (default: lo), one row each.

    Attempts made after ``split`` (default: lo) come in full; those made by ``split`` (an earlier read returned
    them) come as ``Receipts``.
    """
    lo_status = lo if lo_status is None else lo_status
    (params,) = _pieces(day, lo, t, lo_status, lo if split is None else split, 1)
    return _decode(_fetch_binary(conn, "select_attempt_changes", params))


def iter_changes(
    conns: Sequence[Any],
    day: date,
    lo: datetime,
    t: datetime,
    lo_status: datetime,
    *,
    split: datetime,
    pieces: int,
) -> Iterator[Changes]:
    """``read_changes`` in ``pieces`` time slices, each connection of ``conns`` reading its share one after the
    other in a reader thread of its own, yielded as each arrives: the caller aggregates one slice while the server
    packs the next. ``conns`` are not used by anyone else until the iteration ends.

    A row can come in two slices (an early attempt in one, its receipt in another), never twice in one. An error
    of any slice is raised once every connection is idle again.
    """
    params = _pieces(day, lo, t, lo_status, split, pieces)
    done: queue.Queue = queue.Queue()

    def read(conn, mine: list[dict[str, Any]]) -> None:
        try:
            for p in mine:
                done.put(_fetch_binary(conn, "select_attempt_changes", p))
        except BaseException as exc:  # handed to the caller's thread
            done.put(exc)
        finally:
            done.put(None)  # this connection is idle

    readers = [
        threading.Thread(
            target=read, args=(c, params[k :: len(conns)]), name=f"monitor-read-{k}", daemon=True
        )
        for k, c in enumerate(conns)
    ]
    for r in readers:
        r.start()
    error, busy = None, len(readers)
    try:
        while busy:
            item = done.get()
            if item is None:
                busy -= 1
            elif isinstance(item, BaseException):
                error = error or item
            elif error is None:
                yield _decode(item)
    finally:
        for r in readers:
            r.join()
    if error is not None:
        raise error


def read_attempts(conn, day: date, ids: Sequence[int]) -> Batch:
    """Attempts of ``day`` by id, in full (rows written after the read that should have returned them)."""
    return Batch.from_blob(
        _fetch_binary(conn, "select_attempts_by_id", {"delivery_date": day, "ids": list(ids)})["rows"]
    )


def load_directory(conn) -> Directory:
    """Every advisor's key, tier and active flag (one packed read)."""
    tiers = [r["tier"] for r in store.execute(conn, "select_monitor_tiers")]
    row = _fetch_binary(conn, "select_monitor_advisors", {"tiers": tiers})
    rec = np.frombuffer(row["rows"] or b"", dtype=_ADVISOR_WIRE)
    return Directory.build(
        rec["key"].astype(np.int64), rec["tier"].astype(np.int16), tiers, int(row["targeted"])
    )


def known_numbers(conn) -> dict[int, str]:
    """``{key: phone_number_id}`` of ``platform.sender_numbers``."""
    return {int(r["key"]): r["phone_number_id"] for r in store.execute(conn, "select_monitor_numbers")}


def numbers_by_key(conn, day: date, lo: datetime, t: datetime, keys: Sequence[int]) -> dict[int, str]:
    """Names of sender numbers first seen in a tick's rows."""
    rows = store.execute(
        conn, "select_numbers_by_key", {"delivery_date": day, "lo": lo, "t": t, "keys": list(keys)}
    )
    return {int(r["key"]): r["phone_number_id"] for r in rows}


def advisors_by_key(conn, day: date, since: datetime, t: datetime, keys: Sequence[int]) -> dict[int, str]:
    """advisor_id of advisor keys that had attempts in (since, t]."""
    rows = store.execute(
        conn, "select_advisors_by_key", {"delivery_date": day, "since": since, "t": t, "keys": list(keys)}
    )
    return {int(r["key"]): r["advisor_id"] for r in rows}


def baseline_p95s(conn, day: date, protocol: Protocol) -> list[tuple[date, int]]:
    """(date, p95) of the trailing ``latency_baseline_days`` before ``day`` that have a window_runs row."""
    since = day - timedelta(days=protocol.alert_thresholds.latency_baseline_days)
    rows = store.execute(conn, "select_latency_baseline", {"delivery_date": day, "since": since})
    return [(r["delivery_date"], int(r["p95_latency_ms"])) for r in rows]


def watermark(conn, day: date) -> datetime | None:
    """The last tick already written for ``day`` (a retried task resumes after it)."""
    return store.execute(conn, "select_monitor_watermark", {"delivery_date": day})[0]["tick_at"]


def peak_rate(conn, day: date, until: datetime) -> int:
    """The highest overall rate per minute of the ticks already written for ``day`` up to ``until``."""
    return int(
        store.execute(conn, "select_monitor_peak_rate", {"delivery_date": day, "until": until})[0]["peak"]
    )


def record_ticks(conn, day: date, rows: Sequence[TickMetrics]) -> None:
    """Upsert one tick's rows (every scope) in one statement."""
    if not rows:
        return
    store.execute(
        conn,
        "upsert_metric_ticks",
        {
            "delivery_date": day,
            "tick_at": rows[0].tick_at,
            **{
                col: [getattr(r, col) for r in rows]
                for col in (
                    "scope",
                    "attempts",
                    "resolved",
                    "delivered",
                    "failed",
                    "success_rate_pct",
                    "error_rate_pct",
                    "rate_per_min",
                    "p95_latency_ms",
                )
            },  # fmt: skip
        },
    )


def templates_in_use(conn, day: date) -> list[tuple[str, str]]:
    """(template_name, language) pairs the day sends with."""
    rows = store.execute(conn, "select_templates_in_use_languages", {"delivery_date": day})
    return [(r["template_name"], r["language"]) for r in rows]


def record_template_status(conn, day: date, name: str, language: str, status: str, at: datetime) -> None:
    """Record a template status seen now (only the first and each change are kept)."""
    store.execute(
        conn,
        "insert_template_observation",
        {
            "delivery_date": day,
            "template_name": name,
            "language": language,
            "status": status,
            "observed_at": at,
        },
    )


def template_observations(conn, day: date) -> list[dict[str, Any]]:
    """Every recorded template status of ``day``, in time order."""
    return store.execute(conn, "select_template_observations", {"delivery_date": day})


def notification_statuses(conn, keys: Sequence[str]) -> dict[str, str]:
    """Outbox status of the given dedup keys (pending, sent, dry_run)."""
    if not keys:
        return {}
    return {
        r["dedup_key"]: r["status"]
        for r in store.execute(conn, "select_notification_statuses", {"keys": list(keys)})
    }

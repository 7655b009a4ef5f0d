"""Which send attempts keep the source contract (pure): the SLA is measured from those, the rest are named.

``platform.delivery_attempts`` promises (sql/source_contract.sql) a unique ``attempt_id``, an attempt time on
the delivery date (Asia/Kolkata), one of four statuses and the time of that status. A production view over the
platform's own tables enforces none of it, and one broken row used to crash the 06:05 checkpoint, which then
published "SLA 0.00 % … 0 / 0" for a day that had delivered. ``split_attempts`` keeps the rows the SLA can be
measured from and files every other row under the first contract it breaks (``KINDS``, in that order), so the
report can say how many rows were left out and why, and ``dq_result`` makes that a ``dq_results`` finding.

A row left out can only cost the SLA (its advisor is still targeted), never inflate it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from delivery_window.records import Attempt

STATUSES = ("sent", "delivered", "read", "failed")  # platform.delivery_attempts.status (source contract)
# The dq_results row of the split (not a Great Expectations suite: the checkpoint writes it at 06:05).
SUITE = "source_contract"
# Why a row is left out, first match wins. A NULL api_latency_ms, phone_number_id or error_code is no reason:
# the SLA does not need them (the latency p95 skips a NULL, the delivery_attempts suite names it).
KINDS = (
    "null_attempted_at",
    "null_status",
    "null_status_at",
    "null_advisor_id",
    "null_segment",
    "unknown_status",
    "outside_day",  # attempted_at not on the delivery date, or a receipt before the day began
    "duplicate_attempt_id",  # every copy but one of identical rows; every copy of rows that disagree
)
NAMED_PER_KIND = 20  # attempt ids named per kind in the finding (the count is always complete)


@dataclass(frozen=True)
class AttemptSplit:
    """The day's attempts split into the valid rows and the rows left out, by kind."""

    valid: tuple[Attempt, ...]
    left_out: dict[str, tuple[Attempt, ...]] = field(default_factory=dict)  # kind -> rows, KINDS order

    @property
    def rows_read(self) -> int:
        return len(self.valid) + self.rows_left_out

    @property
    def rows_left_out(self) -> int:
        return sum(len(rows) for rows in self.left_out.values())

    def summary(self) -> dict[str, Any]:
        """Plain counts and names (the checkpoint row, XCom, the check's observation, the report)."""
        return {
            "rows_read": self.rows_read,
            "rows_left_out": self.rows_left_out,
            "by_kind": {k: len(rows) for k, rows in self.left_out.items()},
            "attempt_ids": {
                k: sorted({a.attempt_id for a in rows})[:NAMED_PER_KIND] for k, rows in self.left_out.items()
            },
        }


def row_fault(a: Attempt, day_start: datetime, day_end: datetime) -> str | None:
    """The first contract a single row breaks (``KINDS`` order, duplicates aside), or None."""
    if a.attempted_at is None:
        return "null_attempted_at"
    if a.status is None:
        return "null_status"
    if a.status_at is None:
        return "null_status_at"
    if a.advisor_id is None:
        return "null_advisor_id"
    if a.segment is None:
        return "null_segment"
    if a.status not in STATUSES:
        return "unknown_status"
    if not day_start <= a.attempted_at < day_end or a.status_at < day_start:
        return "outside_day"
    return None


def split_attempts(attempts: Iterable[Attempt], day_start: datetime, day_end: datetime) -> AttemptSplit:
    """Split ``attempts`` of the day ``[day_start, day_end)`` into valid rows and contract violations.

    Per-row faults first; then, among the rows without one, an attempt id seen more than once: identical copies
    (a join that fanned out) keep one row, copies that disagree keep none (which one would be the truth?).
    The valid rows keep their input order.
    """
    left: dict[str, list[Attempt]] = {}
    fine: list[Attempt] = []
    for a in attempts:
        kind = row_fault(a, day_start, day_end)
        if kind is None:
            fine.append(a)
        else:
            left.setdefault(kind, []).append(a)
    copies: dict[int, list[Attempt]] = {}
    for a in fine:
        copies.setdefault(a.attempt_id, []).append(a)
    valid: list[Attempt] = []
    kept: set[int] = set()  # ids of identical copies whose first row is kept
    for a in fine:
        rows = copies[a.attempt_id]
        if len(rows) == 1:
            valid.append(a)
        elif a.attempt_id not in kept and all(r == rows[0] for r in rows):
            kept.add(a.attempt_id)
            valid.append(a)
        else:
            left.setdefault("duplicate_attempt_id", []).append(a)
    ordered = {k: tuple(left[k]) for k in KINDS if k in left}
    return AttemptSplit(tuple(valid), ordered)


def dq_result(summary: dict[str, Any]) -> dict[str, Any]:
    """The ``dq_results`` row of a split's ``summary``: evaluated = rows read, failed = rows left out."""
    return {
        "suite": SUITE,
        "success": summary["rows_left_out"] == 0,
        "evaluated": summary["rows_read"],
        "failed": summary["rows_left_out"],
        "failed_expectations": list(summary["by_kind"]),
        "details": {k: summary[k] for k in ("by_kind", "attempt_ids")},
    }


def summary_of(dq_row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A split's ``summary`` back from its ``dq_results`` row (None when the checkpoint wrote none)."""
    if not dq_row:
        return None
    details = dq_row.get("details") or {}
    return {
        "rows_read": dq_row["evaluated"],
        "rows_left_out": dq_row["failed"],
        "by_kind": _in_order(details.get("by_kind") or {}),
        "attempt_ids": details.get("attempt_ids") or {},
    }


def left_out_text(summary: dict[str, Any] | None) -> str | None:
    """One line: how many rows were left out of the SLA and why (None when none were, or nothing was read)."""
    if not summary or not summary.get("rows_left_out"):
        return None
    by_kind = _in_order(summary["by_kind"])  # jsonb keeps no key order
    kinds = ", ".join(f"{n} {k}" for k, n in by_kind.items())
    ids = summary["attempt_ids"]
    named = "; ".join(
        f"{k}: {', '.join(str(i) for i in ids.get(k, ()))}"
        + (" …" if len(ids.get(k, ())) >= NAMED_PER_KIND and n > NAMED_PER_KIND else "")
        for k, n in by_kind.items()
    )
    return (
        f"{summary['rows_left_out']} of {summary['rows_read']} source rows left out of the SLA "
        f"(break the source contract): {kinds} — attempt ids {named}"
    )


def _in_order(by_kind: dict[str, Any]) -> dict[str, Any]:
    """``by_kind`` in ``KINDS`` order (unknown kinds last, by name)."""
    return dict(
        sorted(by_kind.items(), key=lambda kv: (KINDS.index(kv[0]) if kv[0] in KINDS else len(KINDS), kv[0]))
    )

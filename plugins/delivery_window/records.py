"""Plain records that flow between fetch, judgement and storage (no Airflow, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Verdict of one check; ``error`` means the check could not observe (timeout, bad response...)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    NOT_OBSERVED = "not_observed"  # an evaluation of a day whose record holds no observation of the check


@dataclass(frozen=True)
class CheckResult:
    """What one protocol check saw and what it concluded."""

    check_name: str
    phase: str
    status: Status
    message: str
    observed: dict[str, Any] = field(default_factory=dict)
    latency_ms: int | None = None
    # what the probe returned, before judgement (``{"error": ...}`` when it could not observe): kept with the
    # record so that an evaluation re-judges what was seen; None for verdicts computed from platform data
    probe_observed: Any = None

    @property
    def ok(self) -> bool:
        return self.status in (Status.PASS, Status.WARN)


@dataclass(frozen=True)
class Attempt:
    """One row of ``platform.delivery_attempts`` (only the columns the monitor needs)."""

    attempt_id: int
    advisor_id: str
    segment: int
    phone_number_id: str
    attempted_at: datetime
    api_latency_ms: int | None
    status: str
    error_code: int | None
    status_at: datetime | None


@dataclass(frozen=True)
class Firing:
    """An alert rule that fired at one tick."""

    rule: str
    scope: str
    severity: str
    at: datetime
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertRecord:
    """A stored alert (``delivery_ops.alerts``), as the runbook choice reads it."""

    rule: str
    scope: str
    severity: str


@dataclass(frozen=True)
class Decision:
    """A branch decision and the reasons behind it."""

    choice: str
    reasons: tuple[str, ...]
    candidates: tuple[str, ...] = ()

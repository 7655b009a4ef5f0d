"""Each action on the delivery service once a day: what a post-window act step still has to do (pure).

Before 06:00 the go/no-go remediations (``runbooks.pre_window.run_pre_window_remediation``) act on the
delivery service and record each step in ``runbook_runs`` under the protocol runbook they belong to, as
``pre_window.<step>``. After the window ``choose_runbook`` may choose that runbook again (its check still
fails), and its act steps would then do the same thing a second time: pause a number already paused, activate
a fallback already active, fail the database over again. ``still_to_do`` says which of a step's targets
(sender numbers, segments, the database) are left once the targets of its pre-window counterpart are taken
out. The runbook itself still runs: its incident is opened, its verify step checks the service's real state,
and the incident is resolved when that holds.

A pre-window step covers its targets only when it ``succeeded``: a failed one does not say which targets it
reached, so the post-window step acts on all of them. Only the same runbook's counterpart counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PRE_WINDOW = "pre_window."
DATABASE = "database"  # the target of a failover: the delivery service's database, as a whole


@dataclass(frozen=True)
class Counterpart:
    """The pre-window step that takes the same action as a post-window act step."""

    step: str  # as recorded in runbook_runs, e.g. "pre_window.pause_sender_numbers"
    targets_key: (
        str | None
    )  # the key of its details that lists its targets; None: no list, it covers any target


# (runbook, post-window act step) -> the pre-window step that does the same (pre_window._pre_window_steps)
COUNTERPARTS: dict[tuple[str, str], Counterpart] = {
    ("whatsapp_quality_recovery", "pause_unhealthy_numbers"): Counterpart(
        "pre_window.pause_sender_numbers", "paused"
    ),
    ("whatsapp_quality_recovery", "replan_paused_traffic"): Counterpart(
        "pre_window.replan_traffic", "excluded"
    ),
    ("whatsapp_quality_recovery", "switch_to_fallback_templates"): Counterpart(
        "pre_window.activate_fallback_content", "segments"
    ),
    ("ai_service_fallback", "activate_fallback"): Counterpart("pre_window.activate_fallback", "segments"),
    ("database_emergency", "fail_over_database"): Counterpart("pre_window.fail_over_database", None),
}


@dataclass(frozen=True)
class StillToDo:
    """A post-window step's targets, split into those it must still act on and those done before the window."""

    todo: tuple[Hashable, ...]
    done: tuple[Hashable, ...] = ()
    already_done: str | None = None  # the pre-window step that did ``done``
    done_at: str | None = None  # when it was recorded (ISO 8601)

    @property
    def nothing_left(self) -> bool:
        """Every target was acted on before the window: the step takes no action (recorded ``skipped``)."""
        return bool(self.done) and not self.todo

    def details(self) -> dict[str, Any]:
        """What the step's ``runbook_runs`` row says about the pre-window action (nothing when it covered none)."""
        if not self.done:
            return {}
        return {
            "already_done": self.already_done,
            "already_done_at": self.done_at,
            "already_done_for": list(self.done),
        }


def _when(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def still_to_do(
    runbook: str, step: str, targets: Iterable[Hashable], records: Iterable[Mapping[str, Any]]
) -> StillToDo:
    """Which of ``targets`` the post-window act ``step`` of ``runbook`` must still act on.

    ``records``: the day's ``runbook_runs`` rows (``runbook``, ``step``, ``outcome``, ``details``, ``ran_at``).
    Targets are compared as text (a segment recorded as ``2`` matches ``"2"``); order is kept, repeats dropped.
    """
    targets = tuple(dict.fromkeys(targets))
    counterpart = COUNTERPARTS.get((runbook, step))
    if counterpart is None:
        return StillToDo(todo=targets)
    record = next(
        (
            r
            for r in records
            if r["runbook"] == runbook and r["step"] == counterpart.step and r["outcome"] == "succeeded"
        ),
        None,
    )
    if record is None:
        return StillToDo(todo=targets)
    if counterpart.targets_key is None:
        covered = None  # the pre-window action had no target list: it did the whole thing
    else:
        listed = (record.get("details") or {}).get(counterpart.targets_key)
        covered = {str(t) for t in listed} if isinstance(listed, list) else set()
    done = tuple(t for t in targets if covered is None or str(t) in covered)
    if not done:
        return StillToDo(todo=targets)
    return StillToDo(
        todo=tuple(t for t in targets if t not in done),
        done=done,
        already_done=counterpart.step,
        done_at=_when(record.get("ran_at")),
    )

"""When a runbook starts: as soon as the window opens its incident, or after the window if the choice names it.

The monitor opens an incident (``<date>:<runbook>``) at an alert's first firing. Each runbook's
``activate_runbook`` task watches from 06:00, beside the monitor, and starts the runbook as soon as its incident
is open (issue 13: within one tick plus ``incident_automation.runbook_watch_seconds`` plus scheduling, not after
the window). Whatever the window did not open, the post-window ``choose_runbook`` decides from every alert and
failed check; a runbook it does not name is skipped. ``decide`` is the pure rule; the task wiring is
``wiring.runbook_watch``.

In a replay the instant recorded for an in-window activation is the one a live run would have had: the
incident's opening plus one watch interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from delivery_window.protocol import Protocol

IN_WINDOW, AFTER_WINDOW = "in_window", "after_window"
# Set by runtime.run_dag around dag.test(): in-process, one task at a time, a waiting watch is rescheduled to look
# again at once instead of deferring to a triggerer (wiring.runbook_watch).
IN_PROCESS_ENV = "DELIVERY_WINDOW_IN_PROCESS"


@dataclass(frozen=True)
class Watch:
    """What the watch does now: ``activate`` (``how``, replay instant ``at``), ``skip`` or ``wait``."""

    action: str
    reason: str
    how: str | None = None
    at: datetime | None = None


def decide(
    runbook: str,
    incident_opened_at: datetime | None,
    chosen: Sequence[str] | None,
    close: datetime,
    p: Protocol,
) -> Watch:
    """``incident_opened_at``: the runbook's open incident (None: none open); ``chosen``: the post-window choice of
    this run (None: not made yet); ``close``: the monitor's close (the instant of a post-window activation)."""
    if incident_opened_at is not None:
        at = incident_opened_at + timedelta(seconds=p.incident_automation.runbook_watch_seconds)
        return Watch("activate", f"incident open since {incident_opened_at.isoformat()}", IN_WINDOW, at)
    if chosen is None:
        return Watch("wait", "no incident open yet and the post-window choice is not made")
    if runbook in chosen:
        return Watch("activate", "chosen after the window", AFTER_WINDOW, close)
    return Watch("skip", f"runbook {runbook} was not needed (chosen: {', '.join(chosen) or 'none'})")

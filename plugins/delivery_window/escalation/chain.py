"""The engineering escalation chain (protocol.yaml ``escalation_levels``) as a pure function of incident facts.

Each level is engaged at the earliest of

* its **time trigger**: ``engage_after_minutes`` after the start named by the trigger's ``duration_of``
  (level 1: at once; level 2: the level-1 trigger "unable to resolve within 15 minutes of a critical incident";
  levels 3 and 4: their own triggers, "incident_duration >30_minutes", "complete_service_outage >1_hour").
  ``strictly_after`` (the protocol's ">") makes the step due one second after the mark;
* any of its **conditions**, at the time the condition was first seen while the incident was open
  (multi-system failure → level 2, significant business impact → level 3, compliance incident → level 4);
* for the level of the secondary engineer, the page not acknowledged within the Sev-1 deadline (step 5, read
  back from PagerDuty: ``escalation.acks``).

Technical and task-failure incidents run the whole chain; a business incident (the business matrix governs it)
only engages the levels whose conditions it meets (a SEBI violation engages level 4, the CTO).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from delivery_window.escalation.acks import secondary_role
from delivery_window.escalation.model import BUSINESS, IncidentFacts, Step
from delivery_window.protocol import EscalationTrigger, Protocol

STRICT = timedelta(seconds=1)  # ">N minutes" is due one second after the N-minute mark

# escalation_trigger.conditions -> the incident fact that says when it was first seen.
CONDITION_FACTS: dict[str, str] = {
    "complex_multi_system_failure_requiring_additional_expertise": "multi_system_at",
    "significant_business_impact": "business_impact_at",
    "compliance_incident": "compliance_at",
}
# escalation_trigger.duration_of -> where the clock starts for an incident (None: does not apply).
DURATION_STARTS: dict[str, Callable[[IncidentFacts], datetime | None]] = {
    "critical_incident_unresolved": lambda f: f.opened_at if f.severity == "critical" else None,
    "incident": lambda f: f.opened_at,
    "complete_service_outage": lambda f: f.complete_outage_at,
}


def time_trigger(index: int, protocol: Protocol) -> EscalationTrigger | None:
    """The trigger whose elapsed time engages level ``index`` (0-based); None for level 1 (engaged at once)."""
    levels = list(protocol.escalation_levels.values())
    if index == 0:
        return None
    own = levels[index].escalation_trigger
    if own.after_minutes is not None:
        return own
    before = levels[index - 1].escalation_trigger
    # The level-1 trigger says when to move past level 1, i.e. when level 2 is engaged.
    return before if index == 1 and before.after_minutes is not None else None


def chain_steps(f: IncidentFacts, protocol: Protocol) -> list[Step]:
    """The chain's steps for an incident: one per engaged level, due when its trigger or a condition is met.

    Steps due after the incident resolved are still returned (the planner records them as cancelled); a
    condition first seen after the resolution engages nothing.
    """
    steps = []
    secondary = secondary_role(protocol)
    for index, (key, level) in enumerate(protocol.escalation_levels.items()):
        candidates: list[tuple[datetime, str]] = []
        if f.kind != BUSINESS:
            if index == 0:
                candidates.append((f.opened_at, "primary on-call at once"))
            else:
                trigger = time_trigger(index, protocol)
                start = DURATION_STARTS[trigger.duration_of](f) if trigger and trigger.duration_of else None
                if trigger is not None and start is not None:
                    due = start + timedelta(minutes=level.engage_after_minutes)
                    if trigger.strictly_after:
                        due += STRICT
                    sign = ">" if trigger.strictly_after else ""
                    candidates.append(
                        (due, f"{trigger.duration_of} {sign}{level.engage_after_minutes} min, unresolved")
                    )
        if f.ack_breach_at is not None and level.role == secondary and f.open_at(f.ack_breach_at):
            candidates.append((f.ack_breach_at, "the page was not acknowledged in time (Sev-1 step 5)"))
        for condition in level.escalation_trigger.conditions:
            seen = getattr(f, CONDITION_FACTS[condition])
            if seen is not None and f.open_at(seen):
                candidates.append((seen, condition))
        if not candidates:
            continue
        due, why = min(candidates)
        steps.append(
            Step(
                source=f"chain:{key}",
                target=level.role,
                due_at=due,
                action="page" if index else "respond",
                reason=f"L{level.level} {level.title}: {why}",
                level=level.level,
            )
        )
    return steps

"""What an evaluation (a replay, a dry run) found against the day's record: the first lines of its report.

``outline`` reads the few facts a reader compares (SLA, alerts, runbooks, go/no-go, check verdicts) from one copy
of the day; ``differences`` compares two outlines (pure); ``lines`` words them. The report of an evaluation
starts with them, and ``delivery_ops.evaluations.differences`` keeps them for the data team.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from delivery_window import scope, store
from delivery_window.escalation.clock import utcnow


def outline(conn, day: date) -> dict[str, Any]:
    """The comparable facts of ``day`` in the current scope's copy."""
    run = store.window_run(conn, day) or {}
    decisions = store.decisions(conn, day)
    return {
        "sla_pct": None if run.get("sla_pct") is None else float(run["sla_pct"]),
        "sla_met": run.get("sla_met"),
        "alerts": sorted({f"{a['rule']}:{a['scope']}" for a in store.alerts(conn, day)}),
        "runbooks": sorted({r["runbook"] for r in store.runbook_runs(conn, day)}),
        "go_no_go": (decisions.get("go_no_go") or {}).get("choice"),
        "checks": {c["check_name"]: c["status"] for c in store.check_results(conn, day)},
    }


def differences(record: dict[str, Any], evaluation: dict[str, Any]) -> dict[str, Any]:
    """What differs between the record's outline and the evaluation's (pure; empty parts left out)."""
    out: dict[str, Any] = {}
    if not record["checks"] and not record["alerts"] and record["sla_pct"] is None:
        out["record"] = "none: the day has no record (nothing was observed live)"
    added = sorted(set(evaluation["alerts"]) - set(record["alerts"]))
    gone = sorted(set(record["alerts"]) - set(evaluation["alerts"]))
    if added or gone:
        out["alerts"] = {"added": added, "gone": gone}
    for key in ("sla_pct", "sla_met", "go_no_go"):
        if record[key] != evaluation[key]:
            out[key] = {"record": record[key], "evaluation": evaluation[key]}
    if record["runbooks"] != evaluation["runbooks"]:
        out["runbooks"] = {"record": record["runbooks"], "evaluation": evaluation["runbooks"]}
    checks = {
        name: {"record": record["checks"].get(name), "evaluation": status}
        for name, status in sorted(evaluation["checks"].items())
        if record["checks"].get(name) != status
    }
    if checks:
        out["checks"] = checks
    return out


def lines(evaluation_id: str, day: date, diff: dict[str, Any]) -> list[str]:
    """The report's first lines for an evaluation: what it is, and every difference from the record."""
    head = (
        f"EVALUATION {evaluation_id} of {day} (a replay beside the record, not the record: it re-judged what "
        "the record observed and wrote its own schema)"
    )
    if not diff:
        return [head, "  same as the record: SLA, alerts, go/no-go, runbooks and check verdicts"]
    out = [head, "  differences from the record:"]
    if "record" in diff:
        out.append(f"  - record: {diff['record']}")
    if "alerts" in diff:
        added, gone = diff["alerts"]["added"], diff["alerts"]["gone"]
        out.append(f"  - alerts added: {', '.join(added) or 'none'}; gone: {', '.join(gone) or 'none'}")
    for key, label in (("sla_pct", "SLA %"), ("sla_met", "SLA met"), ("go_no_go", "go/no-go")):
        if key in diff:
            out.append(f"  - {label}: record {diff[key]['record']} → evaluation {diff[key]['evaluation']}")
    if "runbooks" in diff:
        r, e = diff["runbooks"]["record"], diff["runbooks"]["evaluation"]
        out.append(f"  - runbooks: record {', '.join(r) or 'none'} → evaluation {', '.join(e) or 'none'}")
    for name, pair in (diff.get("checks") or {}).items():
        out.append(f"  - {name}: record {pair['record'] or 'not run'} → evaluation {pair['evaluation']}")
    return out


def compare_with_record(conn, day: date) -> list[str]:
    """In an evaluation: compare its copy of ``day`` with the record, keep the differences in
    ``delivery_ops.evaluations`` and return the report's first lines; in the record, nothing."""
    run = scope.current()
    if run.is_record:
        return []
    mine = outline(conn, day)
    with scope.reading_record():
        theirs = outline(conn, day)
    diff = differences(theirs, mine)
    store.execute(
        conn,
        "update_evaluation_differences",
        {"evaluation_id": run.evaluation_id, "differences": json.dumps(diff, default=str), "at": utcnow()},
    )
    return lines(run.evaluation_id, day, diff)

"""The compliance engine's verdicts on the day's content, judged (pure): violations, items without a verdict.

A ``violation`` verdict is a SEBI violation in content the platform is about to send: the check fails and the
screen reports ``sebi_violation_detected``. An ``error`` verdict (or an item the engine did not answer for) is
content going out unverified, a compliance-engine error affecting future content: the check is ``error``, which
the report and the handoff list as an ``immediate_fix_required`` finding (``compliance_check_failed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from delivery_window.records import CheckResult, Status

CHECK_NAME = "screen_content_compliance"
PHASE = "pre_delivery.content_pipeline"
EVENT = "sebi_violation_detected"
_ITEM_KEYS = ("content_id", "segment", "template_name")


def judge(items: Sequence[Mapping[str, Any]], verdicts: Sequence[Mapping[str, Any]]) -> CheckResult:
    """The screen's verdict on the day's content items given the engine's verdicts (``observed`` lists both)."""
    by_id = {str(v.get("content_id")): v for v in verdicts}
    violations, errors, compliant = [], [], 0
    for item in items:
        row = {k: item.get(k) for k in _ITEM_KEYS}
        v = by_id.get(str(item["content_id"]))
        if v is None:
            errors.append({**row, "message": "no verdict returned for this item"})
        elif v.get("verdict") == "violation":
            violations.append(
                {**row, "rule_ids": list(v.get("rule_ids") or []), "message": v.get("message", "")}
            )
        elif v.get("verdict") == "compliant":
            compliant += 1
        else:
            errors.append({**row, "message": str(v.get("message") or "the engine gave no verdict")})
    observed = {"screened": len(items), "compliant": compliant, "violations": violations, "errors": errors}
    if not items:
        return CheckResult(CHECK_NAME, PHASE, Status.PASS, "no content items for the day", observed)
    parts = []
    if violations:
        parts.append(
            f"{len(violations)} of {len(items)} content items violate SEBI rules: "
            + ", ".join(f"{v['content_id']} ({', '.join(v['rule_ids']) or 'no rule id'})" for v in violations)
        )
    if errors:
        parts.append(
            f"no verdict on {len(errors)} item(s), sent unverified: "
            + ", ".join(f"{e['content_id']} ({e['message']})" for e in errors)
        )
    if violations:
        return CheckResult(CHECK_NAME, PHASE, Status.FAIL, "; ".join(parts), observed)
    if errors:
        return CheckResult(CHECK_NAME, PHASE, Status.ERROR, "; ".join(parts), observed)
    return CheckResult(CHECK_NAME, PHASE, Status.PASS, f"all {len(items)} content items compliant", observed)


def judge_recorded(probe_observed: Mapping[str, Any]) -> CheckResult:
    """The verdict on an observation as ``check_results.probe_observed`` keeps it (an evaluation re-judges it)."""
    return judge(probe_observed.get("items") or [], probe_observed.get("verdicts") or [])

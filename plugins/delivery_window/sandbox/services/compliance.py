"""Fake compliance engine (an internal service; the sandbox defines its API): health and the SEBI content check."""

from __future__ import annotations

import re
from collections.abc import Callable

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, json_body, now_iso

COMPLIANCE_VERSION = "2.4.1"
SEBI_WARNING = (
    "Investment in securities market are subject to market risks. Read all the related documents carefully "
    "before investing."
)
# A small, deterministic subset of the SEBI advertisement rules (external-apis.md §6).
_RULES: tuple[tuple[str, str, str, Callable[[str], str | None]], ...] = (
    ("R1", "major", "SEBI registration number (INA#########) missing",
     lambda t: None if re.search(r"INA\d{9}", t) else "no INA number"),
    ("R2", "critical", "Standard SEBI warning missing or altered",
     lambda t: None if SEBI_WARNING in t else "warning text not found verbatim"),
    ("R5", "critical", "Assured or risk-free return language",
     lambda t: _first(r"\b(guaranteed|assured|risk[- ]free|sure[- ]shot)\b", t)),
    ("R6", "major", "Superlative claim",
     lambda t: _first(r"\b(best|no\.? ?1|number one|top[- ]rated|leading)\b", t)),
)  # fmt: skip


def _first(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text, re.IGNORECASE)
    return m.group(0) if m else None


def compliance_health(req: Request, st: ServiceState) -> Response:
    """GET /health -> ``{"status":"ok","version":...}``."""
    return Response(200, {"status": "ok", "version": COMPLIANCE_VERSION, "rules_version": "sebi-ia-2025-06"})


def compliance_check(req: Request, st: ServiceState) -> Response:
    """POST /v1/check ``{"content_id","text"}`` -> ``{"content_id","compliant","violations","checked_at"}``."""
    body, err = json_body(req)
    if err:
        return err
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("content_id"), str)
        or not isinstance(body.get("text"), str)
    ):
        return Response(
            400, {"error": "invalid_request", "message": "content_id and text (strings) are required"}
        )
    violations = []
    for rule, severity, message, test in _RULES:
        found = test(body["text"])
        if found:
            violations.append({"rule": rule, "severity": severity, "message": message, "match": found})
    return Response(
        200,
        {
            "content_id": body["content_id"],
            "compliant": not violations,
            "violations": violations,
            "checked_at": now_iso(),
        },
    )


def _judge(text: str) -> list[dict[str, str]]:
    violations = []
    for rule, severity, message, test in _RULES:
        found = test(text)
        if found:
            violations.append({"rule": rule, "severity": severity, "message": message, "match": found})
    return violations


MAX_VERDICT_ITEMS = 100
_CONTENT_ID = re.compile(r"(?P<ymd>\d{8})-s(?P<segment>[1-4])-(?P<kind>[a-z]+)")


def content_text(content_id: str, overrides: dict[str, str]) -> str | None:
    """The text the engine holds for a content item of the sandbox's day (``YYYYMMDD-s<segment>-<kind>``): a
    compliant brief, or the scenario's text for that item (keyed without the date); None when unknown."""
    m = _CONTENT_ID.fullmatch(content_id)
    if not m:
        return None
    suffix = content_id.split("-", 1)[1]
    if suffix in overrides:
        return overrides[suffix]
    return (
        f"Good morning! Today's {m['kind']} for segment {m['segment']} from ProjectOne (SEBI RIA INA000012345). "
        f"{SEBI_WARNING}"
    )


def compliance_verdicts(req: Request, st: ServiceState) -> Response:
    """POST /v1/verdicts ``{"delivery_date","content_ids":[...]}`` -> ``{"rules_version","verdicts":[{"content_id",
    "verdict": compliant|violation|error, "rule_ids", "violations", "message", "reviewed_at"}]}``.

    The engine judges the content it holds (it approved the day's items into ``platform.approval_queue``); the
    scenario's ``compliance`` entry gives items another text (``content``) or no verdict (``errors``)."""
    body, err = json_body(req)
    if err:
        return err
    ids = body.get("content_ids") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("delivery_date"), str)
        or not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, str) for i in ids)
    ):
        return Response(
            400,
            {
                "error": "invalid_request",
                "message": "delivery_date (string) and content_ids (a non-empty list of strings) are required",
            },
        )
    if len(ids) > MAX_VERDICT_ITEMS:
        return Response(
            400,
            {"error": "too_many_items", "message": f"at most {MAX_VERDICT_ITEMS} content_ids per request"},
        )
    spec = st.info.get("compliance") or {}
    verdicts = []
    for cid in ids:
        suffix = cid.split("-", 1)[-1]
        text = content_text(cid, spec.get("content") or {})
        if suffix in (spec.get("errors") or {}):
            v = {"verdict": "error", "rule_ids": [], "violations": [], "message": spec["errors"][suffix]}
        elif text is None:
            v = {"verdict": "error", "rule_ids": [], "violations": [], "message": "content not found"}
        else:
            found = _judge(text)
            v = {
                "verdict": "violation" if found else "compliant",
                "rule_ids": [f["rule"] for f in found],
                "violations": found,
                "message": "; ".join(f"{f['rule']}: {f['message']} ({f['match']})" for f in found) or "ok",
            }
        verdicts.append({"content_id": cid, **v, "reviewed_at": now_iso()})
    return Response(200, {"rules_version": "sebi-ia-2025-06", "verdicts": verdicts})


ROUTES: list[Route] = [
    ("GET", r"/health", compliance_health),
    ("POST", r"/v1/check", compliance_check),
    ("POST", r"/v1/verdicts", compliance_verdicts),
]

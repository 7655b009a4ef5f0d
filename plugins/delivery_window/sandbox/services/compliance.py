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


ROUTES: list[Route] = [("GET", r"/health", compliance_health), ("POST", r"/v1/check", compliance_check)]

"""Fault injection for the sandbox: per service, make every call fail in one named way.

A scenario (or a test) carries ``faults = {service: kind}`` or ``{service: {"kind": ..., options}}``:

============ ==============================================================================================
kind         effect
============ ==============================================================================================
refuse       drop the connection without an answer (the client sees a reset / remote disconnect)
http_500     500 with the service's own error body (Graph envelope, Slack ``rollup_error``, ...)
http_503     503, same bodies; "overloaded / unavailable"
http_429     429 with ``Retry-After: <retry_after>`` and the service's rate-limit body
timeout      stall ``seconds`` (default 30, longer than any client timeout), then drop the connection
slow         stall ``seconds``, then answer normally (for response-time checks)
malformed    200 with a truncated JSON body
token_expired the service's "credentials expired / invalid" answer: Graph 401 code 190 (subcode 463), OpenAI 401
             ``invalid_api_key``, Datadog 403, Slack 403 ``invalid_token``, PagerDuty 401 code 2006, ...
============ ==============================================================================================

Bad *states* (a YELLOW/RED number, a FLAGGED number, a PAUSED/REJECTED template, health_status BLOCKED, a slow
compliance engine, an exhausted connection pool, an on-call gap...) are scenarios, not faults: see
``scenario_sets/pre_delivery.py``.

Options: ``seconds`` (timeout/slow), ``retry_after`` (http_429), ``times`` (fail only the next N calls, then
recover - for retry tests). Services are the first path segment: whatsapp, cloudinary, openai, compliance,
datadog, grafana, pagerduty, slack, delivery; ``pagerduty_api`` is PagerDuty's REST API (served under
``/pagerduty_api`` and, for a stand-in sharing the Events base URL, under ``/pagerduty`` outside ``/v2/``).
New kinds are one entry in ``FAULT_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from delivery_window.connections import SANDBOX_PREFIX
from delivery_window.sandbox.wire import DROP, Response

SERVICES: tuple[str, ...] = tuple(
    dict.fromkeys([*(p.strip("/") for p in SANDBOX_PREFIX.values()), "slack", "pagerduty_api"])
)


@dataclass(frozen=True)
class Fault:
    """One injected fault; see the module docstring for the kinds and options."""

    kind: str
    seconds: float = 30.0
    retry_after: int = 1
    times: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (for the control endpoint)."""
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "retry_after": self.retry_after,
            "times": self.times,
        }


def parse_faults(spec: Mapping[str, Any] | None) -> dict[str, Fault]:
    """Validate ``{service: kind | {"kind": ..., ...}}`` into Fault values; raises ValueError when invalid."""
    out: dict[str, Fault] = {}
    for service, value in (spec or {}).items():
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r} for a fault; valid: {', '.join(SERVICES)}")
        if isinstance(value, Fault):
            fault = value
        elif isinstance(value, str):
            fault = Fault(value)
        elif isinstance(value, Mapping):
            unknown = set(value) - {"kind", "seconds", "retry_after", "times"}
            if unknown or "kind" not in value:
                raise ValueError(f"fault for {service!r} needs 'kind' and only seconds/retry_after/times")
            fault = Fault(**value)
        else:
            raise ValueError(f"fault for {service!r} must be a kind name or a mapping, not {value!r}")
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; valid: {', '.join(FAULT_KINDS)}")
        out[service] = fault
    return out


# --- error bodies: each service fails in its own documented shape (external-apis.md) ----------------------
def _graph_error(status: int) -> Response:
    if status == 429:
        err = {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}
    else:
        err = {"message": "(#2) Service temporarily unavailable", "type": "OAuthException", "code": 2}
    err.update(is_transient=True, fbtrace_id="AsandboxFault")
    return Response(status, {"error": err})


_SLACK_TEXT = {429: "rate_limited", 500: "rollup_error", 503: "service_unavailable"}
_OPENAI = {
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def _error_body(service: str, status: int) -> Response:
    """The error answer of ``service`` for an HTTP status, in that service's own format."""
    reason = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}[status]
    if service == "whatsapp":
        return _graph_error(status)
    if service == "slack":
        return Response(status, _SLACK_TEXT[status])
    if service == "openai":
        message, kind, code = _OPENAI[status]
        return Response(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})
    if service == "pagerduty":
        return Response(status, {"status": reason, "message": reason})
    if service == "pagerduty_api":
        return Response(status, {"error": {"message": reason, "code": 2000 if status >= 500 else 2020}})
    if service == "datadog":
        return Response(status, {"errors": [reason]})
    if service == "grafana":
        return Response(status, {"message": reason})
    return Response(
        status, {"error": reason.lower().replace(" ", "_"), "message": f"sandbox fault: {reason}"}
    )


# A fault handler returns a Response to send, DROP to cut the connection, or None to answer normally.
FaultHandler = Callable[[Fault, str, Callable[[float], None]], Any]


def _http(status: int) -> FaultHandler:
    return lambda fault, service, stall: _error_body(service, status)


def _http_429(fault: Fault, service: str, stall: Callable[[float], None]) -> Response:
    resp = _error_body(service, 429)
    resp.headers["Retry-After"] = str(fault.retry_after)
    return resp


def _token_expired(fault: Fault, service: str, stall: Callable[[float], None]) -> Response:
    """The answer of a service to an expired or revoked credential, in its own shape."""
    if service == "whatsapp":
        err = {
            "message": "Error validating access token: Session has expired on Thursday, 01-Oct-26 00:00:00 PDT.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
            "fbtrace_id": "AsandboxTokenExpired",
        }
        return Response(401, {"error": err})
    if service == "openai":
        message = (
            "Incorrect API key provided: sk-sandb*********. You can find your API key at platform.openai.com."
        )
        body = {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
        return Response(401, {"error": body})
    if service == "slack":
        return Response(403, "invalid_token")
    if service == "datadog":
        return Response(403, {"errors": ["Forbidden"]})
    if service == "grafana":
        return Response(401, {"message": "invalid API key"})
    if service == "cloudinary":
        return Response(401, {"error": {"message": "Invalid api_key sandbox"}})
    if service in ("pagerduty", "pagerduty_api"):
        return Response(401, {"error": {"message": "Unauthorized", "code": 2006}})
    return Response(401, {"error": "unauthorized", "message": "sandbox fault: the credentials have expired"})


def _timeout(fault: Fault, service: str, stall: Callable[[float], None]) -> object:
    stall(fault.seconds)
    return DROP


def _slow(fault: Fault, service: str, stall: Callable[[float], None]) -> None:
    stall(fault.seconds)


FAULT_KINDS: dict[str, FaultHandler] = {
    "refuse": lambda fault, service, stall: DROP,
    "http_500": _http(500),
    "http_503": _http(503),
    "http_429": _http_429,
    "timeout": _timeout,
    "slow": _slow,
    "token_expired": _token_expired,
    # Looks like success until the client parses it.
    "malformed": lambda fault, service, stall: Response(
        200, b'{"status": "ok", "data": [', {}, "application/json"
    ),
}

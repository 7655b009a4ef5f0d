"""A JSON-over-HTTP hook on the http provider's ``HttpHook`` that turns every failure into a precise message.

Retry policy of a call: a 429 whose ``Retry-After`` is at most ``max_retry_after_seconds`` is retried once after
that wait (the server said when to come back, and a health check at 05:30 can afford a few seconds). Nothing else
is retried inside the call: a refused connection, a timeout or a 5xx is the check's finding at that minute (the
05:45 final check observes the same services again, and every send is retried by the outbox), and a malformed body
would be malformed again. A timeout retried would also double the time a check may take.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.providers.http.hooks.http import HttpHook


class ServiceError(RuntimeError):
    """An external service could not be observed; ``kind`` says how (refused, timeout, http_status, malformed)."""

    def __init__(
        self,
        service: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        code: Any = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{service}: {message}")
        self.service, self.kind, self.status, self.code = service, kind, status, code
        self.retry_after = retry_after

    def observed(self) -> dict[str, Any]:
        """What the failed call saw, for ``check_results.observed``."""
        return {
            "service": self.service,
            "error_kind": self.kind,
            "http_status": self.status,
            "error_code": self.code,
        }


def _root_cause(exc: BaseException) -> str:
    """The innermost exception of a requests error chain, e.g. ``ConnectionResetError: [Errno 104] ...``."""
    seen: list[BaseException] = [exc]
    while True:
        inner = seen[-1].__cause__ or seen[-1].__context__
        if inner is None and seen[-1].args and isinstance(seen[-1].args[0], BaseException):
            inner = seen[-1].args[0]
        if inner is None or inner in seen:
            break
        seen.append(inner)
    # urllib3 wraps the socket error in MaxRetryError/ProtocolError whose text repeats the URL; the last is clearest
    for cause in reversed(seen):
        text = str(cause).strip()
        if text:
            return f"{type(cause).__name__}: {text[:160]}"
    return type(seen[-1]).__name__


class JsonHttpHook(HttpHook):
    """``HttpHook`` returning parsed JSON; the connection password is sent as a Bearer token."""

    service = "http"
    timeout_seconds = 10
    max_retry_after_seconds = 5.0  # a 429 asking for a longer wait is recorded, not waited for
    last_headers: dict[str, str] | None = None  # headers of the last answer (rate-limit headers, request ids)
    extra_headers: dict[str, str] | None = None  # sent with the next calls (an action's Idempotency-Key)
    last_latency_ms: int | None = None  # time to the last answer

    def __init__(self, http_conn_id: str, method: str = "GET", timeout_seconds: float | None = None) -> None:
        super().__init__(method=method, http_conn_id=http_conn_id)
        if timeout_seconds is not None:
            self.timeout_seconds = timeout_seconds

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (Bearer token by default)."""
        password = self.get_connection(self.http_conn_id).password
        return {"Authorization": f"Bearer {password}"} if password else {}

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        """(message, error code) for a non-2xx answer; services override to read their own envelopes."""
        return f"HTTP {status}: {str(body)[:200]}", None

    def call(self, endpoint: str, *, params: dict | None = None, json_body: Any = None) -> Any:
        """Send one request and return the decoded JSON body, or raise ``ServiceError`` saying what went wrong.

        A 429 with a short ``Retry-After`` is retried once after it (module docstring)."""
        import time

        try:
            return self._call_once(endpoint, params=params, json_body=json_body)
        except ServiceError as exc:
            wait = exc.retry_after
            if exc.status != 429 or wait is None or wait > self.max_retry_after_seconds:
                raise
            self.log.warning(
                "%s answered 429; retrying once after its Retry-After of %s s", self.service, wait
            )
            time.sleep(wait)
        try:
            return self._call_once(endpoint, params=params, json_body=json_body)
        except ServiceError as again:
            if again.status != 429:
                raise
            message = str(again).split(": ", 1)[1] + "; still 429 after one retry"
            raise ServiceError(
                self.service, again.kind, message, status=429, code=again.code, retry_after=again.retry_after
            ) from again

    def _call_once(self, endpoint: str, *, params: dict | None = None, json_body: Any = None) -> Any:
        import time

        import requests

        headers = {"Accept": "application/json", **self.auth_headers(), **(self.extra_headers or {})}
        started = time.perf_counter()
        try:
            if self.method == "GET":
                response = self.run(
                    endpoint,
                    data=params,
                    headers=headers,
                    extra_options={"check_response": False, "timeout": self.timeout_seconds},
                )
            else:
                response = self.run(
                    endpoint,
                    json=json_body,
                    headers=headers,
                    extra_options={"check_response": False, "timeout": self.timeout_seconds},
                )
        except requests.exceptions.Timeout as exc:
            raise ServiceError(
                self.service, "timeout", f"no answer within {self.timeout_seconds:g} s"
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise ServiceError(self.service, "refused", f"connection failed ({_root_cause(exc)})") from exc
        self.last_latency_ms = round((time.perf_counter() - started) * 1000)
        self.last_headers = dict(response.headers)
        try:
            body = response.json() if response.content else None
        except ValueError as exc:
            if response.status_code < 400:
                raise ServiceError(
                    self.service,
                    "malformed",
                    f"HTTP {response.status_code} with a body that is not JSON: {response.text[:80]!r}",
                    status=response.status_code,
                ) from exc
            body = response.text.strip()  # an error page or a plain-text error (Slack): keep the status
        if response.status_code >= 400:
            message, code = self.error_message(response.status_code, body)
            retry_after = None
            if response.status_code == 429:
                message += f" (Retry-After: {response.headers.get('Retry-After', 'not given')})"
                try:
                    retry_after = max(0.0, float(response.headers.get("Retry-After")))
                except (TypeError, ValueError):
                    retry_after = None
            raise ServiceError(
                self.service,
                "http_status",
                message,
                status=response.status_code,
                code=code,
                retry_after=retry_after,
            )
        return body


def require(body: Any, *keys: str, service: str) -> Any:
    """``body[k1][k2]...`` or a ``ServiceError`` naming the missing key (malformed but valid JSON)."""
    value = body
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise ServiceError(
                service, "malformed", f"response has no {'.'.join(keys)!r}: {json.dumps(body)[:120]}"
            )
        value = value[key]
    return value

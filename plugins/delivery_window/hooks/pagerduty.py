"""PagerDuty Events v2 through the provider's hook, with a configurable endpoint.

The provider's ``PagerdutyEventsHook.send_event`` always posts to events.pagerduty.com. The demo and tests
point the connection's ``host`` at the sandbox, so this subclass passes it as ``base_url`` and reuses the
provider's ``prepare_event_data`` for the event body (we never hand-write the event format).

Retries are bounded. The python-pagerduty client's defaults (a 60 s read timeout, three network retries after 3,
6 and 12 s, up to six retries of a 503 with doubling sleeps, 429 retried without limit) would hold the monitor's
tick for minutes while PagerDuty is down, and the outbox already retries every failed send at the next flush. So a
send has the protocol's probe timeout, no network or 5xx retry, and one retry of a 429 after the server's
``Retry-After`` (at most ``MAX_RETRY_AFTER_SECONDS``; longer waits are left to the outbox).

The client's errors hide the cause ("Non-transient network error; exceeded maximum number of attempts" for a
refused connection and a timeout alike), so a failed send is raised as a ``ServiceError`` that says what happened:
refused, no answer within the timeout, or the HTTP status with PagerDuty's answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pagerduty
from airflow.providers.pagerduty.hooks.pagerduty_events import PagerdutyEventsHook, prepare_event_data

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_RETRY_AFTER_SECONDS = 5.0  # a longer Retry-After is not waited for in the call: the outbox retries later


class _EventsClient(pagerduty.EventsApiV2Client):
    """The python-pagerduty client refuses non-https base URLs; plain http is allowed for loopback only."""

    @property
    def url(self) -> str:
        return self._url

    @url.setter
    def url(self, new_base_url: str) -> None:
        parts = urlsplit(new_base_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise pagerduty.UrlError(f"PagerDuty base URL must use https:// (got {new_base_url!r})")
        self._url = new_base_url

    _retry_after: float | None = None

    def postprocess(self, response) -> None:
        super().postprocess(response)
        if response.status_code == 429:
            try:
                self._retry_after = float(response.headers.get("Retry-After"))
            except (TypeError, ValueError):
                self._retry_after = None

    def cooldown_factor(self) -> float:
        # The client sleeps sleep_timer (1 s here) times this before its one retry: make it the Retry-After.
        if self._retry_after is not None:
            return min(max(self._retry_after, 0.0), MAX_RETRY_AFTER_SECONDS)
        return super().cooldown_factor()


class DeliveryPagerdutyHook(PagerdutyEventsHook):
    """``PagerdutyEventsHook`` whose events go to the connection's host when one is set."""

    def __init__(self, pagerduty_events_conn_id: str, timeout_seconds: float = 10) -> None:
        super().__init__(pagerduty_events_conn_id=pagerduty_events_conn_id)
        self.base_url = (self.get_connection(pagerduty_events_conn_id).host or "").rstrip("/") or None
        self.timeout_seconds = timeout_seconds

    def send_event(self, **kwargs: Any) -> str:  # type: ignore[override]
        """Send one event (trigger / acknowledge / resolve); return PagerDuty's dedup_key."""
        data = prepare_event_data(**kwargs)
        client = _EventsClient(self.integration_key, base_url=self.base_url)
        # One retry of a 429 after its Retry-After; nothing else in the call (see the module docstring).
        client.retry = {429: 1}
        client.sleep_timer = 1.0
        client.max_network_attempts = 0
        client.timeout = self.timeout_seconds
        try:
            return client.send_event(**data)
        except pagerduty.Error as exc:
            raise self._precise(exc, client) from exc

    def _precise(self, exc: Exception, client: _EventsClient) -> Exception:
        """A ``ServiceError`` naming how the send failed (the client's own message does not)."""
        import httpx2 as httpx  # the HTTP client python-pagerduty uses

        from delivery_window.hooks.base import ServiceError, _root_cause

        endpoint = f"POST {client.url}/v2/enqueue"
        cause = exc.__cause__
        if isinstance(cause, httpx.TimeoutException):
            return ServiceError(
                "pagerduty", "timeout", f"{endpoint}: no answer within {self.timeout_seconds:g} s"
            )
        if isinstance(cause, httpx.TransportError):
            return ServiceError(
                "pagerduty", "refused", f"{endpoint}: connection failed ({_root_cause(cause)})"
            )
        response = getattr(exc, "response", None)
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            text = " ".join(response.text.split())[:160]
            if response.status_code < 400:  # a success status whose body the client could not read
                return ServiceError(
                    "pagerduty",
                    "malformed",
                    f"{endpoint}: HTTP {response.status_code} with a body that is not JSON: {text[:80]!r}",
                    status=response.status_code,
                )
            return ServiceError(
                "pagerduty",
                "http_status",
                f"{endpoint}: HTTP {response.status_code}: {text}"
                + (f" (Retry-After: {retry_after})" if retry_after else ""),
                status=response.status_code,
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        return ServiceError("pagerduty", "error", f"{endpoint}: {type(exc).__name__}: {exc}")

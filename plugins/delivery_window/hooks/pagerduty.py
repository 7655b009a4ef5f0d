"""PagerDuty Events v2 through the provider's hook, with a configurable endpoint.

The provider's ``PagerdutyEventsHook.send_event`` always posts to events.pagerduty.com. The demo and tests
point the connection's ``host`` at the sandbox, so this subclass passes it as ``base_url`` and reuses the
provider's ``prepare_event_data`` for the event body (we never hand-write the event format).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pagerduty
from airflow.providers.pagerduty.hooks.pagerduty_events import PagerdutyEventsHook, prepare_event_data

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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


class DeliveryPagerdutyHook(PagerdutyEventsHook):
    """``PagerdutyEventsHook`` whose events go to the connection's host when one is set."""

    def __init__(self, pagerduty_events_conn_id: str) -> None:
        super().__init__(pagerduty_events_conn_id=pagerduty_events_conn_id)
        self.base_url = (self.get_connection(pagerduty_events_conn_id).host or "").rstrip("/") or None

    def send_event(self, **kwargs: Any) -> str:  # type: ignore[override]
        """Send one event (trigger / acknowledge / resolve); return PagerDuty's dedup_key."""
        data = prepare_event_data(**kwargs)
        client = _EventsClient(self.integration_key, base_url=self.base_url)
        # PagerDuty asks for a few spaced retries on 429, not the client's default of retrying forever.
        client.retry = {429: 2}
        return client.send_event(**data)

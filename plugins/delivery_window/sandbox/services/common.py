"""What every fake service shares: the remembered ``ServiceState``, the handler and route types, body helpers.

Handlers take a parsed ``Request`` and the shared ``ServiceState`` and return a ``Response`` (re-exported here
from ``sandbox.wire``); each service module lists its endpoints as ``ROUTES``, a list of ``Route``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from delivery_window.sandbox.scenarios import DEFAULT_SEED, scenario_info
from delivery_window.sandbox.wire import Request, Response

__all__ = ["Handler", "Request", "Response", "Route", "ServiceState", "json_body", "now_iso"]


@dataclass
class ServiceState:
    """Everything the fake services remember between calls. Guarded by ``lock``."""

    scenario: str = "healthy"
    seed: int = DEFAULT_SEED
    lock: threading.RLock = field(default_factory=threading.RLock)
    info: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    pagerduty_alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requeues: list[dict[str, Any]] = field(default_factory=list)
    paused_numbers: list[str] = field(default_factory=list)
    fallback_activations: list[dict[str, Any]] = field(default_factory=list)
    failovers: list[dict[str, Any]] = field(default_factory=list)
    replans: list[dict[str, Any]] = field(default_factory=list)
    # issue 14: Statuspage incidents by id (with their page_id), X posts, Confluence pages by id
    statuspage_incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    x_posts: list[dict[str, Any]] = field(default_factory=list)
    confluence_pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # monitoring as code: Grafana dashboards by uid, Datadog monitors by id (both seeded on first use)
    grafana_dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    datadog_monitors: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The platform database whose generated day the delivery service's actions apply to (a pause moves the
    # number's later sends); None: actions are only remembered.
    platform_db: str | None = None
    # The last day read from platform_db (services.platform_day): what the stand-ins describe while it is down.
    platform_day: Any = None

    def __post_init__(self) -> None:
        self.info = scenario_info(self.scenario)

    def next(self, name: str) -> int:
        """Increment and return a named counter (1, 2, ...)."""
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1
            return self.counters[name]

    def reset(self) -> None:
        """Forget counters and every action received (the scenario stays)."""
        with self.lock:
            self.counters.clear()
            self.pagerduty_alerts.clear()
            self.requeues.clear()
            self.paused_numbers.clear()
            self.fallback_activations.clear()
            self.failovers.clear()
            self.replans.clear()
            self.statuspage_incidents.clear()
            self.x_posts.clear()
            self.confluence_pages.clear()
            self.grafana_dashboards.clear()
            self.datadog_monitors.clear()

    def snapshot(self) -> dict[str, Any]:
        """JSON-able copy of the remembered actions, for tests and the control endpoint."""
        with self.lock:
            return json.loads(
                json.dumps(
                    {
                        "scenario": self.scenario,
                        "pagerduty_alerts": self.pagerduty_alerts,
                        "requeues": self.requeues,
                        "paused_numbers": self.paused_numbers,
                        "fallback_activations": self.fallback_activations,
                        "failovers": self.failovers,
                        "replans": self.replans,
                        "statuspage_incidents": self.statuspage_incidents,
                        "x_posts": self.x_posts,
                        "confluence_pages": self.confluence_pages,
                        "grafana_dashboards": self.grafana_dashboards,
                        "datadog_monitors": {str(k): v for k, v in self.datadog_monitors.items()},
                    }
                )
            )


Handler = Callable[[Request, ServiceState], Response]

# (method, path regex after the service prefix, handler)
Route = tuple[str, str, Handler]


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_body(req: Request) -> tuple[Any, Response | None]:
    """Parsed JSON body, or an error response in the generic sandbox shape."""
    try:
        return req.json(), None
    except (ValueError, UnicodeDecodeError):
        return None, Response(400, {"error": "invalid_json", "message": "request body is not valid JSON"})

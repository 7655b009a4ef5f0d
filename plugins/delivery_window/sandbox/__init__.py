"""Local stand-in for every external service (one HTTP server) and the scenario data generator.

``Sandbox`` serves WhatsApp Cloud API, Cloudinary, OpenAI, the compliance engine, Datadog, Grafana, PagerDuty,
Slack webhooks and the delivery service under the path prefixes of ``connections.SANDBOX_PREFIX``;
``generate_day``/``write_day`` fill the ``platform`` source tables for a named scenario.
"""

from __future__ import annotations

from delivery_window.sandbox.scenarios import (
    DEFAULT_SEED,
    SCENARIOS,
    SENDER_NUMBERS,
    Day,
    apply_source_contract,
    generate_day,
    scenario_info,
    summarize_day,
    write_day,
)
from delivery_window.sandbox.server import Sandbox, SandboxClient

__all__ = [
    "DEFAULT_SEED",
    "SCENARIOS",
    "SENDER_NUMBERS",
    "Day",
    "Sandbox",
    "SandboxClient",
    "apply_source_contract",
    "generate_day",
    "scenario_info",
    "summarize_day",
    "write_day",
]

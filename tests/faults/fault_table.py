"""The fault suite's cases, dates and summary table (imported by its conftest and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_FILE = ROOT / "build" / "fault-summary.md"
IST = ZoneInfo("Asia/Kolkata")

# The fault suite's dates (2026-07); e2e tests use 2026-08 .. 2026-11.
FAULT_DAYS = {
    "refuse": date(2026, 7, 10),
    "http_503": date(2026, 7, 11),
    "timeout": date(2026, 7, 12),
    "http_429": date(2026, 7, 13),
    "malformed": date(2026, 7, 14),
}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again with the socket: nothing listens there


REDIS_DOWN_PORT = _closed_port()  # delivery_redis on the refuse day
TIMEOUT_SECONDS = 0.3  # the client timeout of the timeout day (protocol checks.http_timeout_seconds)
FAULT_OPTIONS = {"timeout": {"seconds": 0.8}, "http_429": {"retry_after": 1}}
SERVICES = (
    "whatsapp",
    "cloudinary",
    "openai",
    "compliance",
    "datadog",
    "grafana",
    "pagerduty",
    "pagerduty_api",
    "slack",
    "delivery",
)
SCENARIO = "whatsapp_outage"


@dataclass
class FaultRow:
    """One row of the summary table."""

    case: str
    fault: str
    error: str = "-"
    retried: str = "-"
    escalation: str = "-"
    report: str = "-"
    survived: bool = False


@dataclass
class FaultTable:
    rows: list[FaultRow] = field(default_factory=list)

    def markdown(self) -> str:
        head = "| case | fault | precise error recorded | retried per policy | escalation raised | report | survived |"
        lines = [head, "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            cells = [
                r.case,
                r.fault,
                r.error,
                r.retried,
                r.escalation,
                r.report,
                "yes" if r.survived else "NO",
            ]
            lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
        survived = sum(r.survived for r in self.rows)
        lines.append("")
        lines.append(f"fault suite: {len(self.rows)} cases tried, {survived} survived")
        return "\n".join(lines)


TABLE = FaultTable()


def short(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"

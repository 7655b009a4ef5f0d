"""Deterministic generator of one delivery day of ``platform.*`` source data, per named scenario.

``generate_day`` is pure: the same (scenario, date, seed) always gives the same rows, so a demo, a replay and a
test all see the same day. ``write_day`` loads a day into Postgres idempotently. ``scenario_info`` tells the
sandbox HTTP server what the external APIs report for a scenario, so data and APIs tell one story.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from delivery_window.connections import SANDBOX_WABA_ID

SCENARIOS: tuple[str, ...] = ()  # every registered scenario name, in registration order (see ``register``)
DEFAULT_SEED = 20261126

# India has had no DST since 1945, so a fixed offset is exact and needs no tz database.
IST = timezone(timedelta(hours=5, minutes=30), "IST")
WINDOW_START = time(6, 0)
WINDOW_SECONDS = 300  # 06:00-06:05 IST
SEND_SPAN_MS = 285_000  # first attempts 06:00:00-06:04:45; the last 15 s are left to retries
OUTAGE_START_OFFSET_MS = 120_000  # whatsapp_outage: every send fails from 06:02:00 IST

SEGMENTS = (1, 2, 3, 4)
ADVISORS_PER_SEGMENT = 500
INACTIVE_ADVISORS = 20
TIERS = (("platinum", 0.10), ("gold", 0.20), ("silver", 0.30), ("standard", 0.40))
LANGUAGES = ("en", "hi")


class SenderNumber(NamedTuple):
    """One WhatsApp Business number (a shard of the send load); same fields as ``platform.sender_numbers``."""

    phone_number_id: str
    display_phone_number: str
    shard: int
    active: bool


# The five numbers of the sandbox WABA; the sandbox Graph API serves exactly these.
SENDER_NUMBERS: tuple[SenderNumber, ...] = tuple(
    SenderNumber(f"10655501{i:02d}", f"+91 80 4555 01{i:02d}", i + 1, True) for i in range(5)
)
VERIFIED_NAME = "ProjectOne Advisors"
# Webhook metadata carries the display number as bare digits.
_DISPLAY_DIGITS = {
    n.phone_number_id: n.display_phone_number.replace(" ", "").lstrip("+") for n in SENDER_NUMBERS
}

# Template sent to each segment, and the fallback template armed for it. Both exist in every language.
SEGMENT_TEMPLATES: dict[int, str] = {s: f"daily_brief_seg{s}" for s in SEGMENTS}
FALLBACK_TEMPLATES: dict[int, str] = {s: f"daily_brief_fallback_seg{s}" for s in SEGMENTS}

# WhatsApp error code -> title, as Meta words it (external-apis.md §1.7); used in webhooks and the fake API.
ERROR_TITLES: dict[int, str] = {
    1: "API Unknown",
    2: "API Service",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131026: "Message undeliverable",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
}
# Codes rejected synchronously by the send call (no wamid); the others fail later, through a webhook.
SYNC_ERRORS = frozenset({1, 2, 130429, 131000})


# --- row types: field names are the column names of sql/source_contract.sql ---------------------------------
class AdvisorRow(NamedTuple):
    advisor_id: str
    segment: int
    tier: str
    phone_e164: str
    active: bool


class AttemptRow(NamedTuple):
    attempt_id: int
    delivery_date: date
    advisor_id: str
    segment: int
    phone_number_id: str
    template_name: str
    wamid: str | None
    attempted_at: datetime
    api_latency_ms: int
    status: str
    error_code: int | None
    status_at: datetime


class ContentItemRow(NamedTuple):
    delivery_date: date
    content_id: str
    segment: int
    template_name: str
    rendered: bool
    asset_url: str | None
    rendered_at: datetime | None


class ApprovalRow(NamedTuple):
    item_id: str
    delivery_date: date
    content_id: str
    state: str
    submitted_at: datetime
    decided_at: datetime | None


class TemplateInUseRow(NamedTuple):
    delivery_date: date
    template_name: str
    language: str
    segment: int


class PreferenceRow(NamedTuple):
    delivery_date: date
    advisor_id: str
    language: str
    opted_in: bool
    loaded_at: datetime


class FallbackRow(NamedTuple):
    delivery_date: date
    segment: int
    template_name: str
    ready: bool
    prepared_at: datetime | None


class WebhookReceiptRow(NamedTuple):
    delivery_date: date
    wamid: str
    status: str
    status_at: datetime
    received_at: datetime
    payload: dict[str, Any]


class EngagementRow(NamedTuple):
    delivery_date: date
    advisor_id: str
    event: str
    event_at: datetime


@dataclass(frozen=True)
class Day:
    """Every ``platform.*`` row of one generated delivery day (advisors and numbers are not per day)."""

    scenario: str
    delivery_date: date
    seed: int
    advisors: list[AdvisorRow] = field(default_factory=list)
    sender_numbers: list[SenderNumber] = field(default_factory=list)
    delivery_attempts: list[AttemptRow] = field(default_factory=list)
    content_items: list[ContentItemRow] = field(default_factory=list)
    approval_queue: list[ApprovalRow] = field(default_factory=list)
    templates_in_use: list[TemplateInUseRow] = field(default_factory=list)
    preferences_snapshot: list[PreferenceRow] = field(default_factory=list)
    fallback_content: list[FallbackRow] = field(default_factory=list)
    webhook_receipts: list[WebhookReceiptRow] = field(default_factory=list)
    engagement: list[EngagementRow] = field(default_factory=list)

    def tables(self) -> dict[str, list[tuple]]:
        """Rows per ``platform`` table name, in load order."""
        return {name: getattr(self, name) for name in _TABLES}


# table -> (row type, upsert key or None for "daily: delete the date, then insert")
_TABLES: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "advisors": (AdvisorRow, ("advisor_id",)),
    "sender_numbers": (SenderNumber, ("phone_number_id",)),
    "delivery_attempts": (AttemptRow, None),
    "content_items": (ContentItemRow, None),
    "approval_queue": (ApprovalRow, None),
    "templates_in_use": (TemplateInUseRow, None),
    "preferences_snapshot": (PreferenceRow, None),
    "fallback_content": (FallbackRow, None),
    "webhook_receipts": (WebhookReceiptRow, None),
    "engagement": (EngagementRow, None),
}


# --- public helpers -----------------------------------------------------------------------------------------
def make_wamid(to: str, key: str) -> str:
    """A WhatsApp message id in Meta's format, derived from recipient and a key (stable across reruns)."""
    digits = to.lstrip("+")
    msg_id = hashlib.sha1(f"{digits}:{key}".encode()).hexdigest()[:18].upper()
    # Real wamids are base64 of a small protobuf holding the recipient and a hex message id ("wamid.HBgM...").
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits.encode()
        + b"\x15\x02\x00\x11\x18\x12"
        + msg_id.encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


def window_start_utc(delivery_date: date) -> datetime:
    """06:00 IST of the delivery date, as an aware UTC datetime (00:30 UTC)."""
    return datetime.combine(delivery_date, WINDOW_START, IST).astimezone(UTC)


def template_catalog() -> list[dict[str, Any]]:
    """Every template of the sandbox WABA: one per (segment, language), primary and fallback."""
    out = []
    for kind, names in (("primary", SEGMENT_TEMPLATES), ("fallback", FALLBACK_TEMPLATES)):
        for segment, name in names.items():
            for li, language in enumerate(LANGUAGES):
                out.append(
                    {
                        # Graph ids are numeric strings; derive them so they never change.
                        "id": str(
                            8_150_000_000_000_000 + (0 if kind == "primary" else 100) + segment * 10 + li
                        ),
                        "name": name,
                        "language": language,
                        "status": "APPROVED",
                        "category": "MARKETING",
                        "quality_score": {"score": "GREEN", "date": 1764115200},
                        "segment": segment,
                        "kind": kind,
                    }
                )
    return out


@dataclass(frozen=True)
class Scenario:
    """A named day: how its data and the sandbox's APIs differ from a healthy day.

    ``degrade(advisor, offset_ms, rng)`` may replace an attempt's (outcome, error_code, latency_ms) — e.g. an
    outage fails every send after 06:02; None keeps the healthy attempt. ``api(info)`` returns what the
    external APIs report instead (numbers, templates, send, delivery, faults). ``rows(tables, rng)`` may
    rewrite the generated tables (pre-window state, extra attempts, receipt lag...). All must be pure.
    """

    name: str
    description: str
    degrade: Callable[[AdvisorRow, int, random.Random], tuple[str, int | None, int] | None] | None = None
    api: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    rows: Callable[[dict[str, list], random.Random], dict[str, list]] | None = None


REGISTRY: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    """Add a scenario to the catalogue (modules under ``sandbox/scenario_sets`` call this on import)."""
    global SCENARIOS
    if scenario.name in REGISTRY:
        raise ValueError(f"scenario {scenario.name!r} is registered twice")
    REGISTRY[scenario.name] = scenario
    SCENARIOS = tuple(REGISTRY)
    return scenario


def _check_scenario(scenario: str) -> Scenario:
    if scenario not in REGISTRY:
        raise ValueError(f"unknown scenario {scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
    return REGISTRY[scenario]


def scenario_info(scenario: str) -> dict[str, Any]:
    """What the sandbox's external APIs report for a scenario (numbers, templates, send behaviour, faults).

    Both built-in scenarios look healthy before the window; the outage shows only in the data from 06:02 and
    in the WhatsApp send endpoint. Later scenarios change these values (e.g. a YELLOW number) and add
    ``faults`` ({service: kind}; see ``sandbox.faults``).
    """
    spec = _check_scenario(scenario)
    numbers = [
        {
            "id": n.phone_number_id,
            "display_phone_number": n.display_phone_number,
            "verified_name": VERIFIED_NAME,
            "shard": n.shard,
            "quality_rating": "GREEN",
            "status": "CONNECTED",
            "name_status": "APPROVED",
            "code_verification_status": "VERIFIED",
            "messaging_limit_tier": "TIER_100K",
            "whatsapp_business_manager_messaging_limit": "TIER_100K",
            "throughput": {"level": "STANDARD"},
            "can_send_message": "AVAILABLE",
        }
        for n in SENDER_NUMBERS
    ]
    info = {
        "scenario": scenario,
        "description": spec.description,
        "waba": {"id": SANDBOX_WABA_ID, "name": VERIFIED_NAME, "can_send_message": "AVAILABLE"},
        "phone_numbers": numbers,
        "templates": template_catalog(),
        "send": {"ok": True, "error_code": None, "http_status": 200},
        "delivery": {"queue_ready": True, "queue_depth": 0, "workers": 8, "webhook_lag_seconds": 1.4},
        "faults": {},
    }
    return spec.api(info) if spec.api else info


# --- generation -------------------------------------------------------------------------------------------
def _advisors(seed: int) -> tuple[list[AdvisorRow], dict[str, str]]:
    """Advisors and their sender number; independent of the date so every day sees the same population."""
    rng = random.Random(seed)
    active_n = len(SEGMENTS) * ADVISORS_PER_SEGMENT
    tier_names = [t for t, _ in TIERS]
    tier_weights = [w for _, w in TIERS]
    rows, sender = [], {}
    for i in range(1, active_n + INACTIVE_ADVISORS + 1):
        advisor_id = f"ADV{i:05d}"
        # Round-robin keeps segments at exactly 500 and spreads each segment over all five numbers.
        segment = SEGMENTS[(i - 1) % len(SEGMENTS)]
        tier = rng.choices(tier_names, tier_weights)[0]
        rows.append(AdvisorRow(advisor_id, segment, tier, f"+9170000{i:05d}", i <= active_n))
        sender[advisor_id] = SENDER_NUMBERS[(i - 1) % len(SENDER_NUMBERS)].phone_number_id
    return rows, sender


@dataclass
class _Plan:
    """What happens to one advisor in a healthy day (an outage overrides it after 06:02)."""

    advisor: AdvisorRow
    offset_ms: int  # first attempt, ms after 06:00 IST
    fate: str = "delivered"  # delivered | stuck_sent | terminal | retry_ok | retry_fail
    error_code: int | None = None
    read: bool = False


def _plan_healthy(rng: random.Random, active: list[AdvisorRow]) -> list[_Plan]:
    """Send schedule and fate of every advisor on a healthy day.

    Segments go one after another; inside a segment the advisors are shuffled and each gets a jittered
    instant inside its own 142.5 ms slot. First attempts thus end at 06:04:45 at a steady ~421/min (every
    sliding minute stays above the 400/min target while advisors remain), and ~402/min over the 5 minutes
    once retries are counted.
    """
    slot_ms = SEND_SPAN_MS / len(active)
    plans: list[_Plan] = []
    for segment in SEGMENTS:
        members = [a for a in active if a.segment == segment]
        rng.shuffle(members)
        for a in members:
            plans.append(_Plan(a, int((len(plans) + rng.random()) * slot_ms)))
    # Failures are exact counts, not per-row coin flips, so every date stays quiet and inside the SLA:
    # at most 3 terminal + 2 stuck + 1 failed retry = 6 of 2,000 advisors undelivered (>= 99.7%), and at
    # most 12 failed attempts in the day (< 2% of any 2-minute window). One pick per equal time bin spreads
    # them out (never more than ~4 failures in a minute). Only advisors whose retry (20-40 s later) still
    # fits in the window can be picked.
    n_terminal, n_stuck, n_retry = rng.randint(1, 3), rng.randint(0, 2), rng.randint(4, 8)
    eligible = [p for p in plans if p.offset_ms < WINDOW_SECONDS * 1000 - 45_000]
    n = n_terminal + n_stuck + n_retry
    bins = [eligible[i * len(eligible) // n : (i + 1) * len(eligible) // n] for i in range(n)]
    picked = [rng.choice(b) for b in bins]
    rng.shuffle(picked)
    for p in picked[:n_terminal]:
        p.fate, p.error_code = "terminal", rng.choice((131026, 131026, 131026, 131049))
    for p in picked[n_terminal : n_terminal + n_stuck]:
        p.fate = "stuck_sent"
    for i, p in enumerate(picked[n_terminal + n_stuck :]):
        p.fate = "retry_fail" if i == 0 and rng.random() < 0.5 else "retry_ok"
        p.error_code = rng.choice((130429, 130429, 131000))
    for p in plans:
        p.read = p.fate in ("delivered", "retry_ok") and rng.random() < 0.40
    return plans


class _Builder:
    """Turns plans into attempt, receipt and engagement rows.

    Each attempt draws from its own random stream (seeded by advisor and send time), so changing one
    attempt - e.g. the outage failing it - never shifts the random draws of any other row.
    """

    def __init__(self, scenario: Scenario, d: date, seed: int, sender: dict[str, str]):
        self.scenario, self.d, self.seed, self.sender = scenario, d, seed, sender
        self.t0 = window_start_utc(d)
        self.attempts: list[dict[str, Any]] = []
        self.receipts: list[WebhookReceiptRow] = []
        self.engagement: list[EngagementRow] = []

    def at(self, offset_ms: float) -> datetime:
        return self.t0 + timedelta(milliseconds=round(offset_ms))

    def stream(self, *parts: object) -> random.Random:
        # str seeds are hashed with SHA-512 by random.Random, so this is stable across processes.
        return random.Random(":".join(map(str, (self.seed, self.d.isoformat(), *parts))))

    def add(self, plan: _Plan, offset_ms: int, outcome: str, code: int | None) -> dict[str, Any]:
        """One attempt; outcome in delivered|read|stuck_sent|failed."""
        a = plan.advisor
        rng = self.stream(a.advisor_id, offset_ms)
        degraded = (
            self.scenario.degrade(a, offset_ms, self.stream("outage", a.advisor_id, offset_ms))
            if self.scenario.degrade
            else None
        )
        if degraded is not None:
            outcome, code, latency = degraded
        elif outcome == "failed" and code in SYNC_ERRORS:
            latency = rng.randint(90, 260)  # rejected fast, before any delivery work
        else:
            # Lognormal around 380 ms: p95 ~ 680 ms, far under the 2 s p95 limit.
            latency = max(60, round(rng.lognormvariate(5.94, 0.35)))
        sent_ms = offset_ms + latency
        row: dict[str, Any] = {
            "advisor": a,
            "offset_ms": offset_ms,
            "attempted_at": self.at(offset_ms),
            "api_latency_ms": latency,
            "error_code": None,
            "wamid": None,
        }
        if outcome == "failed" and code in SYNC_ERRORS:
            row.update(status="failed", error_code=code, status_at=self.at(sent_ms))
        else:
            row["wamid"] = make_wamid(a.phone_e164, f"{self.d.isoformat()}:{a.advisor_id}:{offset_ms}")
            sent_at = sent_ms + rng.randint(100, 800)
            self.receipt(rng, row, "sent", sent_at)
            if outcome == "stuck_sent":
                row.update(status="sent", status_at=self.at(sent_at))
            elif outcome == "failed":
                failed_at = sent_at + rng.randint(800, 4000)
                self.receipt(rng, row, "failed", failed_at, code)
                row.update(status="failed", error_code=code, status_at=self.at(failed_at))
            else:
                delivered_at = sent_at + rng.randint(700, 4000)
                self.receipt(rng, row, "delivered", delivered_at)
                row.update(status="delivered", status_at=self.at(delivered_at))
                if outcome == "read":
                    read_at = delivered_at + rng.randint(2000, 30_000)
                    self.receipt(rng, row, "read", read_at)
                    row.update(status="read", status_at=self.at(read_at))
                    self.engage(rng, a, read_at)
        self.attempts.append(row)
        return row

    def receipt(
        self, rng: random.Random, row: dict[str, Any], status: str, at_ms: int, code: int | None = None
    ):
        a: AdvisorRow = row["advisor"]
        status_at = self.at(at_ms)
        # Webhook timestamps are whole Unix seconds (strings); receipt time lags the event a little.
        received_at = self.at(at_ms + rng.randint(200, 2500))
        pnid = self.sender[a.advisor_id]
        st: dict[str, Any] = {
            "id": row["wamid"],
            "status": status,
            "timestamp": str(int(status_at.timestamp())),
            "recipient_id": a.phone_e164.lstrip("+"),
        }
        if status in ("sent", "delivered"):
            st["conversation"] = {
                "id": hashlib.md5(f"{a.advisor_id}:{self.d}".encode()).hexdigest(),
                "expiration_timestamp": str(int((status_at + timedelta(hours=24)).timestamp())),
                "origin": {"type": "marketing"},
            }
            st["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
        if status == "failed" and code is not None:
            st["errors"] = [
                {
                    "code": code,
                    "title": ERROR_TITLES[code],
                    "message": ERROR_TITLES[code],
                    "error_data": {"details": ERROR_TITLES[code]},
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ]
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": _DISPLAY_DIGITS[pnid], "phone_number_id": pnid},
            "statuses": [st],
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": SANDBOX_WABA_ID, "changes": [{"field": "messages", "value": value}]}],
        }
        self.receipts.append(WebhookReceiptRow(self.d, row["wamid"], status, status_at, received_at, payload))

    def engage(self, rng: random.Random, a: AdvisorRow, read_ms: int) -> None:
        self.engagement.append(EngagementRow(self.d, a.advisor_id, "opened", self.at(read_ms)))
        if rng.random() < 0.35:
            click_ms = read_ms + rng.randint(10_000, 200_000)
            self.engagement.append(EngagementRow(self.d, a.advisor_id, "clicked", self.at(click_ms)))
            if rng.random() < 0.3:
                share_ms = click_ms + rng.randint(5_000, 120_000)
                self.engagement.append(EngagementRow(self.d, a.advisor_id, "shared", self.at(share_ms)))

    def retry_offset(self, first: dict[str, Any]) -> int | None:
        """When the retry of a failed attempt is sent, or None if it would fall outside the window."""
        rng = self.stream("retry", first["advisor"].advisor_id, first["offset_ms"])
        offset = first["offset_ms"] + first["api_latency_ms"] + rng.randint(20_000, 40_000)
        return offset if offset < WINDOW_SECONDS * 1000 else None


def generate_day(scenario: str, delivery_date: date, seed: int = DEFAULT_SEED) -> Day:
    """Generate every ``platform.*`` row of one delivery day for a named scenario (pure, deterministic)."""
    spec = _check_scenario(scenario)
    advisors, sender = _advisors(seed)
    active = [a for a in advisors if a.active]
    rng = random.Random(seed ^ delivery_date.toordinal())
    # The plan is the same for every scenario; the outage only changes attempts from 06:02 on, and per-attempt
    # random streams (see _Builder) keep everything before 06:02 identical to "healthy".
    plans = _plan_healthy(rng, active)
    b = _Builder(spec, delivery_date, seed, sender)

    for p in sorted(plans, key=lambda p: (p.offset_ms, p.advisor.advisor_id)):
        if p.fate in ("delivered", "stuck_sent"):
            outcome = "read" if p.read and p.fate == "delivered" else p.fate
            first = b.add(p, p.offset_ms, outcome, None)
        else:
            first = b.add(p, p.offset_ms, "failed", p.error_code)
        # A failed attempt is retried once (new row), unless Meta says the recipient is unreachable or held.
        if first["status"] == "failed" and first["error_code"] not in (131026, 131049):
            offset = b.retry_offset(first)
            if offset is not None:
                if p.fate == "retry_fail":
                    b.add(p, offset, "failed", 131000)
                else:
                    b.add(p, offset, "read" if p.read else "delivered", None)

    base_id = int(delivery_date.strftime("%Y%m%d")) * 10_000_000  # room for 10M attempts per day
    ordered = sorted(b.attempts, key=lambda r: (r["attempted_at"], r["advisor"].advisor_id))
    attempts = [
        AttemptRow(
            base_id + i,
            delivery_date,
            r["advisor"].advisor_id,
            r["advisor"].segment,
            sender[r["advisor"].advisor_id],
            SEGMENT_TEMPLATES[r["advisor"].segment],
            r["wamid"],
            r["attempted_at"],
            r["api_latency_ms"],
            r["status"],
            r["error_code"],
            r["status_at"],
        )
        for i, r in enumerate(ordered, start=1)
    ]
    prep = _preparation(random.Random(f"{seed}:{delivery_date.isoformat()}:prep"), delivery_date, active)
    tables: dict[str, list] = {
        "advisors": advisors,
        "sender_numbers": list(SENDER_NUMBERS),
        "delivery_attempts": attempts,
        "webhook_receipts": sorted(b.receipts, key=lambda r: (r.received_at, r.wamid, r.status)),
        "engagement": sorted(b.engagement, key=lambda r: (r.event_at, r.advisor_id, r.event)),
        **prep,
    }
    if spec.rows:
        tables = spec.rows(tables, random.Random(f"{seed}:{delivery_date.isoformat()}:{scenario}"))
    return Day(scenario=scenario, delivery_date=delivery_date, seed=seed, **tables)


def _preparation(rng: random.Random, d: date, active: list[AdvisorRow]) -> dict[str, list]:
    """Pre-window tables: content rendered, approvals done, templates chosen, preferences, fallbacks armed."""

    def ist(h: int, m: int, s: int = 0) -> datetime:
        return datetime.combine(d, time(h, m, s), IST).astimezone(UTC)

    content, approvals = [], []
    ymd = d.strftime("%Y%m%d")
    for segment in SEGMENTS:
        for kind in ("brief", "chart", "quote"):
            cid = f"{ymd}-s{segment}-{kind}"
            rendered_at = ist(5, 0) + timedelta(seconds=rng.randint(0, 1200))
            url = f"https://res.cloudinary.com/projectone/image/upload/v1/daily/{d.isoformat()}/s{segment}-{kind}.png"
            content.append(
                ContentItemRow(d, cid, segment, SEGMENT_TEMPLATES[segment], True, url, rendered_at)
            )
            submitted = ist(4, 0) + timedelta(seconds=rng.randint(0, 2400))
            decided = submitted + timedelta(seconds=rng.randint(120, 1500))
            approvals.append(ApprovalRow(f"AQ-{cid}", d, cid, "approved", submitted, decided))
    templates = [TemplateInUseRow(d, SEGMENT_TEMPLATES[s], lang, s) for s in SEGMENTS for lang in LANGUAGES]
    loaded_at = ist(5, 10)
    prefs = [
        PreferenceRow(d, a.advisor_id, "hi" if rng.random() < 0.25 else "en", True, loaded_at) for a in active
    ]
    fallback = [FallbackRow(d, s, FALLBACK_TEMPLATES[s], True, ist(5, 20)) for s in SEGMENTS]
    return {
        "content_items": content,
        "approval_queue": approvals,
        "templates_in_use": templates,
        "preferences_snapshot": prefs,
        "fallback_content": fallback,
    }


def summarize_day(day: Day) -> dict[str, Any]:
    """Headline figures of a generated day (SLA, error rate, p95 latency, peak rate), as the monitor defines them."""
    active = {a.advisor_id for a in day.advisors if a.active}
    attempts = day.delivery_attempts
    delivered = {r.advisor_id for r in attempts if r.status in ("delivered", "read")} & active
    failed = sum(r.status == "failed" for r in attempts)
    lat = sorted(r.api_latency_ms for r in attempts)
    p95 = lat[max(0, -(-95 * len(lat) // 100) - 1)] if lat else 0  # nearest-rank percentile
    times = [r.attempted_at for r in attempts]
    peak, j = 0, 0
    for i, t in enumerate(times):  # sliding 60 s window over attempted_at (rows are time-ordered)
        while times[j] <= t - timedelta(seconds=60):
            j += 1
        peak = max(peak, i - j + 1)
    return {
        "scenario": day.scenario,
        "delivery_date": day.delivery_date.isoformat(),
        "advisors_targeted": len(active),
        "advisors_delivered": len(delivered),
        "sla_pct": round(100 * len(delivered) / len(active), 2) if active else 0.0,
        "attempts": len(attempts),
        "failed_attempts": failed,
        "error_rate_pct": round(100 * failed / len(attempts), 2) if attempts else 0.0,
        "p95_latency_ms": p95,
        "peak_rate_per_min": peak,
        "rate_per_min": round(len(attempts) / (WINDOW_SECONDS / 60), 1),
    }


@lru_cache(maxsize=32)
def cached_summary(scenario: str, delivery_date: date, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """``summarize_day(generate_day(...))``, memoized (the sandbox asks for it on every status call)."""
    return summarize_day(generate_day(scenario, delivery_date, seed))


# --- Postgres --------------------------------------------------------------------------------------------
def source_contract_path() -> Path:
    """Path of ``sql/source_contract.sql`` (repo root, or ``DELIVERY_WINDOW_HOME`` when set)."""
    from delivery_window.paths import SQL_DIR

    return SQL_DIR / "source_contract.sql"


def apply_source_contract(conn: Any) -> None:
    """Create the ``platform`` schema and tables if missing (idempotent; safe from parallel processes)."""
    ddl = source_contract_path().read_text()
    with conn.transaction(), conn.cursor() as cur:
        # CREATE ... IF NOT EXISTS still races on the catalog when two processes run it at once.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('delivery_window.source_contract'))")
        cur.execute(ddl)


def write_day(conn: Any, day: Day) -> dict[str, int]:
    """Load a generated day: upsert advisors and numbers, replace the day's rows of every daily table.

    Idempotent: rerunning leaves identical content. Runs in one transaction (committed at the end unless the
    caller already has one open). Returns the number of rows written per table.
    """
    from psycopg import sql
    from psycopg.types.json import Jsonb

    counts: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        for table, (row_type, key) in _TABLES.items():
            rows: Iterable[tuple] = getattr(day, table)
            cols = row_type._fields
            target = sql.Identifier("platform", table)
            col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
            if table == "webhook_receipts":
                rows = [r._replace(payload=Jsonb(r.payload)) for r in rows]
            if key is None:
                cur.execute(
                    sql.SQL("DELETE FROM {} WHERE delivery_date = %s").format(target), (day.delivery_date,)
                )
                dest = target
            else:
                # COPY cannot upsert: stage into a temp table, then INSERT ... ON CONFLICT DO UPDATE.
                dest = sql.Identifier(f"_stage_{table}")
                cur.execute(
                    sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                        dest, target
                    )
                )
            n = 0
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(dest, col_list)) as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            if key is not None:
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in cols if c not in key
                )
                cur.execute(
                    sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
                        target,
                        col_list,
                        col_list,
                        dest,
                        sql.SQL(", ").join(map(sql.Identifier, key)),
                        updates,
                    )
                )
                cur.execute(sql.SQL("DROP TABLE {}").format(dest))
            counts[table] = n
    return counts


# --- built-in scenarios -------------------------------------------------------------------------------------
def _outage_degrade(
    advisor: AdvisorRow, offset_ms: int, rng: random.Random
) -> tuple[str, int | None, int] | None:
    """From 06:02 the API is slow and rejects every send as a server-side failure (retries included)."""
    if offset_ms < OUTAGE_START_OFFSET_MS:
        return None
    return "failed", rng.choice((131000,) * 8 + (1, 2)), rng.randint(5000, 10_000)


def _outage_api(info: dict[str, Any]) -> dict[str, Any]:
    return {**info, "send": {"ok": False, "error_code": 131000, "http_status": 500}}


register(Scenario("healthy", "Normal day: >=99.5% delivered, ~400 msg/min, p95 latency well under 2 s."))
register(
    Scenario(
        "whatsapp_outage",
        "WhatsApp Cloud API fails every send from 06:02 IST (code 131000, 5-10 s latencies); about 40% of "
        "advisors delivered.",
        degrade=_outage_degrade,
        api=_outage_api,
    )
)

# More scenarios live in sandbox/scenario_sets/ (one module per area); importing registers them.
from delivery_window.sandbox import scenario_sets  # noqa: E402,F401

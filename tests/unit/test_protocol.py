"""include/protocol.yaml against the on-call protocol document, and the loader's error reporting."""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from delivery_window import protocol as protocol_module
from delivery_window.protocol import (
    DEFAULT_PROTOCOL_PATH,
    PROTOCOL_ENV_VAR,
    Protocol,
    ProtocolError,
    get_protocol,
    load_protocol,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_DOC = REPO.parent / "shared" / "protocol" / "oncall-protocol.md"
LOCAL_DOC = REPO / "docs" / "protocol" / "oncall-protocol.md"


# ---------------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def proto() -> Protocol:
    return load_protocol(DEFAULT_PROTOCOL_PATH)


@pytest.fixture(scope="module")
def doc_text() -> str:
    """The protocol document: the shared original when present (CI may lack it), else our copy."""
    local = LOCAL_DOC.read_text(encoding="utf-8")
    if SHARED_DOC.exists():
        shared = SHARED_DOC.read_text(encoding="utf-8")
        assert shared == local, f"{LOCAL_DOC} is out of date: copy {SHARED_DOC} over it verbatim"
        return shared
    return local


@pytest.fixture
def raw() -> dict[str, Any]:
    """A fresh, mutable copy of the raw YAML of include/protocol.yaml."""
    return yaml.safe_load(DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------
# Numbers of the document
# ---------------------------------------------------------------------------------------------------------
Value = tuple[str, Any]  # ("num", float) or ("str", str)


def _num(x: float) -> Value:
    return ("num", float(x))


@dataclass(frozen=True)
class DocNumber:
    line: int
    text: str
    candidates: frozenset[Value]  # the config may hold any one of these (documented unit conversions)
    in_yaml_block: bool

    def __str__(self) -> str:
        return f"line {self.line}: {self.text!r}"


# Extraction rules, tried in this order; each match is blanked out of the line before the next rule runs.
# Each rule turns one match into one or more numbers, each with the values the config may store it as:
#   times 05:30 / 06_05 -> "05:30"; phone numbers -> the same string; "p95" -> 95;
#   N% -> N (a _pct key); Ns -> N seconds or N*1000 ms; N_minute(s) -> N minutes; N_second(s) -> N seconds;
#   N_hour(s) -> N*60 minutes (the config stores no hours); "10-15_minutes" -> 10 and 15 minutes;
#   level_N / Level N+ / step_N -> N; severity_N -> the string "severity_N" (an alert_rules level);
#   any other number -> itself.
_RULES: list[tuple[str, Any]] = [
    (r"\+\d{1,3}(?:-[0-9x]+)+", lambda m: [{("str", m[0])}]),
    (r"(?<![\d.])([01]\d|2[0-3])[:_]([0-5]\d)(?!\d)", lambda m: [{("str", f"{m[1]}:{m[2]}")}]),
    (r"(?i)\blevel[ _](\d+)", lambda m: [{_num(int(m[1]))}]),
    (r"\bstep_(\d+)", lambda m: [{_num(int(m[1]))}]),
    (r"\bseverity_(\d+)", lambda m: [{("str", f"severity_{m[1]}")}]),
    (r"(?<![a-z0-9])p(\d{2})(?!\d)", lambda m: [{_num(int(m[1]))}]),
    (r"(\d+)-(\d+)_minutes", lambda m: [{_num(int(m[1]))}, {_num(int(m[2]))}]),
    (r"(\d+(?:\.\d+)?)\s*%", lambda m: [{_num(float(m[1]))}]),
    (r"(\d+(?:\.\d+)?)s(?![a-z])", lambda m: [{_num(float(m[1])), _num(float(m[1]) * 1000)}]),
    (r"(\d+)_minutes?(?![a-z])", lambda m: [{_num(int(m[1]))}]),
    (r"(\d+)_hours?(?![a-z])", lambda m: [{_num(int(m[1]) * 60)}]),
    (r"(\d+)_seconds?(?![a-z])", lambda m: [{_num(int(m[1]))}]),
    (r"\d+(?:\.\d+)?", lambda m: [{_num(float(m[0]))}]),
]

# Numbers of the document that are not requirements and so need not be in the config. Kept empty on purpose:
# role levels ("Level 2+"), step numbers and the "p95" percentile are all stored. Add an entry only with a reason,
# as (line text fragment, matched text).
DOC_NUMBERS_NOT_REQUIREMENTS: set[tuple[str, str]] = set()


def extract_doc_numbers(text: str) -> list[DocNumber]:
    """Every number of the document, with its line, whether it sits in a ```yaml block, and its config forms."""
    found: list[DocNumber] = []
    in_block = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        work = line
        for pattern, convert in _RULES:
            for match in re.finditer(pattern, work):
                if any(frag in line and match[0] == hit for frag, hit in DOC_NUMBERS_NOT_REQUIREMENTS):
                    continue
                for candidates in convert(match):
                    found.append(DocNumber(lineno, match[0], frozenset(candidates), in_block))
            work = re.sub(pattern, lambda m: " " * len(m[0]), work)
    return found


# ---------------------------------------------------------------------------------------------------------
# Values of the config
# ---------------------------------------------------------------------------------------------------------
# Config numbers that do not come from the protocol document (each is commented in protocol.yaml). They are left
# out of the matching, so they can neither stand in for a protocol number nor need to appear in the document.
NOT_FROM_PROTOCOL: dict[str, str] = {
    "grouping.*": "our decision (issue 12): Alertmanager group_wait / group_interval",
    "silences.*": "our decision (issue 12): silences for planned maintenance",
    "provisioning.*": "our decision (issue 14): how the dashboard and the monitors are deployed",
    "shift_handoff.incoming_engineer_briefing.maintenance_lookahead_minutes": "our decision (issue 12)",
    "runbooks.*.measure.*": "our decision (issue 13): how a success criterion is measured from platform.*",
    "incident_automation.runbook_watch_seconds": "our decision (issue 13)",
    "incident_automation.follow_up_margin_seconds": "our decision (issue 13)",
    "go_no_go.remediations.*.approval.*": "our decision (issue 13): approval of the 05:45 remediations",
    "monitor.tick_seconds": "issue text, 'default 10 s'",
    "monitor.grace_seconds": "our decision: late receipts after 06:05",
    "checks.compliance_probes": "our decision: probes behind the p95",
    "checks.db_pool_max_used_pct": "our decision",
    "checks.redis_latency_max_ms": "our decision",
    "checks.redis_memory_max_used_pct": "our decision",
    "checks.http_timeout_seconds": "our decision",
    "checks.db_pool_max_waiting": "our decision (issue 3)",
    "checks.messaging_limit_warn_pct": "our decision (issue 3)",
    "checks.cloudinary_min_remaining_calls": "our decision (issue 3)",
    "checks.webhook_lag_max_seconds": "our decision (issue 3)",
    "checks.delivery_queue_min_workers": "our decision (issue 3)",
    "checks.retry_min_attempts": "our decision (issue 3)",
    "monitor.min_sample_attempts": "our decision: minimum outcomes before a rate rule judges",
    "monitor.settle_seconds": "our decision (issue 4): live tick evaluated this long after its instant",
    "monitor.late_row_seconds": "our decision (issue 4): live re-read for rows written late",
    "monitor.status_post_every_minutes": "issue 4 text: a one-line #delivery-ops status each minute",
    "monitor.template_poll_seconds": "our decision (issue 4)",
    "monitor.datadog_max_point_age_seconds": "our decision (issue 4): Datadog's limit for past points",
    "monitor.send_backoff_seconds": "our decision (issue 7): a failed channel is not retried every tick",
    "monitor.claim_lease_seconds": "our decision (issue 15): a claimed send left unmarked this long is resent",
    "alert_thresholds.latency_baseline_days": "our decision (issue 4): baseline period",
    "alert_thresholds.latency_baseline_min_days": "our decision (issue 4)",
    "alert_thresholds.latency_baseline_default_ms": "our decision (issue 14): a new install's baseline",
    "monitor.account_health_poll_seconds": "our decision (issue 14): the monitor's account-health poll",
    "severity_1.db_connection_failure_window_minutes": "our decision (issue 4)",
    "severity_1.db_connection_min_reads": "our decision (issue 4)",
    "severity_1.secondary_paging_incidents": "our decision (issue 4): when step 5 pages the secondary",
    "severity_2.shard_failure_rate_min_pct": "our decision (issue 4): no number in the protocol",
    "severity_2.tier_failure_rate_min_pct": "our decision (issue 4): no number in the protocol",
    "escalation_levels.*.engage_after_minutes": "our reading of the chain (derived from the triggers)",
    "business_escalation.*.steps[[]0].delay_minutes": "'immediate' in the protocol: a word, not a number",
    "roles.*.channels.phone": "copies of emergency_contacts (the loader checks they are one of them)",
    "runbooks.*.approval_timeout_minutes": "our decision (issue 5): HITL response timeout per runbook",
    "incident_automation.follow_up_every_minutes": "our decision (issue 5): follow-up DAG schedule",
    "incident_automation.follow_up_lookback_days": "our decision (issue 5)",
    "incident_automation.verify_poll_seconds": "our decision (issue 5)",
    "incident_automation.regulatory_reminder_before_minutes[[]*]": "our decision (issue 5): SEBI-deadline reminders",
    "incident_automation.regulatory_overdue_repeat_minutes": "our decision (issue 14): overdue SEBI filing repeats",
    "post_delivery_verification.checkpoint_deadline_minutes": "our decision (issue 6): DeadlineAlert allowance",
    "post_delivery_verification.receipt_lag_p95_max_seconds": "our decision (issue 6)",
    "post_delivery_verification.receipts_missing_max_pct": "our decision (issue 6)",
    "post_delivery_verification.engagement_min_read_pct": "our decision (issue 6)",
    "post_delivery_verification.dq_latency_max_ms": "our decision (issue 6): DQ latency bound",
    "post_delivery_verification.trend_windows_days[[]*]": "our decision (issue 6): 7 and 30 day trends",
}
# Of those, the ones whose line in protocol.yaml must say why (the others are explained in a section comment).
MUST_BE_COMMENTED = {
    "tick_seconds": "our decision",
    "grace_seconds": "our decision",
    "compliance_probes": "our decision",
    "db_pool_max_used_pct": "our decision",
    "redis_latency_max_ms": "our decision",
    "redis_memory_max_used_pct": "our decision",
    "http_timeout_seconds": "our decision",
    "db_pool_max_waiting": "our decision",
    "messaging_limit_warn_pct": "our decision",
    "cloudinary_min_remaining_calls": "our decision",
    "openai_required_models": "our decision",
    "datadog_monitor_tag": "our decision",
    "slack_critical_channels": "our decision",
    "webhook_lag_max_seconds": "our decision",
    "delivery_queue_min_workers": "our decision",
    "retry_min_attempts": "our decision",
    "min_sample_attempts": "our decision",
    "settle_seconds": "our decision",
    "late_row_seconds": "our decision",
    "status_post_every_minutes": "our decision",
    "template_poll_seconds": "our decision",
    "datadog_max_point_age_seconds": "our decision",
    "send_backoff_seconds": "our decision",
    "claim_lease_seconds": "our decision",
    "datadog_metric_prefix": "our decision",
    "latency_baseline_days": "our decision",
    "latency_baseline_min_days": "our decision",
    "latency_baseline_default_ms": "our decision",
    "account_health_poll_seconds": "our decision",
    "db_connection_failure_window_minutes": "our decision",
    "db_connection_min_reads": "our decision",
    "secondary_paging_incidents": "our decision",
    "shard_failure_rate_min_pct": "our decision",
    "tier_failure_rate_min_pct": "our decision",
    "engage_after_minutes": "our reading",
    "approval_timeout_minutes": "our decision",
    "approval_default": "our decision",
    "critical_task_groups": "our decision",
    "complete_outage_rules": "our decision",
    "advisor_delay_runbooks": "our decision",
    "significant_business_impact": "our decision",
    "follow_up_every_minutes": "our decision",
    "follow_up_lookback_days": "our decision",
    "verify_poll_seconds": "our decision",
    "regulatory_reminder_before_minutes": "our decision",
    "regulatory_overdue_targets": "our decision",
    "regulatory_overdue_repeat_minutes": "our decision",
    "checkpoint_deadline_minutes": "our decision",
    "deadline_slack": "our decision",
    "receipt_lag_p95_max_seconds": "our decision",
    "receipts_missing_max_pct": "our decision",
    "engagement_min_read_pct": "our decision",
    "dq_latency_max_ms": "our decision",
    "trend_windows_days": "our decision",
}


def walk_leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every scalar of a nested mapping/sequence, with its dotted key path (``a.b[0].c``)."""
    if isinstance(node, dict):
        return [
            leaf
            for key, value in node.items()
            for leaf in walk_leaves(value, f"{path}.{key}" if path else key)
        ]
    if isinstance(node, list | tuple):
        return [leaf for index, value in enumerate(node) for leaf in walk_leaves(value, f"{path}[{index}]")]
    return [(path, node)]


def _value(scalar: Any) -> Value | None:
    if isinstance(scalar, bool) or scalar is None:
        return None
    if isinstance(scalar, int | float):
        return _num(scalar)
    if isinstance(scalar, str):
        return ("str", scalar)
    return None


def _ours(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in NOT_FROM_PROTOCOL)


def config_pool(config: dict[str, Any]) -> list[tuple[str, Value]]:
    """The config scalars that may carry a protocol number: all of them except NOT_FROM_PROTOCOL."""
    pool = []
    for path, scalar in walk_leaves(config):
        value = _value(scalar)
        if value is not None and not _ours(path):
            pool.append((path, value))
    return pool


@dataclass
class Coverage:
    unmatched: list[DocNumber]  # document numbers with no config value
    matches: list[tuple[DocNumber, str]]  # yaml-block number -> the config key it was matched to


def coverage(doc: list[DocNumber], config: dict[str, Any]) -> Coverage:
    """Match the document's numbers to config values.

    Numbers in the document's yaml blocks are requirements, each needing its *own* config value (a maximum
    bipartite matching), so two "15 minutes" of the protocol cannot both be served by one key. Numbers in headings
    and prose restate those (e.g. "### 05:45 IST - Final Systems Check"): they need the value somewhere.
    """
    pool = config_pool(config)
    by_value: dict[Value, list[int]] = defaultdict(list)
    for index, (_, value) in enumerate(pool):
        by_value[value].append(index)
    owner: dict[int, int] = {}
    block = [n for n in doc if n.in_yaml_block]

    def assign(number: int, seen: set[int]) -> bool:
        for candidate in sorted(block[number].candidates, key=repr):
            for leaf in by_value.get(candidate, ()):
                if leaf in seen:
                    continue
                seen.add(leaf)
                if leaf not in owner or assign(owner[leaf], seen):
                    owner[leaf] = number
                    return True
        return False

    unmatched = [block[i] for i in range(len(block)) if not assign(i, set())]
    unmatched += [n for n in doc if not n.in_yaml_block and not any(c in by_value for c in n.candidates)]
    matches = sorted(
        ((block[number], pool[leaf][0]) for leaf, number in owner.items()), key=lambda m: m[0].line
    )
    return Coverage(sorted(unmatched, key=lambda n: n.line), matches)


def config_numbers_not_in_doc(doc: list[DocNumber], config: dict[str, Any]) -> list[str]:
    """Numbers and HH:MM times of the config that the document never mentions (and that are not ours)."""
    doc_values = {c for n in doc for c in n.candidates}
    stray = []
    for path, value in config_pool(config):
        is_time = value[0] == "str" and re.fullmatch(r"\d\d:\d\d", value[1])
        if (value[0] == "num" or is_time) and value not in doc_values:
            stray.append(f"{path} = {value[1]!r}")
    return stray


# ---------------------------------------------------------------------------------------------------------
# The real config
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.unit
def test_key_values(proto: Protocol) -> None:
    assert proto.timezone == "Asia/Kolkata"
    assert proto.schedule_cron == "30 5 * * *"
    assert proto.sla.target_pct == 99.0
    assert proto.times.model_dump() == {
        "window_open": "05:30",
        "final_check": "05:45",
        "delivery_start": "06:00",
        "delivery_end": "06:05",
        "analytics_checkpoint": "06:15",
        "final_report": "06:30",
    }
    assert proto.primary_metrics.delivery_success_rate_min_pct == 98.0
    assert proto.primary_metrics.processing_rate_target_per_min == 400
    assert proto.primary_metrics.api_latency_p95_max_ms == 2000
    assert proto.primary_metrics.error_rate_max_pct == 2.0
    assert (
        proto.alert_thresholds.failure_rate_max_pct,
        proto.alert_thresholds.failure_rate_window_minutes,
    ) == (2.0, 2)
    assert (
        proto.alert_thresholds.advisor_failures_max,
        proto.alert_thresholds.advisor_failures_window_minutes,
    ) == (5, 1)
    assert proto.alert_thresholds.latency_increase_max_pct == 50
    assert proto.severity_1.db_connection_failure_max_pct == 50
    assert (proto.severity_1.success_rate_floor_pct, proto.severity_1.success_floor_consecutive_minutes) == (
        95.0,
        2,
    )
    assert proto.severity_1.immediate_actions[0].deadline_minutes == 1
    assert proto.checks.approval_queue_max_items == 0
    assert proto.checks.compliance_p95_max_ms == 1500
    assert proto.checks.advisor_segments == 4
    assert proto.monitor.model_dump() == {
        "tick_seconds": 10,
        "grace_seconds": 120,
        "dashboard_refresh_seconds": 30,
        "min_sample_attempts": 50,
        "settle_seconds": 1,
        "late_row_seconds": 5,
        "status_post_every_minutes": 1,
        "template_poll_seconds": 60,
        "datadog_max_point_age_seconds": 3600,
        "send_backoff_seconds": 40,
        "claim_lease_seconds": 60,
        "datadog_metric_prefix": "delivery_window",
        "account_health_poll_seconds": 60,
    }


@pytest.mark.unit
def test_structure_for_the_other_modules(proto: Protocol) -> None:
    assert set(proto.roles) == {
        "primary_engineer", "secondary_engineer", "engineering_manager", "head_of_product", "cto", "ceo",
        "board", "legal_counsel", "compliance_officer", "head_of_operations", "head_of_marketing", "external_legal",
    }  # fmt: skip
    assert list(proto.runbooks) == [
        "delivery_failure",
        "whatsapp_quality_recovery",
        "ai_service_fallback",
        "database_emergency",
    ]
    estimates = {
        k: (r.estimated_resolution_minutes.min, r.estimated_resolution_minutes.max)
        for k, r in proto.runbooks.items()
    }
    assert estimates == {
        "delivery_failure": (10, 15),
        "whatsapp_quality_recovery": (30, 60),
        "ai_service_fallback": (5, 10),
        "database_emergency": (15, 30),
    }
    assert proto.runbook("delivery_failure").runbook == "/runbooks/delivery-failure-incident"
    assert proto.runbook("delivery_failure").success_delivery_rate_min_pct == 98.0
    assert [lvl.escalation_trigger.after_minutes for lvl in proto.escalation_levels.values()] == [
        15,
        None,
        30,
        60,
    ]
    assert [lvl.role for lvl in proto.escalation_levels.values()] == [
        "primary_engineer",
        "secondary_engineer",
        "engineering_manager",
        "cto",
    ]
    sla95 = proto.business_escalation["delivery_sla_miss_below_95"]
    assert [(s.delay_minutes, s.targets) for s in sla95.steps] == [
        (0, ("engineering_manager",)),
        (60, ("head_of_product",)),
        (240, ("cto",)),
    ]
    groups = proto.pre_delivery_checklist.groups.model_dump()
    assert len(groups) == 4 and len(proto.pre_delivery_checklist.items) == 15
    assert len(proto.final_systems_verification.groups.model_dump()) == 3
    assert proto.shift_handoff.knowledge_transfer_meeting.duration_minutes == 15
    assert (
        proto.external_communication.regulatory_notifications.compliance_incidents.sebi_notification_within_minutes
        == 24 * 60
    )


@pytest.mark.unit
def test_helpers(proto: Protocol) -> None:
    assert proto.time_of("delivery_start") == dt.time(6, 0)
    assert proto.time_of("final_check") == dt.time(5, 45)
    with pytest.raises(KeyError, match="unknown protocol time"):
        proto.time_of("lunch")
    with pytest.raises(KeyError, match="unknown runbook"):
        proto.runbook("reboot_everything")


@pytest.mark.unit
def test_get_protocol_is_cached() -> None:
    assert get_protocol() is get_protocol()


@pytest.mark.unit
def test_models_are_frozen(proto: Protocol) -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        proto.sla.target_pct = 50.0  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        proto.times = proto.times  # type: ignore[misc]
    assert isinstance(proto.severity_1.immediate_actions, tuple)  # sequences are tuples, not lists


@pytest.mark.unit
def test_protocol_module_does_not_import_airflow() -> None:
    code = "import sys, delivery_window.protocol; sys.exit('airflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------------------------------------------------
# Every number of the document is in the config
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.unit
def test_extractor_reads_the_number_forms_of_the_protocol() -> None:
    sample = "\n".join(
        [
            "# 05:30–06:30 IST",
            "```yaml",
            'a: "06_05_ist_checkpoint verify_99%_x"',
            'b: "<1.5s" "<2s_p95" ">5_in_1_minute" "within_4_hours" "10-15_minutes" "level_3" "Level 2+"',
            'c: "+91-9876543210" "+1-xxx-xxx-xxxx" "4_groups" "refresh_every_30_seconds" step_2',
            "  severity_2_urgent_investigation:",
            "```",
        ]
    )
    got = [(n.text, sorted(v for _, v in n.candidates), n.in_yaml_block) for n in extract_doc_numbers(sample)]
    assert got == [
        ("05:30", ["05:30"], False),
        ("06:30", ["06:30"], False),
        ("06_05", ["06:05"], True),
        ("99%", [99.0], True),
        ("level_3", [3.0], True),
        ("Level 2", [2.0], True),
        ("p95", [95.0], True),
        ("10-15_minutes", [10.0], True),
        ("10-15_minutes", [15.0], True),
        ("1.5s", [1.5, 1500.0], True),
        ("2s", [2.0, 2000.0], True),
        ("1_minute", [1.0], True),
        ("4_hours", [240.0], True),
        ("5", [5.0], True),
        ("+91-9876543210", ["+91-9876543210"], True),
        ("+1-xxx-xxx-xxxx", ["+1-xxx-xxx-xxxx"], True),
        ("step_2", [2.0], True),
        ("30_seconds", [30.0], True),
        ("4", [4.0], True),
        ("severity_2", ["severity_2"], True),
    ]


@pytest.mark.unit
def test_every_number_of_the_document_is_in_the_config(doc_text: str, proto: Protocol) -> None:
    doc = extract_doc_numbers(doc_text)
    assert len([n for n in doc if n.in_yaml_block]) >= 75, (
        "the extractor found too few numbers; is the document right?"
    )
    result = coverage(doc, proto.model_dump())
    assert not result.unmatched, "numbers of the protocol missing from protocol.yaml:\n" + "\n".join(
        f"  {n}" for n in result.unmatched
    )
    # values that occur once are matched to the key that holds them (equal values are interchangeable)
    matched = {(n.text, key) for n, key in result.matches}
    assert {
        ("1.5s", "checks.compliance_p95_max_ms"),
        ("2_hours", "business_escalation.whatsapp_quality_rating_medium.steps[1].delay_minutes"),
        ("400", "primary_metrics.processing_rate_target_per_min"),
        ("4_hours", "business_escalation.delivery_sla_miss_below_95.steps[2].delay_minutes"),
        ("+91-9876543212", "emergency_contacts.engineering_leadership.senior_devops_lead"),
    } <= matched


@pytest.mark.unit
def test_every_config_number_comes_from_the_document_or_is_ours(doc_text: str, proto: Protocol) -> None:
    stray = config_numbers_not_in_doc(extract_doc_numbers(doc_text), proto.model_dump())
    assert not stray, (
        "numbers in protocol.yaml that are not in the protocol; add to NOT_FROM_PROTOCOL:\n"
        + "\n".join(stray)
    )


@pytest.mark.unit
def test_our_decisions_are_marked_in_the_yaml() -> None:
    lines = DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8").splitlines()
    for key, marker in MUST_BE_COMMENTED.items():
        defining = [line for line in lines if re.match(rf"\s*{key}:", line)]
        assert defining, f"{key} not found in protocol.yaml"
        for line in defining:
            assert marker in line, f"protocol.yaml: {line.strip()!r} should say {marker!r} in its comment"


@pytest.mark.unit
def test_deleting_or_changing_any_protocol_number_is_caught(raw: dict[str, Any], doc_text: str) -> None:
    """The coverage test can fail: remove or alter any number (or phone) that came from the document, and it does.

    (The loader would reject most deletions anyway, as every protocol key is required; this proves the document
    check holds on its own. HH:MM times are repeated on purpose, so the loader's "must equal times.*" rules guard
    those instead.)
    """
    doc = extract_doc_numbers(doc_text)
    assert not coverage(doc, raw).unmatched  # the untouched file is complete
    doc_values = {c for n in doc for c in n.candidates}
    protocol_leaves = [
        (path, value)
        for path, value in config_pool(raw)
        if value in doc_values and (value[0] == "num" or value[1].startswith("+"))
    ]
    assert len(protocol_leaves) >= 60
    unnoticed = []
    for path, value in protocol_leaves:
        for mutation in ("delete", "change"):
            variant = copy.deepcopy(raw)
            parent, last = _parent(variant, path)
            if mutation == "delete":
                del parent[last]
            else:
                parent[last] = "+0-0" if value[0] == "str" else parent[last] + 7
            if not coverage(doc, variant).unmatched:
                unnoticed.append(f"{mutation} {path}")
    assert not unnoticed, unnoticed


@pytest.mark.unit
def test_a_changed_threshold_is_reported_as_not_from_the_document(raw: dict[str, Any], doc_text: str) -> None:
    doc = extract_doc_numbers(doc_text)
    _set(raw, "primary_metrics.delivery_success_rate_min_pct", 97.0)
    assert config_numbers_not_in_doc(doc, raw) == ["primary_metrics.delivery_success_rate_min_pct = 97.0"]
    assert [n.text for n in coverage(doc, raw).unmatched] == ["98%"]


def _parent(config: dict[str, Any], dotted: str) -> tuple[Any, Any]:
    keys: list[Any] = []
    for part in dotted.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        keys.append(name)
        keys.extend(int(i) for i in indices if i)
    node: Any = config
    for key in keys[:-1]:
        node = node[key]
    return node, keys[-1]


# ---------------------------------------------------------------------------------------------------------
# Malformed configs
# ---------------------------------------------------------------------------------------------------------
def _load_variant(tmp_path: Path, data: Any) -> ProtocolError:
    file = tmp_path / "protocol.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(file)
    return info.value


def _set(config: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    parent, last = _parent(config, dotted)
    parent[last] = value
    return config


def _delete(config: dict[str, Any], dotted: str) -> dict[str, Any]:
    parent, last = _parent(config, dotted)
    del parent[last]
    return config


@pytest.mark.unit
@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda c: _set(c, "primary_metrics.error_rate_max_pct", "two"),
            "protocol.yaml: primary_metrics.error_rate_max_pct: Input should be a valid number, got 'two'",
            id="wrong-type",
        ),
        pytest.param(
            lambda c: _set(c, "checks.redis_ping_max_ms", 5),
            "checks.redis_ping_max_ms: Extra inputs are not permitted, got 5",
            id="unknown-key",
        ),
        pytest.param(
            lambda c: _set(c, "times.final_check", "25:99"),
            "times.final_check: Time should be \"HH:MM\" (00:00-23:59), got '25:99'",
            id="bad-time",
        ),
        pytest.param(
            lambda c: _set(
                c, "business_escalation.delivery_sla_miss_below_95.steps[1].targets[0]", "janitor"
            ),
            "business_escalation.delivery_sla_miss_below_95.steps[1].targets[0]: Input should be",
            id="unknown-role-in-business-matrix",
        ),
        pytest.param(
            lambda c: _set(c, "escalation_levels.level_4_executive.role", "cfo"),
            "escalation_levels.level_4_executive.role: Input should be",
            id="unknown-role-in-escalation",
        ),
        pytest.param(lambda c: _delete(c, "sla"), "protocol.yaml: sla: Field required", id="missing-section"),
        pytest.param(
            lambda c: _delete(c, "alert_thresholds.latency_increase_max_pct"),
            "alert_thresholds.latency_increase_max_pct: Field required",
            id="missing-threshold",
        ),
        pytest.param(lambda c: _delete(c, "roles.board"), "roles: missing keys board", id="missing-role"),
        pytest.param(
            lambda c: _set(c, "runbooks.rollback", c["runbooks"]["delivery_failure"]),
            "runbooks.rollback (key): Input should be",
            id="unknown-runbook",
        ),
        pytest.param(
            lambda c: _delete(c, "runbooks.database_emergency"),
            "runbooks: missing keys database_emergency",
            id="missing-runbook",
        ),
        pytest.param(
            lambda c: _set(c, "sla.target_pct", 101),
            "sla.target_pct: Input should be less than or equal to 100, got 101",
            id="pct-above-100",
        ),
        pytest.param(
            lambda c: _set(c, "runbooks.ai_service_fallback.estimated_resolution_minutes.min", -5),
            "runbooks.ai_service_fallback.estimated_resolution_minutes.min: Input should be greater than or equal to 0",
            id="negative-minutes",
        ),
        pytest.param(
            lambda c: _set(c, "monitor.tick_seconds", 10.5),
            "monitor.tick_seconds: Input should be a valid integer, got 10.5",
            id="float-seconds",
        ),
        pytest.param(
            lambda c: _set(c, "critical_window_schedule.pre_delivery.start", "05:35"),
            "critical_window_schedule.pre_delivery.start: 05:35 must equal times.window_open (05:30)",
            id="schedule-disagrees-with-times",
        ),
        pytest.param(
            lambda c: _set(c, "times.delivery_end", "05:59"),
            "times.delivery_end: 05:59 must be after times.delivery_start (06:00)",
            id="times-out-of-order",
        ),
        pytest.param(
            lambda c: _set(c, "schedule_cron", "0 6 * * *"),
            "schedule_cron: 0 6 * * * must start the run daily at times.window_open (30 5 * * *)",
            id="cron-disagrees-with-window-open",
        ),
        pytest.param(
            lambda c: _set(c, "runbooks.database_emergency.requires_approval", ["drop_database"]),
            "runbooks.database_emergency: requires_approval names steps that are not in steps: drop_database",
            id="approval-of-unknown-step",
        ),
        pytest.param(
            lambda c: _set(c, "severity_2.triggers[0].rule", "failure_rate_2m"),
            "severity_2.triggers[0].rule: alert rule failure_rate_2m has level immediate_page, not severity_2",
            id="trigger-of-wrong-severity",
        ),
        pytest.param(
            lambda c: _set(c, "alert_rules.success_below_95_2m.page", False),
            "alert_rules.success_below_95_2m.page: the protocol pages for",
            id="sev1-must-page",
        ),
        pytest.param(
            lambda c: _set(c, "business_escalation.delivery_sla_miss_below_90.steps[2].delay_minutes", 20),
            "business_escalation.delivery_sla_miss_below_90.steps[2].delay_minutes: delays must increase; 20 follows 30",
            id="business-steps-out-of-order",
        ),
        pytest.param(
            lambda c: _set(c, "severity_1.immediate_actions[2].step", 7),
            "severity_1.immediate_actions[2].step: expected step 3, got 7",
            id="steps-misnumbered",
        ),
        pytest.param(
            lambda c: _set(c, "roles.ceo.channels.phone", "+91-1111111111"),
            "roles.ceo.channels.phone: +91-1111111111 is not one of emergency_contacts",
            id="role-phone-not-a-contact",
        ),
        pytest.param(
            lambda c: _set(c, "roles.cto.channels.slack", ["war_room"]),
            "roles.cto.channels.slack[0]: Input should be",
            id="unknown-slack-purpose",
        ),
        pytest.param(
            lambda c: _set(
                c, "business_escalation.whatsapp_account_suspended.threshold.delivery_rate_below_pct", 80
            ),
            "business_escalation.whatsapp_account_suspended.threshold: set exactly one of",
            id="two-thresholds",
        ),
    ],
)
def test_malformed_config_names_the_key(
    tmp_path: Path, raw: dict[str, Any], mutate: Any, expected: str
) -> None:
    error = _load_variant(tmp_path, mutate(raw))
    assert expected in str(error), str(error)
    assert isinstance(error, ValueError)


@pytest.mark.unit
def test_error_lists_every_bad_key(tmp_path: Path, raw: dict[str, Any]) -> None:
    _set(raw, "primary_metrics.error_rate_max_pct", "two")
    _set(raw, "monitor.grace_seconds", -1)
    _set(raw, "business_escalation.delivery_sla_miss_below_90.steps[1].targets", ["cfo"])
    error = _load_variant(tmp_path, raw)
    assert set(error.keys) == {
        "primary_metrics.error_rate_max_pct",
        "monitor.grace_seconds",
        "business_escalation.delivery_sla_miss_below_90.steps[1].targets[0]",
    }
    assert "Tuple should have at least" not in str(error)  # no echo of the failed item as "too short"
    assert error.path == tmp_path / "protocol.yaml"


@pytest.mark.unit
def test_unquoted_time_is_reported(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted 5:45 as the base-60 integer 345
    text = DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8").replace(
        'final_check: "05:45"', "final_check: 5:45"
    )
    file = tmp_path / "protocol.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"times\.final_check: Input should be a valid string, got 345"):
        load_protocol(file)


@pytest.mark.unit
def test_missing_file_bad_yaml_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load_protocol(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("times: {window_open: '05:30'\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid YAML"):
        load_protocol(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="top level must be a mapping"):
        load_protocol(listed)


@pytest.mark.unit
def test_env_var_overrides_the_default_path(
    tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "other.yaml"
    file.write_text(yaml.safe_dump(_set(raw, "sla.target_pct", 99.5)), encoding="utf-8")
    monkeypatch.setenv(PROTOCOL_ENV_VAR, str(file))
    assert load_protocol().sla.target_pct == 99.5
    assert protocol_module.resolve_protocol_path() == file
    monkeypatch.delenv(PROTOCOL_ENV_VAR)
    assert (
        protocol_module.resolve_protocol_path() == DEFAULT_PROTOCOL_PATH == REPO / "include" / "protocol.yaml"
    )


# ---------------------------------------------------------------------------------------------------------
# Names that refer to nothing, numbers that contradict each other (issue 15)
# ---------------------------------------------------------------------------------------------------------
def _rename(config: dict[str, Any], dotted: str, new_key: str) -> dict[str, Any]:
    parent, last = _parent(config, dotted)
    parent[new_key] = parent.pop(last)
    return config


@pytest.mark.unit
@pytest.mark.parametrize(
    ("mutate", "key", "expected"),
    [
        pytest.param(
            lambda c: _rename(c, "check_runbooks.check_database_pool", "check_databse_pool"),
            "check_runbooks.check_databse_pool",
            "protocol.yaml: check_runbooks.check_databse_pool: unknown check (did you mean check_database_pool?)",
            id="misspelt-check-under-check_runbooks",
        ),
        pytest.param(
            lambda c: _rename(
                c,
                "go_no_go.remediations.exclude_sender_number.triggers.check_number_shards",
                "check_number_shard",
            ),
            "go_no_go.remediations.exclude_sender_number.triggers.check_number_shard",
            "go_no_go.remediations.exclude_sender_number.triggers.check_number_shard: unknown check (did you "
            "mean check_number_shards?)",
            id="misspelt-check-in-go-no-go-trigger",
        ),
        pytest.param(
            lambda c: _rename(c, "check_runbooks.check_sender_quality", "check_everything"),
            "check_runbooks.check_everything",
            "check_runbooks.check_everything: unknown check (valid: check_database_pool, check_redis_cache,",
            id="unknown-check-lists-the-valid-ones",
        ),
        pytest.param(
            lambda c: _set(c, "severity_1.triggers[0].rule", "whatsapp_api_unavailble"),
            "severity_1.triggers[0].rule",
            "got 'whatsapp_api_unavailble' (did you mean whatsapp_api_unavailable?)",
            id="misspelt-alert-rule",
        ),
        pytest.param(
            lambda c: _set(c, "check_runbooks.check_sender_quality", "whatsapp_quality_recovry"),
            "check_runbooks.check_sender_quality",
            "got 'whatsapp_quality_recovry' (did you mean whatsapp_quality_recovery?)",
            id="misspelt-runbook",
        ),
        pytest.param(
            lambda c: _set(c, "business_escalation.compliance_sebi_violation.steps[1].targets[0]", "ceoo"),
            "business_escalation.compliance_sebi_violation.steps[1].targets[0]",
            "got 'ceoo' (did you mean ceo?)",
            id="misspelt-role",
        ),
        pytest.param(
            lambda c: _set(
                c, "incident_automation.significant_business_impact[1]", "delivery_sla_miss_below90"
            ),
            "incident_automation.significant_business_impact[1]",
            "incident_automation.significant_business_impact[1]: unknown business_escalation row (did you mean "
            "delivery_sla_miss_below_90?)",
            id="misspelt-business-row",
        ),
        pytest.param(
            lambda c: _set(c, "incident_automation.critical_task_groups[0]", "pre_delivry"),
            "incident_automation.critical_task_groups[0]",
            "incident_automation.critical_task_groups[0]: unknown task group (did you mean pre_delivery?)",
            id="misspelt-task-group",
        ),
        pytest.param(
            lambda c: _set(c, "monitor.tick_seconds", 100000),
            "monitor.tick_seconds",
            "monitor.tick_seconds: 100000 s must be shorter than the window times.delivery_start-delivery_end "
            "(300 s)",
            id="tick-longer-than-the-window",
        ),
        pytest.param(
            lambda c: _set(c, "monitor.tick_seconds", 300),
            "monitor.tick_seconds",
            "monitor.tick_seconds: 300 s must be shorter than the window",
            id="tick-as-long-as-the-window",
        ),
        pytest.param(
            lambda c: _set(c, "monitor.grace_seconds", 10**9),
            "monitor.grace_seconds",
            "monitor.grace_seconds: 1000000000 s must be shorter than the time from times.delivery_end to the "
            "next checkpoint times.analytics_checkpoint (600 s)",
            id="grace-past-the-next-checkpoint",
        ),
        pytest.param(
            lambda c: _set(c, "severity_1.success_rate_floor_pct", 99.5),
            "severity_1.success_rate_floor_pct",
            "severity_1.success_rate_floor_pct: 99.5 must be below sla.target_pct (99.0)",
            id="severity-1-floor-above-the-sla",
        ),
        pytest.param(
            lambda c: _set(c, "sla.target_pct", 95.0),
            "severity_1.success_rate_floor_pct",
            "severity_1.success_rate_floor_pct: 95.0 must be below sla.target_pct (95.0)",
            id="sla-lowered-to-the-severity-1-floor",
        ),
        pytest.param(
            lambda c: _set(c, "start_date", "2026-02-30"),
            "start_date",
            "protocol.yaml: start_date: Input should be a valid date",
            id="impossible-start-date",
        ),
    ],
)
def test_a_name_that_refers_to_nothing_or_contradicting_numbers_name_the_key(
    tmp_path: Path, raw: dict[str, Any], mutate: Any, key: str, expected: str
) -> None:
    error = _load_variant(tmp_path, mutate(raw))
    assert expected in str(error), str(error)
    assert error.keys == (key,)


@pytest.mark.unit
def test_the_numbers_just_inside_their_bounds_load(tmp_path: Path, raw: dict[str, Any]) -> None:
    """The bounds are strict but not off by one: each rule above fails only past its limit."""
    _set(raw, "monitor.tick_seconds", 299)
    _set(raw, "monitor.grace_seconds", 599)
    _set(raw, "severity_1.success_rate_floor_pct", 98.9)
    file = tmp_path / "protocol.yaml"
    file.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    loaded = load_protocol(file)
    assert (loaded.monitor.tick_seconds, loaded.monitor.grace_seconds) == (299, 599)


@pytest.mark.unit
@pytest.mark.parametrize("written", ["1e9", "1.0e+9"])
def test_an_absurd_grace_written_as_a_float_is_refused(tmp_path: Path, written: str) -> None:
    # YAML 1.1 reads 1e9 as a string and 1.0e+9 as a float; neither is a whole number of seconds
    text = DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8")
    assert text.count("grace_seconds: 120 ") == 1
    file = tmp_path / "protocol.yaml"
    file.write_text(text.replace("grace_seconds: 120 ", f"grace_seconds: {written} "), encoding="utf-8")
    with pytest.raises(
        ProtocolError, match=r"protocol\.yaml: monitor\.grace_seconds: Input should be a valid int"
    ):
        load_protocol(file)


@pytest.mark.unit
def test_the_names_the_loader_checks_against_are_the_package_s() -> None:
    from delivery_window.checks.probes import CHECKS
    from delivery_window.run_params import PHASES

    assert protocol_module.CHECK_NAMES == tuple(CHECKS)
    assert protocol_module.TASK_GROUPS == PHASES

"""Probes of the 05:30 AI-service and monitoring-system checks (hooks imported inside each probe)."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.connections import COMPLIANCE, DATADOG, DELIVERY_DB, GRAFANA, OPENAI, WHATSAPP
from delivery_window.protocol import Protocol

# Reference texts the compliance engine must judge right: one compliant message, one with an assured-return claim.
COMPLIANT_TEXT = (
    "Good morning! Today's market brief from ProjectOne (SEBI RIA INA000012345). Investment in securities market "
    "are subject to market risks. Read all the related documents carefully before investing."
)
VIOLATING_TEXT = COMPLIANT_TEXT + " Guaranteed 12% returns, risk-free."


# --- ai_service_readiness -----------------------------------------------------------------------------------
def probe_openai(day: date, p: Protocol) -> dict[str, Any]:
    """``GET /v1/models`` with the pipeline's key."""
    from delivery_window.hooks.openai import OpenAIHook

    hook = OpenAIHook(OPENAI, timeout_seconds=p.checks.http_timeout_seconds)
    models = hook.models()
    return {"models": models, "latency_ms": hook.last_latency_ms}


def probe_compliance(day: date, p: Protocol) -> dict[str, Any]:
    """``GET /health``, then ``checks.compliance_probes`` content checks sent at once (one thread each, the
    connection resolved once), each timed; the last probe is the violating reference text."""
    from concurrent.futures import ThreadPoolExecutor

    from delivery_window.hooks.compliance import ComplianceEngineHook

    first = ComplianceEngineHook(COMPLIANCE, timeout_seconds=p.checks.http_timeout_seconds)
    health = first.health()
    n = p.checks.compliance_probes

    hooks = [first.sibling() for _ in range(n)]  # connections resolved here, in the task's thread

    def probe(i: int) -> dict[str, Any]:
        hook = hooks[i]
        violating = i == n - 1 and n > 1
        verdict = hook.check(
            f"probe-{day.isoformat()}-{i + 1}", VIOLATING_TEXT if violating else COMPLIANT_TEXT
        )
        return verdict | {"expected_compliant": not violating}

    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="compliance-probe") as pool:
        probes = list(pool.map(probe, range(n)))  # the first failure is raised here, as a ServiceError
    return {"health_status": health.get("status"), "version": health.get("version"), "probes": probes}


def probe_fallback_content(day: date, p: Protocol) -> dict[str, Any]:
    """Today's fallback content per segment (DB) and the WABA's templates (are the fallbacks APPROVED)."""
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    with store.report_db(DELIVERY_DB) as conn:
        rows = store.execute(conn, "select_fallback_content", {"delivery_date": day})
    templates = WhatsAppCloudHook(WHATSAPP, timeout_seconds=p.checks.http_timeout_seconds).templates()
    return {
        "rows": [{k: r[k] for k in ("segment", "template_name", "ready")} for r in rows],
        "templates": [
            {k: t.get(k) for k in ("name", "language", "status", "quality_score")} for t in templates
        ],
    }


# --- monitoring_systems -------------------------------------------------------------------------------------
def probe_datadog(day: date, p: Protocol) -> dict[str, Any]:
    """API-key validation, then the monitors tagged for the window."""
    from delivery_window.hooks.datadog import DatadogHook

    hook = DatadogHook(DATADOG, timeout_seconds=p.checks.http_timeout_seconds)
    valid = hook.validate()
    monitors = hook.monitors(p.checks.datadog_monitor_tag) if valid else []
    keep = ("id", "name", "tags", "overall_state", "options", "query")
    out = {"api_key_valid": valid, "monitors": [{k: m.get(k) for k in keep} for m in monitors]}
    return out | {"provisioned": provisioned("datadog_monitor")}


def provisioned(system: str) -> list[dict[str, Any]]:
    """What ``delivery-window provision`` last deployed to ``system`` (``delivery_ops.provisioned_objects``)."""
    with store.report_db(DELIVERY_DB) as conn:
        rows = store.execute(conn, "select_provisioned_objects", {"system": system})
    keep = ("object_key", "remote_id", "version", "spec")
    return [{k: r[k] for k in keep} for r in rows]


def probe_grafana(day: date, p: Protocol) -> dict[str, Any]:
    """Server health, then the delivery dashboard by uid."""
    from delivery_window.hooks.grafana import GrafanaHook

    hook = GrafanaHook(GRAFANA, timeout_seconds=p.checks.http_timeout_seconds)
    health = hook.health()
    dashboard = (hook.dashboard() or {}).get("dashboard") or {}
    keep = ("uid", "title", "refresh", "panels", "version")
    mine = [r for r in provisioned("grafana_dashboard") if r["object_key"] == dashboard.get("uid")]
    return {
        **health,
        "dashboard": {k: dashboard.get(k) for k in keep},
        "provisioned": mine[0] if mine else None,
    }


def probe_pagerduty_policy(day: date, p: Protocol) -> dict[str, Any]:
    """The protocol's escalation policy and service in PagerDuty (REST API, exact names)."""
    from delivery_window.hooks.pagerduty_rest import PagerDutyRestHook

    pd = p.communication_channels.pagerduty_escalation
    hook = PagerDutyRestHook(timeout_seconds=p.checks.http_timeout_seconds)
    policy = next(
        (x for x in hook.escalation_policies(pd.escalation_policy) if x.get("name") == pd.escalation_policy),
        None,
    )
    service = next((x for x in hook.services(pd.service) if x.get("name") == pd.service), None)
    return {"policy": policy, "service": service}


def probe_slack(day: date, p: Protocol) -> dict[str, Any]:
    """The Slack Web API with the app's token (nothing is posted): ``auth.test``, then each critical channel's id
    (``conversations.list``) and state (``conversations.info``: archived, the app a member)."""
    from delivery_window.hooks.slack import SlackWebApiHook

    hook = SlackWebApiHook(timeout_seconds=p.checks.http_timeout_seconds)
    names = p.communication_channels.slack_channels
    auth = hook.call("auth.test")
    out: dict[str, Any] = {
        "auth": {k: auth.get(k) for k in ("ok", "error", "team", "user", "user_id", "bot_id")}
    }
    if not auth.get("ok"):
        return out | {"channels": []}
    ids = hook.channel_ids()
    channels = []
    for purpose in p.checks.slack_critical_channels:
        channel = getattr(names, purpose)
        seen: dict[str, Any] = {"channel": channel, "purpose": purpose, "id": ids.get(channel.lstrip("#"))}
        if seen["id"] is None:
            seen["error"] = "channel_not_found"
        else:
            info = hook.call("conversations.info", channel=seen["id"])
            if info.get("ok"):
                c = info.get("channel") or {}
                seen |= {"is_archived": c.get("is_archived"), "is_member": c.get("is_member")}
            else:
                seen["error"] = info.get("error")
        channels.append(seen)
    return out | {"channels": channels}

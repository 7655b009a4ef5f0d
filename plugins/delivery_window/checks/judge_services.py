"""Pure judgements of the 05:30 AI-service and monitoring-system checks (observed values in, verdict out)."""

from __future__ import annotations

from typing import Any

from delivery_window.checks.judge import p95, result, verdict
from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


# --- ai_service_readiness -----------------------------------------------------------------------------------
def openai_health(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """OpenAI health check passing: ``GET /v1/models`` answers and lists every model the pipeline calls."""
    name, models = "check_openai_health", obs["models"]
    missing = [m for m in p.checks.openai_required_models if m not in models]
    out = {**obs, "models": len(models), "missing": missing}
    if missing:
        return result(name, phase, Status.FAIL, f"required models not available: {', '.join(missing)}", out)
    return result(
        name,
        phase,
        Status.PASS,
        f"{len(models)} models listed in {obs.get('latency_ms')} ms, including {', '.join(p.checks.openai_required_models)}",
        out,
    )


def compliance_engine(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Compliance engine response time < 1.5 s: p95 over the probes strictly under ``compliance_p95_max_ms``,
    its health endpoint ``ok``, and it judged the reference texts right (compliant passes, violating is flagged)."""
    name, probes = "check_compliance_engine", obs["probes"]
    limit = p.checks.compliance_p95_max_ms
    latency = p95([pr["latency_ms"] for pr in probes])
    wrong = [pr["content_id"] for pr in probes if pr["compliant"] != pr["expected_compliant"]]
    out = {**obs, "p95_ms": latency, "limit_ms": limit, "misjudged": wrong}
    if obs.get("health_status") != "ok":
        return result(name, phase, Status.FAIL, f"health endpoint reports {obs.get('health_status')!r}", out)
    if latency is None:
        return result(name, phase, Status.FAIL, "no probe answered", out)
    if latency >= limit:
        return result(
            name,
            phase,
            Status.FAIL,
            f"p95 response time {latency} ms over {len(probes)} probes is not < {limit} ms",
            out,
        )
    if wrong:
        return result(name, phase, Status.FAIL, f"misjudged reference texts: {', '.join(wrong)}", out)
    return result(name, phase, Status.PASS, f"p95 {latency} ms over {len(probes)} probes (< {limit} ms)", out)


def fallback_content(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Fallback content prepared: every segment has a ready fallback whose template is APPROVED (all languages)."""
    from delivery_window.checks.judge import template_problems

    name, rows = "check_fallback_content", {r["segment"]: r for r in obs["rows"]}
    problems = []
    for segment in range(1, p.checks.advisor_segments + 1):
        row = rows.get(segment)
        if row is None:
            problems.append(f"segment {segment}: no fallback prepared")
        elif not row["ready"]:
            problems.append(f"segment {segment}: fallback {row['template_name']} not ready")
        else:
            bad, _, _ = template_problems([row["template_name"]], obs["templates"], p)
            problems += [f"segment {segment}: {b}" for b in bad]
    out = {"segments": sorted(rows), "problems": problems}
    return verdict(
        name,
        phase,
        problems,
        f"fallback ready and APPROVED for all {p.checks.advisor_segments} segments",
        out,
    )


# --- monitoring_systems -------------------------------------------------------------------------------------
def _monitor_rule(m: dict[str, Any]) -> str | None:
    for tag in m.get("tags") or []:
        if tag.startswith("rule:"):
            return tag.removeprefix("rule:")
    return None


def datadog_monitors(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Datadog alerts configured and active: the key is valid, every required monitor exists and none is muted;
    a monitor already alerting before the window is a warning."""
    name = "check_datadog_monitors"
    by_rule = {_monitor_rule(m): m for m in obs["monitors"]}
    missing = [r for r in p.checks.datadog_required_monitors if r not in by_rule]
    muted = [
        r
        for r in p.checks.datadog_required_monitors
        if r in by_rule and by_rule[r].get("options", {}).get("silenced")
    ]
    alerting = [
        r
        for r in p.checks.datadog_required_monitors
        if r in by_rule and by_rule[r].get("overall_state") in ("Alert", "No Data")
    ]
    states = {r: by_rule[r].get("overall_state") for r in p.checks.datadog_required_monitors if r in by_rule}
    out = {"api_key_valid": obs["api_key_valid"], "states": states, "missing": missing, "muted": muted}
    if not obs["api_key_valid"]:
        return result(name, phase, Status.FAIL, "Datadog API key is not valid", out)
    if missing or muted:
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
            [f"muted: {', '.join(muted)}"] if muted else []
        )
        return result(name, phase, Status.FAIL, "monitors " + "; ".join(parts), out)
    problems, provisioned = provisioned_monitor_problems(obs, p)
    out["provisioned_problems"] = problems
    if problems:
        return result(name, phase, Status.FAIL, "; ".join(problems), out)
    if alerting:
        return result(
            name, phase, Status.WARN, f"already alerting before the window: {', '.join(alerting)}", out
        )
    also = f", {provisioned} provisioned as protocol.yaml says" if provisioned else ""
    return result(name, phase, Status.PASS, f"{len(states)} monitors configured and active{also}", out)


def provisioned_monitor_problems(obs: dict[str, Any], p: Protocol) -> tuple[list[str], int]:
    """What ``delivery-window provision`` deployed, checked in Datadog: each monitor still there (by id), not
    muted, and its threshold and query the ones protocol.yaml gives now. (problems, monitors provisioned)"""
    from delivery_window.provision.monitors import desired_monitor

    rows = obs.get("provisioned") or []  # an observation made before provisioning existed has none
    by_id = {str(m.get("id")): m for m in obs["monitors"]}
    missing, muted, wrong = [], [], []
    for row in rows:
        live = by_id.get(str(row["remote_id"]))
        name = row["spec"].get("name") or row["object_key"]
        if live is None or live.get("name") != name:
            missing.append(name)
            continue
        if (live.get("options") or {}).get("silenced"):
            muted.append(name)
        try:
            want = desired_monitor(row["object_key"], p)
        except (KeyError, ValueError):  # a rule provisioning no longer keeps: nothing to compare with
            continue
        have = (live.get("options") or {}).get("thresholds", {}).get("critical")
        want_limit = want["options"]["thresholds"]["critical"]
        if have is None or float(have) != float(want_limit):
            wrong.append(f"{name} threshold {have} in Datadog, protocol.yaml {want_limit:g}")
        elif live.get("query") not in (None, want["query"]):
            wrong.append(f"{name} query {live.get('query')!r} is not {want['query']!r}")
    problems = ([f"provisioned monitors missing: {', '.join(missing)}"] if missing else []) + (
        [f"provisioned monitors muted: {', '.join(muted)}"] if muted else []
    )
    if wrong:
        problems.append("run delivery-window provision: " + "; ".join(wrong))
    return problems, len(rows)


def grafana_dashboard(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Grafana delivery dashboard accessible: server database ok, the dashboard loads with panels, and it
    refreshes every ``monitor.dashboard_refresh_seconds`` (warning otherwise)."""
    name = "check_grafana_dashboard"
    dash = obs.get("dashboard") or {}
    want = f"{p.monitor.dashboard_refresh_seconds}s"
    out = {
        "database": obs.get("database"),
        "version": obs.get("version"),
        "title": dash.get("title"),
        "panels": len(dash.get("panels") or []),
        "refresh": dash.get("refresh"),
    }
    if obs.get("database") != "ok":
        return result(name, phase, Status.FAIL, f"Grafana database is {obs.get('database')!r}", out)
    if not out["panels"]:
        return result(name, phase, Status.FAIL, f"dashboard {dash.get('uid')!r} has no panels", out)
    if dash.get("refresh") != want:
        return result(
            name,
            phase,
            Status.WARN,
            f"dashboard refreshes every {dash.get('refresh')!r}, the protocol says {want}",
            out,
        )
    deployed = obs.get(
        "provisioned"
    )  # what delivery-window provision saved (None: never, or an old observation)
    if deployed:
        out |= {"dashboard_version": dash.get("version"), "provisioned_version": deployed.get("version")}
        if dash.get("version") != deployed.get("version"):
            edited = (dash.get("version") or 0) > (deployed.get("version") or 0)
            how = "edited in Grafana since" if edited else "older than what was provisioned"
            return result(
                name,
                phase,
                Status.WARN if edited else Status.FAIL,
                f"dashboard {dash.get('uid')!r} is at version {dash.get('version')}, provisioned version "
                f"{deployed.get('version')} ({how})",
                out,
            )
    also = f", provisioned version {deployed.get('version')}" if deployed else ""
    return result(
        name, phase, Status.PASS, f"{dash.get('title')!r}: {out['panels']} panels, refresh {want}{also}", out
    )


def pagerduty_escalation(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """PagerDuty escalation chain verified: the protocol's policy and service exist, the service is active and
    uses that policy, and the policy has a rule with targets for every escalation level, each engaging at the
    protocol's ``engage_after_minutes``."""
    name = "check_pagerduty_escalation"
    pd = p.communication_channels.pagerduty_escalation
    policy, service = obs.get("policy"), obs.get("service")
    levels = list(p.escalation_levels.values())
    out: dict[str, Any] = {"policy": pd.escalation_policy, "service": pd.service}
    if policy is None:
        return result(name, phase, Status.FAIL, f"escalation policy {pd.escalation_policy!r} not found", out)
    if service is None:
        return result(name, phase, Status.FAIL, f"service {pd.service!r} not found", out)
    rules = policy.get("escalation_rules") or []
    engage, at = [], 0
    for rule in rules:
        engage.append(at)
        at += int(rule.get("escalation_delay_in_minutes") or 0)
    out |= {"service_status": service.get("status"), "rules": len(rules), "engage_minutes": engage}
    problems = []
    if service.get("status") != "active":
        problems.append(f"service {pd.service} is {service.get('status')}")
    if (service.get("escalation_policy") or {}).get("id") != policy.get("id"):
        problems.append(f"service {pd.service} does not use policy {pd.escalation_policy}")
    if len(rules) < len(levels):
        problems.append(f"{len(rules)} escalation rules for {len(levels)} protocol levels")
    problems += [f"rule {i} has no target" for i, r in enumerate(rules, start=1) if not r.get("targets")]
    problems += [
        f"level {lv.level} ({lv.role}) engages after {got} min, protocol {lv.engage_after_minutes} min"
        for lv, got in zip(levels, engage, strict=False)
        if got != lv.engage_after_minutes
    ]
    out["problems"] = problems
    return verdict(
        name,
        phase,
        problems,
        f"{pd.service} -> {pd.escalation_policy}: {len(rules)} levels at {engage} min",
        out,
    )


# Slack Web API error strings (api.slack.com/methods/auth.test, conversations.info) -> what they mean here
_SLACK_ERRORS = {
    "token_revoked": "the app's bot token was revoked",
    "invalid_auth": "the app's bot token is not valid",
    "not_authed": "no bot token in connection slack_api",
    "account_inactive": "the app's bot user was deactivated",
    "missing_scope": "the bot token lacks the channels:read/groups:read scope",
    "channel_not_found": "no such channel the app can see",
}


def slack_channels(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Slack critical channels monitored: the app's token is valid (``auth.test``) and each channel the window
    posts to exists, is not archived and has the app as a member (``conversations.info``; nothing is posted)."""
    name = "check_slack_channels"
    auth = obs.get("auth") or {}
    if not auth.get("ok"):
        error = auth.get("error")
        return result(
            name,
            phase,
            Status.FAIL,
            f"Slack auth.test: {error} ({_SLACK_ERRORS.get(error, 'Slack refused the token')})",
            obs,
        )
    bad = []
    for c in obs["channels"]:
        if c.get("error"):
            bad.append(
                f"{c['channel']}: {c['error']} ({_SLACK_ERRORS.get(c['error'], 'conversations.info failed')})"
            )
        elif c.get("is_archived"):
            bad.append(f"{c['channel']} ({c['id']}) is archived")
        elif not c.get("is_member"):
            bad.append(f"{c['channel']} ({c['id']}): the app ({auth.get('user')}) is not a member")
    if bad:
        return result(name, phase, Status.FAIL, "; ".join(bad), obs)
    listed = ", ".join(f"{c['channel']} ({c['id']})" for c in obs["channels"])
    return result(name, phase, Status.PASS, f"open, the app a member: {listed}", obs)

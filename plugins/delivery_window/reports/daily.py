"""The 06:30 daily delivery report: one summary dict and the same facts as a table a person reads in a minute."""

from __future__ import annotations

from collections import Counter
from typing import Any

from delivery_window.source_contract import SUITE as SOURCE_CONTRACT_SUITE
from delivery_window.window import tz


def build_summary(
    window_run: dict[str, Any] | None,
    alerts: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    decision: dict[str, Any] | None,
    advisor_issues: int,
) -> dict[str, Any]:
    """The report's facts, from the recorded rows only."""
    w = window_run or {}
    return {
        "sla_pct": float(w.get("sla_pct", 0.0)),
        "sla_target_pct": float(w.get("sla_target_pct", 0.0)),
        "sla_met": bool(w.get("sla_met", False)),
        "advisors_targeted": w.get("advisors_targeted", 0),
        "advisors_delivered": w.get("advisors_delivered", 0),
        "attempts": w.get("attempts", 0),
        "failed_attempts": w.get("failed_attempts", 0),
        "error_rate_pct": float(w.get("error_rate_pct", 0.0)),
        "p95_latency_ms": w.get("p95_latency_ms"),
        "peak_rate_per_min": w.get("peak_rate_per_min", 0),
        "segments": f"{w.get('segments_processed', 0)}/{w.get('segments_expected', 0)}",
        "checks": dict(sorted(Counter(c["status"] for c in checks).items())),
        "failed_checks": [
            f"{c['check_name']}: {c['message']}" for c in checks if c["status"] in ("fail", "error")
        ],
        "alerts": [
            {
                "rule": a["rule"],
                "severity": a["severity"],
                "scope": a["scope"],
                "first_fired_at": a["first_fired_at"].astimezone(tz()).strftime("%H:%M:%S IST"),
                "sent_as": sent_as(a),
            }
            for a in alerts
        ],
        "runbook": (decision or {}).get("choice", "not decided"),
        "runbook_reasons": list((decision or {}).get("reasons", [])),
        "advisor_issues": advisor_issues,
    }


def sent_as(a: dict[str, Any]) -> str:
    """How an alert went out (``alerts.routing``): paged, grouped, posted, "inhibited by <rule:scope>",
    "silenced by silence <id>"; "not planned" before the engine planned it."""
    routing = a.get("routing") or "not planned"
    if routing == "inhibited":
        return f"inhibited by {a.get('inhibited_by')}"
    if routing == "silenced":
        return f"silenced by silence {a.get('silenced_by')}"
    return routing


def render(day: str, s: dict[str, Any]) -> str:
    """The summary as a fixed-width table."""
    verdict = "MET" if s["sla_met"] else "MISSED"
    rows = [
        ("SLA", f"{s['sla_pct']:.2f}% (target {s['sla_target_pct']:.0f}%) {verdict}"),
        ("advisors delivered", f"{s['advisors_delivered']} / {s['advisors_targeted']}"),
        (
            "attempts / failed",
            f"{s['attempts']} / {s['failed_attempts']} ({s['error_rate_pct']:.2f}% errors)",
        ),
        ("WhatsApp API p95", f"{s['p95_latency_ms']} ms"),
        ("peak rate", f"{s['peak_rate_per_min']} msg/min"),
        ("segments processed", s["segments"]),
        ("checks", ", ".join(f"{k} {v}" for k, v in s["checks"].items()) or "none recorded"),
        ("alerts", str(len(s["alerts"]))),
        ("runbook", s["runbook"]),
        ("advisors with issues", str(s["advisor_issues"])),
    ]
    if "phases_note" in s:  # summaries written before the phases param have none
        rows.append(("phases run", s["phases_note"]))
    width = max(len(k) for k, _ in rows)
    lines = [f"Delivery window report {day}", "=" * (width + 50)]
    lines.append(f"{rows[0][0].ljust(width)}  {rows[0][1]}")
    if s.get("rows_left_out_line"):  # what the SLA was not measured from, right beside it
        lines.append(f"{'  rows left out'.ljust(width)}  {s['rows_left_out_line']}")
    # the truth first (issue 13): failed checks and what was done, runbooks and their measured criteria
    for c in s.get("failed_check_actions", []):
        lines.append(f"{'  failed check'.ljust(width)}  {c}")
    for r in s.get("runbook_lines", []):
        lines.append(f"{'  runbook'.ljust(width)}  {r}")
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows[1:]]
    for a in s["alerts"]:
        lines.append(
            f"{'  alert'.ljust(width)}  {a['rule']} [{a['severity']}] {a['scope']} at {a['first_fired_at']}"
            + (f" · {a['sent_as']}" if a.get("sent_as") else "")
        )
    if s.get("baseline_line"):  # issue 14: a new install's latency baseline is protocol.yaml's
        lines.append(f"{'  baseline'.ljust(width)}  {s['baseline_line']}")
    for c in s["failed_checks"]:
        lines.append(f"{'  check'.ljust(width)}  {c}")
    for a in s.get("account_lines", []):  # issue 14: what WhatsApp said of the account
        lines.append(f"{'  account'.ljust(width)}  {a}")
    for r in s["runbook_reasons"]:
        lines.append(f"{'  why'.ljust(width)}  {r}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# The Markdown document and the Slack summary
# ---------------------------------------------------------------------------------------------------------
STATUS_MARK = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "error": "❗ error"}
TREND_METRICS = (
    ("SLA %", "sla_pct", 3),
    ("error rate %", "error_rate_pct", 3),
    ("p95 latency ms", "p95_latency_ms", 1),
    ("peak rate /min", "peak_rate_per_min", 1),
)


def chart_filename(day: str) -> str:
    """The PNG's file name next to the Markdown document (the bytes live in ``daily_reports.chart_png``)."""
    return f"delivery-window-{day}.png"


def trend_rows(trend: dict[str, Any] | None, windows: tuple[int, ...]) -> list[dict[str, Any]]:
    """Today against each trend window's average (``performance_trends`` columns)."""
    if not trend:
        return []
    rows = []
    for label, col, digits in TREND_METRICS:
        row: dict[str, Any] = {"metric": label, "today": _num(trend.get(col), digits)}
        for n in windows:
            row[f"{n}d_avg"] = _num(trend.get(f"{col}_{n}d_avg"), digits)
        rows.append(row)
    return rows


def _num(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def headline(day: str, s: dict[str, Any]) -> str:
    """One line: the verdict first, then the numbers behind it."""
    verdict = "MET" if s["sla_met"] else "MISSED"
    return (
        f"SLA {s['sla_pct']:.3f}% {verdict} (target {s['sla_target_pct']:g}%) · "
        f"{s['advisors_delivered']}/{s['advisors_targeted']} advisors · {s['attempts']} attempts, "
        f"{s['failed_attempts']} failed ({s['error_rate_pct']:.2f}%) · p95 {s['p95_latency_ms']} ms · "
        f"peak {s['peak_rate_per_min']}/min" + _left_out(s)
    )


def _left_out(s: dict[str, Any]) -> str:
    """The count of source rows the checkpoint left out, to stand beside the SLA ("" when none were)."""
    n = s.get("rows_left_out") or 0
    return f" · {n} source rows left out (source_contract)" if n else ""


def render_markdown(day: str, s: dict[str, Any], chart_error: str | None, windows: tuple[int, ...]) -> str:
    """The daily report as a Markdown document: chart first, then verdict, findings and the detail."""
    from delivery_window.reports.findings import PRIORITY_LABELS

    out = [f"# Delivery window report — {day}", ""]
    if chart_error:
        out += [f"> **No chart:** {chart_error}", ""]
    else:
        out += [f"![attempts, failures and p95 latency per minute, alerts marked]({chart_filename(day)})", ""]
    out += [f"**{headline(day, s)}**", ""]
    if s.get("rows_left_out_line"):
        out += [f"> **Not in the SLA:** {s['rows_left_out_line']}", ""]
    if "phases_note" in s:
        out += [f"Phases run: {s['phases_note']}", ""]
    out += [
        f"Runbook: **{s['runbook']}**"
        + (f" — {'; '.join(s['runbook_reasons'])}" if s["runbook_reasons"] else ""),
        "",
    ]

    out += ["## Findings, by remediation priority", ""]
    findings = s.get("findings", {})
    if not any(findings.values()):
        out += ["Nothing to hand over: every checkpoint passed.", ""]
    for bucket in PRIORITY_LABELS:  # fix now, monitor and schedule, day team (jsonb does not keep key order)
        if items := findings.get(bucket):
            out += [f"### {PRIORITY_LABELS[bucket]} ({bucket})", ""]
            out += [f"- **{f['item']}** — {f['summary']}" for f in items]
            out.append("")

    out += ["## Checkpoints", "", "| time | item | status | detail |", "|---|---|---|---|"]
    for c in s.get("checkpoints", []):
        out.append(
            f"| {c['at']} | {c['item']} | {STATUS_MARK.get(c['status'], c['status'])} | {_cell(c['message'])} |"
        )
    out.append("")

    rows = s.get("trend_rows", [])
    out += ["## Trends", ""]
    if rows:
        out += ["| metric | today | " + " | ".join(f"{n}-day avg" for n in windows) + " |"]
        out += ["|---|---:|" + "---:|" * len(windows)]
        for r in rows:
            out.append(
                f"| {r['metric']} | {_fmt(r['today'])} | "
                + " | ".join(_fmt(r[f"{n}d_avg"]) for n in windows)
                + " |"
            )
        t = s.get("trend") or {}
        missed = ", ".join(
            f"{t.get(f'sla_missed_days_{n}d', 0)}/{t.get(f'days_{n}d', 0)} in {n} days" for n in windows
        )
        out += ["", f"Days below the SLA: {missed}."]
    else:
        out.append("No trend: the SLA checkpoint row is missing.")
    out.append("")

    out += [
        "## Data quality (Great Expectations)",
        "",
        "| suite | result | failed expectations |",
        "|---|---|---|",
    ]
    for d in s.get("dq", []):
        result = "✅ passed" if d["success"] else "❌ failed"
        counted = "rows read" if d["suite"] == SOURCE_CONTRACT_SUITE else "expectations"
        out.append(
            f"| {d['suite']} | {result} ({d['evaluated']} {counted}) | {', '.join(d['failed_expectations']) or '—'} |"
        )
    out.append("")

    out += ["## Alerts", ""]
    if s["alerts"]:
        out += ["| first fired | rule | severity | scope | sent as |", "|---|---|---|---|---|"]
        out += [
            f"| {a['first_fired_at']} | {a['rule']} | {a['severity']} | {a['scope']} | {a.get('sent_as', '')} |"
            for a in s["alerts"]
        ]
    else:
        out.append("No alert fired.")
    if s.get("baseline_line"):
        out += ["", f"> **Latency baseline:** {s['baseline_line']}."]
    out.append("")

    if s.get("account_lines"):  # issue 14 (reports written before it have none)
        out += ["## WhatsApp account", ""]
        out += [f"- {_cell(line)}" for line in s["account_lines"]]
        out.append("")

    ai = s.get("advisor_issue_summary") or {}
    out += ["## Advisor issues", ""]
    if ai.get("count"):
        out.append(f"{ai['count']} advisors without today's content, {ai['retryable']} retryable.")
        out += ["", "| error class | advisors |", "|---|---:|"]
        out += [f"| {k} | {v} |" for k, v in ai["by_class"].items()]
    else:
        out.append("Every active advisor got today's content.")
    out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def slack_payload(
    day: str, s: dict[str, Any], report_text: str, minute_attempts: list[int], minute_failed: list[int]
) -> dict:
    """One #delivery-ops post: the per-minute shape first, then the verdict, the urgent findings, the table.

    Incoming webhooks cannot upload the PNG, so the chart travels as text sparklines; the PNG and the
    Markdown document are in ``delivery_ops.daily_reports``.
    """
    from delivery_window.reports.chart import sparkline

    verdict = "met" if s["sla_met"] else "MISSED"
    text = (
        f"Delivery {day}: SLA {s['sla_pct']:.2f}% ({verdict}), {len(s['alerts'])} alerts, runbook {s['runbook']}"
        + _left_out(s).replace(" ·", ",")
    )
    counts = {b: len(v) for b, v in (s.get("findings") or {}).items()}
    shape = (
        f"attempts/min `{sparkline(minute_attempts)}` {minute_attempts}\n"
        f"failed/min   `{sparkline(minute_failed)}` {minute_failed}"
    )
    fix_now = [f"• {f['summary']}" for f in (s.get("findings") or {}).get("immediate_fix_required", [])][:5]
    findings_text = (
        f"findings: {counts.get('immediate_fix_required', 0)} fix now, {counts.get('monitor_and_schedule', 0)} "
        f"monitor, {counts.get('escalate_to_day_team', 0)} day team"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Delivery window {day}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": shape}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline(day, s)}*\n{findings_text}"}},
    ]
    if fix_now:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Fix now*\n" + "\n".join(fix_now)}}
        )
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{report_text[:2800]}```"}})
    return {"text": text, "blocks": blocks}

"""HTML of the Delivery window view: Jinja2 templates (autoescaped) over a :class:`DayView`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from delivery_window.ui.day_chart import chart_svg
from delivery_window.ui.day_view import DayView, alert_state, escalation_counts, incident_runbook

TEMPLATES = Path(__file__).parent / "templates"


# Airflow 3.3's UI takes its timezone from the browser and keeps the user's choice in localStorage["timezone"]
# (JSON); there is no server setting. Our pages (same origin) make Asia/Kolkata the default once, when the user
# has chosen none; User -> Timezone in the UI still changes it.
def timezone_default(zone) -> str:
    """The script making ``zone`` (protocol.yaml's timezone) the Airflow UI's timezone unless one is chosen."""
    name = json.dumps(str(zone))
    return (
        'try { if (!window.localStorage.getItem("timezone")) '
        f'window.localStorage.setItem("timezone", JSON.stringify({name})); }} catch (e) {{}}'
    )


_DETAIL_SKIP = {"at", "step"}


def _ist(value: Any, label_tz) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return f"{value.astimezone(label_tz):%H:%M:%S}"
    return str(value)


def _details(event: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in event.items() if k not in _DETAIL_SKIP and v not in (None, ""))


def _pretty(content: Any) -> str:
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return content
    return json.dumps(content, indent=2, default=str, ensure_ascii=False)


@cache
def _environment(label_tz):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["ist"] = lambda value: _ist(value, label_tz)
    env.filters["details"] = _details
    env.filters["pretty"] = _pretty
    return env


def render_day(view: DayView, base: str, label_tz) -> str:
    """The page of one delivery date; ``base`` is the plugin's URL prefix (links to runbooks and days)."""
    alerts = [{**a, "state": alert_state(a)} for a in view.alerts]
    incidents = [{**i, "runbook": incident_runbook(i)} for i in view.incidents]
    shown = DayView(**{**asdict_shallow(view), "alerts": alerts, "incidents": incidents})
    return (
        _environment(label_tz)
        .get_template("day.html")
        .render(
            v=shown,
            base=base,
            metrics=view.metrics,
            checks=view.checks,
            counts=escalation_counts(view.escalations),
            chart=chart_svg(view.minutes, view.alerts, label_tz),
            timezone_default=timezone_default(label_tz),
        )
    )


def asdict_shallow(view: DayView) -> dict[str, Any]:
    """The view's fields as a dict without deep-copying its rows (``dataclasses.asdict`` would)."""
    return {name: getattr(view, name) for name in view.__dataclass_fields__}


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f} %"


def render_days(days: list[dict[str, Any]], base: str, label_tz) -> str:
    """The list of recorded delivery days, newest first, each linking to its page."""
    rows = "".join(
        f'<tr><td><a href="{base}/days/{d["delivery_date"]}">{d["delivery_date"]}</a></td>'
        f"<td>{_pct(d['sla_pct'])}</td>"
        f"<td>{'MET' if d['sla_met'] else 'MISSED'}</td><td>{d['alerts']}</td><td>{d['incidents']}</td>"
        f"<td>{escape(str(d['status'] or ''))}</td></tr>"
        for d in days
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Delivery days</title>'
        f"<script>{timezone_default(label_tz)}</script><style>"
        "body{font-family:system-ui,sans-serif;margin:16px}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #d8dee4;padding:4px 10px;text-align:left}</style></head><body>"
        "<h1>Delivery days</h1><table><tr><th>date</th><th>SLA</th><th></th><th>alerts</th><th>incidents</th>"
        f"<th>status</th></tr>{rows}</table></body></html>"
    )


def view_json(view: DayView) -> dict[str, Any]:
    """The page's data as JSON (what the page shows, for scripts and the refresh)."""
    data = asdict(view)
    data["alerts"] = [{**a, "state": alert_state(a)} for a in view.alerts]
    return json.loads(json.dumps(data, default=str))

"""The view's per-minute chart as inline SVG: attempts and failures as bars, p95 latency as a line, alerts marked.

Alerts are numbered markers on the time axis with their names listed under the chart, so labels never overlap
however many alerts fire in the same minute.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from delivery_window.ui.day_view import Minute

WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 28, 36
ATTEMPTS, FAILURES, LATENCY, ALERT = "#0969da", "#cf222e", "#bf8700", "#8250df"


def _x(at: datetime, start: datetime, span: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * ((at - start).total_seconds() / span)


def chart_svg(minutes: list[Minute], alerts: list[dict[str, Any]], label_tz) -> str:
    """SVG of the window minute by minute; ``label_tz`` is the zone of the axis labels (IST)."""
    if not minutes:
        return '<p class="empty">No monitor ticks recorded for this day.</p>'
    start = minutes[0].at
    span = max((minutes[-1].at - start).total_seconds() + 60, 60)
    plot_h = HEIGHT - TOP - BOTTOM
    top_count = max(max(m.attempts for m in minutes), 1)
    top_ms = max(max((m.p95_latency_ms or 0) for m in minutes), 1)
    bar_w = max((WIDTH - LEFT - RIGHT) * 60 / span - 2, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="per-minute chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" font-family="sans-serif" font-size="11">',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#8c959f"/>',
        f'<text x="4" y="{TOP - 10}" fill="{ATTEMPTS}">attempts / min (max {top_count})</text>',
        f'<text x="{WIDTH - RIGHT - 150}" y="{TOP - 10}" fill="{LATENCY}">p95 latency (max {top_ms} ms)</text>',
    ]
    points = []
    for m in minutes:
        x = _x(m.at, start, span)
        h = plot_h * m.attempts / top_count
        fh = plot_h * m.failures / top_count
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{ATTEMPTS}" opacity="0.55"><title>{m.at.astimezone(label_tz):%H:%M} '
            f"{m.attempts} attempts, {m.failures} failed</title></rect>"
        )
        if m.failures:
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - fh:.1f}" width="{bar_w:.1f}" height="{fh:.1f}" '
                f'fill="{FAILURES}"/>'
            )
        if m.p95_latency_ms is not None:
            y = HEIGHT - BOTTOM - plot_h * m.p95_latency_ms / top_ms
            points.append(f"{x + bar_w / 2:.1f},{y:.1f}")
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" fill="#57606a">{m.at.astimezone(label_tz):%H:%M}</text>'
        )
    if points:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{LATENCY}" stroke-width="2"/>'
        )
    for number, alert in enumerate(alerts, start=1):
        x = _x(alert["first_fired_at"], start, span)
        if not LEFT <= x <= WIDTH - RIGHT:
            continue
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{ALERT}" '
            f'stroke-dasharray="3,3"/><circle cx="{x:.1f}" cy="{TOP + 8 + 14 * ((number - 1) % 4)}" r="7" '
            f'fill="{ALERT}"><title>{escape(alert["rule"])}</title></circle>'
            f'<text x="{x:.1f}" y="{TOP + 12 + 14 * ((number - 1) % 4)}" fill="#fff" text-anchor="middle" '
            f'font-size="9">{number}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

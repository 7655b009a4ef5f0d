"""The report chart: per-minute attempts, failures and p95 latency across the window, alert moments marked.

matplotlib is imported inside :func:`render_png` only (never at DAG-parse time). When it is missing or fails,
the chart degrades to ``Chart(png=None, error=<precise message>)``: the report is still written and says why
it has no chart.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MATPLOTLIB_MISSING = (
    "chart not rendered: matplotlib is not installed in this environment "
    "(add 'matplotlib>=3.9' to pyproject.toml [project] dependencies)"
)
# Fixed PNG metadata so a rerun renders byte-identical output.
_PNG_METADATA = {"Software": "delivery-window"}


@dataclass(frozen=True)
class Chart:
    png: bytes | None
    error: str | None = None


@dataclass(frozen=True)
class MinutePoint:
    minute: datetime
    attempts: int
    failed: int
    p95_latency_ms: int | None


def series(rows: Sequence[dict[str, Any]]) -> list[MinutePoint]:
    """``select_minute_series`` rows as points."""
    return [MinutePoint(r["minute"], int(r["attempts"]), int(r["failed"]), r["p95_latency_ms"]) for r in rows]


def render_png(
    day: str,
    points: Sequence[MinutePoint],
    alert_marks: Sequence[tuple[datetime, str]],
    tz: ZoneInfo,
    latency_limit_ms: int,
    rate_target_per_min: int | None = None,
) -> Chart:
    """Attempts and failures per minute (bars) and p95 latency (line, right axis); alerts as vertical lines."""
    try:
        import matplotlib
    except ImportError:
        return Chart(None, MATPLOTLIB_MISSING)
    if not points:
        return Chart(None, "chart not rendered: no attempts in the window")
    try:
        matplotlib.use("Agg", force=True)
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 4.2), dpi=100)
        ax = fig.add_subplot()
        x = [p.minute.astimezone(tz) for p in points]
        width = 1 / (24 * 60) * 0.8
        ax.bar(x, [p.attempts for p in points], width=width, align="edge", color="#4C78A8", label="attempts")
        ax.bar(x, [p.failed for p in points], width=width, align="edge", color="#E45756", label="failed")
        if rate_target_per_min:
            ax.axhline(rate_target_per_min, color="#4C78A8", linestyle=":", linewidth=1, label="rate target")
        ax.set_ylabel("messages per minute")
        ax.set_ylim(0, max([rate_target_per_min or 0, *(p.attempts for p in points)]) * 1.2)
        ax2 = ax.twinx()
        lat_x = [xi for xi, p in zip(x, points, strict=True) if p.p95_latency_ms is not None]
        lat_y = [p.p95_latency_ms for p in points if p.p95_latency_ms is not None]
        # the latency point sits mid-minute, over its bar
        mid = [xi + timedelta(seconds=30) for xi in lat_x]
        ax2.plot(mid, lat_y, color="#F58518", marker="o", label="p95 latency")
        ax2.axhline(latency_limit_ms, color="#F58518", linestyle=":", linewidth=1, label="p95 limit")
        ax2.set_ylabel("API latency p95 (ms)")
        ax2.set_ylim(bottom=0, top=max([latency_limit_ms, *lat_y]) * 1.15)
        for at, label in _grouped(alert_marks):
            t = at.astimezone(tz)
            ax.axvline(t, color="#B279A2", linestyle="--", linewidth=1)
            ax.annotate(
                label,
                (t, 1),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=7,
                va="top",
                ha="right",
                color="#B279A2",
            )
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
        ax.set_title(f"Delivery window {day} (IST): attempts, failures, p95 latency; alerts dashed")
        handles = ax.get_legend_handles_labels()
        handles2 = ax2.get_legend_handles_labels()
        fig.legend(handles[0] + handles2[0], handles[1] + handles2[1], loc="lower center", ncol=5, fontsize=8)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata=_PNG_METADATA)
        return Chart(buf.getvalue())
    except Exception as exc:  # a broken chart never blocks the report; say precisely why
        return Chart(None, f"chart not rendered: {type(exc).__name__}: {exc}")


def _grouped(marks: Sequence[tuple[datetime, str]]) -> list[tuple[datetime, str]]:
    """One mark per instant (alerts often fire on the same tick): ``rule`` or ``rule +N``."""
    by_time: dict[datetime, list[str]] = {}
    for at, label in sorted(marks):
        by_time.setdefault(at, []).append(label)
    return [
        (at, labels[0] if len(labels) == 1 else f"{labels[0]} +{len(labels) - 1}")
        for at, labels in by_time.items()
    ]


def sparkline(values: Sequence[int]) -> str:
    """A one-line text chart (for Slack, which cannot take an image from an incoming webhook)."""
    bars = "▁▂▃▄▅▆▇█"
    if not values:
        return ""
    top = max(values) or 1
    return "".join(bars[min(len(bars) - 1, round(v / top * (len(bars) - 1)))] for v in values)

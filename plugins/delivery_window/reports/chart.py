"""The report chart: per-minute attempts, failures and p95 latency across the window, alert moments marked.

Each instant an alert first fired is a dashed line with a numbered badge above the plot (badges that would touch
are stacked), and a box beside the plot lists the numbers with their time in IST and rules, so no label covers
another or the data however many alerts fire at once. The PNG is kept in ``daily_reports.chart_png`` and written
beside the Markdown report (:func:`write_report_files`).

matplotlib is imported inside :func:`draw` only (never at DAG-parse time). When it is missing or fails, the chart
degrades to ``Chart(png=None, error=<precise message>)``: the report is still written and says why it has no chart.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MATPLOTLIB_MISSING = (
    "chart not rendered: matplotlib is not installed in this environment "
    "(add 'matplotlib>=3.9' to pyproject.toml [project] dependencies)"
)
# Fixed PNG metadata so a rerun renders byte-identical output.
_PNG_METADATA = {"Software": "delivery-window"}
ALERT_COLOR = "#B279A2"
_FIGSIZE, _DPI = (12.0, 5.0), 100
_PLOT = (0.065, 0.19, 0.575, 0.6)  # the plot's left, bottom, width, height (figure fractions)
_LIST_AT = (0.745, 0.86)  # top-left corner of the alert list (figure fractions)
_LIST_FONT_PT, _LINE_SPACING = 7.5, 1.25
_LIST_BOTTOM = 0.03  # the list stops above this (figure fraction): longer lists end with "... N more"
_BADGE_LEVELS = 3  # badges that would overlap go up a level; past the last level, the lowest free spot wins
_BADGE_STEP_PT = 12
_RULE_CHARS = 30  # a rule name longer than this is cut (protocol names are at most 28)


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


@dataclass(frozen=True)
class AlertMark:
    """One instant at which alerts first fired: its badge number and the rules (``name ×n`` when repeated)."""

    number: int
    at: datetime
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Drawing:
    """The figure and its alert labels: the numbered badges and the list beside the plot (tests measure them)."""

    figure: Any
    badges: tuple[Any, ...]
    alert_list: Any | None
    title: Any


def series(rows: Sequence[dict[str, Any]]) -> list[MinutePoint]:
    """``select_minute_series`` rows as points."""
    return [MinutePoint(r["minute"], int(r["attempts"]), int(r["failed"]), r["p95_latency_ms"]) for r in rows]


def numbered(marks: Sequence[tuple[datetime, str]]) -> list[AlertMark]:
    """One numbered mark per instant (alerts often fire on the same tick), in time order, 1 first."""
    by_time: dict[datetime, Counter[str]] = {}
    for at, label in sorted(marks):
        by_time.setdefault(at, Counter())[label] += 1
    return [
        AlertMark(n, at, tuple(rule if k == 1 else f"{rule} ×{k}" for rule, k in rules.items()))
        for n, (at, rules) in enumerate(by_time.items(), start=1)
    ]


def alert_lines(marks: Sequence[AlertMark], tz: ZoneInfo, max_lines: int) -> list[str]:
    """The list beside the plot: a heading, then ``n  HH:MM:SS  rule`` (the number and time once per instant);
    cut to ``max_lines`` with a last line saying how many alerts are left out."""
    lines = ["Alerts, first fired (IST)"]
    rows = [
        (f"{m.number:>2}  {m.at.astimezone(tz):%H:%M:%S}" if i == 0 else " " * 12, _cut(rule))
        for m in marks
        for i, rule in enumerate(m.rules)
    ]
    if len(rows) > max_lines - 1:
        keep = max_lines - 2
        left = len(rows) - keep
        rows = rows[:keep] + [("", f"... {left} more: the report's Alerts table")]
    return lines + [f"{head}  {rule}".rstrip() if head else rule for head, rule in rows]


def _cut(rule: str) -> str:
    return rule if len(rule) <= _RULE_CHARS else rule[: _RULE_CHARS - 1] + "…"


def draw(
    day: str,
    points: Sequence[MinutePoint],
    alert_marks: Sequence[tuple[datetime, str]],
    tz: ZoneInfo,
    latency_limit_ms: int,
    rate_target_per_min: int | None = None,
) -> Drawing:
    """The chart as a matplotlib figure (Agg canvas): bars, latency line, numbered alert badges and their list.

    Raises ImportError without matplotlib; ``points`` must not be empty."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(_PLOT)
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
    marks = numbered(alert_marks)
    instants = [m.at.astimezone(tz) for m in marks]
    # every bar and every alert line inside the x range, so no badge hangs off the plot
    ax.set_xlim(
        min([x[0], *instants]), max([x[-1] + timedelta(minutes=1), *instants]) + timedelta(seconds=20)
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_xlabel("IST")
    title = fig.text(
        0.5,
        0.975,
        f"Delivery window {day} (IST): attempts, failures, p95 latency; alerts numbered",
        ha="center",
        va="top",
        fontsize=10,
    )
    handles, labels = ax.get_legend_handles_labels()
    handles2, labels2 = ax2.get_legend_handles_labels()
    fig.legend(
        handles + handles2,
        labels + labels2,
        loc="lower left",
        bbox_to_anchor=(_PLOT[0], 0.005),
        ncol=5,
        fontsize=8,
        frameon=False,
    )
    badges = _badges(fig, ax, marks, instants)
    alert_list = None
    if marks:
        line_px = _LIST_FONT_PT * _LINE_SPACING * _DPI / 72
        max_lines = int((_LIST_AT[1] - _LIST_BOTTOM) * _FIGSIZE[1] * _DPI // line_px)
        alert_list = fig.text(
            *_LIST_AT,
            "\n".join(alert_lines(marks, tz, max_lines)),
            ha="left",
            va="top",
            family="monospace",
            fontsize=_LIST_FONT_PT,
            linespacing=_LINE_SPACING,
            color="#333333",
        )
    return Drawing(fig, tuple(badges), alert_list, title)


def _badges(fig, ax, marks: Sequence[AlertMark], instants: Sequence[datetime]) -> list[Any]:
    """A dashed line and a numbered badge above the plot per mark; a badge that would touch one already placed
    goes up a level (measured with the renderer, so the font decides, not a guess)."""
    renderer = fig.canvas.get_renderer()
    placed: list[Any] = []
    badges = []
    for mark, t in zip(marks, instants, strict=True):
        ax.axvline(t, color=ALERT_COLOR, linestyle="--", linewidth=1)
        badge = ax.annotate(
            str(mark.number),
            (t, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color="white",
            annotation_clip=False,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": ALERT_COLOR, "edgecolor": "none"},
        )
        levels = []
        for level in range(_BADGE_LEVELS):
            badge.xyann = (0, 3 + level * _BADGE_STEP_PT)
            box = badge_extent(badge, renderer)
            clash = sum(box.overlaps(other) for other in placed)
            levels.append((clash, level, box))
            if not clash:
                break
        _, level, box = min(levels, key=lambda c: (c[0], c[1]))
        badge.xyann = (0, 3 + level * _BADGE_STEP_PT)
        placed.append(box)
        badges.append(badge)
    return badges


def badge_extent(badge, renderer):
    """A badge's extent in pixels with its rounded box (what a reader sees), where it is now."""
    from matplotlib.transforms import Bbox

    badge.update_positions(renderer)
    badge.update_bbox_position_size(renderer)
    return Bbox.union([badge.get_window_extent(renderer), badge.get_bbox_patch().get_window_extent(renderer)])


def render_png(
    day: str,
    points: Sequence[MinutePoint],
    alert_marks: Sequence[tuple[datetime, str]],
    tz: ZoneInfo,
    latency_limit_ms: int,
    rate_target_per_min: int | None = None,
) -> Chart:
    """Attempts and failures per minute (bars) and p95 latency (line, right axis); alerts as numbered lines."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return Chart(None, MATPLOTLIB_MISSING)
    if not points:
        return Chart(None, "chart not rendered: no attempts in the window")
    try:
        drawing = draw(day, points, alert_marks, tz, latency_limit_ms, rate_target_per_min)
        buf = io.BytesIO()
        drawing.figure.savefig(buf, format="png", metadata=_PNG_METADATA)
        return Chart(buf.getvalue())
    except Exception as exc:  # a broken chart never blocks the report; say precisely why
        return Chart(None, f"chart not rendered: {type(exc).__name__}: {exc}")


def write_report_files(directory: Path, day: str, markdown: str, chart: Chart) -> list[Path]:
    """The Markdown report as ``delivery-window-<day>.md`` in ``directory`` and its chart beside it under the name
    the Markdown links to (``daily.chart_filename``); returns the files written. Without a chart only the Markdown
    is written (it says why), and a PNG left by an earlier run of the day is removed: it is not this report's."""
    from delivery_window.reports.daily import chart_filename

    directory.mkdir(parents=True, exist_ok=True)
    png_path = directory / chart_filename(day)
    md_path = png_path.with_suffix(".md")
    md_path.write_text(markdown, encoding="utf-8")
    if chart.png is None:
        png_path.unlink(missing_ok=True)
        return [md_path]
    png_path.write_bytes(chart.png)
    return [md_path, png_path]


def sparkline(values: Sequence[int]) -> str:
    """A one-line text chart (for Slack, which cannot take an image from an incoming webhook)."""
    bars = "▁▂▃▄▅▆▇█"
    if not values:
        return ""
    top = max(values) or 1
    return "".join(bars[min(len(bars) - 1, round(v / top * (len(bars) - 1)))] for v in values)

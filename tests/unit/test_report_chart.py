"""The daily chart (issue 16): written beside the Markdown report, and its alert labels readable however many alerts
fire at once: no label covers another, the title, the plot's axes or the data, and none is cut off by the figure.

Labels are measured with matplotlib's own renderer after a full draw, as the PNG is rendered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest

from delivery_window.reports import chart, daily

IST = ZoneInfo("Asia/Kolkata")
T0 = datetime(2026, 10, 20, 0, 30, tzinfo=UTC)  # 06:00 IST
DAY = "2026-10-20"
RULES = (
    "success_rate_below_98",
    "error_rate_above_2pct",
    "api_latency_p95_above_2s",
    "failure_rate_2m",
    "success_below_95_2m",
    "whatsapp_api_unavailable",
    "processing_rate_below_target",
    "tier_delivery_issue",
)


def points(minutes: int = 7) -> list[chart.MinutePoint]:
    return [
        chart.MinutePoint(T0 + timedelta(minutes=m), 400 + m, 3 * m, 600 + 300 * m) for m in range(minutes)
    ]


def outage_marks() -> list[tuple[datetime, str]]:
    """An outage's alerts: four on one tick, then a new one on each of the next ticks, 10 s apart."""
    first = T0 + timedelta(minutes=2, seconds=10)
    marks = [(first, r) for r in RULES[:4]]
    marks += [(first + timedelta(seconds=10 * k), r) for k, r in enumerate(RULES[4:], start=1)]
    marks += [(first + timedelta(seconds=40), "shard_failing")] * 2  # two numbers, one rule
    return marks


def dense_marks(n: int = 40) -> list[tuple[datetime, str]]:
    """More instants than fit side by side (every 10 s tick) and more alerts than the list has lines for."""
    return [(T0 + timedelta(seconds=10 * k), RULES[k % len(RULES)]) for k in range(n)]


def test_alerts_of_one_tick_share_a_number_and_repeats_are_counted():
    marks = chart.numbered(outage_marks())
    assert [m.number for m in marks] == [1, 2, 3, 4, 5]
    assert marks[0].rules == tuple(sorted(RULES[:4]))
    assert marks[4].rules == ("shard_failing ×2", "tier_delivery_issue")
    lines = chart.alert_lines(marks, IST, max_lines=40)
    assert lines[0] == "Alerts, first fired (IST)"
    assert lines[1] == " 1  06:02:10  api_latency_p95_above_2s"
    assert lines[2].strip() == "error_rate_above_2pct"  # the number and time once per instant


def test_a_long_alert_list_ends_saying_how_many_are_left_out():
    marks = chart.numbered(dense_marks(40))
    lines = chart.alert_lines(marks, IST, max_lines=10)
    assert len(lines) == 10
    assert lines[-1] == "... 32 more: the report's Alerts table"


def label_boxes(drawing):
    """Window extents (pixels) after a full draw: each badge with its box, the alert list, the title."""
    fig = drawing.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    badges = [b.get_bbox_patch().get_window_extent(renderer) for b in drawing.badges]
    return (
        renderer,
        badges,
        drawing.alert_list.get_window_extent(renderer),
        drawing.title.get_window_extent(renderer),
    )


@pytest.mark.parametrize("marks", [outage_marks(), dense_marks(40)], ids=["outage", "dense"])
def test_alert_labels_do_not_overlap_and_are_not_clipped(marks):
    pytest.importorskip("matplotlib")
    drawing = chart.draw(DAY, points(), marks, IST, 2000, 400)
    renderer, badges, listing, title = label_boxes(drawing)
    fig = drawing.figure
    assert len(badges) == len(chart.numbered(marks))
    overlapping = [(i + 1, j + 1) for (i, a), (j, b) in combinations(enumerate(badges), 2) if a.overlaps(b)]
    assert overlapping == []
    plot, right_axis = fig.axes  # the bars' axes and its twin (latency)
    for n, box in enumerate(badges, start=1):
        assert box.y0 >= plot.bbox.y1, f"badge {n} covers the plot"
        assert not box.overlaps(listing) and not box.overlaps(title), n
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, (
            f"badge {n} is cut off"
        )
    assert not listing.overlaps(title)
    for ax in (plot, right_axis):  # the list beside the plot covers no tick label or axis label
        assert not listing.overlaps(ax.get_tightbbox(renderer, bbox_extra_artists=[]))
    assert fig.bbox.x0 <= listing.x0 and listing.x1 <= fig.bbox.x1, "the alert list is cut off"
    assert fig.bbox.y0 <= listing.y0 and listing.y1 <= fig.bbox.y1, "the alert list is cut off"


def test_no_alert_no_labels():
    pytest.importorskip("matplotlib")
    drawing = chart.draw(DAY, points(), [], IST, 2000, 400)
    assert drawing.badges == () and drawing.alert_list is None


def test_the_chart_is_written_beside_the_markdown_report(tmp_path):
    png = chart.render_png(DAY, points(), outage_marks(), IST, 2000, 400)
    markdown = f"# report\n\n![chart]({daily.chart_filename(DAY)})\n"
    written = chart.write_report_files(tmp_path / "reports", DAY, markdown, png)
    md = tmp_path / "reports" / f"delivery-window-{DAY}.md"
    assert md.read_text(encoding="utf-8") == markdown
    if png.png is None:  # no matplotlib here: the Markdown alone, which says why
        assert written == [md]
        return
    (link,) = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert written == [md, md.parent / link]
    assert (md.parent / link).read_bytes() == png.png  # the link in the Markdown opens this PNG

    no_chart = chart.Chart(None, "chart not rendered: no attempts in the window")
    assert chart.write_report_files(tmp_path / "reports", DAY, markdown, no_chart) == [md]
    assert not (md.parent / link).exists()  # a rerun without a chart leaves no PNG of an earlier run

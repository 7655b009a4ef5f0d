"""Protocol times on the run's delivery date (derived from the run, never from now())."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from delivery_window import window


def test_scheduled_run_at_0530_ist_is_that_days_delivery():
    run_after = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 05:30 IST
    assert window.delivery_date_for(run_after) == date(2026, 11, 26)


def test_manual_run_late_evening_utc_is_next_ist_day():
    run_after = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # 01:30 IST on the 26th
    assert window.delivery_date_for(run_after) == date(2026, 11, 26)


def test_delivery_date_param_overrides_the_run():
    run_after = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert window.delivery_date_for(run_after, "2026-11-20") == date(2026, 11, 20)


def test_naive_run_after_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        window.delivery_date_for(datetime(2026, 11, 26, 0, 0))


def test_sensor_targets_are_ist_wall_clock_times():
    run_after = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert window.window_at(run_after, None, "final_check") == "2026-11-26T05:45:00+05:30"
    assert window.window_at(run_after, "2026-11-01", "final_report") == "2026-11-01T06:30:00+05:30"
    assert window.at(date(2026, 11, 26), "delivery_start").astimezone(UTC).strftime("%H:%M") == "00:30"

"""Benchmark 1 (issue 4): monitor tick cost at 1,000,000 attempts in one window, 10 days of history in Postgres.

Runs, in the same process and on the same data (database ``delivery_window_bench``):

- **incremental**: the real monitor loop (``run_monitor``, replay of the day: every tick at once, dry run, one
  connection and a reader thread like the Airflow task), whose tick = read the rows changed since the previous
  tick + aggregate + rules + write ``metric_ticks``; then the same day read the way a live run reads it (fake clock: each tick at
  t + settle_seconds, re-reading the last seconds before the previous tick and the receipts since);
- **naive**: the same tick recomputed from the whole window: read every attempt made by the tick, aggregate from
  scratch, rules, write ``metric_ticks`` (same code, same vectorised aggregation: only the data read differs).

Prints p50/p95 tick time of both and their ratio. Target: incremental p95 <= 50 ms and >= 10x faster than naive.
Run: ``uv run python bench/monitor_tick_cost.py [--naive-ticks N]`` (2 cores, ~2 minutes after the first
generation of 11M rows, which takes ~1.5 minutes once).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

import monitor_common as mc

mc.limit_cpus(2)

from delivery_window import window  # noqa: E402
from delivery_window.monitor import loop, metrics, rules, source  # noqa: E402
from delivery_window.monitor.state import WindowState  # noqa: E402
from delivery_window.protocol import get_protocol  # noqa: E402

REPORT_TABLES = ("metric_ticks", "alerts", "notifications", "incidents")


class FakeClock:
    """A live run's clock over a past day: sleeping moves it, so the ticks follow each other at once."""

    def __init__(self, start):
        self.t = start

    def now(self):
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def clear(conn, day) -> None:
    for table in REPORT_TABLES:
        conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
    conn.commit()


def naive_tick(conn, day, t, p, directory, numbers, ctx) -> tuple[float, int]:
    """One tick recomputed from every attempt of the window made by ``t``."""
    started = time.perf_counter()
    at_, s1 = p.alert_thresholds, p.severity_1
    state = WindowState(
        window.at(day, "delivery_start"), window.close(day, p), directory, numbers,
        failure_window_minutes=at_.failure_rate_window_minutes, minute_spans=s1.success_floor_consecutive_minutes,
        advisor_window_minutes=at_.advisor_failures_window_minutes, advisor_failures_floor=at_.advisor_failures_max,
    )  # fmt: skip
    batch = source.read_changes(conn, day, window.at(day, "delivery_start") - timedelta(days=1), t).rows
    state.ingest(batch, t)
    snap = state.snapshot(t)
    rules.evaluate(snap, ctx, p)
    source.record_ticks(conn, day, snap.metrics)
    conn.commit()
    return (time.perf_counter() - started) * 1000, len(batch)


class Connections:
    """``connect`` for run_monitor (as the Airflow task gives it): opened here, closed after the run."""

    def __init__(self, url: str) -> None:
        self.url, self.opened = url, []

    def __call__(self):
        self.opened.append(mc.connect(self.url))
        return self.opened[-1]

    def close(self) -> None:
        for c in self.opened:
            c.close()
        self.opened = []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-ticks", type=int, default=0, help="naive ticks to run (default: every tick)")
    ap.add_argument(
        "--runs", type=int, default=3, help="incremental replays (and live runs) to pool (default 3)"
    )
    args = ap.parse_args()
    p = get_protocol()
    url = mc.bench_db_url()
    print(
        f"database {url}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    mc.prepare(url)
    day = mc.BENCH_DAY
    with mc.connect(url) as conn:
        n = mc.store.execute(conn, "bench_count_day", {"delivery_date": day})[0]["n"]
        total = conn.execute("SELECT count(*) FROM platform.delivery_attempts").fetchone()[0]
        print(f"bench day {day}: {n:,} attempts in 06:00-06:05 IST; table holds {total:,} attempts "
              f"({mc.HISTORY_DAYS} earlier days); {p.monitor.tick_seconds} s ticks, late_row_seconds "
              f"{p.monitor.late_row_seconds}")  # fmt: skip

        # warm-up: one replay, so both measurements start with the same (warm) caches
        extra = Connections(url)
        clear(conn, day)
        loop.run_monitor(conn, day, p, dry_run=True, push_series=None, poll_templates=None, connect=extra)
        inc, rows_read, walls = [], [], []
        for _ in range(args.runs):  # several replays pooled: one busy moment of a shared machine weighs less
            clear(conn, day)
            started = time.perf_counter()
            s = loop.run_monitor(
                conn, day, p, dry_run=True, push_series=None, poll_templates=None, connect=extra
            )
            walls.append(time.perf_counter() - started)
            inc += s.tick_ms
            rows_read += s.rows_read
        inc_wall = min(walls)
        ticks = metrics.tick_times(day, p)
        print(f"\nincremental: {len(inc)} ticks ({args.runs} replays), rows read per tick p50 "
              f"{mc.percentile(rows_read, 50):,.0f} max {max(rows_read):,}, whole replay {inc_wall:.1f} s "
              "(incl. outbox and status posts)")  # fmt: skip
        print(
            f"  tick ms  p50 {mc.percentile(inc, 50):7.1f}   p95 {mc.percentile(inc, 95):7.1f}   max {max(inc):7.1f}"
        )

        # the same window read the way a live run reads it: each tick at t + settle_seconds, so it also re-reads
        # the attempts of the last seconds before the previous tick and the receipts that arrived since then
        live, live_rows = [], []
        for _ in range(args.runs):  # pooled like the replays
            clear(conn, day)
            clock = FakeClock(window.at(day, "delivery_start"))
            s_live = loop.run_monitor(conn, day, p, dry_run=True, push_series=None, poll_templates=None,
                                      now=clock.now, sleep=clock.sleep, connect=extra)  # fmt: skip
            live += s_live.tick_ms
            live_rows += s_live.rows_read
        print(f"incremental, live read pattern ({s_live.mode}, fake clock): {len(live)} ticks ({args.runs} runs), "
              f"rows read per tick p50 {mc.percentile(live_rows, 50):,.0f} max {max(live_rows):,}")  # fmt: skip
        print(
            f"  tick ms  p50 {mc.percentile(live, 50):7.1f}   p95 {mc.percentile(live, 95):7.1f}   max {max(live):7.1f}"
        )
        clear(conn, day)

        directory = source.load_directory(conn)
        numbers = source.known_numbers(conn)
        ctx = rules.RuleContext(day, directory.targeted)
        chosen = ticks
        if args.naive_ticks:
            step = max(1, len(ticks) // args.naive_ticks)
            chosen = ticks[step - 1 :: step]
        naive, rows = [], []
        for t in chosen:
            ms, r = naive_tick(conn, day, t, p, directory, numbers, ctx)
            naive.append(ms)
            rows.append(r)
        print(
            f"naive:       {len(naive)} ticks, rows read per tick p50 {mc.percentile(rows, 50):,.0f} max {max(rows):,}"
        )
        print(
            f"  tick ms  p50 {mc.percentile(naive, 50):7.1f}   p95 {mc.percentile(naive, 95):7.1f}   max {max(naive):7.1f}"
        )
        r50 = mc.percentile(naive, 50) / mc.percentile(inc, 50)
        r95 = mc.percentile(naive, 95) / mc.percentile(inc, 95)
        print(f"\nratio naive/incremental: p50 {r50:.1f}x   p95 {r95:.1f}x   (live read pattern: p95 "
              f"{mc.percentile(naive, 95) / mc.percentile(live, 95):.1f}x)")  # fmt: skip
        met = lambda ok: "MET" if ok else "NOT MET"  # noqa: E731
        print(f"target: incremental p95 <= 50 ms: replay {met(mc.percentile(inc, 95) <= 50)}, live read pattern "
              f"{met(mc.percentile(live, 95) <= 50)}; >= 10x faster (p95): {met(r95 >= 10)}")  # fmt: skip
        print(f"peak RSS of this process: {mc.peak_rss_mb():.0f} MB; load average now "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
        clear(conn, day)
        extra.close()


if __name__ == "__main__":
    main()

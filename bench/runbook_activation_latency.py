"""Benchmark (issue 13): live runbook activation latency, from a failure burst to the runbook's watch firing.

Each repetition (a fresh delivery date in ``delivery_window_bench``, as in ``monitor_detection_latency.py``): the
monitor runs live in a thread over a healthy background window (fake clock: the real time mapped onto 06:00:50
IST), and beside it the ``delivery_failure`` runbook's watch trigger (``wiring.runbook_watch.RunbookWatchTrigger``,
the code the triggerer runs, polling every ``incident_automation.runbook_watch_seconds``) in its own event loop.
At a random moment of the tick cycle 300 failed sends are committed. Figures per repetition: the PagerDuty page
received at the sandbox, and the watch's event (the runbook would start), both from the burst's commit; the
activation latency proper is event - page (the issue's "within 30 s of the incident opening"). Not included:
Airflow's own resume of a deferred task (triggerer event → scheduler → worker), a few seconds on a quiet machine.
Run: ``uv run python bench/runbook_activation_latency.py [--reps 8]`` (~3 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import monitor_common as mc
from monitor_detection_latency import FIRST_DAY, first_page_at, reset_day, write_burst

from delivery_window import runtime, window  # noqa: E402
from delivery_window.connections import sandbox_connections  # noqa: E402
from delivery_window.escalation import keys  # noqa: E402
from delivery_window.monitor import loop  # noqa: E402
from delivery_window.protocol import get_protocol  # noqa: E402
from delivery_window.sandbox.server import Sandbox  # noqa: E402
from delivery_window.wiring.runbook_watch import RunbookWatchTrigger  # noqa: E402


def watch(day, since: datetime, fired: dict, stop: threading.Event) -> None:
    """Run the watch trigger as the triggerer would; note the real time of its first event."""
    p = get_protocol()
    trigger = RunbookWatchTrigger(
        "delivery_failure",
        day.isoformat(),
        since=since.isoformat(),
        until=(datetime.now(UTC) + timedelta(minutes=3)).isoformat(),
        poll_seconds=float(p.incident_automation.runbook_watch_seconds),
    )

    async def first_event():
        async for event in trigger.run():
            fired["at"], fired["event"] = time.time(), event.payload
            return

    asyncio.run(first_event())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=8)
    args = ap.parse_args()
    random.seed(13)
    url = mc.bench_db_url()
    runtime.configure_airflow(runtime.CACHE / "bench-airflow")
    with mc.connect(url) as conn:
        mc.ensure_schema(conn)
        mc.ensure_population(conn)
    p = get_protocol()
    tick = p.monitor.tick_seconds
    pages, events, activation = [], [], []
    with Sandbox("healthy") as sb:
        runtime.set_connections(
            sandbox_connections(sb.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        for k in range(args.reps):
            day = FIRST_DAY + timedelta(days=80 + k)
            with mc.connect(url) as conn:
                reset_day(conn, day, k)
            offset = window.at(day, "delivery_start") + timedelta(seconds=50) - datetime.now(UTC)
            stop, conns, fired = threading.Event(), [], {}

            def now(offset=offset):
                return datetime.now(UTC) + offset

            def connect(conns=conns):
                conns.append(mc.connect(url))
                return conns[-1]

            def monitor(day=day, now=now, stop=stop, connect=connect):
                with mc.connect(url) as conn:
                    loop.run_monitor(conn, day, p, now=now, sleep=lambda s: stop.wait(s), stop=stop.is_set,
                                     connect=connect, push_series=None, poll_templates=None)  # fmt: skip

            th = threading.Thread(target=monitor, daemon=True)
            th.start()
            w = threading.Thread(target=watch, args=(day, datetime.now(UTC), fired, stop), daemon=True)
            w.start()
            time.sleep(random.uniform(0.5 + tick, 0.5 + 2 * tick))  # the monitor is ticking; a random moment
            written = write_burst(url, day, now(), int(day.strftime("%Y%m%d")) * 10_000_000 + 9_000_000)
            key = keys.page_key(keys.incident_id(day, "delivery_failure"))
            while (
                "at" not in fired or first_page_at(sb, key) is None
            ) and time.time() - written < 3 * tick + 30:
                time.sleep(0.05)
            paged = first_page_at(sb, key)
            stop.set()
            th.join(timeout=30)
            w.join(timeout=5)
            for c in conns:
                c.close()
            if paged is None or "at" not in fired:
                print(f"  rep {k + 1}: no page or no watch event")
                continue
            pages.append(paged - written)
            events.append(fired["at"] - written)
            activation.append(fired["at"] - paged)
            print(f"  rep {k + 1} ({day}): page {pages[-1]:5.2f} s, watch event {events[-1]:5.2f} s after the burst "
                  f"({fired['event']['seen']}): activation {activation[-1]:5.2f} s after the page")  # fmt: skip
    if activation:
        p95 = mc.percentile(activation, 95)
        print(
            f"\ntick {tick} s, watch every {p.incident_automation.runbook_watch_seconds} s, n={len(activation)}"
        )
        print(
            f"  burst -> page:          p50 {mc.percentile(pages, 50):.2f} s, p95 {mc.percentile(pages, 95):.2f} s"
        )
        print(
            f"  burst -> watch event:   p50 {mc.percentile(events, 50):.2f} s, p95 {mc.percentile(events, 95):.2f} s"
        )
        print(f"  page -> runbook starts: p50 {mc.percentile(activation, 50):.2f} s, p95 {p95:.2f} s, "
              f"max {max(activation):.2f} s; target 30 s: {'MET' if p95 <= 30 else 'NOT MET'}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Benchmark 2 (issue 4): live detection latency, from a failure burst written at a known instant to the PagerDuty
event the sandbox receives.

For each repetition (a fresh delivery date in ``delivery_window_bench``): a healthy background window (20,000
attempts, none failed), the monitor started live in a thread (a fake clock maps the real time onto that day's window,
06:00:50 IST at the start; real sleeps, real tick interval), then at a random moment of the tick cycle 300
failed sends are written and committed. The latency is the time from that commit to the PagerDuty Events v2
request for ``failure_rate_2m`` arriving at the sandbox (through the outbox and the PagerDuty hook, as in
production). Repeated with the protocol's tick (10 s) and a short one (2 s, injected protocol).
Target: p95 <= tick interval + 2 s. Run: ``uv run python bench/monitor_detection_latency.py [--reps 10]``
(~4 minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
from datetime import UTC, date, datetime, timedelta

import monitor_common as mc

mc.limit_cpus(2)

from delivery_window import runtime, window  # noqa: E402
from delivery_window.connections import sandbox_connections  # noqa: E402
from delivery_window.escalation import keys  # noqa: E402
from delivery_window.monitor import loop  # noqa: E402
from delivery_window.protocol import get_protocol  # noqa: E402
from delivery_window.sandbox.server import Sandbox  # noqa: E402

FIRST_DAY = date(2026, 7, 1)
BACKGROUND = 20_000
BURST = 300
REPORT_TABLES = (
    "metric_ticks",
    "alerts",
    "notifications",
    "escalations",
    "incidents",
    "template_observations",
)


def reset_day(conn, day: date, k: int) -> None:
    for table in REPORT_TABLES:
        conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
    conn.commit()
    # no failures in the background: the page must come from the burst (a failure-free day stays quiet)
    mc.ensure_day(conn, day, BACKGROUND, seed=0.1 + k / 1000, fail_share=0.0, force=True)


def write_burst(url: str, day: date, now: datetime, base_id: int) -> float:
    """300 sends rejected in the last second (131000); returns the real time of the commit."""
    rows = []
    for i in range(BURST):
        at = now - timedelta(milliseconds=random.randint(1, 1000))
        rows.append((base_id + i, day, f"BA{i + 1:07d}", 1 + i % 4, f"1065{i % mc.NUMBERS:06d}",
                     f"daily_brief_seg{1 + i % 4}", None, at, 180, "failed", 131000, now))  # fmt: skip
    with mc.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY platform.delivery_attempts (attempt_id, delivery_date, advisor_id, segment, phone_number_id, "
            "template_name, wamid, attempted_at, api_latency_ms, status, error_code, status_at) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row(r)
        conn.commit()
        return time.time()


def first_page_at(sb: Sandbox, key: str) -> float | None:
    for r in sb.requests("pagerduty"):
        if (r.get("json") or {}).get("dedup_key") == key and r["json"].get("event_action") == "trigger":
            return datetime.fromisoformat(r["at"]).timestamp()
    return None


def run_series(url: str, sb: Sandbox, tick: int, reps: int, first_day: date) -> list[float]:
    p = get_protocol()
    p = p.model_copy(update={"monitor": p.monitor.model_copy(update={"tick_seconds": tick})})
    out = []
    for k in range(reps):
        day = first_day + timedelta(days=k)
        with mc.connect(url) as conn:
            reset_day(conn, day, k)
        start = window.at(day, "delivery_start") + timedelta(seconds=50)
        offset = start - datetime.now(UTC)
        stop = threading.Event()
        conns = []

        def now(offset=offset):
            return datetime.now(UTC) + offset

        def connect(conns=conns):
            conns.append(mc.connect(url))
            return conns[-1]

        result = {}

        def monitor(day=day, now=now, stop=stop, result=result):
            with mc.connect(url) as conn:
                result["summary"] = loop.run_monitor(
                    conn, day, p, now=now, sleep=lambda s: stop.wait(s), stop=stop.is_set, connect=connect,
                    push_series=None, poll_templates=None,
                )  # fmt: skip

        th = threading.Thread(target=monitor, daemon=True)
        th.start()
        with mc.connect(url) as conn:  # wait until the monitor has written its first ticks (it is running)
            while not conn.execute(
                "SELECT 1 FROM delivery_ops.metric_ticks WHERE delivery_date = %s LIMIT 1", (day,)
            ).fetchone():
                conn.rollback()
                time.sleep(0.05)
        time.sleep(random.uniform(0.5, 0.5 + tick))  # a random moment of the tick cycle
        key = keys.page_key(keys.incident_id(day, "delivery_failure"))  # the incident's one PagerDuty key
        if first_page_at(sb, key) is not None:
            raise RuntimeError(f"{day}: paged before the burst (the background must stay quiet)")
        written = write_burst(url, day, now(), int(day.strftime("%Y%m%d")) * 10_000_000 + 9_000_000)
        received = None
        while received is None and time.time() - written < 3 * tick + 10:
            time.sleep(0.02)
            received = first_page_at(sb, key)
        stop.set()
        th.join(timeout=30)
        for c in conns:
            c.close()
        if received is None:
            print(f"  rep {k + 1}: no page within {3 * tick + 10} s")
            continue
        out.append(received - written)
        print(f"  rep {k + 1:2d} ({day}): burst committed -> PagerDuty event received in {out[-1]:6.2f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--short-tick", type=int, default=2)
    args = ap.parse_args()
    random.seed(4)
    url = mc.bench_db_url()
    print(f"database {url}")
    runtime.configure_airflow(runtime.CACHE / "bench-airflow")
    with mc.connect(url) as conn:
        mc.ensure_schema(conn)
        mc.ensure_population(conn)
    p = get_protocol()
    with Sandbox("healthy") as sb:
        runtime.set_connections(
            sandbox_connections(sb.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        for tick, first_day in (
            (p.monitor.tick_seconds, FIRST_DAY),
            (args.short_tick, FIRST_DAY + timedelta(40)),
        ):
            print(f"\ntick {tick} s, settle {p.monitor.settle_seconds} s, {args.reps} repetitions:")
            lat = run_series(url, sb, tick, args.reps, first_day)
            if lat:
                p95 = mc.percentile(lat, 95)
                print(f"  detection latency: p50 {mc.percentile(lat, 50):.2f} s, p95 {p95:.2f} s, max {max(lat):.2f} s "
                      f"(n={len(lat)}); target p95 <= {tick + 2} s: {'MET' if p95 <= tick + 2 else 'NOT MET'}")  # fmt: skip


if __name__ == "__main__":
    main()

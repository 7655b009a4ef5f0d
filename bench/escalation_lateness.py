"""Benchmark (issue 13): how late delayed escalation steps leave, follow-up every minute vs every 5 minutes.

A simulated incident day's delayed steps (levels 2-4, advisor delay notices, status pages...) are written to the
ledger of ``delivery_window_bench`` as pending Slack posts to the sandbox, due at random instants over the next
``--span`` seconds. Then the follow-up runs as the scheduler would run the ``delivery_window_escalations`` DAG's
task: a run every ``follow_up_every_minutes`` (plus ``--sched-delay`` seconds of scheduling), each run sending
what is due and waiting for the steps falling due before the next run (``follow_up_escalations(until=...)``, the
real code against real Postgres and the sandbox). Lateness = the sandbox's receipt time - the step's due time.

Baseline, same due times: the previous policy (a 5-minute cron, one pass per run, no waiting), where lateness is
the time to the next 5-minute run plus the same scheduling delay plus the measured time of one pass.
Target: p95 <= 60 s. Run: ``uv run python bench/escalation_lateness.py [--steps 30 --span 170]`` (~3 minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

import monitor_common as mc

mc.limit_cpus(2)

from delivery_window import runtime, store  # noqa: E402
from delivery_window.connections import sandbox_connections  # noqa: E402
from delivery_window.escalation import comms  # noqa: E402
from delivery_window.escalation.follow_up import follow_up_escalations  # noqa: E402
from delivery_window.escalation.model import LedgerRow  # noqa: E402
from delivery_window.protocol import get_protocol  # noqa: E402
from delivery_window.sandbox.server import Sandbox  # noqa: E402
from delivery_window.window import tz  # noqa: E402

OLD_EVERY_MINUTES = 5


def plant_steps(url: str, n: int, span: float, start: datetime) -> dict[str, datetime]:
    """``n`` pending ledger rows due over ``span`` seconds from ``start`` (one Slack post each)."""
    p = get_protocol()
    day = start.astimezone(tz()).date()
    route = comms.slack_route("daily_operations", p)
    rng = random.Random(13)
    due = {}
    rows = []
    for i in range(n):
        key = f"bench:lateness:{start.timestamp():.0f}:{i}"
        due[key] = start + timedelta(seconds=rng.uniform(3, span))
        rows.append(
            LedgerRow(
                dedup_key=key, delivery_date=day, incident_id=None, source="bench:delayed_step",
                target="primary_engineer", channel=route.channel, conn_id=route.conn_id, kind=route.kind,
                due_at=due[key], payload=comms.slack_blocks(f"delayed step {i}", "bench", [key]),
            )
        )  # fmt: skip
    with mc.connect(url) as conn:
        store.insert_escalations(conn, rows, start)
        conn.commit()
    return due


def received_at(sb: Sandbox, keys: set[str]) -> dict[str, datetime]:
    out = {}
    for r in sb.requests("slack"):
        text = str(r.get("json"))
        for k in keys:
            if k in text and k not in out:
                out[k] = datetime.fromisoformat(r["at"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--span", type=float, default=170.0, help="seconds over which the steps fall due")
    ap.add_argument("--sched-delay", type=float, default=3.0, help="scheduler start latency of a run (s)")
    args = ap.parse_args()
    p = get_protocol()
    every = p.incident_automation.follow_up_every_minutes * 60
    margin = p.incident_automation.follow_up_margin_seconds

    url = mc.bench_db_url()
    with mc.connect(url) as conn:
        mc.ensure_schema(conn)
    sb = Sandbox(scenario="healthy").start()
    try:
        runtime.set_connections(
            sandbox_connections(sb.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        due = plant_steps(url, args.steps, args.span, start)
        pass_seconds = []
        run_start = start
        end = start + timedelta(seconds=args.span + every)
        while run_start < end:  # the cron: a run every `every` seconds, started `sched_delay` late
            time.sleep(
                max(
                    0.0, (run_start + timedelta(seconds=args.sched_delay) - datetime.now(UTC)).total_seconds()
                )
            )
            t0 = time.perf_counter()
            follow_up_escalations(until=run_start + timedelta(seconds=every - margin))
            pass_seconds.append(time.perf_counter() - t0)
            run_start += timedelta(seconds=every)
        got = received_at(sb, set(due))
    finally:
        sb.stop()
    late = [(got[k] - due[k]).total_seconds() for k in due if k in got]
    one_pass = min(pass_seconds)  # a run with nothing to wait for is one pass
    old = []
    for d in due.values():
        since = (d - start).total_seconds()
        next_run = (int(since // (OLD_EVERY_MINUTES * 60)) + 1) * OLD_EVERY_MINUTES * 60
        old.append(next_run - since + args.sched_delay + one_pass)
    p50, p95 = mc.percentile(late, 50), mc.percentile(late, 95)
    o50, o95 = mc.percentile(old, 50), mc.percentile(old, 95)
    print(
        f"steps: {len(due)} due over {args.span:.0f} s, {len(late)} received; scheduling delay {args.sched_delay} s"
    )
    print(
        f"follow-up every {every // 60} min, waiting for due steps: lateness p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(late):.2f} s"
    )
    print(
        f"baseline every {OLD_EVERY_MINUTES} min, one pass per run:  lateness p50 {o50:.2f} s, p95 {o95:.2f} s"
    )
    print(
        f"ratio baseline / new at p95: {o95 / p95:.1f}x   (target p95 <= 60 s: {'met' if p95 <= 60 else 'NOT met'})"
    )
    if len(late) != len(due):
        raise SystemExit(f"{len(due) - len(late)} steps were never received")


if __name__ == "__main__":
    main()

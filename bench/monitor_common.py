"""Shared set-up of the monitor benchmarks: their own database and a generated million-attempt day.

Every monitor benchmark works in the database ``delivery_window_bench`` on 127.0.0.1:5432 (or the embedded
pgserver when that port is closed) and touches no other database. Generation is idempotent: a day that already
holds the expected number of attempts is kept, so a second run starts in seconds.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from delivery_window import runtime, store, window  # noqa: E402
from delivery_window.migrate import apply_migrations  # noqa: E402
from delivery_window.sandbox.scenarios import IST, apply_source_contract  # noqa: E402

BENCH_DB = "delivery_window_bench"
BENCH_DAY = date(2026, 6, 15)  # a past day: the monitor replays it, every tick at once
HISTORY_DAYS = 10
ATTEMPTS = 1_000_000
NUMBERS = 42  # ARCHITECTURE §7: 42+ sender numbers at 80 msg/s each
SPAN_MS = 300_000  # 06:00:00-06:05:00 IST


def bench_db_url() -> str:
    """URL of the benchmarks' own database (created if missing); never another database."""
    if runtime.port_open(*runtime.LOCAL_PG):
        admin = f"postgresql://postgres@{runtime.LOCAL_PG[0]}:{runtime.LOCAL_PG[1]}/postgres"
    else:
        admin = runtime.embedded_postgres_url()
    runtime.create_database(admin, BENCH_DB)
    return runtime.with_database(admin, BENCH_DB)


def connect(url: str):
    return runtime.dsn_connect(url)


def ensure_schema(conn) -> None:
    from delivery_window.migrate import MigrationError

    apply_source_contract(conn)
    try:
        apply_migrations(conn)
    except MigrationError as exc:
        # the bench database's report schema predates an edited migration: it holds nothing that cannot be
        # rebuilt (baselines are recomputed below), so start it afresh
        print(f"  {exc}: recreating delivery_ops in {BENCH_DB}")
        conn.rollback()
        conn.execute("DROP SCHEMA delivery_ops CASCADE")
        conn.commit()
        apply_migrations(conn)
    conn.commit()


def ensure_day(
    conn,
    day: date,
    n: int = ATTEMPTS,
    *,
    seed: float = 0.42,
    base_id: int | None = None,
    fail_share: float = 0.005,
    force: bool = False,
) -> float:
    """Generate ``n`` attempts for ``day`` unless present; returns seconds spent (0 when kept)."""
    if not force and store.execute(conn, "bench_count_day", {"delivery_date": day})[0]["n"] == n:
        return 0.0
    started = time.perf_counter()
    store.execute(conn, "bench_delete_day", {"delivery_date": day})
    store.execute(conn, "bench_setseed", {"seed": seed})
    store.execute(
        conn,
        "bench_generate_attempts",
        {
            "n": n,
            "delivery_date": day,
            "base_id": base_id if base_id is not None else int(day.strftime("%Y%m%d")) * 10_000_000,
            "start": datetime.combine(day, datetime.min.time().replace(hour=6), IST),
            "span_ms": SPAN_MS,
            "numbers": NUMBERS,
            "fail_share": fail_share,
        },
    )
    conn.commit()
    return time.perf_counter() - started


def ensure_population(conn, advisors: int = ATTEMPTS) -> None:
    store.execute(conn, "bench_generate_advisors", {"n": advisors})
    store.execute(conn, "bench_generate_sender_numbers", {"numbers": NUMBERS})
    conn.commit()


def ensure_baseline(conn, day: date) -> None:
    """A ``window_runs`` row for a generated history day (the latency baseline reads its p95)."""

    if store.window_run(conn, day):
        return
    s = store.execute(conn, "bench_day_summary", {"delivery_date": day})[0]
    targeted, _ = store.active_advisors(conn)
    sla = round(100.0 * s["advisors_delivered"] / targeted, 3)
    store.record_window_run(
        conn,
        {
            "delivery_date": day, "run_id": "bench", "mode": "replay", "advisors_targeted": targeted,
            "advisors_delivered": s["advisors_delivered"], "sla_pct": sla, "sla_target_pct": 99.0,
            "sla_met": sla >= 99.0, "attempts": s["attempts"], "failed_attempts": s["failed_attempts"],
            "error_rate_pct": round(100.0 * s["failed_attempts"] / s["attempts"], 3),
            "p95_latency_ms": s["p95_latency_ms"], "peak_rate_per_min": s["attempts"] // 5,
            "segments_processed": 4, "segments_expected": 4, "critical_alerts": 0,
            "status": "sla_met" if sla >= 99.0 else "sla_missed",
            "measured_as_of": window.close(day),
        },
    )  # fmt: skip
    conn.commit()


def prepare(url: str, *, history: int = HISTORY_DAYS) -> dict[str, float]:
    """The bench day plus ``history`` earlier days of 1M attempts each, advisors, numbers and baselines."""
    timings = {}
    with connect(url) as conn:
        ensure_schema(conn)
        t0 = time.perf_counter()
        ensure_population(conn)
        timings["advisors"] = time.perf_counter() - t0
        for k in range(history, -1, -1):
            d = BENCH_DAY - timedelta(days=k)
            spent = ensure_day(conn, d, seed=0.42 + k / 1000)
            if spent:
                timings[d.isoformat()] = spent
                print(f"  generated {ATTEMPTS:,} attempts for {d} in {spent:.1f} s", flush=True)
            if k:
                ensure_baseline(conn, d)
        conn.execute("ANALYZE platform.delivery_attempts")
        conn.execute("ANALYZE platform.advisors")
        conn.commit()
    return timings


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, (p * len(ordered) + 99) // 100 - 1)]


def limit_cpus(n: int = 2) -> None:
    """Stay within ``n`` cores (numpy/BLAS threads and the process's CPU affinity)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        cpus = sorted(os.sched_getaffinity(0))[:n]
        os.sched_setaffinity(0, cpus)
    except (AttributeError, OSError):
        pass

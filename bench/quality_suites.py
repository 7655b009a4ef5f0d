"""The 06:15 Great Expectations suites over 1,000,000 attempts: wall time and peak memory.

Builds database ``delivery_window_bench_dq`` on the local PostgreSQL (127.0.0.1:5432, or ``BENCH_ADMIN_URL``),
fills one day with N synthetic attempts (``--attempts``, default 1,000,000) plus a consistent window_runs row,
then runs the suites in a fresh process (as the Airflow task does) and prints: GX import time, validation
time, total wall time, and that process's peak RSS, next to a baseline process that only imports GX.
Target (issue 6): <= 15 s and <= 500 MB. The work is pushed down: GX sends aggregate SQL, no rows come back.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta

DB = "delivery_window_bench_dq"
DAY = date(2026, 12, 1)
ADVISORS = 1_000_000

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from delivery_window.quality.runner import _import_gx, run_suites
_import_gx()
t1 = time.perf_counter()
if sys.argv[1] == "run":
    from datetime import date
    from delivery_window.protocol import get_protocol
    from delivery_window.quality.suites import suite_parameters, suites_at
    day = date.fromisoformat(sys.argv[3])
    names = suites_at("06:15")
    results = run_suites(names, day, suite_parameters(day, get_protocol()), sys.argv[2])
else:
    results = []
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "validate_s": t2 - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "results": [{k: r[k] for k in ("suite", "success", "evaluated", "failed_expectations")}
                              for r in results]}))
"""


def prepare(admin: str, n: int) -> str:
    import psycopg

    from delivery_window import runtime, store, window
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import apply_source_contract

    runtime.create_database(admin, DB)
    url = runtime.with_database(admin, DB)
    with psycopg.connect(url) as conn:
        apply_source_contract(conn)
        apply_migrations(conn)
        have = conn.execute(
            "SELECT count(*) FROM platform.delivery_attempts WHERE delivery_date = %s", (DAY,)
        ).fetchone()[0]
        if have != n:
            t = time.perf_counter()
            conn.execute("DELETE FROM platform.delivery_attempts WHERE delivery_date = %s", (DAY,))
            conn.execute("DELETE FROM delivery_ops.window_runs WHERE delivery_date = %s", (DAY,))
            start = window.at(DAY, "delivery_start")
            base = int(DAY.strftime("%Y%m%d")) * 10_000_000
            store.execute(
                conn,
                "bench_fill_attempts",
                {"n": n, "delivery_date": DAY, "start": start, "base_id": base, "advisors": ADVISORS},
            )
            conn.commit()
            conn.execute("ANALYZE platform.delivery_attempts")
            print(f"filled {n:,} attempts in {time.perf_counter() - t:.1f} s")
        as_of = window.at(DAY, "delivery_end") + timedelta(minutes=2)
        store.execute(conn, "bench_window_run", {"delivery_date": DAY, "advisors": ADVISORS, "as_of": as_of})
        conn.commit()
    return url


def child(mode: str, sa_url: str) -> dict:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False"}
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, sa_url, DAY.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    data["wall_s"] = time.perf_counter() - t
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    url = prepare(args.admin_url, args.attempts)
    sa_url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    base = child("import", sa_url)
    run = child("run", sa_url)
    print(f"attempts                         {args.attempts:>12,}")
    print(f"GX import (baseline process), s  {base['import_s']:>12.2f}")
    print(f"GX import (suite process), s     {run['import_s']:>12.2f}")
    print(f"validation of the suites, s      {run['validate_s']:>12.2f}")
    print(f"process wall time, s             {run['wall_s']:>12.2f}   (target <= 15 s)")
    print(
        f"peak RSS, MB                     {run['peak_rss_mb']:>12.0f}   (target <= 500 MB; GX import alone "
        f"{base['peak_rss_mb']:.0f} MB)"
    )
    for r in run["results"]:
        verdict = "passed" if r["success"] else f"FAILED {r['failed_expectations']}"
        print(f"  suite {r['suite']:<18} {r['evaluated']:>3} expectations  {verdict}")


if __name__ == "__main__":
    main()

"""The report database stops during a send and during a tick: nothing is sent twice, monitoring goes on.

Finding 3 of issue 15: Postgres stopped while a Slack post was in flight; the post arrived, marking it sent failed,
the flush was outside the monitor's database-error handling, ``monitor_window`` failed and its retry re-posted
"Delivery window … opened". Here a PostgreSQL cluster of the test's own (initdb in a temporary directory, on a free
port: the shared server is never stopped) is really stopped and started again while the live monitor runs with a
fake clock.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from delivery_window import window
from delivery_window.escalation import announce
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day

SEND_DAY, TICK_DAY = date(2026, 9, 30), date(2026, 10, 1)


def _bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    assert versions, "no PostgreSQL server binaries (pg_ctl) on this machine"
    return versions[-1]


class Cluster:
    """A private PostgreSQL cluster: ``stop()`` and ``start()`` it like an outage would."""

    def __init__(self, root: Path):
        self.bin, self.data, self.log = _bin(), root / "data", root / "log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # initdb refuses to run as root: the machine's postgres user owns the cluster then
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True, timeout=60
        )

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="delivery-window-pg-"))
    os.chmod(root, 0o755)
    c = Cluster(root)
    c.start()
    with psycopg.connect(c.url) as conn:
        apply_source_contract(conn)
        apply_migrations(conn)
        for day in (SEND_DAY, TICK_DAY):
            write_day(conn, generate_day("failure_burst", day))
        conn.commit()
    yield c
    try:
        c.stop()
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(root, ignore_errors=True)


def live_monitor(url: str, day: date, monkeypatch, sender, hooks: list):
    """The live monitor over ``day`` on a fake clock, sending through ``sender``; ``hooks``: (instant, fn) run
    when the clock passes the instant."""
    from delivery_window.monitor import loop

    send_pending = announce.send_pending
    monkeypatch.setattr(
        announce, "send_pending", lambda conn, d, **kw: send_pending(conn, d, sender=sender, **kw)
    )
    clock = {"t": window.at(day, "delivery_start")}

    def sleep(seconds: float) -> None:
        clock["t"] += timedelta(seconds=seconds)
        for when, fn in list(hooks):
            if clock["t"] >= when:
                hooks.remove((when, fn))
                fn()

    opened: list = []

    def connect():
        opened.append(psycopg.connect(url, connect_timeout=2))
        return opened[-1]

    try:
        return loop.run_monitor(
            connect(), day, get_protocol(), now=lambda: clock["t"], sleep=sleep, connect=connect,
            push_series=None, poll_templates=None,
        )  # fmt: skip
    finally:
        for c in opened:
            c.close()


class Sends(list):
    """A sender that records each message; ``during_first`` runs while the first matching one is in flight."""

    def __init__(self, match: str | None = None, during_first=None):
        super().__init__()
        self.match, self.during_first = match, during_first

    def __bool__(self) -> bool:  # a sender, even before it sent anything
        return True

    def __call__(self, channel, kind, payload):
        text = str(payload.get("text") or payload)
        if self.during_first and self.match and self.match in text:
            self.during_first, hit = None, self.during_first
            hit()  # the database stops while the post is on its way; the post arrives
        self.append(text)


def statuses(url: str, day: date) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT dedup_key, status FROM delivery_ops.notifications WHERE delivery_date = %s", (day,)
        ).fetchall()
    return dict(rows)


def test_the_database_stopping_during_a_post_sends_it_once_and_monitoring_goes_on(cluster, monkeypatch):
    back = window.at(SEND_DAY, "delivery_start") + timedelta(seconds=40)
    hooks = [(back, cluster.start)]
    sent = Sends(match="Delivery window", during_first=cluster.stop)
    summary = live_monitor(cluster.url, SEND_DAY, monkeypatch, sent, hooks)
    assert summary.mode == "live" and summary.db_failures >= 1  # the database really went away
    assert summary.ticks_missed == 0 and hooks == []  # every tick evaluated once it was back
    opened = [t for t in sent if "Delivery window" in t and " opened:" in t]
    assert len(opened) == 1, opened  # the post that arrived is not posted again
    left = statuses(cluster.url, SEND_DAY)
    assert left and set(left.values()) == {"sent"}, left  # and every other message went out after


def test_the_database_stopping_between_ticks_loses_no_tick(cluster, monkeypatch):
    down = window.at(TICK_DAY, "delivery_start") + timedelta(minutes=2, seconds=30)
    hooks = [(down, cluster.stop), (down + timedelta(seconds=40), cluster.start)]
    sent = Sends()
    summary = live_monitor(cluster.url, TICK_DAY, monkeypatch, sent, hooks)
    assert summary.db_failures >= 1 and summary.ticks_missed == 0
    p = get_protocol()
    with psycopg.connect(cluster.url) as conn:
        (ticks,) = conn.execute(
            "SELECT count(DISTINCT tick_at) FROM delivery_ops.metric_ticks WHERE delivery_date = %s",
            (TICK_DAY,),
        ).fetchone()
    window_seconds = (window.close(TICK_DAY, p) - window.at(TICK_DAY, "delivery_start")).total_seconds()
    assert ticks == int(window_seconds // p.monitor.tick_seconds)  # 06:00 + k × tick up to the close: no hole
    assert len(sent) == len(set(sent))  # nothing sent twice
    assert set(statuses(cluster.url, TICK_DAY).values()) == {"sent"}

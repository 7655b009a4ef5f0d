"""The monitor's tick loop: one code path for live and replay, incremental, resumable.

Each tick is evaluated "as of" its instant ``t`` (whole seconds: 06:00 + k * tick_seconds up to 06:05 + grace):
only attempts made by ``t`` count, and a receipt counts once its ``status_at`` is <= ``t``.

- **Live** (the window is still open): the loop waits until ``t + settle_seconds``, then reads only what changed
  since the previous tick — attempts made in (previous - late_row_seconds, t] and receipts that arrived in that
  span — and adds it to the in-memory aggregates (``state.WindowState``). Rows seen again count once.
- **Replay** (the window has closed): nothing to wait for, so the ticks follow each other at once, over the same
  reads. Ticks, alerts and dedup keys are therefore the same for a live run and its replay.
- **Resume** (live): a retried task finds the last tick it wrote (``metric_ticks``), rebuilds the aggregates as of
  that tick with one read (in chunks), and goes on from the next tick. A replay recomputes every tick. Alerts and
  messages already recorded are never repeated (alerts keep their first firing, every message has a dedup key).
- **Database away** (a failed read: restart, failover, dropped connections): the read counts as a failed read of
  that tick for the Sev1 rule, the monitor reconnects, and the ticks it missed are evaluated as of their own
  instants once a read succeeds again, before the current tick; so ``metric_ticks`` has no hole and an alert fires
  at the tick it would have. Ticks still missed when the window ends are counted in ``ticks_missed``.

Per tick it writes ``metric_ticks`` (every scope), upserts firing rules into ``alerts``; a first firing opens or
updates the incident of its runbook (with the protocol's response steps on the timeline). The tick's first firings
are reported to the escalation engine in the same tick (``engine.on_alerts_fired``), which plans the grouped page
and posts and puts the due ones in the outbox; the monitor then sends what is pending. Its #delivery-ops status
lines (opened, each minute, closed) go through the engine too. It builds no message itself. It pushes the tick's
figures to Datadog (live only: Datadog takes no points older than an hour).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from delivery_window import scope, store, window
from delivery_window.connections import PAGERDUTY_API
from delivery_window.escalation import announce, engine, keys, outbox
from delivery_window.escalation.model import LEVEL_SEVERITY, PAGING_LEVELS, worst
from delivery_window.masking import masked_logger
from delivery_window.monitor import metrics, posts, rules, source
from delivery_window.monitor.state import Batch, WindowState
from delivery_window.protocol import Protocol, get_protocol
from delivery_window.records import Firing

log = masked_logger(__name__)
DATADOG_PUSH = "datadog_api:series"  # the gauges' key in the monitor's ChannelBackoff
CATCH_UP_CHUNK = timedelta(seconds=30)  # a resume or a late start reads the window in pieces this long
# A read in time slices: aggregating one slice overlaps the server packing the next.
READ_SLICES = 4


@dataclass
class MonitorSummary:
    mode: str
    ticks: int = 0
    alerts_fired: list[str] = field(default_factory=list)
    notifications_failed: int = 0
    resumed_after: datetime | None = None
    tick_ms: list[float] = field(
        default_factory=list
    )  # read + aggregate + rules + metric_ticks write, per tick
    rows_read: list[int] = field(default_factory=list)
    status_posts: int = 0
    datadog_pushed: int = 0
    datadog_failed: int = 0
    db_failures: int = 0
    ticks_missed: int = 0  # ticks never evaluated: the database was still away when the window ended


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


def without_jit(conn):
    """``conn`` with Postgres' JIT compilation off for its session, committed (a rolled-back SET would not stay).

    A tick's reads are short range scans, but the planner prices a slice whose bounds lie past the statistics'
    histogram (the first tick's read of the hours before 06:00, a live read of seconds not analysed yet) at
    ~125,000, over the default ``jit_above_cost`` of 100,000: the LLVM compile then took 14-35 ms of a query that
    runs in 0.05 ms. Measured on the bench day: the first tick 78-118 ms with JIT, see the closing note.
    """
    store.execute(conn, "set_session_jit_off")
    conn.commit()
    return conn


def _is_db_error(exc: BaseException) -> bool:
    """A lost or refused database connection (psycopg 2 or 3), as opposed to a bug."""
    return type(exc).__name__ in {"OperationalError", "InterfaceError", "AdminShutdown", "ConnectionTimeout"}


def push_datadog(series: list[dict[str, Any]]) -> None:
    """POST the series to Datadog (``/api/v2/series``) through the ``datadog_api`` connection."""
    from delivery_window.connections import DATADOG
    from delivery_window.hooks.datadog import DatadogHook

    timeout = get_protocol().checks.http_timeout_seconds
    DatadogHook(DATADOG, method="POST", timeout_seconds=timeout).call(
        "api/v2/series", json_body={"series": series}
    )


def poll_whatsapp_templates() -> list[dict[str, Any]]:
    """The WABA's templates (name, language, status) from the WhatsApp Cloud API."""
    from delivery_window.connections import WHATSAPP
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    return WhatsAppCloudHook(WHATSAPP, timeout_seconds=get_protocol().checks.http_timeout_seconds).templates()


def _read_account(protocol: Protocol) -> Any:
    """The WhatsApp account's fields now (issue 14; ``account_health.read_account``)."""
    from delivery_window.account_health import read_account

    return read_account(protocol)


class _Monitor:
    """One run of the monitor over one day (the loop below drives it tick by tick)."""

    def __init__(self, conn, day: date, protocol: Protocol, *, dry_run: bool, now, connect) -> None:
        self.conn, self.day, self.p, self.dry_run, self.now, self.connect = (
            without_jit(conn), day, protocol, dry_run, now, connect,
        )  # fmt: skip
        self.second = None  # a live read's second connection, opened at its first use (_readers)
        at_, s1 = protocol.alert_thresholds, protocol.severity_1
        self.start = window.at(day, "delivery_start")
        self.ticks = metrics.tick_times(day, protocol)
        self.close = window.close(day, protocol)
        self.directory = source.load_directory(conn)
        self.state = WindowState(
            self.start, self.close, self.directory, source.known_numbers(conn),
            failure_window_minutes=at_.failure_rate_window_minutes,
            minute_spans=s1.success_floor_consecutive_minutes,
            advisor_window_minutes=at_.advisor_failures_window_minutes,
            advisor_failures_floor=at_.advisor_failures_max,
            latency_percentile=protocol.primary_metrics.api_latency_percentile,
            window_ends=protocol.monitor.tick_seconds,
        )  # fmt: skip
        baseline = source.baseline_p95s(conn, day, protocol)
        baseline_ms, is_default = rules.baseline_with_default([p for _, p in baseline], protocol)
        self.ctx = rules.RuleContext(
            day=day,
            advisors_targeted=self.directory.targeted,
            latency_baseline_ms=baseline_ms,
            baseline_days=tuple(d for d, _ in baseline),
            baseline_is_default=is_default,
        )
        self.db_reads: list[tuple[datetime, bool]] = []
        self.advisor_names: dict[int, str] = {}
        self.observations = source.template_observations(conn, day)
        self.in_use: list[tuple[str, str]] | None = None
        self.last_poll: datetime | None = None
        self.last_account_poll: datetime | None = None  # issue 14: the account-health poll's own cadence
        # (rule, scope) -> level of everything that fired this day; incident severity per runbook
        self.fired: dict[tuple[str, str], str] = {}
        self.incident_severity: dict[str, str] = {}
        self.peak_rate = 0
        self.prev: datetime | None = None
        self.last_read_at: datetime | None = None  # wall clock of the previous read
        self.groups_open_until: datetime | None = None  # a group batch may come due until then (replan)
        self.direct_pages: list[tuple[Firing, list]] = []  # paged while the database was down (ledger rows)
        for a in store.alerts(conn, day):
            self.fired[(a["rule"], a["scope"])] = a["severity"]
            runbook = protocol.alert_rules[a["rule"]].runbook if a["rule"] in protocol.alert_rules else None
            if runbook:
                self.incident_severity[runbook] = worst(
                    self.incident_severity.get(runbook, "minor"), LEVEL_SEVERITY.get(a["severity"], "minor")
                )

    # -- reading ------------------------------------------------------------------------------------------
    def catch_up(self, until: datetime) -> int:
        """Rebuild the aggregates as of ``until`` with one read, and the peak rate from the ticks written (resume
        after a retry)."""
        everything = self.start - timedelta(days=1)
        rows = self._read(everything, everything, until)
        self.prev = until
        self.peak_rate = source.peak_rate(self.conn, self.day, until)
        return rows

    def _read(self, lo: datetime, lo_status: datetime, t: datetime, split: datetime | None = None) -> int:
        """Read and ingest; a long span (first tick of a late start, resume) goes in chunks to bound memory.

        Attempts made after ``split`` come in full, those made by it (read before) as receipts only.
        """
        read_at = self.now()
        spans = [(lo, lo_status, t, split)]
        if lo_status <= lo and (t - lo) > CATCH_UP_CHUNK:
            # every receipt up to t belongs to an attempt made by t: the attempts alone say it all
            edges = [lo, max(lo, self.start - CATCH_UP_CHUNK)]
            while edges[-1] + CATCH_UP_CHUNK < t:
                edges.append(edges[-1] + CATCH_UP_CHUNK)
            edges.append(t)
            spans = [(a, t, b, None) for a, b in zip(edges, edges[1:], strict=False) if b > a]
        rows = 0
        for a, a_status, b, a_split in spans:
            deferred = []  # slices that need the connection (names of new numbers, rows written late)
            a_split = a if a_split is None else a_split
            for changes in source.iter_changes(
                self._readers(receipts=a_status < b or a_split > a), self.day, a, b, a_status, split=a_split,
                pieces=READ_SLICES,
            ):  # fmt: skip
                rows += len(changes)
                # as of t: outcomes after t wait in memory
                unseen = self.state.count_receipts(changes.receipts, t)
                batch = changes.rows
                if unseen.size or self.state.unknown_numbers(batch):
                    deferred.append((batch, unseen))
                else:
                    self.state.ingest(batch, t)
            if deferred:
                late = np.unique(np.concatenate([u for _, u in deferred]))
                batches = [b for b, _ in deferred]
                if late.size:  # written after the read of their time: read them in full, once
                    log.info("%d attempts written late, read by id", late.size)
                    batches.append(source.read_attempts(self.conn, self.day, late.tolist()))
                for batch in batches:
                    self._name_numbers(batch, min(a, a_status), b)
                    self.state.ingest(batch, t)
        self.last_read_at = read_at  # only a read that succeeded moves the bound
        return rows

    def _readers(self, *, receipts: bool) -> list[Any]:
        """The connections a read uses. A read of new attempts only (a replay) is bound by the monitor's own
        aggregation: one connection, so the server packing the next slice takes the other core and nothing
        more. A read that also re-reads receipts (live) is twice the server's work: a second connection shares
        it. Measured on two cores, interleaved: replay p95 81 -> 65 ms with one connection; live read pattern p50
        90 -> 69 ms with two."""
        if not receipts or self.connect is None:
            return [self.conn]
        if self.second is None:
            try:
                self.second = without_jit(self.connect())
            except Exception as exc:  # the read goes on with one connection; the next read tries again
                log.warning("no second connection, this read uses one: %s", exc)
                return [self.conn]
        return [self.conn, self.second]

    def _name_numbers(self, batch: Batch, lo: datetime, t: datetime) -> None:
        """Give sender numbers first seen in ``batch`` a scope (their names from the rows of (lo, t])."""
        unknown = self.state.unknown_numbers(batch)
        if unknown:
            names = source.numbers_by_key(self.conn, self.day, lo, t, sorted(unknown))
            names.update({k: f"unknown-{k & 0xFFFFFFFF:08x}" for k in unknown - set(names)})
            self.state.add_numbers(names)

    def read_tick(self, t: datetime) -> int:
        """Read what changed since the previous tick and add it to the aggregates.

        Rows are written up to ``late_row_seconds`` after their timestamps, so a row the previous read could not
        see has its timestamp after (previous read - late_row_seconds): attempts are read from there or from the
        previous tick, whichever is earlier, receipts from there. Live (read at tick + settle) that re-reads the
        last seconds before the previous tick; a replay (previous read long after the window) reads only the
        attempts made since the previous tick and no receipt twice (outcomes known early wait in memory).
        """
        if self.prev is None or self.last_read_at is None:
            everything = self.start - timedelta(days=1)  # first tick: every attempt of the day made by t
            return self._read(everything, everything, t)
        unseen = self.last_read_at - timedelta(seconds=self.p.monitor.late_row_seconds)
        return self._read(min(self.prev, unseen), unseen, t, split=self.prev)

    def resolve_advisors(self, snap) -> None:
        keys = [
            k for k, n in snap.advisor_failures.items() if n > self.p.alert_thresholds.advisor_failures_max
        ]
        missing = [k for k in keys if k not in self.advisor_names]
        if missing:
            since = snap.t - timedelta(minutes=self.p.alert_thresholds.advisor_failures_window_minutes)
            self.advisor_names.update(source.advisors_by_key(self.conn, self.day, since, snap.t, missing))

    def poll_templates(self, t: datetime, live: bool, poll: Callable[[], list[dict]] | None) -> None:
        """Live only: record the templates' statuses now (as of ``t``); a replay uses what was recorded."""
        if not live or poll is None:
            return
        if (
            self.last_poll is not None
            and (t - self.last_poll).total_seconds() < self.p.monitor.template_poll_seconds
        ):
            return
        self.last_poll = t
        if self.in_use is None:
            self.in_use = source.templates_in_use(self.conn, self.day)
        try:
            seen = poll()
        except Exception as exc:  # an unreachable API must not stop the monitor; the next poll retries
            log.warning("template poll failed: %s", exc)
            return
        wanted = set(self.in_use)
        for tpl in seen:
            k = (tpl.get("name"), tpl.get("language"))
            if k in wanted and tpl.get("status"):
                source.record_template_status(self.conn, self.day, k[0], k[1], tpl["status"], t)
        self.observations = source.template_observations(self.conn, self.day)

    def poll_account(self, t: datetime, live: bool, read: Callable[[Protocol], Any] | None) -> None:
        """Issue 14: live, look at the WhatsApp account every ``monitor.account_health_poll_seconds`` (recorded,
        judged, a restriction escalated); a replay re-judges what the record's monitor saw up to ``t``."""
        from delivery_window import account_health

        if live:
            if read is None or (
                self.last_account_poll is not None
                and (t - self.last_account_poll).total_seconds() < self.p.monitor.account_health_poll_seconds
            ):
                return
            self.last_account_poll = t
            account_health.look(self.conn, self.day, account_health.MONITOR, t, self.p, ask=True, send=False,
                                read=read)  # fmt: skip
            return
        account_health.look(self.conn, self.day, account_health.MONITOR, t, self.p, ask=False, send=False,
                            since=self.last_account_poll)  # fmt: skip
        self.last_account_poll = t

    # -- acting -------------------------------------------------------------------------------------------
    def record_firing(self, firing: Firing, snap, summary: MonitorSummary) -> list[tuple[Firing, str | None]]:
        """Upsert the alert; on its first firing open/update the incident and put the response steps on its
        timeline. Returns [(firing, incident id)] for a first firing (the engine then plans its messages)."""
        first = store.record_alert(
            self.conn, self.day, firing, keys.alert_key(self.day, firing.rule, firing.scope)
        )
        self.fired.setdefault((firing.rule, firing.scope), firing.severity)
        if not first:
            return []
        summary.alerts_fired.append(firing.rule)
        log.warning("ALERT %s %s %s: %s", firing.rule, firing.severity, firing.scope, firing.summary)
        rule = self.p.alert_rules[firing.rule]
        incident_id = None
        if rule.runbook:
            sev = worst(self.incident_severity.get(rule.runbook, "minor"), LEVEL_SEVERITY[firing.severity])
            self.incident_severity[rule.runbook] = sev
            incident_id = store.open_incident(self.conn, self.day, rule.runbook, sev, firing.at)
            store.add_timeline(
                self.conn, incident_id, f"alert:{firing.rule}:{firing.scope}", firing.at,
                level=firing.severity, summary=firing.summary,
            )  # fmt: skip
            open_now = len(self.incident_severity)  # this day's runbook incidents, this one included
            for step, details in posts.response_steps(firing, rule.runbook, snap, open_now, self.p):
                store.add_timeline(self.conn, incident_id, step, firing.at, **details)
            if firing.severity == "severity_2":
                others = [
                    s for (r, s), lvl in self.fired.items() if lvl == "severity_2" and s != firing.scope
                ]
                if others:
                    store.add_timeline(
                        self.conn, incident_id, f"impact_expanded:{firing.rule}:{firing.scope}", firing.at,
                        already=sorted(others),
                    )  # fmt: skip
            self.note_secondary(firing.at)
        return [(firing, incident_id)]

    def note_secondary(self, at: datetime) -> None:
        """Step 5 on every paging incident once a second runbook's incident opened, whichever alert opened it (a
        Sev2 opening the second one makes level 2 page the secondary too); once per incident."""
        needed = posts.secondary_needed(len(self.incident_severity), self.p)
        if needed is None:
            return
        paging = {
            self.p.alert_rules[r].runbook
            for (r, _), level in self.fired.items()
            if level in PAGING_LEVELS and r in self.p.alert_rules and self.p.alert_rules[r].runbook
        }
        for runbook in sorted(paging & set(self.incident_severity)):
            store.add_timeline(
                self.conn, keys.incident_id(self.day, runbook), posts.SECONDARY_STEP, at, **needed
            )

    def record_sent(self, fresh: list[tuple[Firing, str | None]], rows: list[dict[str, Any]]) -> None:
        """After the send: the response steps that are a sent message (paged, war room joined...), from the
        messages the engine queued for each first firing's incident in this tick."""
        status = source.notification_statuses(self.conn, [r["dedup_key"] for r in rows])
        war_room = f"slack:{self.p.communication_channels.slack_channels.critical_incidents}"
        for firing, incident_id in fresh:
            if incident_id is None:
                continue
            steps = posts.sent_steps(firing, self.p)
            for r in rows:
                if r["incident_id"] != incident_id:
                    continue
                if r["kind"] == "slack_message" and r["channel"] != war_room:
                    continue  # a rule's own channel: the war-room post is the response step
                kind = "pagerduty" if r["kind"] == "pagerduty_event" else "slack"
                if kind in steps and status.get(r["dedup_key"]) in ("sent", "dry_run"):
                    step, what = steps[kind]
                    store.add_timeline(
                        self.conn, incident_id, step, self.now(), state=status[r["dedup_key"]], what=what,
                        dedup_key=r["dedup_key"], alert=f"{firing.rule}:{firing.scope}",
                    )  # fmt: skip
        self.conn.commit()

    def track_acknowledgements(self, t: datetime, flushed, dry_run: bool, backoff):
        """Sev-1 step 1: read back whether the pages were acknowledged; a breach brings the secondary's page due
        now (the chain re-planned and sent in this tick). A database error here is left to the next tick."""

        def read(key: str):  # a PagerDuty that fails is left alone for a while, not asked on every tick
            if backoff.waiting(PAGERDUTY_API):
                raise RuntimeError(f"{PAGERDUTY_API} backing off: {backoff.why.get(PAGERDUTY_API)}")
            try:
                found = engine.read_pagerduty_incident(key, self.p)
            except Exception as exc:
                backoff.failed(PAGERDUTY_API, outbox.retry_after_of(exc), str(exc)[:300])
                raise
            backoff.succeeded(PAGERDUTY_API)
            return found

        try:
            if not engine.track_acknowledgements(self.conn, self.day, t, self.p, read=read):
                return flushed
            engine.replan(self.conn, self.day, t, self.p)
            self.conn.commit()
        except Exception as exc:
            if not _is_db_error(exc):
                raise
            self.conn.rollback()
            return flushed
        return announce.send_pending(self.conn, self.day, dry_run=dry_run, backoff=backoff)

    def status_post(self, index: int, snap) -> bool:
        what = posts.status_due(self.ticks, index, self.p)
        if what is None:
            return False
        w = posts.figures(snap, self.directory.targeted, self.peak_rate, self.fired)
        return announce.post_window_status(self.conn, self.day, what, w, self.p)

    # -- the database went away -----------------------------------------------------------------------------
    def reconnect(self) -> None:
        """Drop the failed connection's transaction and open a new one (the next read or flush uses it)."""
        try:
            self.conn.rollback()
        except Exception:  # the connection is gone; a new one below
            pass
        if self.connect is not None:
            try:
                self.conn = without_jit(self.connect())
            except Exception as again:
                log.error("reconnect failed: %s", again)
            self.second = None  # gone with the database too: the next live read opens a new one

    def send_interrupted(self, t: datetime, exc: BaseException, summary: MonitorSummary) -> None:
        """The database went away while the tick's messages were sent: reconnect and keep ticking. The tick
        itself is recorded; what was sent but not marked is marked by the next flush, the rest is still pending."""
        summary.db_failures += 1
        log.error("tick %s: database failed while sending (kept for the next tick): %s", t.isoformat(), exc)
        self.reconnect()

    def db_down(self, t: datetime, exc: BaseException, summary: MonitorSummary) -> None:
        """Record the failed read; page directly (no outbox: it is in that database) when the Sev1 rule fires."""
        summary.db_failures += 1
        self.db_reads.append((t, False))
        log.error("tick %s: database read failed: %s", t.isoformat(), exc)
        self.reconnect()
        ctx = rules.RuleContext(self.day, self.directory.targeted, db_reads=tuple(self.db_reads))
        for firing in rules.evaluate_db(ctx, t, self.p):
            if (firing.rule, firing.scope) in self.fired:
                continue
            self.fired[(firing.rule, firing.scope)] = firing.severity
            rows = announce.page_without_database(self.day, firing, self.p, dry_run=self.dry_run)
            self.direct_pages.append((firing, rows))

    def record_direct_pages(self) -> None:
        """Once the database is back: the alerts paged directly get their rows, their messages count as sent."""
        for firing, rows in self.direct_pages:
            store.record_alert(
                self.conn, self.day, firing, keys.alert_key(self.day, firing.rule, firing.scope)
            )
            runbook = self.p.alert_rules[firing.rule].runbook
            if runbook:
                self.incident_severity[runbook] = "critical"  # an incident open now (step 5 counts them)
                incident_id = store.open_incident(self.conn, self.day, runbook, "critical", firing.at)
                store.add_timeline(
                    self.conn,
                    incident_id,
                    f"alert:{firing.rule}:{firing.scope}",
                    firing.at,
                    level=firing.severity,
                    summary=firing.summary,
                    sent="directly (database down)",
                )
                self.note_secondary(firing.at)
            announce.record_sent_directly(self.conn, rows, dry_run=self.dry_run)
        self.direct_pages = []


def run_monitor(
    conn,
    day: date,
    protocol: Protocol,
    *,
    dry_run: bool = False,
    now: Callable[[], datetime] = _now,
    sleep: Callable[[float], None] = time.sleep,
    connect: Callable[[], Any] | None = None,
    stop: Callable[[], bool] | None = None,
    push_series: Callable[[list[dict[str, Any]]], None] | None = push_datadog,
    poll_templates: Callable[[], list[dict[str, Any]]] | None = poll_whatsapp_templates,
    poll_account: Callable[[Protocol], Any] | None = None,
) -> MonitorSummary:
    """Evaluate every tick of the day's window; record ticks, alerts and incidents; notify first firings at once.

    ``now``/``sleep`` make live mode testable with a fake clock and a short ``monitor.tick_seconds``;
    ``connect`` opens more connections (the caller closes every one it opened): a live read's second one
    (``_Monitor._readers``) and new ones after a database failure; ``stop`` ends a live run early (benchmarks).
    """
    m = _Monitor(conn, day, protocol, dry_run=dry_run, now=now, connect=connect)
    # A channel that failed is left alone for a while (not retried every tick): see notify's docstring.
    backoff = outbox.ChannelBackoff(seconds=protocol.monitor.send_backoff_seconds)
    live = now() < m.close
    summary = MonitorSummary(mode="live" if live else "replay")
    settle = timedelta(seconds=protocol.monitor.settle_seconds)

    # A retried live task resumes after the last tick it wrote (its first attempt already paged what it saw).
    # A replay recomputes every tick (a couple of seconds even at 1M attempts), so a rerun after a data fix gives
    # fresh ticks; either way alerts keep their first firing and no message is sent twice.
    done = source.watermark(m.conn, day) if live else None
    if done is not None and done >= m.ticks[0]:
        summary.resumed_after = done
        m.catch_up(done)
        log.info("resuming after tick %s", done.isoformat())

    def evaluate(index: int, t: datetime, at: datetime) -> bool:
        """One tick "as of" ``t``, read at tick ``at`` (later than ``t`` for a missed tick); False when the read
        failed (recorded as the failed read of tick ``at``, reconnected)."""
        late = at != t
        started = time.perf_counter()
        try:
            rows = m.read_tick(t)
            snap = m.state.snapshot(t)
            if not late:  # a late (backfilled) read is not the read the Sev1 database rule judges
                m.db_reads.append((t, True))
            if m.direct_pages:
                m.record_direct_pages()
            m.resolve_advisors(snap)
            m.poll_templates(
                t, live and now() - t < timedelta(seconds=protocol.monitor.tick_seconds), poll_templates
            )
            m.poll_account(
                t,
                live and now() - t < timedelta(seconds=protocol.monitor.tick_seconds),
                poll_account or _read_account,
            )
            ctx = rules.RuleContext(
                day=day,
                advisors_targeted=m.directory.targeted,
                latency_baseline_ms=m.ctx.latency_baseline_ms,
                baseline_days=m.ctx.baseline_days,
                baseline_is_default=m.ctx.baseline_is_default,
                db_reads=tuple(m.db_reads),
                template_changes=tuple(rules.template_changes(m.observations, t)),
                advisor_names=m.advisor_names,
            )
            firings = rules.evaluate(snap, ctx, protocol)
            source.record_ticks(m.conn, day, snap.metrics)
            summary.tick_ms.append((time.perf_counter() - started) * 1000)
            summary.rows_read.append(rows)
            m.peak_rate = max(m.peak_rate, snap.overall.rate_per_min)
            fresh = []
            for firing in firings:
                fresh += m.record_firing(firing, snap, summary)
            queued = []
            if fresh:  # the engine plans the grouped page and posts, and queues what is due now
                result = engine.on_alerts_fired(m.conn, day, [f for f, _ in fresh], protocol, t)
                queued = result.enqueued_rows
                g = protocol.grouping
                m.groups_open_until = t + timedelta(seconds=g.group_wait_seconds + g.group_interval_seconds)
            elif m.groups_open_until is not None and t <= m.groups_open_until:
                engine.replan(m.conn, day, t, protocol)  # a batch still gathering alerts may come due now
            else:  # another due step (nothing of a group can come due)
                engine.enqueue_due(m.conn, day, t)
            summary.status_posts += int(m.status_post(index, snap))
            m.conn.commit()
        except Exception as exc:
            if not _is_db_error(exc):
                raise
            m.db_down(at, exc, summary)  # the next good read starts again from the last good tick
            return False
        try:  # the tick is committed; a database error while sending loses nothing (outbox) and ends nothing
            flushed = announce.send_pending(m.conn, day, dry_run=dry_run, backoff=backoff)
            if scope.may_send(dry_run):  # pages this run did not send have no acknowledgement to read
                flushed = m.track_acknowledgements(t, flushed, dry_run, backoff)
            summary.notifications_failed = (
                len(flushed.failed) + flushed.deferred
            )  # still pending after this tick
            if fresh:
                m.record_sent(fresh, queued)
        except Exception as exc:
            if not _is_db_error(exc):
                raise
            m.send_interrupted(t, exc, summary)  # the next tick's flush sends (or marks) what is left
        if push_series is not None and not dry_run and not late and not backoff.waiting(DATADOG_PUSH):
            age = (now() - t).total_seconds()
            if age <= protocol.monitor.datadog_max_point_age_seconds:
                try:
                    push_series(
                        posts.datadog_series(day, snap.metrics, protocol)
                        + posts.datadog_window_series(day, snap, protocol)
                    )
                    summary.datadog_pushed += 1
                except Exception as exc:  # metrics are best effort: a later tick pushes its own points
                    summary.datadog_failed += 1
                    backoff.failed(DATADOG_PUSH, outbox.retry_after_of(exc))  # not at every tick while down
                    log.warning("Datadog push for %s failed: %s", t.isoformat(), exc)
        m.prev = t
        summary.ticks += 1
        return True

    # Ticks whose read failed (the database was away) are evaluated once it is back, in order and "as of" their
    # own instants, before the current tick: the series has no hole and a rule fires at the tick it would have.
    missed: list[tuple[int, datetime]] = []
    for index, t in enumerate(m.ticks):
        if done is not None and t <= done:
            continue
        if stop is not None and stop():
            break
        if live:
            wait = (t + settle - now()).total_seconds()
            if wait > 0:
                sleep(wait)
        while missed and evaluate(*missed[0], at=t):
            missed.pop(0)
        if missed or not evaluate(index, t, at=t):
            missed.append((index, t))
    if missed:
        summary.ticks_missed = len(missed)
        log.error(
            "%d ticks never evaluated (database unavailable): %s ..", len(missed), missed[0][1].isoformat()
        )
    return summary

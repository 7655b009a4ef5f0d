"""The incremental aggregates (``WindowState``) against the whole-list definitions (``naive_snapshot``)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from attempts_factory import DAY, at

from delivery_window import window
from delivery_window.monitor import metrics
from delivery_window.monitor.state import (
    PENDING,
    REMEMBERED,
    AttemptStates,
    Batch,
    Directory,
    Receipts,
    WindowState,
    from_us,
    to_us,
)
from delivery_window.protocol import get_protocol
from delivery_window.records import Attempt

P = get_protocol()
START = at("06:00:00")
CLOSE = window.close(DAY, P)
TICKS = metrics.tick_times(DAY, P)


def random_day(seed: int, n: int = 1200) -> tuple[list[Attempt], dict[str, tuple[str, bool]]]:
    rng = random.Random(seed)
    advisors = {
        f"A{i:04d}": (rng.choice(["gold", "silver", "standard"]), rng.random() < 0.95) for i in range(400)
    }
    out = []
    for i in range(n):
        attempted = START + timedelta(microseconds=rng.randint(-40_000_000, 330_000_000))
        status = rng.choice(["sent", "delivered", "read", "failed", "failed"])
        out.append(
            Attempt(
                attempt_id=10_000 + 3 * i if i % 50 else 10**12 + i,  # unique, mostly close together
                advisor_id=rng.choice([*advisors, "UNKNOWN-1"]),
                segment=rng.randint(1, 4),
                phone_number_id=rng.choice(["n1", "n2", "n3", "n4"]),
                attempted_at=attempted,
                api_latency_ms=rng.choice([rng.randint(40, 3000), rng.randint(40, 400), 70_000]),
                status=status,
                error_code=rng.choice([None, 131000, 131026, 1, 0]) if status == "failed" else None,
                status_at=attempted + timedelta(microseconds=rng.randint(0, 45_000_000)),
            )
        )
    return out, advisors


def new_state(advisors, floor=1) -> WindowState:
    return WindowState(
        START,
        CLOSE,
        Directory.from_advisors(advisors),
        advisor_failures_floor=floor,
        window_ends=P.monitor.tick_seconds,
    )


def feed(ws: WindowState, rows: list[Attempt], t, pieces: int = 1) -> None:
    """Ingest ``rows`` as of ``t``; in several pieces like a sliced read, where a row may come in two pieces."""
    chunks = [rows[k::pieces] for k in range(pieces)]
    if pieces > 1:
        # a second copy of some rows of other pieces (one piece never holds a row twice: one query's rows)
        chunks[-1] = chunks[-1] + [r for i, r in enumerate(rows) if i % 5 == 0 and i % pieces != pieces - 1]
    for chunk in chunks:
        batch, numbers = Batch.from_attempts(chunk)
        ws.add_numbers(numbers)
        ws.ingest(batch, t)


def changed(rows, lo, t, lo_status=None):
    """What the tick read returns: attempts made in (lo, t] and receipts that arrived in (lo_status, t]."""
    lo_status = lo if lo_status is None else lo_status
    return [
        a for a in rows if lo < a.attempted_at <= t or (lo_status < a.status_at <= t and a.status != "sent")
    ]


def naive(rows, advisors, t, floor=1):
    return metrics.naive_snapshot(rows, t, P, {k: v[0] for k, v in advisors.items()}, advisor_floor=floor)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("overlap_s", [0, 5, 30])
@pytest.mark.parametrize("pieces", [1, 3])
def test_tick_by_tick_reads_equal_the_whole_list_at_every_tick(seed, overlap_s, pieces):
    rows, advisors = random_day(seed)
    ws, prev = new_state(advisors), None
    for t in TICKS:
        lo = START - timedelta(days=1) if prev is None else prev - timedelta(seconds=overlap_s)
        feed(ws, changed(rows, lo, t), t, pieces)
        assert ws.snapshot(t) == naive(rows, advisors, t), t
        prev = t


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("pieces", [1, 4])
def test_replay_reads_only_new_attempts_and_counts_later_receipts_from_memory(seed, pieces):
    """A replay's previous read came after every receipt: it re-reads no receipts, the pending outcomes count
    at their tick."""
    rows, advisors = random_day(seed)
    ws, prev = new_state(advisors), None
    for t in TICKS:
        lo = START - timedelta(days=1) if prev is None else prev
        lo_status = START - timedelta(days=1) if prev is None else CLOSE + timedelta(days=1)
        feed(ws, changed(rows, lo, t, lo_status), t, pieces)
        assert ws.snapshot(t) == naive(rows, advisors, t), t
        prev = t
    assert len(ws.pending) == 0 or max(ws.pending[:, PENDING["status_us"]]) > to_us(TICKS[-1])


def feed_split(ws: WindowState, rows: list[Attempt], lo, lo_status, split, t) -> int:
    """The loop's read: attempts made after ``split`` in full, the rest as receipts counted from memory (in two
    slices, some receipts in both, like the again and status parts of a read), and the ids never counted read
    again in full. Returns how many rows were read by id."""
    got = changed(rows, lo, t, lo_status)
    full, numbers = Batch.from_attempts([a for a in got if a.attempted_at > max(lo, split)])
    ws.add_numbers(numbers)
    old = [a for a in got if a.attempted_at <= split]
    unseen = set()
    for piece in (old[::2], old[1::2] + old[::6]):
        unseen.update(ws.count_receipts(Receipts.from_batch(Batch.from_attempts(piece)[0]), t).tolist())
    late, numbers = Batch.from_attempts([a for a in old if a.attempt_id in unseen])
    ws.add_numbers(numbers)
    ws.ingest(Batch.concat(full, late), t)
    return len(late)


@pytest.mark.parametrize("seed", [1, 2])
def test_receipts_completed_from_remembered_fields_equal_full_rows_at_every_tick(seed):
    """Live: rows written up to 12 s after their attempt; each read re-reads 15 s, gets the attempts of earlier
    ticks as receipts only (four columns) and reads by id the few it had never counted."""
    rows, advisors = random_day(seed)

    def visible(t):
        return [
            a for a in rows if a.attempted_at + timedelta(seconds=12 if a.attempt_id % 7 == 0 else 0) <= t
        ]

    ws, prev, by_id = new_state(advisors), None, 0
    for t in TICKS:
        if prev is None:
            lo = lo_status = split = START - timedelta(days=1)
        else:
            lo, lo_status, split = prev - timedelta(seconds=15), prev - timedelta(seconds=15), prev
        by_id += feed_split(ws, visible(t), lo, lo_status, split, t)
        assert ws.snapshot(t) == naive(visible(t), advisors, t), t
        prev = t
    assert by_id > 10  # the late rows came through the by-id read


def test_a_fresh_copy_of_a_pending_row_counts_once():
    row = Attempt(1, "A0001", 1, "n1", at("06:00:05"), 300, "delivered", None, at("06:00:25"))
    ws = new_state({"A0001": ("gold", True)})
    feed(ws, [row], at("06:00:10"))  # outcome known, receipt later: pending
    feed(ws, [row, replace(row, status="read", status_at=at("06:00:28"))][1:], at("06:00:30"))
    o = ws.snapshot(at("06:00:30")).overall
    assert (o.attempts, o.resolved, o.delivered) == (1, 1, 1) and len(ws.pending) == 0


def test_a_receipt_later_than_its_tick_waits_and_counts_once():
    """A live read at t + settle sees a receipt of after t: it counts at the first tick after it, once, however
    often it is read again."""
    sent = Attempt(1, "A0001", 1, "n1", at("06:00:05"), 300, "sent", None, at("06:00:05"))
    failed = replace(
        sent, status="failed", error_code=131026, status_at=at("06:00:20") + timedelta(milliseconds=500)
    )
    ws = new_state({"A0001": ("gold", True)})
    feed(ws, [sent], at("06:00:10"))
    receipt = Receipts.from_batch(Batch.from_attempts([failed])[0])
    assert ws.count_receipts(receipt, at("06:00:20")).size == 0  # read at 06:00:21: after the tick
    assert ws.snapshot(at("06:00:20")).overall.resolved == 0 and len(ws.pending) == 1
    for t in (at("06:00:30"), at("06:00:40")):
        ws.count_receipts(receipt, t)
        o = ws.snapshot(t).overall
        assert (o.attempts, o.resolved, o.failed) == (1, 1, 1) and len(ws.pending) == 0
        assert list(ws.snapshot(t).advisor_failures.values()) == [1]  # one failure, not one a read


def test_resume_from_one_catch_up_read_equals_the_uninterrupted_run():
    rows, advisors = random_day(7)
    cut = TICKS[17]
    ws = new_state(advisors)
    feed(ws, changed(rows, START - timedelta(days=1), cut), cut)  # the retried task's one read
    prev = cut
    for t in TICKS[18:]:
        feed(ws, changed(rows, prev - timedelta(seconds=5), t), t)
        assert ws.snapshot(t) == naive(rows, advisors, t)
        prev = t


def test_a_row_read_again_counts_once():
    rows, advisors = random_day(11, n=500)
    ws = new_state(advisors)
    t = TICKS[20]
    for _ in range(3):
        feed(ws, [a for a in rows if a.attempted_at <= t], t)
    assert ws.snapshot(t) == naive(rows, advisors, t)


def test_live_row_updates_sent_delivered_read_count_once():
    """Live, a row changes under the monitor: first 'sent', then 'delivered', then 'read' (same attempt id)."""
    base = Attempt(1, "A0001", 1, "n1", at("06:00:05"), 300, "sent", None, at("06:00:05"))
    advisors = {"A0001": ("gold", True)}
    ws = new_state(advisors)
    feed(ws, [base], at("06:00:10"))
    feed(ws, [replace(base, status="delivered", status_at=at("06:00:14"))], at("06:00:20"))
    feed(ws, [replace(base, status="read", status_at=at("06:00:25"))], at("06:00:30"))
    o = ws.snapshot(at("06:00:30")).overall
    assert (o.attempts, o.resolved, o.delivered, o.failed) == (1, 1, 1, 0)


def test_a_row_written_late_is_counted_when_a_read_reaches_it():
    """An attempt made at 06:00:09 but written after the 06:00:10 tick's read: the next read (overlap) counts it."""
    early = Attempt(1, "A0001", 1, "n1", at("06:00:02"), 300, "delivered", None, at("06:00:04"))
    late = Attempt(2, "A0002", 1, "n1", at("06:00:09"), 900, "delivered", None, at("06:00:11"))
    advisors = {"A0001": ("gold", True), "A0002": ("gold", True)}
    ws = new_state(advisors)
    feed(ws, [early], at("06:00:10"))  # the late row was not there yet
    lo = at("06:00:10") - timedelta(seconds=P.monitor.late_row_seconds)
    feed(ws, changed([early, late], lo, at("06:00:20")), at("06:00:20"))
    snap = ws.snapshot(at("06:00:20"))
    assert (snap.overall.attempts, snap.overall.delivered, snap.advisors_attempted) == (2, 2, 2)


def test_latency_sketch_percentile_is_exact():
    rng = np.random.default_rng(5)
    for n in (1, 2, 19, 20, 21, 100, 1001):
        lat = rng.integers(0, 70_000, n).tolist()
        rows = [
            Attempt(i + 1, "A", 1, "n1", at("06:00:01"), v, "sent", None, at("06:00:01"))
            for i, v in enumerate(lat)
        ]
        ws = new_state({"A": ("gold", True)})
        feed(ws, rows, at("06:00:10"))
        want = metrics.percentile([min(v, metrics.LATENCY_MAX_MS) for v in lat], 95)
        assert ws.snapshot(at("06:00:10")).overall.p95_latency_ms == want


def test_percentile_rank_is_integer_exact():
    assert metrics.p95(list(range(1, 101))) == 95
    assert metrics.p95(list(range(1, 21))) == 19  # ceil(0.95 * 20) = 19, no float rounding to 20
    assert metrics.p95([]) is None


def test_scopes_are_overall_segments_tiers_numbers_with_attempts():
    rows, advisors = random_day(3, n=300)
    ws = new_state(advisors)
    t = TICKS[-1]
    feed(ws, rows, t)
    scopes = [m.scope for m in ws.snapshot(t).metrics]
    assert scopes[0] == "overall" and scopes[1:] == sorted(scopes[1:])
    assert {s.split(":")[0] for s in scopes[1:]} == {"segment", "tier", "number"}
    assert "tier:gold" in scopes and "number:n1" in scopes and "segment:4" in scopes


def test_unknown_sender_number_must_be_named_first():
    ws = new_state({"A": ("gold", True)})
    batch, numbers = Batch.from_attempts(
        [Attempt(1, "A", 1, "n9", at("06:00:01"), 1, "sent", None, at("06:00:01"))]
    )
    with pytest.raises(KeyError, match="sender numbers without a scope"):
        ws.ingest(batch, at("06:00:10"))
    ws.add_numbers(numbers)
    assert ws.ingest(batch, at("06:00:10")) == 1


def test_attempt_states_follow_any_ids():
    s = AttemptStates()
    ids = np.array([1, 4095, 4096, 10**12, 10**12 + 1, 7 * 10**15], np.int64)
    s.set(ids, np.arange(1, 7, dtype=np.int8))
    assert s.get(ids).tolist() == [1, 2, 3, 4, 5, 6]
    assert s.get(np.array([2, 10**12 + 2], np.int64)).tolist() == [0, 0]
    records = np.zeros(6, REMEMBERED)
    records["cells"] = np.arange(24, dtype=np.int32).reshape(6, 4)
    records["adv"], records["advisor_key"] = np.arange(6), -ids
    s.remember(ids, records)
    got = s.recall(np.array([7 * 10**15, 4096, 5], np.int64))
    assert got["advisor_key"].tolist() == [-7 * 10**15, -4096, 0] and got["adv"].tolist() == [5, 2, -1]
    assert got["cells"].tolist() == [
        [20, 21, 22, 23],
        [8, 9, 10, 11],
        [-1, -1, -1, -1],
    ]  # never remembered: no cell


def test_attempt_states_group_ids_of_many_pages():
    """A live read's receipts come in status order: ids from every page of the window, shuffled."""
    s = AttemptStates()
    rng = np.random.default_rng(5)
    ids = rng.permutation(np.arange(3_000, 3_000 + 300 * 4096, 97, dtype=np.int64))
    values = (ids % 100).astype(np.int8)
    s.set(ids, values)
    assert (s.get(ids) == values).all() and len(s.pages) == 301  # ids 3,000 .. 1,231,800
    far = np.array([5, 60_000 * 4096 + 1, 9, 30_000 * 4096], np.int64)  # pages 0 .. 60,000, three touched
    s.set(far, np.array([1, 2, 3, 4], np.int8))
    assert s.get(far).tolist() == [1, 2, 3, 4]
    assert not s.get(ids + 1).any()  # neighbours never set


def test_microsecond_time_round_trip():
    t = at("06:01:02") + timedelta(microseconds=123_457)
    assert from_us(to_us(t)) == t


def test_memory_is_small_for_a_window():
    rows, advisors = random_day(1)
    ws = new_state(advisors)
    feed(ws, rows, TICKS[-1])
    assert ws.nbytes < 20_000_000  # latency sketch 64 KiB x 4 B per scope dominates


def test_key_index_finds_every_key_and_nothing_else():
    from delivery_window.monitor.state import KeyIndex

    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(-(2**62), 2**62, 5000))
    keys = np.concatenate([keys, keys[:50] + 1024])  # collisions on the low bits
    keys = np.unique(keys)
    index = KeyIndex(keys)
    assert (index.get(keys) == np.arange(keys.size)).all()
    absent = np.setdiff1d(rng.integers(-(2**62), 2**62, 1000), keys)
    assert (index.get(absent) == -1).all()

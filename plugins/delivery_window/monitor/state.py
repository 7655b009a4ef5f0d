"""Incremental window aggregates: what the monitor keeps in memory between ticks (pure, numpy, no I/O).

A tick ingests only the rows its read returned (new attempts and receipts updated since the last tick) and
adds them to per-second buckets, so every metric and sliding-window rule is a sum over a few buckets:

- buckets are keyed by ``ceil(attempted_at - base)`` seconds, so "attempts made in (t - N s, t]" is exactly the
  buckets ``T-N+1 .. T`` for a whole-second tick ``t`` (ticks are whole seconds: start + k * tick_seconds);
- each bucket counts, per scope (overall, segment, tier, sender number), the attempts made in that second and
  their outcomes *as known so far* (an outcome counts once its receipt time ``status_at`` is <= the tick);
- API latency goes into a latency sketch per scope: a histogram with one bin per millisecond (two-level, so a
  percentile is a short scan). It is exact up to ``LATENCY_MAX_MS``; slower calls count at that value;
- a small per-attempt state (``AttemptStates``: "attempt counted", "outcome counted") makes every row count
  once even when a read returns it again (the live re-read of late rows, a delivered row later marked read);
- it also remembers what each counted attempt's outcome will add to (its bucket cells, advisor), so a row read
  again for its receipt needs only ``Receipts``' four columns and counts without a lookup
  (``WindowState.count_receipts``).

``WindowState.snapshot(t)`` turns the buckets into the tick's ``TickMetrics`` rows and the sums the alert rules
need (``Snapshot``); ``naive_snapshot`` in ``metrics`` computes the same from a plain list of attempts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from delivery_window.monitor.metrics import LATENCY_MAX_MS, Counts, Snapshot, TickMetrics, pct, stable_key
from delivery_window.records import Attempt

STATUS_CODE = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}
NO_ERROR_CODE = -1  # error_code NULL (0 is a real WhatsApp code)
_BLOCK = 256  # ms per coarse latency bin
SEGMENT_SLOTS = 16  # segment values 0..15 get a scope slot each (the contract says 1..4)
PRE_WINDOW_SECONDS = 600  # attempts up to 10 min before 06:00 keep exact buckets; earlier ones share bucket 0
_PAGE_BITS = 12  # attempt states are kept in pages of 4,096 consecutive attempt ids
# AttemptStates flags: bit 0 attempt counted; bits 1-2 outcome counted (1 delivered, 2 failed); bit 3 pending
_ATTEMPT, _PENDING = 1, 8
_SETTLED = 6 | _PENDING  # the outcome is counted or waiting: a receipt adds nothing


PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # timestamptz_send() sends microseconds since this instant


def to_us(t: datetime) -> int:
    """Microseconds since 2000-01-01 UTC (Postgres' own timestamptz resolution and epoch): exact."""
    delta = t - PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC datetime of ``to_us`` microseconds."""
    return PG_EPOCH + timedelta(microseconds=us)


# ---------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Batch:
    """Rows of ``platform.delivery_attempts`` as column arrays (one per field the monitor needs)."""

    attempt_id: np.ndarray  # int64
    attempted_us: np.ndarray  # int64, ``to_us``
    status_us: np.ndarray  # int64, ``to_us`` of the latest receipt
    status: np.ndarray  # int8, STATUS_CODE
    error_code: np.ndarray  # int64, NO_ERROR_CODE for NULL
    latency_ms: np.ndarray  # int32
    segment: np.ndarray  # int16
    number_key: np.ndarray  # int64 key of phone_number_id
    advisor_key: np.ndarray  # int64 key of advisor_id

    def __len__(self) -> int:
        return int(self.attempt_id.shape[0])

    def take(self, index: np.ndarray) -> Batch:
        """The rows at ``index`` (integer positions or a boolean mask)."""
        return Batch(*(getattr(self, f)[index] for f in _FIELDS))

    @staticmethod
    def concat(first: Batch, second: Batch) -> Batch:
        if len(second) == 0:
            return first
        if len(first) == 0:
            return second
        return Batch(*(np.concatenate([getattr(first, f), getattr(second, f)]) for f in _FIELDS))

    @staticmethod
    def empty() -> Batch:
        i8 = np.zeros(0, np.int64)
        return Batch(
            i8, i8, i8, np.zeros(0, np.int8), i8, np.zeros(0, np.int32), np.zeros(0, np.int16), i8, i8
        )

    @staticmethod
    def from_attempts(attempts: Iterable[Attempt], key=stable_key) -> tuple[Batch, dict[int, str]]:
        """Column arrays of ``attempts``, and the sender number of each number key."""
        rows = list(attempts)
        batch = Batch(
            attempt_id=np.array([a.attempt_id for a in rows], np.int64),
            attempted_us=np.array([to_us(a.attempted_at) for a in rows], np.int64),
            status_us=np.array([to_us(a.status_at or a.attempted_at) for a in rows], np.int64),
            status=np.array([STATUS_CODE[a.status] for a in rows], np.int8),
            error_code=np.array(
                [NO_ERROR_CODE if a.error_code is None else a.error_code for a in rows], np.int64
            ),
            latency_ms=np.array([a.api_latency_ms or 0 for a in rows], np.int32),
            segment=np.array([a.segment for a in rows], np.int16),
            number_key=np.array([key(a.phone_number_id) for a in rows], np.int64),
            advisor_key=np.array([key(a.advisor_id) for a in rows], np.int64),
        )
        return batch, {key(a.phone_number_id): a.phone_number_id for a in rows}

    @staticmethod
    def from_blob(blob: bytes) -> Batch:
        """Decode the packed rows of ``sql/queries/select_attempt_changes.sql`` (big-endian, fixed width)."""
        rec = np.frombuffer(blob, dtype=WIRE)
        code_latency = rec["code_latency"].astype(np.int64)
        segment_status = rec["segment_status"].astype(np.int32)
        return Batch(
            attempt_id=rec["attempt_id"].astype(np.int64),
            attempted_us=rec["attempted_us"].astype(np.int64),
            status_us=rec["status_us"].astype(np.int64),
            status=_ASCII_STATUS[np.clip(segment_status & 0xFFFF, 0, 127)],
            error_code=code_latency >> 32,
            latency_ms=(code_latency & 0xFFFFFFFF).astype(np.int32),
            segment=(segment_status >> 16).astype(np.int16),
            number_key=rec["number_key"].astype(np.int64),
            advisor_key=rec["advisor_key"].astype(np.int64),
        )


_FIELDS = ("attempt_id", "attempted_us", "status_us", "status", "error_code", "latency_ms", "segment",
           "number_key", "advisor_key")  # fmt: skip

# The row layout of select_attempt_changes.sql (int8send, timestamptz_send ... are big-endian). Small fields share
# a word (fewer send calls per row is most of the server's cost): code_latency = error_code << 32 | api_latency_ms,
# segment_status = segment << 16 | ascii(status) (status' first letter: s(ent) d(elivered) r(ead) f(ailed)).
WIRE = np.dtype(
    [
        ("attempt_id", ">i8"),
        ("attempted_us", ">i8"),
        ("status_us", ">i8"),
        ("advisor_key", ">i8"),
        ("number_key", ">i8"),
        ("code_latency", ">i8"),
        ("segment_status", ">i4"),
    ]
)
_ASCII_STATUS = np.zeros(128, np.int8)
_FINAL = np.array(
    [0, 1, 1, 2], np.int8
)  # outcome class of each STATUS_CODE: none, delivered (or read), failed
for _name, _code in STATUS_CODE.items():
    _ASCII_STATUS[ord(_name[0])] = _code

# The receipts layout of select_attempt_changes.sql: rows of attempts an earlier read already returned
# (code_status = error_code << 16 | ascii(status)).
RECEIPT_WIRE = np.dtype([("attempt_id", ">i8"), ("status_us", ">i8"), ("code_status", ">i8")])


@dataclass
class Receipts:
    """The latest status of attempts read before (their other fields are remembered by ``AttemptStates``)."""

    attempt_id: np.ndarray  # int64
    status_us: np.ndarray  # int64
    status: np.ndarray  # int8, STATUS_CODE
    error_code: np.ndarray  # int64

    def __len__(self) -> int:
        return int(self.attempt_id.shape[0])

    @staticmethod
    def from_blob(blob: bytes) -> Receipts:
        rec = np.frombuffer(blob, dtype=RECEIPT_WIRE)
        code_status = rec["code_status"].astype(np.int64)
        return Receipts(
            attempt_id=rec["attempt_id"].astype(np.int64),
            status_us=rec["status_us"].astype(np.int64),
            status=_ASCII_STATUS[np.clip(code_status & 0xFFFF, 0, 127)],
            error_code=code_status >> 16,
        )

    @staticmethod
    def from_batch(batch: Batch) -> Receipts:
        """The receipt columns of full rows (tests)."""
        return Receipts(batch.attempt_id, batch.status_us, batch.status, batch.error_code)


_SLOT = np.dtype([("key", np.int64), ("row", np.int64)])


class KeyIndex:
    """A hash table from 64-bit keys to row positions, probed for many keys at once (open addressing).

    The keys are already uniform hashes (hashtextextended, blake2b), so their low bits pick the slot. A lookup
    costs about one random memory access per key, against ~20 for a binary search over a million keys.
    """

    def __init__(self, keys: np.ndarray) -> None:
        n = int(keys.size)
        self.bits = max(4, int(np.ceil(np.log2(max(2 * n, 1)))))  # load factor <= 1/2
        self.mask = (1 << self.bits) - 1
        self.table = np.zeros(1 << self.bits, _SLOT)  # key and row side by side: one cache miss a probe
        slot_key, slot_row = self.table["key"], self.table["row"]  # views into the table
        slot_row[:] = -1
        todo = np.arange(n)
        slot = keys & self.mask
        while todo.size:
            free = slot_row[slot] == -1
            cand, cand_slot = todo[free], slot[free]
            taken, first = np.unique(cand_slot, return_index=True)
            winners = cand[first]
            slot_key[taken], slot_row[taken] = keys[winners], winners
            placed = np.zeros(n, bool)
            placed[winners] = True
            left = ~placed[todo]
            todo, slot = todo[left], (slot[left] + 1) & self.mask  # linear probing

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key, -1 when absent."""
        out = np.full(keys.shape, -1, np.int64)
        idx = np.arange(keys.size)
        slot = keys & self.mask
        while idx.size:
            entry = self.table.take(slot)  # take: a fancy index of a record array is ~8x slower
            rows = entry["row"]
            hit = (rows >= 0) & (entry["key"] == keys[idx])
            out[idx[hit]] = rows[hit]
            more = (rows >= 0) & ~hit
            idx, slot = idx[more], (slot[more] + 1) & self.mask
        return out


@dataclass
class Directory:
    """Advisors by key: their tier and whether they are active (for tier scopes and distinct counts)."""

    keys: np.ndarray  # int64
    tier: np.ndarray  # int16 index into tiers, per key
    tiers: list[str]
    targeted: int  # active advisors
    names: dict[int, str] = field(default_factory=dict)  # key -> advisor_id, when known
    index: KeyIndex | None = None

    @staticmethod
    def build(keys: np.ndarray, tier: np.ndarray, tiers: list[str], targeted: int) -> Directory:
        keys = keys.astype(np.int64)
        return Directory(keys, tier.astype(np.int16), list(tiers), int(targeted), index=KeyIndex(keys))

    @staticmethod
    def from_advisors(advisors: dict[str, tuple[str, bool]], key=stable_key) -> Directory:
        """From ``{advisor_id: (tier, active)}`` (tests, small days)."""
        tiers = sorted({tier for tier, _ in advisors.values()})
        ids = list(advisors)
        keys = np.array([key(a) for a in ids], np.int64)
        tier = np.array([tiers.index(advisors[a][0]) for a in ids], np.int16)
        d = Directory.build(keys, tier, tiers, sum(1 for _, active in advisors.values() if active))
        d.names = {key(a): a for a in ids}
        return d

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Dense index of each key, -1 when the advisor is unknown."""
        if self.index is None:
            self.index = KeyIndex(self.keys)
        return self.index.get(keys)


class AttemptStates:
    """Per-attempt flags (bit 0: attempt counted; bits 1-2: outcome counted, 1 delivered / 2 failed; bit 3:
    outcome pending) and what every counted attempt adds to (``REMEMBERED``: its bucket cells, advisor index and
    key, 28 bytes an attempt), so a receipt read later counts without another lookup.

    Paged by attempt id, so memory follows the ids actually seen (ids of a day are close together: a sequence
    or a time-ordered id uses a few pages per million attempts).
    """

    def __init__(self) -> None:
        self.pages: dict[int, np.ndarray] = {}  # flags, 1 byte an id
        self.fields: dict[int, np.ndarray] = {}  # REMEMBERED records, allocated on the first remember

    @staticmethod
    def _split(ids: np.ndarray):
        """(page, positions in ids, offsets in the page) of every page ``ids`` touch."""
        page = ids >> _PAGE_BITS
        offset = ids & ((1 << _PAGE_BITS) - 1)
        lo, hi = int(page.min()), int(page.max())
        if lo == hi:  # the usual case: one read's ids are nearly consecutive
            yield lo, slice(None), offset
            return
        if hi - lo < 1 << 16:
            # a live read's receipts span every page of the window (~250 at 1M attempts): group them with one
            # stable sort of 16-bit page numbers (a radix sort in numpy) instead of one scan of ``ids`` a page
            rel = (page - lo).astype(np.uint16)
            order = np.argsort(rel, kind="stable")
            counts = np.bincount(rel, minlength=hi - lo + 1)
            ends = np.cumsum(counts)
            for p in np.flatnonzero(counts).tolist():  # only the pages touched, however far apart
                at = order[ends[p] - counts[p] : ends[p]]
                yield lo + p, at, offset[at]
            return
        for p in np.unique(page).tolist():  # ids far apart (not a day's sequence): rare, any cost will do
            m = np.flatnonzero(page == p)
            yield p, m, offset[m]

    def get(self, ids: np.ndarray) -> np.ndarray:
        out = np.zeros(ids.shape, np.int8)
        if ids.size == 0:
            return out
        for p, at, offset in self._split(ids):
            arr = self.pages.get(p)
            if arr is not None:
                out[at] = arr[offset]
        return out

    def set(self, ids: np.ndarray, values: np.ndarray) -> None:
        if ids.size == 0:
            return
        for p, at, offset in self._split(ids):
            arr = self.pages.get(p)
            if arr is None:
                arr = self.pages[p] = np.zeros(1 << _PAGE_BITS, np.int8)
            arr[offset] = values[at]

    def remember(self, ids: np.ndarray, records: np.ndarray) -> None:
        """Keep the ``REMEMBERED`` records of the attempts ``ids`` (counted now)."""
        if ids.size == 0:
            return
        # put/take, not fancy indexing: numpy's fancy index of a record array is ~5x slower
        for p, at, offset in self._split(ids):
            arr = self.fields.get(p)
            if arr is None:
                arr = self.fields[p] = _unremembered(1 << _PAGE_BITS)
            np.put(arr, offset, records if isinstance(at, slice) else records.take(at))

    def recall(self, ids: np.ndarray) -> np.ndarray:
        """The ``REMEMBERED`` records of ``ids`` (no cells, advisor -1, for an id never remembered)."""
        out = _unremembered(ids.shape[0])
        if ids.size == 0:
            return out
        for p, at, offset in self._split(ids):
            arr = self.fields.get(p)
            if arr is not None:
                if isinstance(at, slice):
                    out = arr.take(offset)
                else:
                    np.put(out, at, arr.take(offset))
        return out

    @property
    def nbytes(self) -> int:
        return (len(self.pages) << _PAGE_BITS) + len(self.fields) * (REMEMBERED.itemsize << _PAGE_BITS)


# What a counted attempt's outcome adds to, worked out when the attempt is counted: its bucket cell per scope kind
# (overall, segment, tier, number; see PENDING), its directory index (-1 unknown) and its advisor key.
REMEMBERED = np.dtype([("cells", np.int32, (4,)), ("adv", np.int32), ("advisor_key", np.int64)])


def _unremembered(n: int) -> np.ndarray:
    """``n`` records of nothing: cells -1 add to no bucket (a 0 would be the overall scope's first bucket)."""
    out = np.zeros(n, REMEMBERED)
    out["cells"], out["adv"] = -1, -1
    return out


# Outcomes already read whose receipt time is after the tick that read them (a replay reads each row once,
# final), kept ready to count: the bucket cells they add to are worked out when they are read, so coming due costs
# no lookup. ``cells`` holds, per scope kind (overall, segment, tier, number), the flat index
# ``scope * buckets + bucket`` into the outcome arrays (-1: no such scope, an unknown advisor's tier). One int64
# row an outcome (columns PENDING), so adding, taking and keeping them are row copies: numpy copies a record array
# element by element, several times slower.
PENDING = {
    name: i
    for i, name in enumerate(
        (
            "attempt_id",
            "status_us",
            "cell_overall",
            "cell_segment",
            "cell_tier",
            "cell_number",
            "adv",
            "advisor_key",
            "error_code",
            "bucket",
            "cls",
        )
    )  # fmt: skip
}
_CELLS = slice(PENDING["cell_overall"], PENDING["cell_number"] + 1)


# ---------------------------------------------------------------------------------------------------------
# The aggregates
# ---------------------------------------------------------------------------------------------------------
class WindowState:
    """Sliding-window aggregates of one delivery window, fed batch by batch (see module doc)."""

    def __init__(
        self,
        window_start: datetime,
        window_close: datetime,
        directory: Directory,
        numbers: dict[int, str] | None = None,
        *,
        failure_window_minutes: int = 2,
        minute_spans: int = 2,
        advisor_window_minutes: int = 1,
        advisor_failures_floor: int = 1,
        latency_percentile: int = 95,
        window_ends: int = 1,
    ) -> None:
        self.base_us = to_us(window_start) - PRE_WINDOW_SECONDS * 1_000_000
        self.nb = PRE_WINDOW_SECONDS + int((window_close - window_start).total_seconds()) + 2
        self.directory = directory
        self.numbers: list[str] = []  # scope order of the sender numbers
        self.number_keys = np.zeros(0, np.int64)  # sorted keys ...
        self.number_slot = np.zeros(0, np.int64)  # ... and the slot of each in ``numbers``
        self.failure_window_s = 60 * failure_window_minutes
        self.minute_spans = minute_spans
        self.advisor_window_s = 60 * advisor_window_minutes
        self.advisor_floor = advisor_failures_floor
        self.percentile = latency_percentile
        self.window_ends = window_ends  # failure-rate windows ending at each of the last N whole seconds
        self.keep_events_s = max(self.failure_window_s, 60 * minute_spans, self.advisor_window_s, 60)
        ns = self._n_scopes()
        self.att = np.zeros((ns, self.nb), np.int32)
        self.res = np.zeros((ns, self.nb), np.int32)
        self.fail = np.zeros((ns, self.nb), np.int32)
        self.hist = np.zeros((ns, LATENCY_MAX_MS + 1), np.int32)
        self.coarse = np.zeros((ns, (LATENCY_MAX_MS + 1) // _BLOCK), np.int32)
        self.seen = np.zeros(directory.keys.size, bool)  # advisors with an attempt
        self.seen_count = 0
        self.unknown_seen: set[int] = set()
        self.reached = np.zeros(directory.keys.size, bool)  # advisors with a delivered/read outcome
        self.reached_count = 0
        self.unknown_reached: set[int] = set()
        self.states = AttemptStates()
        # failures kept for the per-advisor and per-code rules: (attempted bucket, advisor key, error code)
        self.ev_bucket = np.zeros(0, np.int32)
        self.ev_key = np.zeros(0, np.int64)
        self.ev_code = np.zeros(0, np.int64)
        self.rows_ingested = 0
        # outcomes known but whose receipt time is after the tick that read them (a replay reads the final row
        # once); they count at the first tick >= their status_at, without another read
        self.pending = np.zeros((0, len(PENDING)), np.int64)  # rows: see PENDING
        self.pending_checked_us: int | None = None  # the tick whose ingest already took the pending rows
        self.add_numbers(numbers or {})

    # -- scope layout: overall | segment 0..15 | tiers | numbers ------------------------------------------
    def _n_scopes(self) -> int:
        return 1 + SEGMENT_SLOTS + len(self.directory.tiers) + len(self.numbers)

    def scope_names(self) -> list[str]:
        return (
            ["overall"]
            + [f"segment:{s}" for s in range(SEGMENT_SLOTS)]
            + [f"tier:{t}" for t in self.directory.tiers]
            + [f"number:{n}" for n in self.numbers]
        )

    def unknown_numbers(self, batch: Batch) -> set[int]:
        """Number keys of ``batch`` that have no scope yet (the caller resolves their names)."""
        if len(batch) == 0:
            return set()
        missing = self._number_slots(batch.number_key) < 0
        return set(np.unique(batch.number_key[missing]).tolist()) if missing.any() else set()

    def _number_slots(self, keys: np.ndarray) -> np.ndarray:
        """Slot in ``numbers`` of each number key, -1 when it has none yet."""
        if self.number_keys.size == 0:
            return np.full(keys.shape, -1, np.int64)
        pos = np.minimum(np.searchsorted(self.number_keys, keys), self.number_keys.size - 1)
        return np.where(self.number_keys[pos] == keys, self.number_slot[pos], -1)

    def add_numbers(self, names: dict[int, str]) -> None:
        """Sender numbers (``{key: phone_number_id}``) seen for the first time get a scope each."""
        new = {k: n for k, n in names.items() if k not in set(self.number_keys.tolist())}
        if not new:
            return
        if (self._n_scopes() + len(new)) * self.nb >= 2**31:  # cells are remembered as int32 (REMEMBERED)
            raise ValueError(
                f"{len(self.numbers) + len(new)} sender numbers: too many scopes for the window's buckets"
            )
        keys = np.concatenate([self.number_keys, np.array(list(new), np.int64)])
        slots = np.concatenate([self.number_slot, np.arange(len(self.numbers), len(self.numbers) + len(new))])
        order = np.argsort(keys, kind="stable")
        self.number_keys, self.number_slot = keys[order], slots[order]
        self.numbers.extend(new.values())
        if not hasattr(self, "att"):
            return  # called from __init__ before the arrays exist
        k = len(new)
        self.att = np.vstack([self.att, np.zeros((k, self.nb), np.int32)])
        self.res = np.vstack([self.res, np.zeros((k, self.nb), np.int32)])
        self.fail = np.vstack([self.fail, np.zeros((k, self.nb), np.int32)])
        self.hist = np.vstack([self.hist, np.zeros((k, self.hist.shape[1]), np.int32)])
        self.coarse = np.vstack([self.coarse, np.zeros((k, self.coarse.shape[1]), np.int32)])

    # -- ingest -------------------------------------------------------------------------------------------
    def ingest(self, batch: Batch, t: datetime) -> int:
        """Count the rows of ``batch`` as known at ``t``; rows seen before count once. Returns rows that counted."""
        number_slot = self._number_slots(batch.number_key)
        if (number_slot < 0).any():
            unknown = sorted(set(batch.number_key[number_slot < 0].tolist()))
            raise KeyError(f"sender numbers without a scope (call add_numbers first): {unknown}")
        t_us = to_us(t)
        counted = self._count_due(t_us)
        if len(batch) == 0:
            return counted
        state = self.states.get(batch.attempt_id)
        fresh = (state & _PENDING) == 0  # a fresh copy of a pending row is dropped (its outcome is known)
        if not fresh.all():
            batch, state, number_slot = batch.take(fresh), state[fresh], number_slot[fresh]
        made = batch.attempted_us <= t_us
        new_att = made & ((state & _ATTEMPT) == 0)
        final = _FINAL[batch.status]
        due = batch.status_us <= t_us
        unresolved = ((state >> 1) & 3) == 0
        new_out = made & (final > 0) & due & unresolved
        wait = made & (final > 0) & ~due & unresolved
        cls = np.where(due, final, 0).astype(np.int8)
        keep = np.flatnonzero(new_att | new_out | wait)
        if keep.size == 0:
            return counted
        # from here on only the rows that change something (a re-read row that already counted is dropped)
        new_att, new_out, wait, cls = new_att[keep], new_out[keep], wait[keep], cls[keep]
        ids, state = batch.attempt_id[keep], state[keep]
        advisor_key, error_code = batch.advisor_key[keep], batch.error_code[keep]

        # ceil((attempted - base) / 1 s): "made in (t - N s, t]" is then exactly buckets T-N+1 .. T
        bucket = np.clip(-((self.base_us - batch.attempted_us[keep]) // 1_000_000), 0, self.nb - 1)
        adv = self.directory.lookup(advisor_key)
        scopes = self._scopes(batch.segment[keep], adv, number_slot[keep])
        cells = np.where(scopes >= 0, scopes * self.nb + bucket, -1)

        failed = new_out & (cls == 2)
        self._add(self.att, cells[:, new_att])
        self._add(self.res, cells[:, new_out])
        self._add(self.fail, cells[:, failed])
        if wait.any():
            waiting = np.empty((int(np.count_nonzero(wait)), len(PENDING)), np.int64)
            columns = {"attempt_id": ids, "status_us": batch.status_us[keep], "adv": adv, "advisor_key": advisor_key,
                       "error_code": error_code, "bucket": bucket, "cls": final[keep]}  # fmt: skip
            for name, values in columns.items():
                waiting[:, PENDING[name]] = values[wait]
            waiting[:, _CELLS] = cells[:, wait].T
            self.pending = np.concatenate([self.pending, waiting]) if len(self.pending) else waiting

        if new_att.any():
            lat = np.clip(batch.latency_ms[keep][new_att], 0, LATENCY_MAX_MS).astype(np.int64)
            s = scopes[:, new_att]
            self._add(self.hist, np.where(s >= 0, s * self.hist.shape[1] + lat, -1))
            self._add(self.coarse, np.where(s >= 0, s * self.coarse.shape[1] + lat // _BLOCK, -1))
            # distinct advisors attempted
            a = adv[new_att]
            known = a[a >= 0]
            if not self.seen[known].all():
                self.seen[known] = True
                self.seen_count = int(np.count_nonzero(self.seen))
            if (a < 0).any():
                self.unknown_seen.update(advisor_key[new_att][a < 0].tolist())

        delivered = new_out & (cls == 1)
        self._reach(adv[delivered], advisor_key[delivered])
        self._failures(bucket[failed], advisor_key[failed], error_code[failed])

        flags = new_att.astype(np.int8) | np.where(new_out, cls << 1, 0).astype(np.int8)
        self.states.set(ids, state | flags | np.where(wait, _PENDING, 0).astype(np.int8))
        if new_att.any():
            records = np.empty(int(np.count_nonzero(new_att)), REMEMBERED)
            records["cells"] = cells[:, new_att].T
            records["adv"], records["advisor_key"] = adv[new_att], advisor_key[new_att]
            self.states.remember(ids[new_att], records)
        self.rows_ingested += int(keep.size)
        return counted + int(keep.size)

    def _scopes(self, segment: np.ndarray, adv: np.ndarray, number_slot: np.ndarray) -> np.ndarray:
        """(4 scope kinds, rows) scope row of each row: overall, segment, tier (-1 unknown advisor), number."""
        n_tiers = len(self.directory.tiers)
        return np.stack(
            [
                np.zeros(adv.size, np.int64),
                1 + np.clip(segment.astype(np.int64), 0, SEGMENT_SLOTS - 1),
                np.where(adv >= 0, 1 + SEGMENT_SLOTS + self.directory.tier[np.maximum(adv, 0)], -1),
                1 + SEGMENT_SLOTS + n_tiers + number_slot,
            ]
        )

    def _count_due(self, t_us: int) -> int:
        """Count the pending outcomes whose receipt time is <= ``t_us`` (their cells are already known).

        Once per tick (a tick's read comes in several pieces); the others wait untouched (a replay holds ~30k of
        them, only ~18k come due a tick)."""
        if not len(self.pending) or self.pending_checked_us == t_us:
            self.pending_checked_us = t_us
            return 0
        self.pending_checked_us = t_us
        due = self.pending[:, PENDING["status_us"]] <= t_us
        if not due.any():
            return 0
        d, self.pending = (self.pending.take(np.flatnonzero(m), axis=0) for m in (due, ~due))
        return self._count_outcomes(d)

    def _count_outcomes(self, d: np.ndarray) -> int:
        """Count outcomes (rows: see PENDING) of attempts already counted."""
        if not len(d):
            return 0
        col = {name: d[:, i] for name, i in PENDING.items()}
        cls, cells = col["cls"], d[:, _CELLS]
        failed, delivered = cls == 2, cls == 1
        self._add(self.res, cells)
        self._add(self.fail, cells[failed])
        self._reach(col["adv"][delivered], col["advisor_key"][delivered])
        self._failures(col["bucket"][failed], col["advisor_key"][failed], col["error_code"][failed])
        # a pending row's attempt counted when it was read, and nothing else touched its state since
        self.states.set(np.ascontiguousarray(col["attempt_id"]), (_ATTEMPT | (cls << 1)).astype(np.int8))
        self.rows_ingested += len(d)
        return len(d)

    def _reach(self, adv: np.ndarray, advisor_key: np.ndarray) -> None:
        """Advisors with a delivered (or read) outcome: known ones by directory index, unknown ones by key."""
        if adv.size == 0:
            return
        known = adv[adv >= 0]
        if not self.reached[known].all():
            self.reached[known] = True
            self.reached_count = int(np.count_nonzero(self.reached))
        if (adv < 0).any():
            self.unknown_reached.update(advisor_key[adv < 0].tolist())

    def _failures(self, bucket: np.ndarray, advisor_key: np.ndarray, error_code: np.ndarray) -> None:
        """Keep failures for the per-advisor and per-code rules (pruned by ``snapshot``)."""
        if bucket.size:
            self.ev_bucket = np.concatenate([self.ev_bucket, bucket.astype(np.int32)])
            self.ev_key = np.concatenate([self.ev_key, advisor_key])
            self.ev_code = np.concatenate([self.ev_code, error_code])

    def count_receipts(self, receipts: Receipts, t: datetime) -> np.ndarray:
        """Count, as known at ``t``, the outcomes ``receipts`` bring for attempts already counted (from what was
        remembered when they were counted: no lookup); an outcome whose receipt time is after ``t`` waits in
        memory like any pending one. Returns the ids of attempts never counted (rows written after the read of
        their time: the caller reads those in full and ingests them).

        A receipt that changes nothing (status still "sent", outcome already counted or pending) is dropped.
        """
        t_us = to_us(t)
        self._count_due(t_us)
        if len(receipts) == 0:
            return np.zeros(0, np.int64)
        state = self.states.get(receipts.attempt_id)
        counted = (state & _ATTEMPT) != 0
        final = _FINAL[receipts.status]
        useful = np.flatnonzero(counted & ((state & _SETTLED) == 0) & (final > 0))
        if useful.size:
            ids = receipts.attempt_id[useful]
            rec = self.states.recall(ids)
            rows = np.empty((useful.size, len(PENDING)), np.int64)
            rows[:, _CELLS] = rec["cells"]
            columns = {"attempt_id": ids, "status_us": receipts.status_us[useful], "adv": rec["adv"],
                       "advisor_key": rec["advisor_key"], "error_code": receipts.error_code[useful],
                       "bucket": rec["cells"][:, 0], "cls": final[useful]}  # fmt: skip
            for name, values in columns.items():
                rows[:, PENDING[name]] = values
            due = rows[:, PENDING["status_us"]] <= t_us
            if due.all():
                self._count_outcomes(rows)
            else:
                self._count_outcomes(rows[due])
                later = rows[~due]
                self.pending = np.concatenate([self.pending, later]) if len(self.pending) else later
                self.states.set(ids[~due], (state[useful][~due] | _PENDING).astype(np.int8))
        return receipts.attempt_id[~counted]

    @staticmethod
    def _add(arr: np.ndarray, cells: np.ndarray) -> None:
        """``arr.flat[cell] += 1`` for every cell >= 0 of ``cells`` (one flat ``add.at``)."""
        flat = cells.reshape(-1)
        flat = flat[flat >= 0]
        if flat.size:
            # 1-D add.at with values of the array's own dtype takes numpy's fast path (~50x the 2-D form)
            np.add.at(arr.reshape(-1), flat, np.ones(flat.size, arr.dtype))

    # -- snapshot -----------------------------------------------------------------------------------------
    def _span(self, arr: np.ndarray, hi: int, seconds: int, rows=slice(None)) -> np.ndarray:
        """Sum over the buckets of attempts made in (T - seconds, T] (bucket keys T-seconds+1 .. T)."""
        lo = max(0, hi - seconds + 1)
        hi = min(hi, self.nb - 1)
        if hi < lo:
            return np.zeros(arr[rows].shape[0], np.int64)
        return arr[rows, lo : hi + 1].sum(axis=1, dtype=np.int64)

    def bucket_of(self, t: datetime) -> int:
        return (to_us(t) - self.base_us) // 1_000_000

    def percentiles(self, n: np.ndarray) -> list[int | None]:
        """Nearest-rank percentile of every scope's latency sketch (None for a scope without attempts)."""
        k = (self.percentile * n + 99) // 100  # ceil(p/100 * n) in integers
        cum = np.cumsum(self.coarse, axis=1, dtype=np.int64)
        block = np.argmax(cum >= np.maximum(k, 1)[:, None], axis=1)
        before = np.where(block > 0, cum[np.arange(len(n)), block - 1], 0)
        fine = self.hist.reshape(len(n), -1, _BLOCK)[np.arange(len(n)), block]
        within = np.argmax(np.cumsum(fine, axis=1) >= (k - before)[:, None], axis=1)
        values = block * _BLOCK + within
        return [int(v) if c > 0 else None for v, c in zip(values.tolist(), n.tolist(), strict=True)]

    def snapshot(self, t: datetime):
        """Metrics of every scope with attempts (overall always) and the rule inputs, as of ``t``."""
        T = self.bucket_of(t)
        att = self.att.sum(axis=1, dtype=np.int64)
        res = self.res.sum(axis=1, dtype=np.int64)
        fail = self.fail.sum(axis=1, dtype=np.int64)
        recent = self._span(self.att, T, 60)
        p = self.percentiles(att)
        names = self.scope_names()
        rows = []
        for i, name in enumerate(names):
            if i and not att[i]:
                continue
            n, r, f = int(att[i]), int(res[i]), int(fail[i])
            rows.append(
                TickMetrics(
                    tick_at=t, scope=name, attempts=n, resolved=r, delivered=r - f, failed=f,
                    success_rate_pct=pct(r - f, r), error_rate_pct=pct(f, n), rate_per_min=int(recent[i]),
                    p95_latency_ms=p[i],
                )
            )  # fmt: skip
        rows.sort(key=lambda m: (m.scope != "overall", m.scope))

        fw = self.failure_window_s
        win_att, win_res, win_fail = (self._span(a, T, fw) for a in (self.att, self.res, self.fail))
        minutes = [
            Counts(
                *(int(self._span(a, T - 60 * k, 60, slice(0, 1))[0]) for a in (self.att, self.res, self.fail))
            )
            for k in range(self.minute_spans)
        ]
        # the overall failure window ending at each whole second since the previous tick (k seconds before T)
        failure_windows = [
            Counts(*(int(self._span(a, T - k, fw, slice(0, 1))[0]) for a in (self.att, self.res, self.fail)))
            for k in range(self.window_ends)
        ]
        scope_windows = {
            names[i]: Counts(int(win_att[i]), int(win_res[i]), int(win_fail[i]))
            for i in range(1 + SEGMENT_SLOTS, len(names))
            if win_att[i] or win_res[i]
        }

        # failures older than every window are never looked at again
        keep = self.ev_bucket > T - self.keep_events_s
        if not keep.all():
            self.ev_bucket, self.ev_key, self.ev_code = (
                self.ev_bucket[keep],
                self.ev_key[keep],
                self.ev_code[keep],
            )
        last = (self.ev_bucket > T - 60) & (self.ev_bucket <= T)
        codes, code_n = np.unique(self.ev_code[last & (self.ev_code != NO_ERROR_CODE)], return_counts=True)
        in_adv = (self.ev_bucket > T - self.advisor_window_s) & (self.ev_bucket <= T)
        keys, key_n = np.unique(self.ev_key[in_adv], return_counts=True)
        top = key_n >= self.advisor_floor
        return Snapshot(
            t=t,
            metrics=rows,
            advisors_attempted=self.seen_count + len(self.unknown_seen),
            advisors_delivered=self.reached_count + len(self.unknown_reached),
            failure_window=Counts(int(win_att[0]), int(win_res[0]), int(win_fail[0])),
            minutes=minutes,
            last_minute_codes=dict(zip(codes.tolist(), code_n.tolist(), strict=True)),
            advisor_failures=dict(zip(keys[top].tolist(), key_n[top].tolist(), strict=True)),
            scope_windows=scope_windows,
            failure_windows=failure_windows,
        )

    @property
    def nbytes(self) -> int:
        """Memory held by the aggregates (arrays and attempt states)."""
        index = self.directory.index
        extra = index.table.nbytes + self.directory.keys.nbytes if index else 0
        arrays = (self.att, self.res, self.fail, self.hist, self.coarse, self.seen, self.reached, self.ev_bucket,
                  self.ev_key, self.ev_code, self.pending)  # fmt: skip
        return sum(a.nbytes for a in arrays) + self.states.nbytes + extra

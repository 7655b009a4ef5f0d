"""What the sandbox's stand-ins say about the day, read from the platform database when the sandbox has one.

Without a platform database the delivery service and the WhatsApp Graph stand-ins describe the scenario's own
world: 4 × 500 advisors, five numbers, the ``daily_brief_*`` templates. Given one (``ServiceState.platform_db``)
they describe the day in it, so a generated day and an imported day are judged alike (issue 15, requirement 7):

* the traffic plan covers the active advisors of ``platform.advisors``, per segment, on the active numbers of
  ``platform.sender_numbers``;
* the WABA lists those numbers, and the templates of ``platform.templates_in_use`` and
  ``platform.fallback_content`` (every day's: a Graph request names no day) beside its own catalogue.

A table with no rows (no day loaded yet) leaves that part of the answer the scenario's.

The scenario's bad state is kept and lands on the data's names by position: a number takes the state of the
scenario's number on the same shard (``shard_red`` reds shard 4, whatever its id), a template the state of the
scenario's template in the same slot (kind, segment, language; ``template_paused`` pauses segment 2's primary
template, whatever its name). On a generated day every answer is exactly the scenario's.

A database that cannot be read leaves the stand-ins answering, as a real WhatsApp does when our database is
down: with the last day read, or the scenario's world before any read.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from typing import Any

from delivery_window.masking import masked_logger
from delivery_window.sandbox.scenarios import scenario_info
from delivery_window.sandbox.services.common import ServiceState

log = masked_logger(__name__)

CONNECT_TIMEOUT_SECONDS = 2  # a stand-in answers within a probe's timeout even when the database is gone
DATA_TEMPLATE_ID_BASE = 8_150_000_000_001_000  # ids of data-only templates; the catalogue's are below


@dataclass(frozen=True)
class PlatformDay:
    """The rows the stand-ins describe: active advisors per segment, active sender numbers, templates in use."""

    advisors: dict[int, int]
    numbers: list[tuple[str, str, int]]  # (phone_number_id, display_phone_number, shard)
    templates: list[tuple[str, int, str, str]]  # (kind, segment, language, template_name)


def read(st: ServiceState) -> PlatformDay | None:
    """The platform database's day (None without one, or the last read when it cannot be read now)."""
    if not st.platform_db:
        return None
    import psycopg

    from delivery_window.paths import query

    try:
        with psycopg.connect(st.platform_db, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            day = PlatformDay(
                advisors={int(s): int(n) for s, n in conn.execute(query("sandbox_day_advisors")).fetchall()},
                numbers=[(p, d, int(s)) for p, d, s in conn.execute(query("sandbox_day_numbers")).fetchall()],
                templates=[
                    (k, int(s), lang, name)
                    for k, s, lang, name in conn.execute(query("sandbox_day_templates")).fetchall()
                ],
            )
    except psycopg.Error as exc:
        if st.next("platform_db_unreadable") == 1:  # once per outage, not once per request
            log.warning("sandbox: platform database unreadable, answering from the last day read: %s", exc)
        with st.lock:
            return st.platform_day
    with st.lock:
        st.platform_day = day
        st.counters.pop("platform_db_unreadable", None)
    return day


def phone_numbers(st: ServiceState, day: PlatformDay | None) -> list[dict[str, Any]]:
    """The WABA's sender numbers: the data's active ones, each in the state of the scenario's number on its shard
    (a shard the scenario lacks: the healthy shape); the scenario's own without data."""
    scenario = st.info["phone_numbers"]
    if day is None or not day.numbers:
        return scenario
    by_shard = {n["shard"]: n for n in scenario}
    healthy = scenario_info("healthy")["phone_numbers"][0]
    return [
        copy.deepcopy(by_shard.get(shard, healthy))
        | {"id": pid, "display_phone_number": display, "shard": shard}
        for pid, display, shard in day.numbers
    ]


def _badness(t: dict[str, Any]) -> tuple[bool, bool]:
    quality = t.get("quality_score")
    return t.get("status") != "APPROVED", (quality or {}).get("score") == "RED"


def templates(st: ServiceState, day: PlatformDay | None) -> list[dict[str, Any]]:
    """The WABA's templates: the scenario's catalogue, then every other (name, language) the data uses; each in
    the worst state the scenario gives a slot (kind, segment, language) it fills."""
    catalog = st.info["templates"]
    if day is None or not day.templates:
        return catalog
    slot_of = lambda t: (t.get("kind"), t.get("segment"), t["language"])  # noqa: E731
    scenario = {slot_of(t): t for t in catalog}
    healthy = {slot_of(t): t for t in scenario_info("healthy")["templates"]}
    slots: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for t in catalog:
        slots.setdefault((t["name"], t["language"]), []).append(slot_of(t))
    for kind, segment, language, name in day.templates:
        taken = slots.setdefault((name, language), [])
        if (kind, segment, language) not in taken:
            taken.append((kind, segment, language))
    known = {(t["name"], t["language"]): t for t in catalog}
    ids = {t["id"] for t in catalog}
    out = []
    for (name, language), filled in slots.items():
        bases = [scenario.get(s) or healthy.get(s) for s in filled]
        bases = [b for b in bases if b is not None] or [next(iter(healthy.values()))]
        base = max(bases, key=_badness)  # max keeps the first of equals: the template's own slot
        if (name, language) in known:
            mine = known[(name, language)]
            out.append(mine if base is scenario.get(slot_of(mine)) else _as(base, mine))
            continue
        tid = DATA_TEMPLATE_ID_BASE + zlib.crc32(f"{name}:{language}".encode())
        while str(tid) in ids:  # a collision of two names' checksums: the next free id
            tid += 1
        ids.add(str(tid))
        kind, segment, _ = filled[0]
        out.append(
            copy.deepcopy(base)
            | {"id": str(tid), "name": name, "language": language, "segment": segment, "kind": kind}
        )
    return out


def _as(state: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """``template`` (its identity and slot) in ``state``'s status and quality."""
    return copy.deepcopy(template) | {
        "status": state["status"],
        "quality_score": copy.deepcopy(state["quality_score"]),
    }

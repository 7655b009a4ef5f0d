"""Post-delivery scenarios: checkpoints and data quality (issue 6).

- ``webhook_lag``: the window itself is healthy, but the BSP's status webhooks back up: for ~30% of messages
  every receipt arrives 6-20 minutes late. The 06:15 receipt check fails (lag p95 and sends without any
  receipt by 06:15) and lands in the handoff as a finding. Only ``received_at`` moves: the platform's
  delivery_attempts (statuses and their event times) are those of a healthy day, so the SLA is met.
- ``corrupted_day``: a healthy day whose attempts feed is corrupted: three messages share a wamid with another
  attempt (duplicate wamids) and one attempt carries the status ``deleted``, which is outside the contract's
  set. The source contract's CHECK on ``platform.delivery_attempts.status`` rejects such a row, as a typed
  table should; production maps ``platform.*`` onto views of the platform's own tables, where no such CHECK
  holds. So this day can only be loaded where that constraint is absent: call
  :func:`drop_status_check` on a database of its own first (the e2e test does, in a separate database,
  never the shared one). The GX suite ``delivery_attempts`` then fails, naming
  ``expect_column_values_to_be_unique(wamid)`` and ``expect_column_values_to_be_in_set(status)``.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from delivery_window.sandbox.scenarios import Scenario, register

LAGGED_SHARE = 0.30
LAG_SECONDS = (360, 1200)
CORRUPT_STATUS = "deleted"  # a Meta status (a message the user deleted) that the contract does not know
DUPLICATED_WAMIDS = 3


def _webhook_lag_rows(tables: dict[str, list], rng: random.Random) -> dict[str, list]:
    receipts = tables["webhook_receipts"]
    wamids = sorted({r.wamid for r in receipts})
    lagged = {w: rng.randint(*LAG_SECONDS) for w in wamids if rng.random() < LAGGED_SHARE}
    moved = [
        r._replace(received_at=r.received_at + timedelta(seconds=lagged[r.wamid])) if r.wamid in lagged else r
        for r in receipts
    ]
    return {**tables, "webhook_receipts": sorted(moved, key=lambda r: (r.received_at, r.wamid, r.status))}


def _corrupted_rows(tables: dict[str, list], rng: random.Random) -> dict[str, list]:
    attempts = list(tables["delivery_attempts"])
    with_wamid = [i for i, a in enumerate(attempts) if a.wamid]
    picked = sorted(rng.sample(with_wamid, 2 * DUPLICATED_WAMIDS + 1))
    for source, target in zip(picked[0:6:2], picked[1:6:2], strict=True):
        attempts[target] = attempts[target]._replace(wamid=attempts[source].wamid)
    odd = picked[-1]
    attempts[odd] = attempts[odd]._replace(status=CORRUPT_STATUS)
    return {**tables, "delivery_attempts": attempts}


def drop_status_check(conn: Any) -> None:
    """Let ``platform.delivery_attempts`` take a status outside the contract (a scenario's own database only)."""
    from delivery_window.paths import query

    with conn.cursor() as cur:
        cur.execute(query("sandbox_drop_status_check"))


register(
    Scenario(
        "webhook_lag",
        "Healthy window, but ~30% of messages get every status webhook 6-20 minutes late: the 06:15 receipt "
        "check fails (lag p95, sends without a receipt) and becomes a handoff finding.",
        rows=_webhook_lag_rows,
    )
)
register(
    Scenario(
        "corrupted_day",
        "Healthy window with a corrupted attempts feed: duplicate wamids and a status outside the set "
        "('deleted'). Load only where delivery_attempts has no status CHECK (drop_status_check); the "
        "delivery_attempts GX suite fails naming both expectations.",
        rows=_corrupted_rows,
    )
)

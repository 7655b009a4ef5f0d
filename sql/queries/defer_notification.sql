-- A pending message left untried by a flush because its channel had just failed: say why it is still pending
-- (attempts unchanged; an earlier error of its own is kept), on the outbox row and on its ledger row if any.
WITH outbox AS (
    UPDATE delivery_ops.notifications
    SET last_error = %(last_error)s
    WHERE dedup_key = %(dedup_key)s AND status = 'pending' AND last_error IS NULL
    RETURNING dedup_key
)
UPDATE delivery_ops.escalations
SET last_error = %(last_error)s, updated_at = now()
WHERE dedup_key = %(dedup_key)s AND status = 'pending' AND last_error IS NULL

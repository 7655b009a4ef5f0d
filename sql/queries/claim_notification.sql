-- Claim one outbox row for sending, committed before the send (no HTTP inside a row lock): a pending row, or one
-- left "sending" past the lease by a sender that died mid-send (was = 'sending': its outcome is unknown).
-- A concurrent flush that claimed it first wins; this one gets no row.
WITH candidate AS (
    SELECT dedup_key, status AS was
    FROM delivery_ops.notifications
    WHERE dedup_key = %(dedup_key)s
      AND (status = 'pending'
           OR (status = 'sending' AND claimed_at < now() - make_interval(secs => %(lease_seconds)s)))
    FOR UPDATE SKIP LOCKED
)
UPDATE delivery_ops.notifications n
SET status = 'sending', claimed_at = now(), claimed_by = %(claimed_by)s
FROM candidate
WHERE n.dedup_key = candidate.dedup_key
RETURNING n.dedup_key, n.channel, n.kind, n.payload, candidate.was

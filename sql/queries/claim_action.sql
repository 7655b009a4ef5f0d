-- Claim an action for sending (committed before the request): a new key, a failed one (retried under the same
-- key), or one whose claimer died (claimed longer ago than the lease). No row: another run has it, or it is done.
INSERT INTO delivery_ops.actions AS a
    (idempotency_key, delivery_date, incident_id, runbook, step, endpoint, request, status, asks, created_at,
     claimed_at)
VALUES (%(idempotency_key)s, %(delivery_date)s, %(incident_id)s, %(runbook)s, %(step)s, %(endpoint)s,
        %(request)s::jsonb, 'claimed', jsonb_build_array(%(ask)s::jsonb), now(), now())
ON CONFLICT (idempotency_key) DO UPDATE
SET status = 'claimed', claimed_at = now(), asks = a.asks || EXCLUDED.asks
WHERE a.status = 'failed'
   OR (a.status = 'claimed' AND a.claimed_at < now() - make_interval(secs => %(lease_seconds)s))
RETURNING idempotency_key

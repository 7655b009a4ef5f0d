-- Steps the plan now wants earlier than the ledger says (a condition seen later, e.g. a page not acknowledged in
-- time brings the secondary's page forward): move their due time earlier. Only pending steps; never later.
UPDATE delivery_ops.escalations e
SET due_at = v.due_at, reason = v.reason, updated_at = now()
FROM unnest(%(keys)s::text[], %(due)s::timestamptz[], %(reasons)s::text[]) AS v(dedup_key, due_at, reason)
WHERE e.dedup_key = v.dedup_key AND e.status = 'pending' AND e.due_at > v.due_at
RETURNING e.dedup_key

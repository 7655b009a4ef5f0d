-- Steps of a resolved incident that were not due yet are cancelled (a SEBI-deadline reminder outlives it).
UPDATE delivery_ops.escalations AS e
SET status = 'cancelled', updated_at = now(),
    reason = coalesce(e.reason, '') || '; cancelled: incident resolved before due'
FROM delivery_ops.incidents AS i
WHERE e.delivery_date = %(delivery_date)s
  AND e.incident_id = i.incident_id
  AND i.status = 'resolved'
  AND e.status = 'pending'
  AND e.due_at > i.resolved_at
  AND e.source NOT LIKE 'regulatory:%%'
RETURNING e.dedup_key

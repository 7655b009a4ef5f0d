-- How an alert went out (escalation.routing); written when the engine plans the day, changed only if it differs.
UPDATE delivery_ops.alerts
SET routing = %(routing)s, inhibited_by = %(inhibited_by)s, silenced_by = %(silenced_by)s
WHERE delivery_date = %(delivery_date)s AND rule = %(rule)s AND scope = %(scope)s
  AND (routing, inhibited_by, silenced_by) IS DISTINCT FROM (%(routing)s, %(inhibited_by)s, %(silenced_by)s)

-- How an alert went out (escalation.routing), written the first time the engine plans it and kept: a silence
-- added or a protocol edited later does not rewrite what the day's record says was sent.
UPDATE delivery_ops.alerts
SET routing = %(routing)s, inhibited_by = %(inhibited_by)s, silenced_by = %(silenced_by)s
WHERE delivery_date = %(delivery_date)s AND rule = %(rule)s AND scope = %(scope)s AND routing IS NULL

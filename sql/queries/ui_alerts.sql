-- The Delivery window view: the day's alerts, with how each was routed (paged, grouped, inhibited, silenced).
SELECT rule, scope, severity, first_fired_at, last_seen_at, routing, inhibited_by, silenced_by
FROM delivery_ops.alerts
WHERE delivery_date = %(day)s
ORDER BY first_fired_at, rule, scope

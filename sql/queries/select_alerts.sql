SELECT rule, scope, severity, first_fired_at, last_seen_at, dedup_key, details, routing, inhibited_by, silenced_by
FROM delivery_ops.alerts
WHERE delivery_date = %(delivery_date)s
ORDER BY first_fired_at, rule, scope

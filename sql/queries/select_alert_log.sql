-- Alerts first fired in (%(since)s, %(until)s] (the briefing's previous-24-hours log).
SELECT delivery_date, rule, scope, severity, first_fired_at, last_seen_at
FROM delivery_ops.alerts
WHERE first_fired_at > %(since)s AND first_fired_at <= %(until)s
ORDER BY first_fired_at, rule, scope

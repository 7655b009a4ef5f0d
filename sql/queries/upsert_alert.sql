-- First firing keeps first_fired_at; later ticks (and reruns) only move last_seen_at forward.
INSERT INTO delivery_ops.alerts
    (delivery_date, rule, scope, severity, first_fired_at, last_seen_at, dedup_key, details)
VALUES (%(delivery_date)s, %(rule)s, %(scope)s, %(severity)s, %(at)s, %(at)s, %(dedup_key)s, %(details)s::jsonb)
ON CONFLICT (delivery_date, rule, scope) DO UPDATE SET
    first_fired_at = LEAST(delivery_ops.alerts.first_fired_at, EXCLUDED.first_fired_at),
    last_seen_at = GREATEST(delivery_ops.alerts.last_seen_at, EXCLUDED.last_seen_at),
    severity = EXCLUDED.severity,
    details = EXCLUDED.details
RETURNING (xmax = 0) AS inserted

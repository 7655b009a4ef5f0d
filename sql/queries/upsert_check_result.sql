INSERT INTO delivery_ops.check_results
    (delivery_date, check_name, phase, status, message, observed, latency_ms, checked_at, probe_observed)
VALUES (%(delivery_date)s, %(check_name)s, %(phase)s, %(status)s, %(message)s, %(observed)s::jsonb,
        %(latency_ms)s, %(checked_at)s, %(probe_observed)s::jsonb)
ON CONFLICT (delivery_date, check_name) DO UPDATE SET
    phase = EXCLUDED.phase, status = EXCLUDED.status, message = EXCLUDED.message,
    observed = EXCLUDED.observed, latency_ms = EXCLUDED.latency_ms, checked_at = EXCLUDED.checked_at,
    probe_observed = EXCLUDED.probe_observed

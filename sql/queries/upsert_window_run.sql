INSERT INTO delivery_ops.window_runs
    (delivery_date, run_id, mode, advisors_targeted, advisors_delivered, sla_pct, sla_target_pct, sla_met,
     attempts, failed_attempts, error_rate_pct, p95_latency_ms, peak_rate_per_min, segments_processed,
     segments_expected, critical_alerts, status, measured_as_of, rows_left_out)
VALUES (%(delivery_date)s, %(run_id)s, %(mode)s, %(advisors_targeted)s, %(advisors_delivered)s, %(sla_pct)s,
        %(sla_target_pct)s, %(sla_met)s, %(attempts)s, %(failed_attempts)s, %(error_rate_pct)s,
        %(p95_latency_ms)s, %(peak_rate_per_min)s, %(segments_processed)s, %(segments_expected)s,
        %(critical_alerts)s, %(status)s, %(measured_as_of)s, %(rows_left_out)s)
ON CONFLICT (delivery_date) DO UPDATE SET
    run_id = EXCLUDED.run_id, mode = EXCLUDED.mode, advisors_targeted = EXCLUDED.advisors_targeted,
    advisors_delivered = EXCLUDED.advisors_delivered, sla_pct = EXCLUDED.sla_pct,
    sla_target_pct = EXCLUDED.sla_target_pct, sla_met = EXCLUDED.sla_met, attempts = EXCLUDED.attempts,
    failed_attempts = EXCLUDED.failed_attempts, error_rate_pct = EXCLUDED.error_rate_pct,
    p95_latency_ms = EXCLUDED.p95_latency_ms, peak_rate_per_min = EXCLUDED.peak_rate_per_min,
    segments_processed = EXCLUDED.segments_processed, segments_expected = EXCLUDED.segments_expected,
    critical_alerts = EXCLUDED.critical_alerts, status = EXCLUDED.status,
    measured_as_of = EXCLUDED.measured_as_of, rows_left_out = EXCLUDED.rows_left_out, computed_at = now()

-- bench/quality_suites.py only: a window_runs row consistent with the synthetic attempts (as the checkpoint would).
INSERT INTO delivery_ops.window_runs
    (delivery_date, run_id, mode, advisors_targeted, advisors_delivered, sla_pct, sla_target_pct, sla_met,
     attempts, failed_attempts, error_rate_pct, p95_latency_ms, peak_rate_per_min, segments_processed,
     segments_expected, critical_alerts, status, measured_as_of)
SELECT %(delivery_date)s, 'bench', 'replay', %(advisors)s, d.delivered,
       round(100.0 * d.delivered / %(advisors)s, 3), 99.0, round(100.0 * d.delivered / %(advisors)s, 3) >= 99.0,
       d.attempts, d.failed, round(100.0 * d.failed / d.attempts, 3), 1000, 0, 4, 4, 0,
       CASE WHEN round(100.0 * d.delivered / %(advisors)s, 3) >= 99.0 THEN 'sla_met' ELSE 'sla_missed' END,
       %(as_of)s
FROM (SELECT count(*) FILTER (WHERE attempted_at <= %(as_of)s) AS attempts,
             count(*) FILTER (WHERE status = 'failed') AS failed,
             count(DISTINCT advisor_id) FILTER (WHERE status IN ('delivered', 'read') AND status_at <= %(as_of)s)
                 AS delivered
      FROM platform.delivery_attempts WHERE delivery_date = %(delivery_date)s) AS d
ON CONFLICT (delivery_date) DO NOTHING

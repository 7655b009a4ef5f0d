-- Issue 13: how fast pages are acknowledged and incidents resolved, per day, beside the delivery trend.
-- performance_trends keeps its columns in order (CREATE OR REPLACE VIEW may only add columns at the end).
CREATE OR REPLACE VIEW delivery_ops.performance_trends AS
WITH response AS (
    SELECT i.delivery_date,
           count(*) FILTER (WHERE e.entry->>'step' = 'pagerduty_acknowledged') AS pages_acknowledged,
           round(avg((e.entry->>'seconds')::numeric)
                 FILTER (WHERE e.entry->>'step' = 'pagerduty_acknowledged'), 1) AS time_to_acknowledge_s_avg,
           count(*) FILTER (WHERE e.entry->>'step' = 'ack_breach') AS ack_breaches
    FROM delivery_ops.incidents i
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(i.timeline, '[]'::jsonb)) AS e(entry)
    GROUP BY i.delivery_date
), resolution AS (
    SELECT delivery_date,
           round(avg(extract(epoch FROM resolved_at - opened_at) / 60)
                 FILTER (WHERE status = 'resolved' AND kind = 'technical'), 1) AS time_to_resolve_min_avg,
           count(*) FILTER (WHERE status = 'open') AS incidents_open
    FROM delivery_ops.incidents
    GROUP BY delivery_date
)
SELECT
    w.delivery_date,
    w.sla_pct,
    w.sla_met,
    w.error_rate_pct,
    w.p95_latency_ms,
    w.peak_rate_per_min,
    round(avg(w.sla_pct) OVER w7, 3) AS sla_pct_7d_avg,
    round(avg(w.p95_latency_ms) OVER w7, 1) AS p95_latency_ms_7d_avg,
    round(avg(w.sla_pct) OVER w30, 3) AS sla_pct_30d_avg,
    round(avg(w.p95_latency_ms) OVER w30, 1) AS p95_latency_ms_30d_avg,
    round(avg(w.error_rate_pct) OVER w7, 3) AS error_rate_pct_7d_avg,
    round(avg(w.error_rate_pct) OVER w30, 3) AS error_rate_pct_30d_avg,
    round(avg(w.peak_rate_per_min) OVER w7, 1) AS peak_rate_per_min_7d_avg,
    round(avg(w.peak_rate_per_min) OVER w30, 1) AS peak_rate_per_min_30d_avg,
    count(*) OVER w7 AS days_7d,
    count(*) OVER w30 AS days_30d,
    count(*) FILTER (WHERE NOT w.sla_met) OVER w7 AS sla_missed_days_7d,
    count(*) FILTER (WHERE NOT w.sla_met) OVER w30 AS sla_missed_days_30d,
    coalesce(r.pages_acknowledged, 0) AS pages_acknowledged,
    r.time_to_acknowledge_s_avg,
    coalesce(r.ack_breaches, 0) AS ack_breaches,
    s.time_to_resolve_min_avg,
    coalesce(s.incidents_open, 0) AS incidents_open
FROM delivery_ops.window_runs w
LEFT JOIN response r ON r.delivery_date = w.delivery_date
LEFT JOIN resolution s ON s.delivery_date = w.delivery_date
WINDOW
    w7 AS (ORDER BY w.delivery_date RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW),
    w30 AS (ORDER BY w.delivery_date RANGE BETWEEN INTERVAL '29 days' PRECEDING AND CURRENT ROW);
COMMENT ON VIEW delivery_ops.performance_trends IS
    'Per delivery day: SLA, error rate, p95 latency and peak rate with their 7- and 30-day averages '
    '(calendar days ending that day, the day included) and the days that missed the SLA; then the incident '
    'response of the day: pages acknowledged (read back from PagerDuty) and their mean time to acknowledge in '
    'seconds, pages not acknowledged within the protocol''s minute (ack_breaches), the mean time to resolve a '
    'technical incident in minutes, and incidents still open.';

-- Unexpected rows: the daily report's SLA is not the SLA checkpoint's. (GX leaves aliasing to queries with a JOIN.)
SELECT r.delivery_date
FROM {batch} AS r
LEFT JOIN delivery_ops.window_runs w ON w.delivery_date = r.delivery_date
WHERE w.delivery_date IS NULL OR r.sla_pct <> w.sla_pct OR r.sla_met <> w.sla_met

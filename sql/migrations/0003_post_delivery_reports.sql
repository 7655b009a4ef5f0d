-- Post-delivery checkpoints, data quality, daily report and handoff (issue 6).
-- Adds columns to the 0001 tables (never edits 0001) and replaces the performance_trends view.

-- 06:15 advisor issues: why each advisor failed, as a class, and whether a resend can help.
ALTER TABLE delivery_ops.advisor_issues ADD COLUMN IF NOT EXISTS error_class text;
ALTER TABLE delivery_ops.advisor_issues ADD COLUMN IF NOT EXISTS retryable boolean;
COMMENT ON COLUMN delivery_ops.advisor_issues.error_class IS
    'What the last error means (reports/advisor_issues.py): unavailable, throttled, recipient_undeliverable, '
    'engagement_hold, template_blocked, account_restricted, config_error, reengagement_required, opted_out, '
    'spam_limited, awaiting_receipt, not_attempted, unknown_error.';
COMMENT ON COLUMN delivery_ops.advisor_issues.retryable IS
    'True when resending today can deliver (the error is on our or Meta''s side, not the recipient''s).';

-- Great Expectations results: the failing expectations by name, so a query needs no JSON digging.
ALTER TABLE delivery_ops.dq_results ADD COLUMN IF NOT EXISTS failed_expectations text[] NOT NULL DEFAULT '{}';
COMMENT ON TABLE delivery_ops.dq_results IS
    'One row per day and Great Expectations suite (include/gx/*.json): success, counts, the failing '
    'expectations as type(column), and per-expectation observations in details.';

-- The rendered report: Markdown for people, the chart as PNG (NULL with chart_error when it could not render).
ALTER TABLE delivery_ops.daily_reports ADD COLUMN IF NOT EXISTS report_markdown text;
ALTER TABLE delivery_ops.daily_reports ADD COLUMN IF NOT EXISTS chart_png bytea;
ALTER TABLE delivery_ops.daily_reports ADD COLUMN IF NOT EXISTS chart_error text;

-- Day-over-day trend over 7 and 30 calendar days (protocol.yaml post_delivery_verification.trend_windows_days).
-- RANGE frames count calendar days, so a missing day shortens the average instead of reaching further back.
DROP VIEW IF EXISTS delivery_ops.performance_trends;
CREATE VIEW delivery_ops.performance_trends AS
SELECT
    delivery_date,
    sla_pct,
    sla_met,
    error_rate_pct,
    p95_latency_ms,
    peak_rate_per_min,
    round(avg(sla_pct) OVER w7, 3) AS sla_pct_7d_avg,
    round(avg(p95_latency_ms) OVER w7, 1) AS p95_latency_ms_7d_avg,
    round(avg(sla_pct) OVER w30, 3) AS sla_pct_30d_avg,
    round(avg(p95_latency_ms) OVER w30, 1) AS p95_latency_ms_30d_avg,
    round(avg(error_rate_pct) OVER w7, 3) AS error_rate_pct_7d_avg,
    round(avg(error_rate_pct) OVER w30, 3) AS error_rate_pct_30d_avg,
    round(avg(peak_rate_per_min) OVER w7, 1) AS peak_rate_per_min_7d_avg,
    round(avg(peak_rate_per_min) OVER w30, 1) AS peak_rate_per_min_30d_avg,
    count(*) OVER w7 AS days_7d,
    count(*) OVER w30 AS days_30d,
    count(*) FILTER (WHERE NOT sla_met) OVER w7 AS sla_missed_days_7d,
    count(*) FILTER (WHERE NOT sla_met) OVER w30 AS sla_missed_days_30d
FROM delivery_ops.window_runs
WINDOW
    w7 AS (ORDER BY delivery_date RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW),
    w30 AS (ORDER BY delivery_date RANGE BETWEEN INTERVAL '29 days' PRECEDING AND CURRENT ROW);
COMMENT ON VIEW delivery_ops.performance_trends IS
    'Per delivery day: SLA, error rate, p95 latency and peak rate with their 7- and 30-day averages '
    '(calendar days ending that day, the day included) and the days that missed the SLA.';

-- Great Expectations batches (include/gx): one view per suite, holding the rows of the day named by the session
-- setting delivery_window.dq_date (quality/runner.py sets it as a connection option; unset, the views are empty).
-- Views, not GX query assets: GX reflects a view's columns from the catalog, whereas for a query asset it runs
-- the whole query once and fetches every row just to learn the column names (a million rows into the worker).
CREATE OR REPLACE VIEW delivery_ops.dq_day_delivery_attempts AS
SELECT attempt_id, delivery_date, advisor_id, segment, phone_number_id, template_name, wamid, attempted_at,
       api_latency_ms, status, error_code, status_at
FROM platform.delivery_attempts
WHERE delivery_date = current_setting('delivery_window.dq_date', true)::date;

CREATE OR REPLACE VIEW delivery_ops.dq_day_window_runs AS
SELECT * FROM delivery_ops.window_runs
WHERE delivery_date = current_setting('delivery_window.dq_date', true)::date;

CREATE OR REPLACE VIEW delivery_ops.dq_day_advisor_issues AS
SELECT * FROM delivery_ops.advisor_issues
WHERE delivery_date = current_setting('delivery_window.dq_date', true)::date;

CREATE OR REPLACE VIEW delivery_ops.dq_day_daily_reports AS
SELECT delivery_date, sla_pct, sla_met, alerts, runbook, report_text, report_markdown, generated_at
FROM delivery_ops.daily_reports
WHERE delivery_date = current_setting('delivery_window.dq_date', true)::date;

-- delivery_ops: the report schema owned by delivery-window (ARCHITECTURE §3).
-- Public contract: the data team and on-call read these names. Every table is keyed by
-- delivery_date plus a natural key so that every write is an idempotent upsert.

CREATE SCHEMA IF NOT EXISTS delivery_ops;

-- One row per delivery day: the 06:05 SLA checkpoint.
CREATE TABLE IF NOT EXISTS delivery_ops.window_runs (
    delivery_date       date PRIMARY KEY,
    run_id              text,
    mode                text NOT NULL CHECK (mode IN ('live', 'replay')),
    advisors_targeted   integer NOT NULL,
    advisors_delivered  integer NOT NULL,
    sla_pct             numeric(7, 3) NOT NULL,
    sla_target_pct      numeric(7, 3) NOT NULL,
    sla_met             boolean NOT NULL,
    attempts            integer NOT NULL,
    failed_attempts     integer NOT NULL,
    error_rate_pct      numeric(7, 3) NOT NULL,
    p95_latency_ms      integer,
    peak_rate_per_min   integer NOT NULL,
    segments_processed  smallint NOT NULL,
    segments_expected   smallint NOT NULL,
    critical_alerts     integer NOT NULL,
    status              text NOT NULL CHECK (status IN ('sla_met', 'sla_missed')),
    measured_as_of      timestamptz NOT NULL,
    computed_at         timestamptz NOT NULL DEFAULT now()
);

-- Every protocol check (05:30, 05:45, checkpoints): what was seen and the verdict.
CREATE TABLE IF NOT EXISTS delivery_ops.check_results (
    delivery_date  date NOT NULL,
    check_name     text NOT NULL,
    phase          text NOT NULL,
    status         text NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'error')),
    message        text NOT NULL,
    observed       jsonb NOT NULL DEFAULT '{}'::jsonb,
    latency_ms     integer,
    checked_at     timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, check_name)
);

-- The monitor's time series (one row per tick and scope: overall, segment:N, number:ID).
CREATE TABLE IF NOT EXISTS delivery_ops.metric_ticks (
    delivery_date     date NOT NULL,
    tick_at           timestamptz NOT NULL,
    scope             text NOT NULL,
    attempts          integer NOT NULL,
    resolved          integer NOT NULL,
    delivered         integer NOT NULL,
    failed            integer NOT NULL,
    success_rate_pct  numeric(7, 3),
    error_rate_pct    numeric(7, 3),
    rate_per_min      integer NOT NULL,
    p95_latency_ms    integer,
    PRIMARY KEY (delivery_date, tick_at, scope)
);

-- Alert rule firings; one row per (day, rule, scope), first/last seen kept across ticks and reruns.
CREATE TABLE IF NOT EXISTS delivery_ops.alerts (
    delivery_date   date NOT NULL,
    rule            text NOT NULL,
    scope           text NOT NULL,
    severity        text NOT NULL,
    first_fired_at  timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    dedup_key       text NOT NULL UNIQUE,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (delivery_date, rule, scope)
);

CREATE TABLE IF NOT EXISTS delivery_ops.incidents (
    incident_id    text PRIMARY KEY,
    delivery_date  date NOT NULL,
    severity       text NOT NULL,
    runbook        text,
    opened_at      timestamptz NOT NULL,
    resolved_at    timestamptz,
    status         text NOT NULL CHECK (status IN ('open', 'resolved')),
    timeline       jsonb NOT NULL DEFAULT '[]'::jsonb
);

-- Escalation ledger: a row exists before any message is sent (ARCHITECTURE §6).
CREATE TABLE IF NOT EXISTS delivery_ops.escalations (
    delivery_date  date NOT NULL,
    incident_id    text NOT NULL,
    target         text NOT NULL,
    channel        text NOT NULL,
    due_at         timestamptz NOT NULL,
    sent_at        timestamptz,
    status         text NOT NULL CHECK (status IN ('pending', 'sent', 'cancelled', 'failed')),
    dedup_key      text PRIMARY KEY
);

-- Outbox of every outbound notification (PagerDuty event, Slack post, Datadog series):
-- written before sending, so a failed send stays 'pending' and a rerun never sends twice.
CREATE TABLE IF NOT EXISTS delivery_ops.notifications (
    dedup_key      text PRIMARY KEY,
    delivery_date  date NOT NULL,
    channel        text NOT NULL,
    kind           text NOT NULL,
    payload        jsonb NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'sent', 'dry_run')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    created_at     timestamptz NOT NULL,
    sent_at        timestamptz
);

-- Branch decisions (go_no_go, choose_runbook) and why.
CREATE TABLE IF NOT EXISTS delivery_ops.decisions (
    delivery_date   date NOT NULL,
    decision_point  text NOT NULL,
    choice          text NOT NULL,
    reasons         jsonb NOT NULL DEFAULT '[]'::jsonb,
    decided_at      timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, decision_point)
);

CREATE TABLE IF NOT EXISTS delivery_ops.runbook_runs (
    delivery_date   date NOT NULL,
    runbook         text NOT NULL,
    step            text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    ran_at          timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, runbook, step)
);

CREATE TABLE IF NOT EXISTS delivery_ops.dq_results (
    delivery_date  date NOT NULL,
    suite          text NOT NULL,
    success        boolean NOT NULL,
    evaluated      integer NOT NULL,
    failed         integer NOT NULL,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb,
    validated_at   timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, suite)
);

-- Advisors who did not get today's content (06:15 checkpoint), with the last error seen.
CREATE TABLE IF NOT EXISTS delivery_ops.advisor_issues (
    delivery_date    date NOT NULL,
    advisor_id       text NOT NULL,
    segment          smallint,
    tier             text,
    issue            text NOT NULL,
    attempts         integer NOT NULL,
    last_error_code  integer,
    last_status      text,
    PRIMARY KEY (delivery_date, advisor_id)
);

CREATE TABLE IF NOT EXISTS delivery_ops.daily_reports (
    delivery_date  date PRIMARY KEY,
    sla_pct        numeric(7, 3) NOT NULL,
    sla_met        boolean NOT NULL,
    alerts         integer NOT NULL,
    runbook        text NOT NULL,
    summary        jsonb NOT NULL,
    report_text    text NOT NULL,
    generated_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS delivery_ops.handoff_log (
    delivery_date  date NOT NULL,
    section        text NOT NULL,
    content        jsonb NOT NULL,
    written_at     timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, section)
);

-- Day-over-day trend for the data team and the Grafana dashboard.
CREATE OR REPLACE VIEW delivery_ops.performance_trends AS
SELECT
    delivery_date,
    sla_pct,
    sla_met,
    error_rate_pct,
    p95_latency_ms,
    peak_rate_per_min,
    avg(sla_pct) OVER w7 AS sla_pct_7d_avg,
    avg(p95_latency_ms) OVER w7 AS p95_latency_ms_7d_avg
FROM delivery_ops.window_runs
WINDOW w7 AS (ORDER BY delivery_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW);

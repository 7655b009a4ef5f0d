-- Issue 16: report tables a data team can read. Every table, view and column of the report schema says what it
-- holds (units, keys, allowed values, which clock a timestamp is), and the packed alert/tick scope is split into
-- scope_kind and scope_key beside it. Comments only for what had none (0003-0011 keep theirs); COMMENT ON is
-- idempotent. tests/integration/test_schema_documented.py fails on any object left without one.
--
-- Wording rule: the comment text never names the schema, because an evaluation builds its own copy of these
-- tables from the same files with the schema name replaced (migrate.in_schema): every sentence here must stay
-- true in that copy too.
--
-- Timestamps are timestamptz: an instant, shown in the session's TimeZone. Protocol times are Asia/Kolkata
-- wall-clock (IST = UTC+05:30: 06:00 IST = 00:30 UTC); `col AT TIME ZONE 'Asia/Kolkata'` gives IST wall-clock.
-- Each comment says which clock fills it: a "protocol instant" is the same in a live run and in a replay of the
-- day (06:00:10 IST...); "wall clock" is when the write happened (in a replay: the day it ran).

COMMENT ON SCHEMA delivery_ops IS
    'delivery-window report tables: one copy of each delivery day (the record written by the run that watched '
    'the window, or an evaluation''s copy, listed by schema_name in the record''s evaluations table). Rows are '
    'keyed by delivery_date (the IST date of the 06:00 window) plus a natural key; writes are upserts. '
    'Timestamps are timestamptz; protocol times are IST (Asia/Kolkata, UTC+05:30).';

-- --- scope_kind / scope_key ----------------------------------------------------------------------------------
-- alerts.scope and metric_ticks.scope pack kind:key (monitor/metrics.py scopes_of, monitor/rules.py):
-- overall | segment:<n> | tier:<tier> | number:<phone_number_id> | advisor:<advisor_id> |
-- template:<template_name>:<language>. Generated columns: every existing row is filled, writers name the
-- columns they insert (sql/queries/upsert_*.sql) and need no change, and a rerun's upsert recomputes nothing
-- by hand. The key is everything after the first ':' (a template key keeps its own ':'); overall has none (NULL).
ALTER TABLE delivery_ops.metric_ticks
    ADD COLUMN IF NOT EXISTS scope_kind text GENERATED ALWAYS AS (split_part(scope, ':', 1)) STORED,
    ADD COLUMN IF NOT EXISTS scope_key text
        GENERATED ALWAYS AS (CASE WHEN strpos(scope, ':') > 0 THEN substr(scope, strpos(scope, ':') + 1) END) STORED;
ALTER TABLE delivery_ops.alerts
    ADD COLUMN IF NOT EXISTS scope_kind text GENERATED ALWAYS AS (split_part(scope, ':', 1)) STORED,
    ADD COLUMN IF NOT EXISTS scope_key text
        GENERATED ALWAYS AS (CASE WHEN strpos(scope, ':') > 0 THEN substr(scope, strpos(scope, ':') + 1) END) STORED;

-- --- window_runs ------------------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.window_runs IS
    'One row per delivery day: the 06:05 SLA checkpoint (checkpoint.py), measured from platform.delivery_attempts '
    'as of the window close (measured_as_of). SLA = advisors with a delivered or read attempt by then / active '
    'advisors. A rerun replaces the row.';
COMMENT ON COLUMN delivery_ops.window_runs.delivery_date IS 'The delivery day (IST date of the 06:00 window). Primary key.';
COMMENT ON COLUMN delivery_ops.window_runs.run_id IS 'Airflow dag_run.run_id of the run that last computed the row.';
COMMENT ON COLUMN delivery_ops.window_runs.mode IS
    'live | replay: replay when the row was computed at or after measured_as_of (the window had closed, as for '
    'any rerun or replay), live when before it.';
COMMENT ON COLUMN delivery_ops.window_runs.advisors_targeted IS 'Active advisors in platform.advisors when measured (the SLA denominator).';
COMMENT ON COLUMN delivery_ops.window_runs.advisors_delivered IS
    'Distinct advisors with a delivered or read attempt whose receipt arrived by measured_as_of (the SLA numerator).';
COMMENT ON COLUMN delivery_ops.window_runs.sla_pct IS
    'advisors_delivered / advisors_targeted in percent (0-100, 3 decimals); 0 when no advisor is active.';
COMMENT ON COLUMN delivery_ops.window_runs.sla_target_pct IS 'The protocol''s SLA target in percent (protocol.yaml sla.target_pct, 99.0) when measured.';
COMMENT ON COLUMN delivery_ops.window_runs.sla_met IS 'sla_pct >= sla_target_pct.';
COMMENT ON COLUMN delivery_ops.window_runs.attempts IS
    'Send attempts of the day made by measured_as_of (a retry is a new attempt), source rows that break the '
    'source contract left out (rows_left_out).';
COMMENT ON COLUMN delivery_ops.window_runs.failed_attempts IS 'Of attempts, those whose failed receipt arrived by measured_as_of.';
COMMENT ON COLUMN delivery_ops.window_runs.error_rate_pct IS 'failed_attempts / attempts in percent (0-100, 3 decimals); 0 with no attempts.';
COMMENT ON COLUMN delivery_ops.window_runs.p95_latency_ms IS
    'Nearest-rank 95th percentile of the WhatsApp API call latency of attempts, in milliseconds; NULL with no attempts.';
COMMENT ON COLUMN delivery_ops.window_runs.peak_rate_per_min IS 'The most attempts made in any 60-second sliding window of the day (messages per minute).';
COMMENT ON COLUMN delivery_ops.window_runs.segments_processed IS 'Distinct advisor segments (groups) with at least one attempt.';
COMMENT ON COLUMN delivery_ops.window_runs.segments_expected IS 'Advisor segments the protocol expects (protocol.yaml checks.advisor_segments, 4).';
COMMENT ON COLUMN delivery_ops.window_runs.critical_alerts IS
    'Alerts of the day of severity severity_1 or immediate_page recorded when the checkpoint ran.';
COMMENT ON COLUMN delivery_ops.window_runs.status IS 'sla_met | sla_missed (the same verdict as sla_met).';
COMMENT ON COLUMN delivery_ops.window_runs.measured_as_of IS
    'Protocol instant the SLA is measured at: the window close, 06:05 IST + monitor.grace_seconds (06:07 IST).';
COMMENT ON COLUMN delivery_ops.window_runs.computed_at IS 'Wall clock (database now()) of the last write of the row.';

-- --- check_results ----------------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.check_results IS
    'One row per day and protocol check: the 05:30 and 05:45 pre-delivery checks and the 06:05, 06:15 and 06:30 '
    'checkpoint items, with what was observed and the verdict. Key (delivery_date, check_name); a rerun replaces it.';
COMMENT ON COLUMN delivery_ops.check_results.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.check_results.check_name IS
    'The check''s task id (check_redis_cache, check_sender_quality, ...) or checkpoint item '
    '(verify_delivery_sla_achieved, ...); checks/probes.py CHECKS and checkpoint.py name them.';
COMMENT ON COLUMN delivery_ops.check_results.phase IS
    'Where it ran: pre_delivery.infrastructure | pre_delivery.content_pipeline | pre_delivery.ai_services | '
    'pre_delivery.monitoring (05:30), pre_delivery.final_check (05:45), post_delivery.checkpoint_0605 | '
    'post_delivery.checkpoint_0615 | post_delivery.final_report_0630.';
COMMENT ON COLUMN delivery_ops.check_results.status IS
    'pass | warn | fail | error (could not observe: timeout, refused, bad response) | not_observed (an evaluation '
    'of a day whose record has no observation of the check).';
COMMENT ON COLUMN delivery_ops.check_results.message IS 'One line for people: what was seen and why the verdict.';
COMMENT ON COLUMN delivery_ops.check_results.observed IS 'The figures the verdict was judged from (JSON; its keys depend on the check).';
COMMENT ON COLUMN delivery_ops.check_results.latency_ms IS
    'How long the probe took, in milliseconds (an evaluation keeps the record''s); NULL for checkpoint items, '
    'which are computed from recorded data.';
COMMENT ON COLUMN delivery_ops.check_results.checked_at IS 'Wall clock when the verdict was recorded (a rerun or replay: when it ran).';

-- --- metric_ticks -----------------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.metric_ticks IS
    'The window monitor''s time series: one row per tick and scope with attempts (overall always, every other '
    'scope once it has an attempt). Figures are cumulative for the day "as of" tick_at: attempts made by then, '
    'receipts arrived by then. Key (delivery_date, tick_at, scope). Live and replay write the same rows.';
COMMENT ON COLUMN delivery_ops.metric_ticks.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.metric_ticks.tick_at IS
    'Protocol instant of the tick: 06:00:00 IST + k * monitor.tick_seconds (10 s) up to the window close (06:07 IST).';
COMMENT ON COLUMN delivery_ops.metric_ticks.scope IS
    'kind:key of the slice (see scope_kind, scope_key): overall | segment:<n> | tier:<tier> | number:<phone_number_id>.';
COMMENT ON COLUMN delivery_ops.metric_ticks.scope_kind IS
    'Generated from scope: overall | segment | tier | number (alerts also have advisor and template).';
COMMENT ON COLUMN delivery_ops.metric_ticks.scope_key IS
    'Generated from scope, the part after the first '':'': the segment number, tier name or sender phone_number_id '
    '(text); NULL for overall.';
COMMENT ON COLUMN delivery_ops.metric_ticks.attempts IS 'Send attempts in the scope made by tick_at.';
COMMENT ON COLUMN delivery_ops.metric_ticks.resolved IS 'Of attempts, those whose outcome (delivered, read or failed) was known by tick_at.';
COMMENT ON COLUMN delivery_ops.metric_ticks.delivered IS 'Of resolved, delivered or read.';
COMMENT ON COLUMN delivery_ops.metric_ticks.failed IS 'Of resolved, failed.';
COMMENT ON COLUMN delivery_ops.metric_ticks.success_rate_pct IS
    'delivered / resolved in percent (0-100, 3 decimals); NULL while nothing is resolved.';
COMMENT ON COLUMN delivery_ops.metric_ticks.error_rate_pct IS 'failed / attempts in percent (0-100, 3 decimals); NULL with no attempts.';
COMMENT ON COLUMN delivery_ops.metric_ticks.rate_per_min IS 'Attempts made in the minute ending at tick_at (messages per minute).';
COMMENT ON COLUMN delivery_ops.metric_ticks.p95_latency_ms IS
    'Nearest-rank 95th percentile of the WhatsApp API latency of the scope''s attempts made by tick_at, in '
    'milliseconds (calls over 65535 ms count as 65535); NULL with no attempts.';

-- --- alerts -----------------------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.alerts IS
    'Alert rule firings of the window monitor: one row per day, rule and scope, however many ticks it fired on '
    '(first_fired_at and last_seen_at span them; reruns keep the first firing). routing says how it went out.';
COMMENT ON COLUMN delivery_ops.alerts.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.alerts.rule IS
    'protocol.yaml alert_rules name: success_rate_below_98, processing_rate_below_target, api_latency_p95_above_2s, '
    'error_rate_above_2pct, failure_rate_2m, advisor_failures_1m, latency_vs_baseline, success_below_95_2m, '
    'whatsapp_api_unavailable, db_connection_failures, shard_failing, tier_delivery_issue, template_status_change.';
COMMENT ON COLUMN delivery_ops.alerts.scope IS
    'kind:key the rule fired for (see scope_kind, scope_key): overall | number:<phone_number_id> | tier:<tier> | '
    'advisor:<advisor_id> | template:<template_name>:<language>.';
COMMENT ON COLUMN delivery_ops.alerts.scope_kind IS 'Generated from scope: overall | number | tier | advisor | template.';
COMMENT ON COLUMN delivery_ops.alerts.scope_key IS
    'Generated from scope, the part after the first '':'': phone_number_id, tier, advisor_id or '
    '<template_name>:<language>; NULL for overall.';
COMMENT ON COLUMN delivery_ops.alerts.severity IS
    'The rule''s protocol level (protocol.yaml alert_rules.<rule>.level): primary_metric | immediate_page | '
    'urgent_investigate | warning_monitor | severity_1 | severity_2. Paged: immediate_page and severity_1.';
COMMENT ON COLUMN delivery_ops.alerts.first_fired_at IS 'Protocol instant of the first tick it fired on (a metric_ticks.tick_at).';
COMMENT ON COLUMN delivery_ops.alerts.last_seen_at IS 'Protocol instant of the last tick it was still firing on.';
COMMENT ON COLUMN delivery_ops.alerts.dedup_key IS
    'delivery_window:<delivery_date>:<rule>:<scope>; unique, stable across ticks, reruns and replays.';
COMMENT ON COLUMN delivery_ops.alerts.details IS
    'JSON: summary (the sentence posted) and the figures the rule fired on at its latest tick (e.g. '
    'failure_rate_pct, failed, resolved).';

-- --- incidents --------------------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.incidents IS
    'Incidents of a delivery day: a runbook''s (opened by its alerts or its activation), a business-matrix '
    'condition''s, a failed task''s. Each has one PagerDuty page key; timeline lists every step once.';
COMMENT ON COLUMN delivery_ops.incidents.incident_id IS
    '<delivery_date>:<runbook> | <delivery_date>:<business_escalation row> | <delivery_date>:task:<task_id>. '
    'Primary key; the PagerDuty dedup key is delivery_window:<incident_id>.';
COMMENT ON COLUMN delivery_ops.incidents.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.incidents.severity IS 'minor | major | critical (the worst seen wins; critical is paged).';
COMMENT ON COLUMN delivery_ops.incidents.runbook IS
    'delivery_failure | whatsapp_quality_recovery | ai_service_fallback | database_emergency; NULL for business '
    'and task-failure incidents.';
COMMENT ON COLUMN delivery_ops.incidents.opened_at IS
    'When it opened: the earliest of its first alert''s tick (a protocol instant) and the other steps that '
    'opened it (a runbook activation, task failure, business condition: wall clock live, the protocol instant '
    'in a replay).';
COMMENT ON COLUMN delivery_ops.incidents.resolved_at IS
    'When it was resolved: the resolving step''s time (live or by hand, wall clock; a replay, its protocol '
    'instant); NULL while open.';
COMMENT ON COLUMN delivery_ops.incidents.status IS 'open | resolved.';
COMMENT ON COLUMN delivery_ops.incidents.timeline IS
    'JSON array of {"step", "at" (ISO instant), ...details}, in order, each step once: alert:<rule>:<scope>, '
    'runbook_activated, approval:<step>, success_criterion_met, pagerduty_acknowledged (seconds), ack_breach, '
    'task_failed:<task_id>, event:<event>, resolved, ...';
COMMENT ON COLUMN delivery_ops.incidents.kind IS
    'technical (a runbook''s) | task_failure | business (a business_escalation row); NULL when only the monitor '
    'recorded it, before the escalation engine did.';
COMMENT ON COLUMN delivery_ops.incidents.resolved_by IS
    'What resolved it: runbook <name>: <criterion> measured met, task <task_id> succeeded, or <person>: <reason> '
    '(delivery-window incident close); NULL while open.';

-- --- escalations (the ledger; table comment and source in 0005) -------------------------------------------------
COMMENT ON COLUMN delivery_ops.escalations.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.escalations.incident_id IS
    'incidents.incident_id of the step; NULL for messages of no incident (status lines, go/no-go alerts, the '
    'daily summary, an alert posted on its own).';
COMMENT ON COLUMN delivery_ops.escalations.target IS
    'Who is told: a protocol.yaml roles key (primary_engineer, engineering_manager, cto, ...) or an audience '
    '(the daily-operations channel for status lines, advisors, a status page).';
COMMENT ON COLUMN delivery_ops.escalations.channel IS
    'Where it goes, for people: pagerduty | slack:#<channel> | status_page:<host> | advisors:<methods>.';
COMMENT ON COLUMN delivery_ops.escalations.due_at IS
    'When the step is due: planned from the incident''s times and the protocol''s delays (a replay: protocol '
    'instants); a pending step is sent once due_at has passed while its incident is open.';
COMMENT ON COLUMN delivery_ops.escalations.sent_at IS 'Wall clock when it was sent (or recorded as dry_run); NULL until then.';
COMMENT ON COLUMN delivery_ops.escalations.status IS
    'pending | sent | cancelled | failed | dry_run (a dry run: never sent) | in_record (an evaluation''s copy of a '
    'step the record already sent).';
COMMENT ON COLUMN delivery_ops.escalations.dedup_key IS
    'Primary key; also the outbox key (notifications.dedup_key) and, for PagerDuty, the event''s dedup_key '
    '(escalation/keys.py lists the forms).';
COMMENT ON COLUMN delivery_ops.escalations.action IS
    'What the step does: notify | page | respond | approval_request | status_page_update | advisor_notification '
    '| board_notification | regulatory_reminder | acknowledge | resolve, ...';
COMMENT ON COLUMN delivery_ops.escalations.kind IS 'Outbox kind: pagerduty_event | slack_message | status_page_update | advisor_notification.';
COMMENT ON COLUMN delivery_ops.escalations.conn_id IS
    'Airflow connection that sends it (pagerduty_events, slack_war_room, slack_delivery_ops, '
    'slack_engineering_alerts, slack_executive_alerts, delivery_service) = notifications.channel.';
COMMENT ON COLUMN delivery_ops.escalations.payload IS 'The exact message (JSON as sent; phone numbers masked to their last 4 digits).';
COMMENT ON COLUMN delivery_ops.escalations.reason IS 'Why the step was planned, moved earlier or cancelled (one line).';
COMMENT ON COLUMN delivery_ops.escalations.attempts IS 'Send attempts so far (a failed send is retried under the same key).';
COMMENT ON COLUMN delivery_ops.escalations.last_error IS 'Error of the last failed send; NULL when the last send succeeded or none was tried.';
COMMENT ON COLUMN delivery_ops.escalations.created_at IS 'Wall clock when the ledger row was written (before anything was sent).';
COMMENT ON COLUMN delivery_ops.escalations.updated_at IS 'Wall clock (database now()) of the last send attempt mirrored onto the row; NULL before one.';

-- --- notifications (the outbox) ---------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.notifications IS
    'The outbox: every outbound message (PagerDuty event, Slack post, status-page update, advisor notification) '
    'is a row before it is sent, keyed by its dedup key, so a rerun never sends it twice. Every row has its '
    'escalations row under the same key.';
COMMENT ON COLUMN delivery_ops.notifications.dedup_key IS 'Primary key = escalations.dedup_key (escalation/keys.py lists the forms).';
COMMENT ON COLUMN delivery_ops.notifications.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.notifications.channel IS
    'Airflow connection it is sent through: pagerduty_events | slack_war_room | slack_delivery_ops | '
    'slack_engineering_alerts | slack_executive_alerts | delivery_service (= escalations.conn_id).';
COMMENT ON COLUMN delivery_ops.notifications.kind IS 'pagerduty_event | slack_message | status_page_update | advisor_notification.';
COMMENT ON COLUMN delivery_ops.notifications.payload IS 'The message body as sent (JSON; phone numbers masked to their last 4 digits).';
COMMENT ON COLUMN delivery_ops.notifications.status IS
    'pending (queued, or its send failed and is retried) | sending (claimed by a flush) | sent | dry_run (never '
    'sent) | in_record (an evaluation''s copy of a message the record sent).';
COMMENT ON COLUMN delivery_ops.notifications.attempts IS 'Send attempts so far.';
COMMENT ON COLUMN delivery_ops.notifications.last_error IS 'Error of the last failed send (masked); NULL when none failed last.';
COMMENT ON COLUMN delivery_ops.notifications.created_at IS
    'When the message became due and was queued: its escalations.due_at (a replay: a protocol instant).';
COMMENT ON COLUMN delivery_ops.notifications.sent_at IS 'Wall clock (database now()) when it was sent or recorded as dry_run; NULL until then.';
COMMENT ON COLUMN delivery_ops.notifications.claimed_by IS 'host:pid of the process whose flush last claimed the row to send it.';

-- --- decisions, runbook_runs --------------------------------------------------------------------------------------
COMMENT ON TABLE delivery_ops.decisions IS
    'The day''s branch decisions and why: go_no_go (before 06:00) and choose_runbook (after the window). A rerun '
    'replaces them.';
COMMENT ON COLUMN delivery_ops.decisions.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.decisions.decision_point IS 'go_no_go | choose_runbook.';
COMMENT ON COLUMN delivery_ops.decisions.choice IS
    'go_no_go: proceed, or the pre-window remediations joined by + (e.g. database_emergency); choose_runbook: the '
    'runbook to run (delivery_failure, ...) or no_incident.';
COMMENT ON COLUMN delivery_ops.decisions.reasons IS 'JSON array of one-line reasons, in the order they were weighed.';
COMMENT ON COLUMN delivery_ops.decisions.decided_at IS 'Wall clock when the decision was recorded.';

COMMENT ON TABLE delivery_ops.runbook_runs IS
    'One row per day, runbook and step: the outcome of each runbook step (a pre-window remediation is step '
    'pre_window.<runbook>). A rerun replaces the step''s row.';
COMMENT ON COLUMN delivery_ops.runbook_runs.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.runbook_runs.runbook IS 'delivery_failure | whatsapp_quality_recovery | ai_service_fallback | database_emergency.';
COMMENT ON COLUMN delivery_ops.runbook_runs.step IS 'The step (include/runbooks: assess_failure_scope, requeue_failed_deliveries, verify_delivery_restored, ...).';
COMMENT ON COLUMN delivery_ops.runbook_runs.outcome IS 'succeeded | failed | skipped (not approved, or not needed).';
COMMENT ON COLUMN delivery_ops.runbook_runs.details IS
    'JSON: what the step did or measured (counts, the service''s answer, the success criterion and its reason).';
COMMENT ON COLUMN delivery_ops.runbook_runs.ran_at IS 'When the step ran: live, wall clock; a replay, its protocol instant.';

-- --- dq_results (table comment in 0003), advisor_issues, daily_reports, handoff_log --------------------------------
COMMENT ON COLUMN delivery_ops.dq_results.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.dq_results.suite IS
    'delivery_attempts | window_runs | advisor_issues | daily_reports (include/gx suites) | source_contract (the '
    'source rows the 06:05 checkpoint left out of the SLA).';
COMMENT ON COLUMN delivery_ops.dq_results.success IS 'True when every expectation passed (source_contract: no row was left out).';
COMMENT ON COLUMN delivery_ops.dq_results.evaluated IS 'Expectations evaluated (source_contract: source rows read).';
COMMENT ON COLUMN delivery_ops.dq_results.failed IS 'Expectations that failed (source_contract: source rows left out).';
COMMENT ON COLUMN delivery_ops.dq_results.failed_expectations IS
    'Names of the failed expectations as type(column), e.g. expect_column_values_to_be_in_set(status) '
    '(source_contract: the kinds of rows left out).';
COMMENT ON COLUMN delivery_ops.dq_results.details IS
    'JSON: per expectation its observed value and unexpected sample ({"expectations": [...]}), or {"error": ...} '
    'when the suite could not run; source_contract: by_kind and attempt_ids.';
COMMENT ON COLUMN delivery_ops.dq_results.validated_at IS 'Wall clock when the suite''s result was recorded.';

COMMENT ON TABLE delivery_ops.advisor_issues IS
    'Active advisors without a delivered or read attempt by the window close (06:07 IST), one row each, with '
    'their last attempt and what its error means (06:15 checkpoint). A rerun replaces the day''s rows.';
COMMENT ON COLUMN delivery_ops.advisor_issues.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.advisor_issues.advisor_id IS 'platform.advisors.advisor_id.';
COMMENT ON COLUMN delivery_ops.advisor_issues.segment IS 'The advisor''s segment (group, 1-4) in platform.advisors.';
COMMENT ON COLUMN delivery_ops.advisor_issues.tier IS 'The advisor''s tier in platform.advisors (e.g. platinum, gold, silver, standard).';
COMMENT ON COLUMN delivery_ops.advisor_issues.issue IS 'not_attempted (no send at all) | not_delivered (sent, never delivered).';
COMMENT ON COLUMN delivery_ops.advisor_issues.attempts IS 'The advisor''s send attempts of the day made by the window close.';
COMMENT ON COLUMN delivery_ops.advisor_issues.last_error_code IS 'WhatsApp error code of the latest attempt; NULL when it has none or there was no attempt.';
COMMENT ON COLUMN delivery_ops.advisor_issues.last_status IS
    'Latest attempt''s status in platform.delivery_attempts (sent: no receipt yet | failed | ...); NULL with no attempt.';

COMMENT ON TABLE delivery_ops.daily_reports IS
    'One row per day: the 06:30 daily report (reports/assemble.py) as data (summary), text, Markdown and PNG '
    'chart. A rerun replaces it.';
COMMENT ON COLUMN delivery_ops.daily_reports.delivery_date IS 'The delivery day (IST date). Primary key.';
COMMENT ON COLUMN delivery_ops.daily_reports.sla_pct IS 'window_runs.sla_pct when the report was made, in percent (0 without a window_runs row).';
COMMENT ON COLUMN delivery_ops.daily_reports.sla_met IS 'window_runs.sla_met when the report was made (false without a window_runs row).';
COMMENT ON COLUMN delivery_ops.daily_reports.alerts IS 'Number of the day''s alerts rows (rule x scope).';
COMMENT ON COLUMN delivery_ops.daily_reports.runbook IS 'The choose_runbook decision (a runbook or no_incident), or not decided.';
COMMENT ON COLUMN delivery_ops.daily_reports.summary IS
    'JSON of every fact the report shows: SLA figures, checks by status, failed checks, alerts (first fired IST, '
    'sent as), checkpoints, trend, dq, findings by priority, per-minute attempts, evaluation lines, ...';
COMMENT ON COLUMN delivery_ops.daily_reports.report_text IS 'The plain-text report (the table posted to Slack and printed by the CLI).';
COMMENT ON COLUMN delivery_ops.daily_reports.generated_at IS 'Wall clock when the report was generated.';
COMMENT ON COLUMN delivery_ops.daily_reports.report_markdown IS
    'The report as a Markdown document; its chart link names delivery-window-<date>.png (chart_png).';
COMMENT ON COLUMN delivery_ops.daily_reports.chart_png IS
    'The chart as PNG bytes: attempts, failures and p95 latency per minute in IST, alerts numbered; NULL when '
    'it could not render (chart_error).';
COMMENT ON COLUMN delivery_ops.daily_reports.chart_error IS 'Why there is no chart (e.g. matplotlib missing, no attempts); NULL when rendered.';

COMMENT ON TABLE delivery_ops.handoff_log IS
    'The 06:30 handoff to the day team: one row per day and section. A rerun replaces it.';
COMMENT ON COLUMN delivery_ops.handoff_log.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.handoff_log.section IS
    'incidents | performance_notes | advisor_issues | infrastructure_changes | previous_24h_incident_log | '
    'pending_issues | upcoming_scheduled_maintenance_or_changes.';
COMMENT ON COLUMN delivery_ops.handoff_log.content IS 'JSON of the section (its keys depend on the section).';
COMMENT ON COLUMN delivery_ops.handoff_log.written_at IS 'Wall clock when the section was written.';

-- --- template_observations, approvals, actions, evaluations, silences, schema_migrations ---------------------------
COMMENT ON TABLE delivery_ops.template_observations IS
    'WhatsApp template statuses the live monitor saw during the window: a row when a template is first seen and '
    'whenever its status changes. The template_status_change rule is judged from these rows, so a replay (which '
    'adds none) reaches the live run''s alerts.';
COMMENT ON COLUMN delivery_ops.template_observations.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.template_observations.template_name IS 'WhatsApp message template name (platform.templates_in_use).';
COMMENT ON COLUMN delivery_ops.template_observations.language IS 'The template''s language code (e.g. en).';
COMMENT ON COLUMN delivery_ops.template_observations.status IS 'Status Meta reported (APPROVED, PAUSED, REJECTED, DISABLED, ...).';
COMMENT ON COLUMN delivery_ops.template_observations.observed_at IS
    'The tick (a metric_ticks.tick_at, protocol instant) whose poll saw it; the live monitor polls every '
    'monitor.template_poll_seconds (60 s).';

COMMENT ON COLUMN delivery_ops.approvals.approval_id IS 'Row id, in the order the answers were recorded.';
COMMENT ON COLUMN delivery_ops.approvals.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.approvals.run_id IS 'Airflow dag_run.run_id of the run that asked.';
COMMENT ON COLUMN delivery_ops.approvals.runbook IS 'The runbook whose step was asked about.';
COMMENT ON COLUMN delivery_ops.approvals.decision IS 'approve | reject.';
COMMENT ON COLUMN delivery_ops.approvals.mode IS
    'hitl (a person in the Airflow UI, or the default after the timeout: timed_out) | auto (a manual run or '
    'replay) | not_needed (already done before the window).';
COMMENT ON COLUMN delivery_ops.approvals.timed_out IS 'True when nobody answered in time and the step''s default decided.';
COMMENT ON COLUMN delivery_ops.approvals.decided_at IS 'When it was decided: live, wall clock; a replay or a timeout default, the runbook''s protocol instant.';
COMMENT ON COLUMN delivery_ops.approvals.recorded_at IS 'Wall clock (database now()) when the row was written.';

COMMENT ON COLUMN delivery_ops.actions.idempotency_key IS
    'Primary key: delivery_window:<date>:<runbook>:<step>:<endpoint>[#n], sent as the Idempotency-Key header.';
COMMENT ON COLUMN delivery_ops.actions.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.actions.incident_id IS 'incidents.incident_id the action belongs to.';
COMMENT ON COLUMN delivery_ops.actions.runbook IS 'The runbook that asked for the action.';
COMMENT ON COLUMN delivery_ops.actions.step IS 'The runbook step (requeue_failed_deliveries, pre_window.<remediation>, ...).';
COMMENT ON COLUMN delivery_ops.actions.endpoint IS 'The delivery service''s endpoint path (e.g. v1/requeue, v1/fallback/activate).';
COMMENT ON COLUMN delivery_ops.actions.request IS 'The request body sent (JSON).';
COMMENT ON COLUMN delivery_ops.actions.status IS 'claimed | done | failed | not_performed (see the table comment).';
COMMENT ON COLUMN delivery_ops.actions.response IS 'The service''s answer (JSON) once done (an evaluation: the record''s, if any); NULL before.';
COMMENT ON COLUMN delivery_ops.actions.last_error IS 'Error of the last failed request; NULL when none failed.';
COMMENT ON COLUMN delivery_ops.actions.created_at IS 'Wall clock (database now()) of the first ask.';
COMMENT ON COLUMN delivery_ops.actions.claimed_at IS 'Wall clock (database now()) of the latest claim to send it; NULL for not_performed.';
COMMENT ON COLUMN delivery_ops.actions.done_at IS 'Wall clock (database now()) when the service answered with success; NULL until then.';

-- 0009's table comment named the record's schema, which an evaluation's copy rewrote to its own name: said again
-- without it (same meaning).
COMMENT ON TABLE delivery_ops.evaluations IS
    'Evaluations of a day (replays, dry runs): each wrote its own copy of the report tables in schema_name, '
    'never the record. differences: what its report found against the record. Only the record''s copy of this '
    'table has rows.';
COMMENT ON COLUMN delivery_ops.evaluations.evaluation_id IS '<yyyymmdd>_<10 hex digits of sha256(run id)>: one per Airflow run of an evaluation.';
COMMENT ON COLUMN delivery_ops.evaluations.schema_name IS 'The schema holding its copy of the report tables: delivery_eval_<evaluation_id>.';
COMMENT ON COLUMN delivery_ops.evaluations.delivery_date IS 'The delivery day it evaluated (IST date).';
COMMENT ON COLUMN delivery_ops.evaluations.dag_run_id IS 'Airflow dag_run.run_id of the evaluation.';
COMMENT ON COLUMN delivery_ops.evaluations.conf IS 'The run''s conf (JSON: delivery_date, dry_run, record, send, phases, ...).';
COMMENT ON COLUMN delivery_ops.evaluations.sends IS 'True when it was allowed to send (send param); it never repeats what the record sent.';
COMMENT ON COLUMN delivery_ops.evaluations.created_at IS 'Wall clock when its schema was built and registered.';
COMMENT ON COLUMN delivery_ops.evaluations.differences IS
    'JSON of what differs from the record: alerts {added, gone}, sla_pct, sla_met, go_no_go, runbooks, checks '
    '{name: {record, evaluation}}; {} when nothing does; NULL before its report ran.';
COMMENT ON COLUMN delivery_ops.evaluations.compared_at IS 'Wall clock when its report compared it with the record; NULL before.';

COMMENT ON COLUMN delivery_ops.silences.silence_id IS 'Silence id (delivery-window silence expire <id>; alerts.silenced_by).';
COMMENT ON COLUMN delivery_ops.silences.starts_at IS 'Instant it starts muting: an alert whose first firing is at or after it.';
COMMENT ON COLUMN delivery_ops.silences.ends_at IS 'Instant it stops muting (exclusive), unless expired_at is earlier.';
COMMENT ON COLUMN delivery_ops.silences.reason IS 'Why (e.g. the maintenance), as given by its author.';
COMMENT ON COLUMN delivery_ops.silences.author IS 'Who added it.';
COMMENT ON COLUMN delivery_ops.silences.created_at IS 'Wall clock when it was added.';

COMMENT ON TABLE delivery_ops.schema_migrations IS
    'The migrations applied to this schema (sql/migrations), one row each; an applied file is never edited.';
COMMENT ON COLUMN delivery_ops.schema_migrations.version IS 'NNNN of sql/migrations/NNNN_name.sql. Primary key.';
COMMENT ON COLUMN delivery_ops.schema_migrations.name IS 'The file name without .sql.';
COMMENT ON COLUMN delivery_ops.schema_migrations.checksum IS 'sha256 of the file text when applied (hex); a changed file is refused.';
COMMENT ON COLUMN delivery_ops.schema_migrations.applied_at IS 'Wall clock (database now()) when it was applied.';

-- --- performance_trends (view comment in 0008) ------------------------------------------------------------------
COMMENT ON COLUMN delivery_ops.performance_trends.delivery_date IS 'The delivery day (IST date); one row per window_runs row.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_pct IS 'window_runs.sla_pct of the day, in percent.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_met IS 'window_runs.sla_met of the day.';
COMMENT ON COLUMN delivery_ops.performance_trends.error_rate_pct IS 'window_runs.error_rate_pct of the day, in percent.';
COMMENT ON COLUMN delivery_ops.performance_trends.p95_latency_ms IS 'window_runs.p95_latency_ms of the day, in milliseconds.';
COMMENT ON COLUMN delivery_ops.performance_trends.peak_rate_per_min IS 'window_runs.peak_rate_per_min of the day, messages per minute.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_pct_7d_avg IS 'Mean sla_pct over the 7 calendar days ending this day (days with a row), percent, 3 decimals.';
COMMENT ON COLUMN delivery_ops.performance_trends.p95_latency_ms_7d_avg IS 'Mean p95_latency_ms over the 7 calendar days ending this day, ms, 1 decimal.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_pct_30d_avg IS 'Mean sla_pct over the 30 calendar days ending this day, percent, 3 decimals.';
COMMENT ON COLUMN delivery_ops.performance_trends.p95_latency_ms_30d_avg IS 'Mean p95_latency_ms over the 30 calendar days ending this day, ms, 1 decimal.';
COMMENT ON COLUMN delivery_ops.performance_trends.error_rate_pct_7d_avg IS 'Mean error_rate_pct over the 7 calendar days ending this day, percent, 3 decimals.';
COMMENT ON COLUMN delivery_ops.performance_trends.error_rate_pct_30d_avg IS 'Mean error_rate_pct over the 30 calendar days ending this day, percent, 3 decimals.';
COMMENT ON COLUMN delivery_ops.performance_trends.peak_rate_per_min_7d_avg IS 'Mean peak_rate_per_min over the 7 calendar days ending this day, 1 decimal.';
COMMENT ON COLUMN delivery_ops.performance_trends.peak_rate_per_min_30d_avg IS 'Mean peak_rate_per_min over the 30 calendar days ending this day, 1 decimal.';
COMMENT ON COLUMN delivery_ops.performance_trends.days_7d IS 'Days with a window_runs row among the 7 calendar days ending this day (the 7-day averages'' count).';
COMMENT ON COLUMN delivery_ops.performance_trends.days_30d IS 'Days with a window_runs row among the 30 calendar days ending this day.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_missed_days_7d IS 'Of days_7d, the days that missed the SLA.';
COMMENT ON COLUMN delivery_ops.performance_trends.sla_missed_days_30d IS 'Of days_30d, the days that missed the SLA.';
COMMENT ON COLUMN delivery_ops.performance_trends.pages_acknowledged IS
    'The day''s incident timeline entries pagerduty_acknowledged (a person acknowledged a page, read back from PagerDuty).';
COMMENT ON COLUMN delivery_ops.performance_trends.time_to_acknowledge_s_avg IS
    'Mean seconds from page to acknowledgement over pages_acknowledged, 1 decimal; NULL with none.';
COMMENT ON COLUMN delivery_ops.performance_trends.ack_breaches IS 'Pages of the day nobody acknowledged within the protocol''s time (timeline entries ack_breach).';
COMMENT ON COLUMN delivery_ops.performance_trends.time_to_resolve_min_avg IS
    'Mean minutes from opened_at to resolved_at of the day''s resolved technical incidents, 1 decimal; NULL with none.';
COMMENT ON COLUMN delivery_ops.performance_trends.incidents_open IS 'The day''s incidents still open when the view is read.';

-- --- the Great Expectations day views (0003) ----------------------------------------------------------------------
COMMENT ON VIEW delivery_ops.dq_day_delivery_attempts IS
    'Great Expectations batch (include/gx/delivery_attempts.json): platform.delivery_attempts rows of the day named '
    'by the session setting delivery_window.dq_date (quality/runner.py sets it); empty when it is unset.';
COMMENT ON VIEW delivery_ops.dq_day_window_runs IS
    'Great Expectations batch (include/gx/window_runs.json): the window_runs row of the day named by the session '
    'setting delivery_window.dq_date; empty when it is unset. Columns as of migration 0003 (no rows_left_out).';
COMMENT ON VIEW delivery_ops.dq_day_advisor_issues IS
    'Great Expectations batch (include/gx/advisor_issues.json): the advisor_issues rows of the day named by the '
    'session setting delivery_window.dq_date; empty when it is unset.';
COMMENT ON VIEW delivery_ops.dq_day_daily_reports IS
    'Great Expectations batch (include/gx/daily_reports.json): the daily_reports row of the day named by the '
    'session setting delivery_window.dq_date (without the chart); empty when it is unset.';

COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.attempt_id IS 'platform.delivery_attempts.attempt_id: one send attempt (a retry is a new row).';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.delivery_date IS 'The delivery day (IST date) the attempt belongs to.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.advisor_id IS 'The advisor messaged (platform.advisors.advisor_id).';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.segment IS 'The advisor''s segment (group, 1-4).';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.phone_number_id IS 'The WhatsApp sender number (shard) that sent it.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.template_name IS 'The WhatsApp message template sent.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.wamid IS 'WhatsApp message id; NULL when the API rejected the call synchronously.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.attempted_at IS 'Instant the send was attempted.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.api_latency_ms IS 'The WhatsApp API call''s latency, in milliseconds.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.status IS 'Latest receipt: sent | delivered | read | failed.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.error_code IS 'WhatsApp error code of a failed attempt; NULL otherwise.';
COMMENT ON COLUMN delivery_ops.dq_day_delivery_attempts.status_at IS 'Instant the latest receipt (status) arrived.';

-- The other three views select their table's columns unchanged: each column says what its table's says.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT v.relname AS view_name, va.attname AS column_name, t.relname AS table_name,
               col_description(t.oid, ta.attnum) AS description
        FROM pg_class v
        JOIN pg_attribute va ON va.attrelid = v.oid AND va.attnum > 0 AND NOT va.attisdropped
        JOIN pg_class t ON t.relnamespace = v.relnamespace AND t.relname = substr(v.relname, length('dq_day_') + 1)
        JOIN pg_attribute ta ON ta.attrelid = t.oid AND ta.attname = va.attname
        WHERE v.relnamespace = 'delivery_ops'::regnamespace
          AND v.relname IN ('dq_day_window_runs', 'dq_day_advisor_issues', 'dq_day_daily_reports')
          AND col_description(v.oid, va.attnum) IS NULL
          AND col_description(t.oid, ta.attnum) IS NOT NULL
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', 'delivery_ops', c.view_name, c.column_name,
                       c.table_name || '.' || c.column_name || ': ' || c.description);
    END LOOP;
END
$$;

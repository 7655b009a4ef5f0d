-- Unexpected rows: the SLA checkpoint row disagrees with the attempts it was computed from (same definitions as
-- checkpoint.sla_checkpoint: attempts made by measured_as_of; advisors with a delivered/read receipt by then).
-- GX leaves aliasing to queries with a JOIN, so {batch} is aliased here.
SELECT w.delivery_date
FROM {batch} AS w
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE d.attempted_at <= w.measured_as_of) AS attempts,
           count(DISTINCT d.advisor_id) FILTER (
               WHERE d.status IN ('delivered', 'read') AND d.status_at <= w.measured_as_of) AS delivered
    FROM platform.delivery_attempts d
    WHERE d.delivery_date = w.delivery_date
) AS recomputed
WHERE w.attempts <> recomputed.attempts
   OR w.advisors_delivered <> recomputed.delivered
   OR abs(w.sla_pct - round(100.0 * w.advisors_delivered / nullif(w.advisors_targeted, 0), 3)) > 0.001
   OR w.sla_met <> (w.sla_pct >= w.sla_target_pct)

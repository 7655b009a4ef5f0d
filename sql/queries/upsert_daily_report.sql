INSERT INTO delivery_ops.daily_reports
    (delivery_date, sla_pct, sla_met, alerts, runbook, summary, report_text, generated_at)
VALUES (%(delivery_date)s, %(sla_pct)s, %(sla_met)s, %(alerts)s, %(runbook)s, %(summary)s::jsonb,
        %(report_text)s, %(generated_at)s)
ON CONFLICT (delivery_date) DO UPDATE SET
    sla_pct = EXCLUDED.sla_pct, sla_met = EXCLUDED.sla_met, alerts = EXCLUDED.alerts,
    runbook = EXCLUDED.runbook, summary = EXCLUDED.summary, report_text = EXCLUDED.report_text,
    generated_at = EXCLUDED.generated_at

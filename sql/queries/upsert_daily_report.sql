INSERT INTO delivery_ops.daily_reports
    (delivery_date, sla_pct, sla_met, alerts, runbook, summary, report_text, report_markdown, chart_png,
     chart_error, generated_at)
VALUES (%(delivery_date)s, %(sla_pct)s, %(sla_met)s, %(alerts)s, %(runbook)s, %(summary)s::jsonb,
        %(report_text)s, %(report_markdown)s, %(chart_png)s, %(chart_error)s, %(generated_at)s)
ON CONFLICT (delivery_date) DO UPDATE SET
    sla_pct = EXCLUDED.sla_pct, sla_met = EXCLUDED.sla_met, alerts = EXCLUDED.alerts,
    runbook = EXCLUDED.runbook, summary = EXCLUDED.summary, report_text = EXCLUDED.report_text,
    report_markdown = EXCLUDED.report_markdown, chart_png = EXCLUDED.chart_png,
    chart_error = EXCLUDED.chart_error, generated_at = EXCLUDED.generated_at

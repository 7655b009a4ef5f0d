-- The day's PagerDuty triggers that went out, per incident and PagerDuty key, with when each was due (paged).
SELECT incident_id, payload->>'dedup_key' AS page_key, min(due_at) AS paged_at
FROM delivery_ops.escalations
WHERE delivery_date = %(delivery_date)s AND kind = 'pagerduty_event' AND status = 'sent'
  AND payload->>'action' = 'trigger' AND incident_id IS NOT NULL
GROUP BY incident_id, payload->>'dedup_key'
ORDER BY 3

-- The Delivery window view: the handoff written for the incoming engineer, section by section.
SELECT section, content, written_at
FROM delivery_ops.handoff_log
WHERE delivery_date = %(day)s
ORDER BY written_at, section

-- Template statuses recorded for a day, in time order (template_status_change reads them as of each tick).
SELECT template_name, language, status, observed_at
FROM delivery_ops.template_observations
WHERE delivery_date = %(delivery_date)s
ORDER BY observed_at, template_name, language

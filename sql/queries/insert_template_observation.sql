-- Record a template status the live monitor saw, only when it is the first or differs from the last one recorded.
INSERT INTO delivery_ops.template_observations (delivery_date, template_name, language, status, observed_at)
SELECT %(delivery_date)s, %(template_name)s, %(language)s, %(status)s, %(observed_at)s
WHERE NOT EXISTS (
    SELECT 1 FROM (
        SELECT status FROM delivery_ops.template_observations
        WHERE delivery_date = %(delivery_date)s AND template_name = %(template_name)s
          AND language = %(language)s AND observed_at <= %(observed_at)s
        ORDER BY observed_at DESC LIMIT 1
    ) AS last
    WHERE last.status = %(status)s
)
ON CONFLICT DO NOTHING

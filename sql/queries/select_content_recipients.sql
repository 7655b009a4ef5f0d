-- Who received content items (issue 14): per segment and template, the advisors with a delivered or read
-- attempt, and how many advisors were attempted at all.
SELECT segment, template_name,
       count(DISTINCT advisor_id) AS attempted,
       array_agg(DISTINCT advisor_id ORDER BY advisor_id)
           FILTER (WHERE status IN ('delivered', 'read')) AS delivered,
       min(status_at) FILTER (WHERE status IN ('delivered', 'read')) AS first_delivered_at,
       max(status_at) FILTER (WHERE status IN ('delivered', 'read')) AS last_delivered_at
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s AND segment = ANY(%(segments)s)
GROUP BY segment, template_name

-- Active advisors with no delivered/read attempt on the day as of %(as_of)s, with their last attempt before it
-- (06:15 checkpoint; a runbook's requeue during the window).
SELECT a.advisor_id, a.segment, a.tier,
       count(d.attempt_id) AS attempts,
       (array_agg(d.error_code ORDER BY d.attempted_at DESC, d.attempt_id DESC))[1] AS last_error_code,
       (array_agg(d.status ORDER BY d.attempted_at DESC, d.attempt_id DESC))[1] AS last_status
FROM platform.advisors a
LEFT JOIN platform.delivery_attempts d
       ON d.advisor_id = a.advisor_id AND d.delivery_date = %(delivery_date)s AND d.attempted_at <= %(as_of)s
WHERE a.active
GROUP BY a.advisor_id, a.segment, a.tier
HAVING NOT coalesce(bool_or(d.status IN ('delivered', 'read') AND d.status_at <= %(as_of)s), false)
ORDER BY a.advisor_id

-- Active advisors without a delivered/read attempt by as_of whose last attempt went through one of the numbers
-- (a paused number's traffic to move to the healthy ones).
SELECT advisor_id
FROM (
    SELECT a.advisor_id,
           (array_agg(d.phone_number_id ORDER BY d.attempted_at DESC, d.attempt_id DESC))[1] AS last_number,
           coalesce(bool_or(d.status IN ('delivered', 'read') AND d.status_at <= %(as_of)s), false) AS delivered
    FROM platform.advisors a
    JOIN platform.delivery_attempts d ON d.advisor_id = a.advisor_id AND d.delivery_date = %(delivery_date)s
    WHERE a.active
    GROUP BY a.advisor_id
) per_advisor
WHERE NOT delivered AND last_number = ANY(%(numbers)s)
ORDER BY advisor_id

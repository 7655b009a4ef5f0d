-- advisor_id of the advisors whose failures an alert names (only attempts made in (since, t] are searched).
SELECT DISTINCT advisor_id, hashtextextended(advisor_id, 0) AS key
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s
  AND attempted_at > %(since)s AND attempted_at <= %(t)s
  AND hashtextextended(advisor_id, 0) = ANY(%(keys)s)

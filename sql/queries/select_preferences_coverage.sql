-- Active advisors without a row in today's preferences snapshot (count and the first 20 ids).
SELECT count(*) AS active,
       count(*) FILTER (WHERE p.advisor_id IS NULL) AS missing,
       (array_agg(a.advisor_id ORDER BY a.advisor_id) FILTER (WHERE p.advisor_id IS NULL))[1:20] AS missing_sample,
       max(p.loaded_at) AS loaded_at
FROM platform.advisors AS a
LEFT JOIN platform.preferences_snapshot AS p
    ON p.advisor_id = a.advisor_id AND p.delivery_date = %(delivery_date)s
WHERE a.active

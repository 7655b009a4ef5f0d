-- An import replaces the day's attempts: how many it replaced.
WITH gone AS (
    DELETE FROM platform.delivery_attempts WHERE delivery_date = %(delivery_date)s RETURNING 1
)
SELECT count(*) AS replaced FROM gone

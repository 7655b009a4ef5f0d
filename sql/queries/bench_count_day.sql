-- Benchmarks only: attempts already generated for a day.
SELECT count(*) AS n FROM platform.delivery_attempts WHERE delivery_date = %(delivery_date)s

-- Benchmarks only: forget a generated day (source rows and every report row of that date).
DELETE FROM platform.delivery_attempts WHERE delivery_date = %(delivery_date)s

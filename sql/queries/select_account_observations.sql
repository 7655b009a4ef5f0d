-- The day's looks at the WhatsApp account in the run's scope, in time order (the engine and the report read them).
SELECT source, observed_at, verdict, reasons, observed
FROM delivery_ops.account_observations
WHERE delivery_date = %(delivery_date)s
ORDER BY observed_at, source

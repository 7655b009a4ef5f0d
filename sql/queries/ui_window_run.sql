-- The Delivery window view: the day's window run (SLA and the primary metrics).
SELECT * FROM delivery_ops.window_runs WHERE delivery_date = %(day)s

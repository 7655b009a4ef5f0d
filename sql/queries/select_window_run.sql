SELECT * FROM delivery_ops.window_runs WHERE delivery_date = %(delivery_date)s

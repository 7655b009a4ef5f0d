SELECT * FROM delivery_ops.daily_reports WHERE delivery_date = %(delivery_date)s

SELECT * FROM delivery_ops.performance_trends WHERE delivery_date = %(delivery_date)s

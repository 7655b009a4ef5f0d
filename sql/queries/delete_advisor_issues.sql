DELETE FROM delivery_ops.advisor_issues WHERE delivery_date = %(delivery_date)s

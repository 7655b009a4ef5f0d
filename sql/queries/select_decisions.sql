SELECT decision_point, choice, reasons FROM delivery_ops.decisions WHERE delivery_date = %(delivery_date)s

SELECT section, content, written_at FROM delivery_ops.handoff_log WHERE delivery_date = %(delivery_date)s
ORDER BY section

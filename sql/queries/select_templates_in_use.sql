SELECT DISTINCT template_name FROM platform.templates_in_use WHERE delivery_date = %(delivery_date)s

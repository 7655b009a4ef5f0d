SELECT template_name, language, segment
FROM platform.templates_in_use
WHERE delivery_date = %(delivery_date)s
ORDER BY segment, language

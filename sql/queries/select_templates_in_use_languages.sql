-- The (template, language) pairs a delivery date sends with.
SELECT DISTINCT template_name, language FROM platform.templates_in_use WHERE delivery_date = %(delivery_date)s
ORDER BY template_name, language

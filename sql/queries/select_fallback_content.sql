SELECT segment, template_name, ready, prepared_at
FROM platform.fallback_content
WHERE delivery_date = %(delivery_date)s
ORDER BY segment

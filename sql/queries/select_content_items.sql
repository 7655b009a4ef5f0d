SELECT content_id, segment, template_name, rendered, asset_url, rendered_at
FROM platform.content_items
WHERE delivery_date = %(delivery_date)s
ORDER BY content_id

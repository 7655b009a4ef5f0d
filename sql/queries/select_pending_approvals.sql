SELECT q.item_id, q.content_id, c.segment, q.submitted_at
FROM platform.approval_queue AS q
LEFT JOIN platform.content_items AS c
    ON c.delivery_date = q.delivery_date AND c.content_id = q.content_id
WHERE q.delivery_date = %(delivery_date)s AND q.state = 'pending'
ORDER BY q.item_id

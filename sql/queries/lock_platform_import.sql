-- One import of a delivery day at a time (two at once would both delete the day, then collide on attempt_id).
SELECT pg_advisory_xact_lock(hashtext('delivery_window.import:' || %(delivery_date)s::text))

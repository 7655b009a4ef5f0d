-- 06:15 engagement tracking: read receipts and engagement events recorded by %(as_of)s.
SELECT (SELECT count(*) FROM platform.delivery_attempts
        WHERE delivery_date = %(delivery_date)s AND status IN ('delivered', 'read')
          AND status_at <= %(as_of)s) AS delivered_attempts,
       (SELECT count(*) FROM platform.webhook_receipts
        WHERE delivery_date = %(delivery_date)s AND status = 'read' AND received_at <= %(as_of)s) AS read_receipts,
       (SELECT count(*) FROM platform.engagement
        WHERE delivery_date = %(delivery_date)s AND event_at <= %(as_of)s) AS engagement_events,
       (SELECT max(event_at) FROM platform.engagement
        WHERE delivery_date = %(delivery_date)s AND event_at <= %(as_of)s) AS last_event_at

-- What a flush may send: pending rows, and rows whose sender died mid-send (claimed longer ago than the lease).
SELECT dedup_key, channel, kind, payload
FROM delivery_ops.notifications
WHERE delivery_date = %(delivery_date)s
  AND (status = 'pending'
       OR (status = 'sending' AND claimed_at < now() - make_interval(secs => %(lease_seconds)s)))
ORDER BY created_at, dedup_key

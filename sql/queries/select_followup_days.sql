-- Delivery dates the follow-up looks after: an open incident, a pending step or an unsent message since a date.
SELECT delivery_date FROM delivery_ops.incidents WHERE status = 'open' AND delivery_date >= %(since)s
UNION
SELECT delivery_date FROM delivery_ops.escalations WHERE status = 'pending' AND delivery_date >= %(since)s
UNION
SELECT delivery_date FROM delivery_ops.notifications WHERE status = 'pending' AND delivery_date >= %(since)s
ORDER BY 1

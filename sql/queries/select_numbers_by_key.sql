-- Names of sender numbers that appeared in a tick's rows but are not in platform.sender_numbers.
SELECT DISTINCT phone_number_id, hashtextextended(phone_number_id, 0) AS key
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s
  AND ((attempted_at > %(lo)s AND attempted_at <= %(t)s) OR (status_at > %(lo)s AND status_at <= %(t)s))
  AND hashtextextended(phone_number_id, 0) = ANY(%(keys)s)

-- Sender numbers of the platform with the key the incremental read gives them.
SELECT phone_number_id, hashtextextended(phone_number_id, 0) AS key
FROM platform.sender_numbers
ORDER BY phone_number_id

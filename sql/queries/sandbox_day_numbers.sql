-- Sandbox only (the WABA's phone numbers and the planner's shards, in the sandbox's world): the platform's active
-- sender numbers, one shard each, in shard order.
SELECT phone_number_id, display_phone_number, shard
FROM platform.sender_numbers
WHERE active
ORDER BY shard, phone_number_id

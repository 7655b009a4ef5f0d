-- Silences that overlap [since, until) (expired ones included: they muted until expired_at).
SELECT silence_id::text AS silence_id, starts_at, ends_at, matchers, reason, author, created_at, expired_at
FROM delivery_ops.silences
WHERE starts_at < %(until)s AND ends_at > %(since)s
ORDER BY starts_at, silence_id

-- The monitor's incremental read (monitor/source.py): the rows of one delivery day that changed its picture by t —
-- attempts made in (lo_attempted, t] and receipts that arrived in (lo_status, t] (status_at moves with every
-- receipt). The loop sets both bounds from the previous tick and the previous read's time (a replay, whose
-- previous read came after every receipt, reads no receipts again). Served by the contract's two indexes,
-- (delivery_date, attempted_at) and (delivery_date, status_at).
-- Rows come packed as one bytea of fixed-width big-endian records (monitor/state.py WIRE), which numpy decodes
-- in one call: a tick at 1M attempts per window reads ~50k rows, far too many for one Python tuple each.
-- Ids are keyed with hashtextextended (64 bit) and named again through the key only when a rule needs a name.
-- parts/part split the read into disjoint halves by attempt_id that two connections run at once (parts = 1: all).
SELECT count(*) AS n,
       coalesce(string_agg(
           int8send(attempt_id)
           || timestamptz_send(attempted_at)
           || timestamptz_send(status_at)
           || int8send(hashtextextended(advisor_id, 0))
           || int8send(hashtextextended(phone_number_id, 0))
           || int4send(coalesce(error_code, -1))
           || int4send(coalesce(api_latency_ms, 0))
           || int2send(segment)
           || int2send(ascii(status)::smallint),
           ''::bytea), ''::bytea) AS rows
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s
  AND ((attempted_at > %(lo_attempted)s AND attempted_at <= %(t)s)
       OR (status_at > %(lo_status)s AND status_at <= %(t)s AND status <> 'sent'))
  AND attempt_id %% %(parts)s = %(part)s

-- The monitor's incremental read (monitor/source.py): the rows of one delivery day that changed its picture, as two
-- packed byteas (one statement, so one round trip):
--   rows:     attempts made in (full_lo, full_hi], in full — attempts no earlier read returned;
--   receipts: attempts made in (again_lo, again_hi] (the live re-read of late-written rows) and attempts made by
--             split whose receipt arrived in (status_lo, status_hi] (status_at moves with every receipt) — only
--             their id, status, receipt time and error code: the monitor remembers the rest of every attempt it
--             counted (monitor/state.py AttemptStates), and reads in full, by id, the few it never saw.
-- The loop sets the bounds from the previous tick (split) and the previous read's time (a replay, whose previous
-- read came after every receipt, reads no receipts again), and cuts each range into time slices that two
-- connections read at once (each slice is a short range scan of its own). Served by the contract's two indexes,
-- (delivery_date, attempted_at) and (delivery_date, status_at, attempted_at).
-- Rows come as one bytea of fixed-width big-endian records each (monitor/state.py WIRE, RECEIPT_WIRE) that numpy
-- decodes in one call: a tick at 1M attempts per window reads ~35k attempts, far too many for a tuple each. Small
-- fields share a word: each send call and concatenation is most of the server's cost per row.
-- NULLs a broken source may hold (status, segment, status_at) become "sent", segment 0 and the attempt time: a row
-- whose packed record were NULL would vanish from string_agg, and the monitor would never count that attempt.
-- A status outside the contract's four is "sent" (no known outcome) too: the wire carries a status' first letter,
-- and 'deleted' or 'rejected' read as delivered / read would be success the platform never reported (issue 15).
-- Ids are keyed with hashtextextended (64 bit) and named again through the key only when a rule needs a name.
SELECT (SELECT coalesce(string_agg(
                   int8send(attempt_id)
                   || timestamptz_send(attempted_at)
                   || timestamptz_send(coalesce(status_at, attempted_at))
                   || int8send(hashtextextended(advisor_id, 0))
                   || int8send(hashtextextended(phone_number_id, 0))
                   || int8send((coalesce(error_code, -1)::int8 << 32) | (coalesce(api_latency_ms, 0)::int8 & 4294967295))
                   || int4send((coalesce(segment, 0)::int4 << 16) | CASE WHEN status IN ('sent', 'delivered', 'read', 'failed') THEN ascii(status) ELSE 0 END),
                   ''::bytea), ''::bytea)
        FROM platform.delivery_attempts
        WHERE delivery_date = %(delivery_date)s
          AND attempted_at > %(full_lo)s AND attempted_at <= %(full_hi)s) AS rows,
       (SELECT coalesce(string_agg(
                   int8send(attempt_id)
                   || timestamptz_send(coalesce(status_at, attempted_at))
                   || int8send((coalesce(error_code, -1)::int8 << 16) | CASE WHEN status IN ('sent', 'delivered', 'read', 'failed') THEN ascii(status) ELSE 0 END),
                   ''::bytea), ''::bytea)
        FROM platform.delivery_attempts
        WHERE delivery_date = %(delivery_date)s
          AND ((attempted_at > %(again_lo)s AND attempted_at <= %(again_hi)s)
               OR (status_at > %(status_lo)s AND status_at <= %(status_hi)s AND status <> 'sent'
                   AND attempted_at <= %(split)s))) AS receipts

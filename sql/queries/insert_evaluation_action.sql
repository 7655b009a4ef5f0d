-- An evaluation's copy of an action: never performed by it (it never acts), with what the record's got if any.
INSERT INTO delivery_ops.actions
    (idempotency_key, delivery_date, incident_id, runbook, step, endpoint, request, status, response, asks,
     created_at)
VALUES (%(idempotency_key)s, %(delivery_date)s, %(incident_id)s, %(runbook)s, %(step)s, %(endpoint)s,
        %(request)s::jsonb, 'not_performed', %(response)s::jsonb, jsonb_build_array(%(ask)s::jsonb), now())
ON CONFLICT (idempotency_key) DO UPDATE SET asks = delivery_ops.actions.asks || EXCLUDED.asks

-- The Delivery window view: the recorded days, newest first, with their SLA, alerts and incidents.
SELECT w.delivery_date, w.sla_pct, w.sla_met, w.status,
       (SELECT count(*) FROM delivery_ops.alerts a WHERE a.delivery_date = w.delivery_date) AS alerts,
       (SELECT count(*) FROM delivery_ops.incidents i WHERE i.delivery_date = w.delivery_date) AS incidents
FROM delivery_ops.window_runs w
ORDER BY w.delivery_date DESC
LIMIT %(limit)s

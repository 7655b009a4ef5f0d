-- What a runbook's in-window watch waits for (issue 13): its incident open, or this run's post-window choice made.
SELECT (SELECT opened_at FROM delivery_ops.incidents
        WHERE incident_id = %(incident_id)s AND status = 'open') AS incident_opened_at,
       EXISTS (SELECT 1 FROM delivery_ops.decisions
               WHERE delivery_date = %(delivery_date)s AND decision_point = 'choose_runbook'
                 AND decided_at >= %(since)s) AS decided

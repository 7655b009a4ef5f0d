INSERT INTO delivery_ops.advisor_issues
    (delivery_date, advisor_id, segment, tier, issue, attempts, last_error_code, last_status)
VALUES (%(delivery_date)s, %(advisor_id)s, %(segment)s, %(tier)s, %(issue)s, %(attempts)s, %(last_error_code)s,
        %(last_status)s)

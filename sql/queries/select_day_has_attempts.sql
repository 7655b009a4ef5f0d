-- Whether any send attempt of a delivery day is recorded: a replay of a past day without any is refused.
SELECT EXISTS (
    SELECT 1 FROM platform.delivery_attempts WHERE delivery_date = %(delivery_date)s
) AS recorded

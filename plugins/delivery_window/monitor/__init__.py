"""The 06:00-06:05 window monitor: metrics per tick, alert rules, severities."""

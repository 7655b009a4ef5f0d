"""The escalation engine: engineering chain, business matrix, communications, and the ledger that sends them.

Pure, table-driven core (no I/O, no Airflow): ``chain`` (escalation_levels), ``matrix`` (business_escalation),
``comms`` (channels, Block Kit, PagerDuty, status pages, advisor notices, regulatory reminders), ``plan`` (ledger
rows for an incident) and ``derive`` (incidents from recorded observations). ``engine`` is the I/O shell the
monitor, the SLA checkpoint, the runbooks, the task-failure callback and the follow-up call.
"""

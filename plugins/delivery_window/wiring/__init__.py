"""DAG wiring the DAG files import: the runbook TaskGroups and the HITL approval operator.

These builders call the task bodies (``runbooks.run``, ...); the library parts (checks, monitor, escalation,
runbooks, reports) never import this package back (``tests/unit/test_layering.py``).
"""

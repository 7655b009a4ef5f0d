"""Whole simulated days: the ``run_day`` fixture and ``DayRun`` live in ``tests/conftest.py`` (shared with
``tests/faults``)."""

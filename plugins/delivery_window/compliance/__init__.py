"""SEBI content compliance (issue 14): the day's content screened against the compliance engine's verdicts.

``verdicts`` judges the engine's answers (pure); ``screen`` is the 05:30 task that asks the engine and reports a
violation to the escalation engine (``sebi_violation_detected``: the compliance incident); ``documents`` renders
the incident report and the remediation plan (pure) and ``document_task`` stores them with the incident and as
files; ``notified`` is ``delivery-window compliance notified``, which records the SEBI filing.
"""

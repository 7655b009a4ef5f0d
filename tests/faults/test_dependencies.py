"""Every external dependency × every fault kind: precise error, retry per policy, escalation, the day's report.

One whole day per fault kind with the fault on every dependency at once (see ``conftest.py``); each case reads
that day's records for one dependency:

* **precise error**: the task that depends on it recorded a message naming the service and the fault
  (``check_results`` for the probes, ``notifications.last_error`` for the sends), never a bare traceback;
* **retried per policy** (``hooks/base.py``, ``hooks/pagerduty.py``, ``notify.py``): a 429 with a short
  Retry-After is asked again exactly once (twice the requests of the malformed day, which is never retried);
  refused, 5xx, timeout and malformed answers are not retried inside the call (the same requests as the malformed
  day); a send that failed stays ``pending`` and goes out when the follow-up runs after the fault lifted;
* **escalation**: a check the service broke is in the go/no-go decision's reasons and its alert is queued; a
  page or Slack post that could not go out is kept (``pending``) and is sent by the follow-up DAG;
* **report**: the DAG run succeeds and the ``daily_reports`` row exists. Tasks that fail are only runbook steps
  whose action or success criterion needs the broken delivery service (they fail by design, so the escalation
  chain goes on), and each recorded why in ``runbook_runs``.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from fault_table import FAULT_DAYS, short

KINDS = tuple(FAULT_DAYS)

# dependency -> (check whose result must name it, the service name in its message, outbox channels it carries)
DEPENDENCIES = {
    "whatsapp": ("check_sender_quality", "whatsapp", ()),
    "cloudinary": ("check_cloudinary", "cloudinary", ()),
    "openai": ("check_openai_health", "openai", ()),
    "compliance": ("check_compliance_engine", "compliance", ()),
    "datadog": ("check_datadog_monitors", "datadog", ()),
    "grafana": ("check_grafana_dashboard", "grafana", ()),
    "pagerduty": ("check_pagerduty_escalation", "pagerduty_api", ("pagerduty_events",)),
    "slack": (
        None,
        None,
        ("slack_war_room", "slack_delivery_ops", "slack_engineering_alerts", "slack_executive_alerts"),
    ),
    # no outbox channel: status pages go to Statuspage (issue 14), the runbooks' actions through the action ledger
    "delivery": ("check_delivery_queue", "delivery_service", ()),
}
# sandbox services of a dependency (requests counted for the retry policy)
SANDBOX = {"pagerduty": ("pagerduty_api",), "delivery": ("delivery",), "slack": ()}

# what a probe's recorded message says for each kind (after "<service>: ")
CHECK_MESSAGE = {
    "refuse": (
        r"connection failed \((ConnectionResetError|RemoteDisconnected|ConnectionRefusedError)",
        "refused",
    ),
    "http_503": (r"HTTP 503\b", "http_status"),
    "timeout": (r"no answer within 0\.3 s", "timeout"),
    "http_429": (r"HTTP 429\b.*Retry-After: 1\).*still 429 after one retry", "http_status"),
    "malformed": (r"HTTP 200 with a body that is not JSON", "malformed"),
}
# what a failed send's last_error says for each kind
SEND_ERROR = {
    "refuse": r"Connection ?Reset|network error|RemoteDisconnected|connection failed",
    "http_503": r"503|service_unavailable|Service Unavailable",
    "timeout": r"(?i)timed? ?out|no answer within",
    "http_429": r"429|rate_limited|Rate limit",
    "malformed": r"(?i)json|not JSON|malformed|decod|Expecting",
}
# runbook steps that fail by design when the delivery service cannot act or confirm the criterion
RUNBOOK_STEP = re.compile(r"^delivery\.remediation\.run_\w+\.\w+$")
PRE_WINDOW_TASK = "pre_delivery.pre_window.remediate_"


def assert_day_reported(day) -> str:
    """The run went on to its report and says the remediation failed (``failed``, issue 13): every failed task is
    a remediation step that recorded why, a pre-window remediation that recorded its failed step, or the
    remediation watcher that fails the run for them."""
    run = day.run
    assert run.state == "failed", run.state  # the outage is never remediated on a fault day
    assert run.rows("SELECT 1 FROM delivery_ops.daily_reports WHERE delivery_date = %s", run.day)
    failed = [ti.task_id for ti in run.dag_run.get_task_instances() if str(ti.state) == "failed"]
    assert "remediation_watcher" in failed, failed
    runs = {
        (rb, step): (outcome, details)
        for rb, step, outcome, details in run.rows(
            "SELECT runbook, step, outcome, details::text FROM delivery_ops.runbook_runs WHERE delivery_date = %s",
            run.day,
        )
    }
    for task_id in failed:
        if task_id == "remediation_watcher":
            continue
        if task_id.startswith(PRE_WINDOW_TASK):
            name = task_id.removeprefix(PRE_WINDOW_TASK)
            steps = [
                v for (_, step), v in runs.items() if step.startswith("pre_window.") and v[0] == "failed"
            ]
            assert steps and all("error" in d for _, d in steps), (name, steps)
            continue
        assert RUNBOOK_STEP.match(task_id), task_id
        runbook, step = task_id.split(".")[2].removeprefix("run_"), task_id.split(".")[3]
        outcome, details = runs[(runbook, step)]
        # an act step says what the service answered; a verify step the numbers it measured
        assert outcome == "failed" and ("delivery_service: " in details or '"measured"' in details), (
            task_id,
            details,
        )
    done = {ti.task_id: str(ti.state) for ti in run.dag_run.get_task_instances()}
    assert done["post_delivery.generate_daily_report"] == "success"
    assert done["post_delivery.post_daily_summary"] == "success"
    return (
        f"run failed (remediation not met), daily_reports row; {len(failed) - 1} remediation task(s) failed"
    )


def get_paths(sandbox, services) -> Counter:
    """GET requests per path the sandbox saw for these services (the probes' calls)."""
    return Counter(r["path"] for s in services for r in sandbox.requests(s) if r["method"] == "GET")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dependency", list(DEPENDENCIES))
def test_dependency_fault(fault_day, fault_case, dependency, kind):
    check, service, channels = DEPENDENCIES[dependency]
    with fault_case(dependency, kind) as row:
        day = fault_day(kind)
        run = day.run
        errors, escalations, retries = [], [], []

        if check:
            status, message, observed = run.one(
                "SELECT status, message, observed FROM delivery_ops.check_results "
                "WHERE delivery_date = %s AND check_name = %s",
                run.day,
                check,
            )
            pattern, error_kind = CHECK_MESSAGE[kind]
            assert status == "error", (check, status, message)
            assert re.match(rf"{service}: {pattern}", message), message
            assert observed.get("service") == service and observed.get("error_kind") == error_kind, observed
            assert "Traceback" not in message
            errors.append(f"{check}: {message}")

            decision = run.one(
                "SELECT choice, reasons::text FROM delivery_ops.decisions "
                "WHERE delivery_date = %s AND decision_point = 'go_no_go'",
                run.day,
            )
            assert check in decision[1], decision
            queued = run.rows(
                "SELECT dedup_key FROM delivery_ops.notifications WHERE delivery_date = %s "
                "AND dedup_key LIKE %s",
                run.day,
                "%:go_no_go:%",
            )
            assert queued, "no go/no-go alert queued"
            escalations.append(f"go/no-go {decision[0]!r} names {check}; {len(queued)} alert(s) queued")

            # retry policy, counted on the probes' GET requests against the malformed day (never retried)
            services = SANDBOX.get(dependency, (dependency,))
            seen = get_paths(run.sandbox, services)
            baseline = get_paths(fault_day("malformed").run.sandbox, services)
            factor = 2 if kind == "http_429" else 1
            assert seen and seen == Counter({p: n * factor for p, n in baseline.items()}), (seen, baseline)
            retries.append(
                "429: each call asked again once after Retry-After 1 s"
                if kind == "http_429"
                else "not retried in the call (policy)"
            )

        if channels and dependency != "delivery":  # (the delivery service also takes the runbooks' actions)
            # every request the service saw is an outbox attempt (twice for PagerDuty's one 429 retry)
            service = "slack" if dependency == "slack" else "pagerduty"
            requests = len([r for r in run.sandbox.requests(service) if r["method"] == "POST"])
            tried = sum(day.attempts_by_channel.get(c, 0) for c in channels)
            factor = 2 if kind == "http_429" and dependency == "pagerduty" else 1
            assert tried and requests == tried * factor, (requests, tried)

        if channels:
            rows = {k: v for k, v in day.pending_after_day.items() if v[0] in channels}
            sent_anyway = run.rows(
                "SELECT count(*) FROM delivery_ops.notifications WHERE delivery_date = %s AND channel = ANY(%s) "
                "AND status = 'sent'",
                run.day,
                list(channels),
            )[0][0]
            if kind == "malformed" and dependency == "slack":
                # a webhook's 200 is Slack's acceptance; the body is not read, so the posts went out
                assert sent_anyway and not rows
                errors.append("none: a webhook's 200 is Slack's acceptance (body unused)")
                retries.append("nothing to retry")
                escalations.append(f"{sent_anyway} posts sent (alerts, status lines, summary)")
            else:
                assert rows, f"nothing kept pending on {channels}"
                tried = [(k, e) for k, (c, e, a) in rows.items() if e]
                assert tried and all(re.search(SEND_ERROR[kind], e) for _, e in tried), tried
                assert all("Traceback" not in e for _, e in tried)
                tried.sort(key=lambda item: item[1].startswith("not tried"))  # show an attempt's own error
                errors.append(f"{len(rows)} send(s) kept pending: {tried[0][1]}")
                # none lost: the follow-up after the fault lifted sent every one of them
                assert day.follow_up_state == "success"
                assert {k: day.statuses_after_follow_up[k] for k in rows} == {k: "sent" for k in rows}
                attempts = max(a for _, _, a in rows.values())
                retries.append(f"kept pending (max {attempts} attempts in the day), sent by the follow-up")
                escalations.append(f"{len(rows)} pending message(s) delivered after the fault lifted")

        row.error = short("; ".join(errors))
        row.retried = short("; ".join(retries))
        row.escalation = short("; ".join(escalations))
        row.report = assert_day_reported(day)

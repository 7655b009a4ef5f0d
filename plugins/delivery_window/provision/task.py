"""The DAG's ``pre_delivery.provision_monitoring`` task: provision before the 05:30 checks verify it."""

from __future__ import annotations

from typing import Any

from delivery_window import scope
from delivery_window.masking import masked_logger

log = masked_logger(__name__)

# the 05:30 checks that verify what provisioning deployed (they run after this task)
VERIFIED_BY = ("check_grafana_dashboard", "check_datadog_monitors")


def provision_monitoring(dry_run: bool) -> dict[str, Any]:
    """Provision when ``provisioning.enabled_in_dag`` and the run is the record and not a dry run; else nothing.

    Never fails the task for a service that cannot be written: the error is logged and returned, and the
    checks after it find what is (not) deployed and say so."""
    from delivery_window.protocol import get_protocol
    from delivery_window.provision.run import provision

    p = get_protocol()
    if not p.provisioning.enabled_in_dag:
        log.info(
            "provisioning.enabled_in_dag is false: the 05:30 checks verify what is deployed, nothing is changed"
        )
        return {"provisioned": False, "why": "provisioning.enabled_in_dag is false"}
    if dry_run or not scope.current().is_record:
        log.info("an evaluation or a dry run never changes Grafana or Datadog")
        return {"provisioned": False, "why": "evaluation or dry run"}
    result = provision(p)
    return {"provisioned": result.ok, "lines": result.lines, "errors": result.errors}

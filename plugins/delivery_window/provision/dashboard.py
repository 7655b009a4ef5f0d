"""The Grafana dashboard provisioning saves, and whether it must be saved again (pure).

Grafana HTTP API ``POST /api/dashboards/db`` takes ``{"dashboard": {..., "id": null, "uid"}, "overwrite": true,
"message"}`` and answers ``{"id", "uid", "url", "status": "success", "version", "slug"}``; every save is a new
version. So a save happens only when needed: the dashboard file changed since it was last provisioned (its
content hash), or Grafana's version is not the one provisioning recorded (someone saved it in the UI: drift, put
back), or it is missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from delivery_window.protocol import REPO_ROOT, Protocol


def dashboard_file(p: Protocol) -> Path:
    """``provisioning.grafana_dashboard_file``, relative to the repository."""
    path = Path(p.provisioning.grafana_dashboard_file)
    return path if path.is_absolute() else REPO_ROOT / path


def load_dashboard(p: Protocol) -> dict[str, Any]:
    """The dashboard JSON; a missing file, bad JSON or a dashboard without a uid is a ``ValueError`` naming it."""
    path = dashboard_file(p)
    try:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"provisioning.grafana_dashboard_file: {path} not found") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"provisioning.grafana_dashboard_file: {path} is not JSON ({exc})") from None
    if not isinstance(dashboard, dict) or not dashboard.get("uid"):
        raise ValueError(f"provisioning.grafana_dashboard_file: {path} has no dashboard uid")
    return dashboard


def content_sha(dashboard: dict[str, Any]) -> str:
    """Hash of what the file says (Grafana's own ``id`` and ``version`` left out)."""
    mine = {k: v for k, v in dashboard.items() if k not in ("id", "version")}
    return hashlib.sha256(json.dumps(mine, sort_keys=True).encode()).hexdigest()


def save_payload(dashboard: dict[str, Any], sha: str) -> dict[str, Any]:
    """The ``POST /api/dashboards/db`` body: overwrite by uid (``id`` null, Grafana keeps its own)."""
    body = {k: v for k, v in dashboard.items() if k != "version"} | {"id": None}
    return {
        "dashboard": body,
        "overwrite": True,
        "message": f"delivery-window provision (content {sha[:12]})",
    }


@dataclass(frozen=True)
class DashboardPlan:
    """``create`` (Grafana has none of this uid), ``update`` (with why) or ``unchanged``."""

    uid: str
    action: str
    reason: str
    sha: str


def plan_dashboard(
    dashboard: dict[str, Any], live_version: int | None, recorded: dict[str, Any] | None
) -> DashboardPlan:
    """What to do, from the file, Grafana's current version (None: not found) and the last provisioning record."""
    uid, sha = str(dashboard["uid"]), content_sha(dashboard)
    if live_version is None:
        return DashboardPlan(uid, "create", f"Grafana has no dashboard {uid!r}", sha)
    if recorded is None:
        return DashboardPlan(uid, "update", "never provisioned by this package", sha)
    if recorded.get("content_sha") != sha:
        return DashboardPlan(uid, "update", "the dashboard file changed since it was provisioned", sha)
    if recorded.get("version") != live_version:
        return DashboardPlan(
            uid,
            "update",
            f"Grafana's version {live_version} is not the provisioned {recorded.get('version')} (edited in Grafana)",
            sha,
        )
    return DashboardPlan(uid, "unchanged", f"version {live_version} is the provisioned one", sha)

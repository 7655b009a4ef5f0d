"""One route out (ARCHITECTURE §5): only ``escalation/`` produces outbound messages, and it never imports the
monitor. Walks every module of the package with ``ast``: a regression that enqueues, flushes or sends a message
from anywhere else fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import delivery_window

pytestmark = pytest.mark.unit
PACKAGE = Path(delivery_window.__file__).parent
SENDING = {"enqueue", "flush", "send_via_providers", "pagerduty_trigger"}  # the outbox's sending functions
SEND_QUERIES = {"insert_notification", "claim_notification", "mark_notification", "defer_notification"}
PROVIDER_SENDS = {
    "SlackWebhookHook",
    "SlackWebhookNotifier",
    "DeliveryPagerdutyHook",
    "send_event",
    "PagerdutyNotifier",
}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        yield rel, ast.parse(path.read_text(), filename=rel)


def outside(rel: str, *homes: str) -> bool:
    return not any(rel.startswith(h) for h in homes)


def sends(rel: str, tree: ast.AST) -> list[str]:
    """Every place in a module outside ``escalation/`` that enqueues, flushes or sends a message itself."""
    offenders: list[str] = []
    if not outside(rel, "escalation/"):
        return offenders
    for node in ast.walk(tree):
        if True:
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("escalation.outbox"):
                offenders += [f"{rel}: imports outbox.{a.name}" for a in node.names if a.name in SENDING]
            if isinstance(node, ast.Attribute) and node.attr in SENDING:
                base = node.value
                if isinstance(base, ast.Name) and base.id in {"outbox", "notify"}:
                    offenders.append(f"{rel}:{node.lineno}: {base.id}.{node.attr}")
            if isinstance(node, ast.Constant) and node.value in SEND_QUERIES:
                offenders.append(f"{rel}:{node.lineno}: runs the outbox query {node.value}")
            if isinstance(node, ast.Name | ast.Attribute) and outside(rel, "hooks/"):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name in PROVIDER_SENDS:
                    offenders.append(f"{rel}:{node.lineno}: sends through {name} directly")
    return offenders


def test_nothing_outside_escalation_enqueues_flushes_or_sends_a_message():
    offenders = [o for rel, tree in modules() for o in sends(rel, tree)]
    assert not offenders, "\n".join(offenders)


def test_the_escalation_package_never_imports_the_monitor():
    bad = []
    for rel, tree in modules():
        if outside(rel, "escalation/"):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            bad += [f"{rel}: {n}" for n in names if n.startswith("delivery_window.monitor")]
    assert not bad, bad


@pytest.mark.parametrize(
    "source",
    [
        "from delivery_window.escalation import outbox\noutbox.enqueue(conn, day)\n",
        "from delivery_window.escalation.outbox import flush\n",
        "store.execute(conn, 'insert_notification', {})\n",
        "SlackWebhookHook(slack_webhook_conn_id='x').send(text='hi')\n",
    ],
)
def test_the_guard_catches_a_message_sent_outside_escalation(source):
    """The walk can fail: each way of sending around the engine is reported for a monitor module, none for the
    escalation package itself."""
    tree = ast.parse(source)
    assert sends("monitor/loop.py", tree)
    assert not sends("escalation/engine.py", tree)

"""Monitoring as code (issue 14): ``delivery-window provision`` deploys the Grafana dashboard and the Datadog
monitors of the protocol's alert thresholds; ``monitors`` and ``dashboard`` decide what to send (pure), ``run``
sends it and records what was provisioned in ``delivery_ops.provisioned_objects``."""

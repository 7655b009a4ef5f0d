"""WhatsApp Cloud API error codes by what they mean for the window (external-apis.md §1.7).

These are facts of Meta's API, not protocol thresholds, so they live here rather than in protocol.yaml.
"""

from __future__ import annotations

# "Unknown error, service unavailable, downtime": the API itself is down, not the recipient.
UNAVAILABLE = frozenset({1, 2, 131000, 131016})
# Throughput / rate limits: retry with backoff, never treat as an outage.
THROTTLED = frozenset({4, 80007, 130429, 131056})
# Template paused or disabled: switch to fallback content.
TEMPLATE_BLOCKED = frozenset({132015, 132016})
# Account-level problems that call for a critical page.
ACCOUNT = frozenset({190, 368, 131031, 131042})

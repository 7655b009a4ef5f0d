"""Facts of Meta's WhatsApp Cloud API that the checks compare against (external-apis.md §1.5, §1.7).

Like ``whatsapp_errors``, these are properties of Meta's platform, not protocol thresholds, so they live here
rather than in protocol.yaml.
"""

from __future__ import annotations

from delivery_window.whatsapp_errors import ACCOUNT, TEMPLATE_BLOCKED, THROTTLED, UNAVAILABLE

# Unique recipients per moving 24 h of business-initiated messages, per messaging-limit tier (None = unlimited).
# Both the legacy ladder (1K) and the current one (2K) circulate (messaging_limit_tier is deprecated).
TIER_LIMITS: dict[str, int | None] = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
    "UNLIMITED": None,
}
# Messages per second a number may send, by throughput level; over it the API answers 130429.
THROUGHPUT_MPS: dict[str, int] = {"STANDARD": 80, "HIGH": 1_000}
DEFAULT_THROUGHPUT_MPS = 80

# A retry policy must retry throughput (130429) and server-side unavailability; it must never retry what Meta
# calls terminal for the recipient (131026, 131047, 131050), spam/ecosystem holds (131048, 131049), template
# configuration errors (132xxx) or account problems (190, 368, 131031, 131042).
MUST_RETRY: frozenset[int] = frozenset({130429}) | (UNAVAILABLE & {131000, 131016})
NEVER_RETRY: frozenset[int] = (
    frozenset({131026, 131047, 131048, 131049, 131050, 132000, 132001, 132005, 132007, 132012})
    | TEMPLATE_BLOCKED
    | ACCOUNT
)
RETRYABLE: frozenset[int] = UNAVAILABLE | THROTTLED

"""SEBI content-compliance scenarios: what the compliance engine's verdicts say about the day's content.

The day's data is the healthy day's; only the engine's verdicts differ (``info["compliance"]``, read by
``services/compliance.py``: ``content`` gives an item another text, ``errors`` leaves it without a verdict).
Content items are ``<YYYYMMDD>-s<segment>-<kind>`` (``brief``, ``chart``, ``quote``); keys here omit the date.

======================== ===================================================================== ===================
scenario                 engine verdict                                                         outcome
======================== ===================================================================== ===================
sebi_violation           segment 2's brief promises guaranteed, risk-free returns (R5) and     compliance incident
                         calls itself the best (R6)
compliance_engine_error  segment 4's chart gets no verdict (the engine's text extraction       immediate_fix_required
                         timed out): the content goes out unverified                          finding
======================== ===================================================================== ===================
"""

from __future__ import annotations

import copy
from typing import Any

from delivery_window.sandbox.scenarios import Scenario, register
from delivery_window.sandbox.services.compliance import SEBI_WARNING

VIOLATING_ITEM = "s2-brief"
VIOLATING_SEGMENT = 2
VIOLATING_TEXT = (
    "Good morning! ProjectOne (SEBI RIA INA000012345): the best advisory desk in India. Guaranteed 12% returns, "
    f"risk-free, on today's pick. {SEBI_WARNING}"
)
ERROR_ITEM = "s4-chart"
ERROR_MESSAGE = "text extraction from the chart image timed out after 30 s; no verdict"


def _with(entry: dict[str, Any]):
    def api(info: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(info)
        out["compliance"] = entry
        return out

    return api


register(
    Scenario(
        "sebi_violation",
        "Segment 2's brief promises guaranteed, risk-free returns (SEBI rules R5, R6): a compliance incident "
        "(legal + compliance at once, CEO +15 min, external legal +1 h, the 24 h SEBI deadline).",
        api=_with({"content": {VIOLATING_ITEM: VIOLATING_TEXT}}),
    )
)
register(
    Scenario(
        "compliance_engine_error",
        "The compliance engine gives no verdict on segment 4's chart (text extraction timed out): an "
        "immediate-fix finding, no incident.",
        api=_with({"errors": {ERROR_ITEM: ERROR_MESSAGE}}),
    )
)

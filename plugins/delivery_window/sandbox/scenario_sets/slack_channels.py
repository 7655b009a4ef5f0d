"""Slack scenarios (issue 14): the channels the window posts to, as the Web API sees them at 05:30.

=========================== ========================================================== ======================
scenario                    bad state                                                  check_slack_channels
=========================== ========================================================== ======================
slack_token_revoked         the app's bot token was revoked (auth.test token_revoked)  fail
slack_channel_archived      #engineering-alerts is archived                            fail
slack_app_not_member        the app is not a member of #delivery-ops                   fail
=========================== ========================================================== ======================

The healthy day's data; only the Slack Web API's answers differ (``services/slack_api.py``). The webhooks still
take posts: an archived channel's webhook failing is what the 05:30 check is there to find before the window.
"""

from __future__ import annotations

import copy
from typing import Any

from delivery_window.sandbox.scenarios import Scenario, register


def _slack(**state: Any):
    def api(info: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(info)
        out["slack"] = state
        return out

    return api


for _scenario in (
    Scenario(
        "slack_token_revoked",
        "The Slack app's bot token was revoked: the 05:30 check cannot see any channel and fails.",
        api=_slack(token="revoked"),
    ),
    Scenario(
        "slack_channel_archived",
        "#engineering-alerts was archived: the 05:30 Slack check fails naming it.",
        api=_slack(archived=["engineering-alerts"]),
    ),
    Scenario(
        "slack_app_not_member",
        "The Slack app was removed from #delivery-ops: the 05:30 Slack check fails naming it.",
        api=_slack(not_member=["delivery-ops"]),
    ),
):
    register(_scenario)

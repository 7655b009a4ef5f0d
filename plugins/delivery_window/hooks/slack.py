"""Slack Web API reads through the Slack provider's ``SlackHook``: is each channel the window posts to real?

The posts themselves go through one incoming webhook per channel (``slackwebhook`` connections); a webhook has
no read endpoint, so the 05:30 check asks the Web API instead, with the app's bot token (connection ``slack_api``,
type ``slack``: password = ``xoxb-…`` token, extra ``base_url``, default ``https://slack.com/api/``):
``auth.test`` (is the token valid), ``conversations.list`` (a channel's id from its name) and
``conversations.info`` (``{"ok": true, "channel": {"id", "name", "is_archived", "is_member"}}``). Slack answers
an API error with HTTP 200 and ``{"ok": false, "error": "channel_not_found" | "invalid_auth" | "token_revoked"
| ...}``: that is what the check judges, so ``call`` returns it. A failure to get an answer at all (refused,
timeout, 5xx, a body that is not JSON) is a ``ServiceError``, and a 429 is retried once after a short
``Retry-After``, as every probe (``hooks/base.py``). The client's own retries are off (``retry_handlers=[]``).
"""

from __future__ import annotations

import time
import urllib.error
from typing import Any

from delivery_window.connections import SLACK_API
from delivery_window.hooks.base import JsonHttpHook, ServiceError

_NOT_JSON = "Received a response in a non-JSON format"


class SlackWebApiHook:
    """``SlackHook`` calls whose outcome is an answer dict or a precise ``ServiceError``."""

    service = "slack_api"
    max_retry_after_seconds = JsonHttpHook.max_retry_after_seconds

    def __init__(self, slack_conn_id: str = SLACK_API, timeout_seconds: float = 10) -> None:
        from airflow.providers.slack.hooks.slack import SlackHook

        self.slack_conn_id = slack_conn_id
        self.timeout_seconds = timeout_seconds
        self.hook = SlackHook(slack_conn_id=slack_conn_id, timeout=timeout_seconds, retry_handlers=[])  # type: ignore[arg-type]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """``POST <base_url><method>`` with the params form-encoded: the JSON answer (``ok`` true or false)."""
        try:
            return self._call_once(method, params)
        except ServiceError as exc:
            if exc.status != 429 or exc.retry_after is None or exc.retry_after > self.max_retry_after_seconds:
                raise
            time.sleep(exc.retry_after)
        return self._call_once(method, params)

    def _call_once(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        from airflow.exceptions import AirflowNotFoundException
        from slack_sdk.errors import SlackApiError

        try:
            return dict(self.hook.call(method, data=params).data)  # POST, form-encoded
        except SlackApiError as exc:
            status, data = exc.response.status_code, exc.response.data
            error = data.get("error") if isinstance(data, dict) else None
            if status == 200 and isinstance(error, str) and not error.startswith(_NOT_JSON):
                return dict(data)  # Slack's own answer: ok false and why
            if status == 200:
                raise ServiceError(
                    self.service, "malformed", f"{method}: HTTP 200 with a body that is not JSON"
                ) from exc
            retry_after = None
            message = f"{method}: HTTP {status}: {error or str(data)[:120]}"
            if status == 429:
                header = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get(
                    "retry-after"
                )
                message += f" (Retry-After: {header or 'not given'})"
                try:
                    retry_after = max(0.0, float(header))
                except (TypeError, ValueError):
                    retry_after = None
            raise ServiceError(
                self.service, "http_status", message, status=status, code=error, retry_after=retry_after
            ) from exc
        except TimeoutError as exc:
            raise ServiceError(
                self.service, "timeout", f"{method}: no answer within {self.timeout_seconds:g} s"
            ) from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise ServiceError(
                    self.service, "timeout", f"{method}: no answer within {self.timeout_seconds:g} s"
                ) from exc
            text = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
            raise ServiceError(self.service, "refused", f"{method}: connection failed ({text})") from exc
        except (ConnectionError, OSError) as exc:
            raise ServiceError(
                self.service, "refused", f"{method}: connection failed ({type(exc).__name__}: {exc})"
            ) from exc
        except AirflowNotFoundException as exc:
            raise ServiceError(self.service, "config", str(exc)) from exc

    def channel_ids(self) -> dict[str, str]:
        """Every channel the app can see, archived ones too: name -> id (``conversations.list``, paged)."""
        out: dict[str, str] = {}
        cursor = ""
        while True:
            page = self.call(
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived="false",
                limit=1000,
                **({"cursor": cursor} if cursor else {}),
            )
            if not page.get("ok"):
                raise ServiceError(
                    self.service,
                    "http_status",
                    f"conversations.list: {page.get('error')}",
                    code=page.get("error"),
                )
            out |= {c["name"]: c["id"] for c in page.get("channels") or [] if "name" in c and "id" in c}
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return out

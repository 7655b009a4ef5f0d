"""Phone numbers are masked to their last 4 digits in every outbound message and log line."""

from __future__ import annotations

import logging

import pytest

from delivery_window.masking import PhoneMaskingFilter, mask_phones, mask_value, masked_logger


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call +91-9876543211 now", "call +**-******3211 now"),
        ("+91 80 4555 0100", "+** ** **** 0100"),
        ("advisor +917000000042 failed", "advisor +********0042 failed"),
        ("wa_id 919812345678 in a webhook", "wa_id ********5678 in a webhook"),
        ("(+91) 98765-43213", "(+**) *****-*3213"),
        ("two: +91-9876543210, +91-9876543213.", "two: +**-******3210, +**-******3213."),
    ],
)
def test_phone_numbers_keep_only_their_last_four_digits(text, masked):
    assert mask_phones(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "phone_number_id 1065550102 paused",  # a Meta id, not a phone number
        "dedup delivery_window:2026-09-01:failure_rate_2m:overall",
        "attempt 202609010000042 at 1780272000",
        "cloudinary_premium_support +1-xxx-xxx-xxxx",  # the protocol's own placeholder
        "SLA 88.55% (target 99.0%)",
        "",
    ],
)
def test_ids_dates_and_numbers_that_are_not_phones_are_left_alone(text):
    assert mask_phones(text) == text


def test_structured_payloads_are_masked_everywhere_but_in_identifiers():
    payload = {
        "text": "CEO on +91-9876543213",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "call +91-9876543214"}}],
        "recipient_id": "917000000001",
        "to": "7000000001",
        "dedup_key": "delivery_window:2026-09-01:x",
        "phone_number_id": "1065550102",
        "count": 3,
    }
    out = mask_value(payload)
    assert out["text"] == "CEO on +**-******3213"
    assert out["blocks"][0]["text"]["text"] == "call +**-******3214"
    assert out["recipient_id"] == "********0001" and out["to"] == "******0001"
    assert out["dedup_key"] == payload["dedup_key"] and out["phone_number_id"] == "1065550102"
    assert out["count"] == 3
    assert payload["text"] == "CEO on +91-9876543213"  # a copy: the caller's value is untouched


def test_log_lines_are_masked_including_their_arguments(caplog):
    log = masked_logger("delivery_window.test_masking")
    masked_logger("delivery_window.test_masking")  # idempotent: one filter
    assert sum(isinstance(f, PhoneMaskingFilter) for f in log.filters) == 1
    with caplog.at_level(logging.INFO, logger="delivery_window.test_masking"):
        log.info("paging %s on %s", "cto", "+91-9876543210")
        log.warning("raw +91-9876543211 in the message")
    assert [r.getMessage() for r in caplog.records] == [
        "paging cto on +**-******3210",
        "raw +**-******3211 in the message",
    ]
    assert "9876543210" not in caplog.text and "9876543211" not in caplog.text


def test_notify_masks_what_it_sends(monkeypatch):
    from delivery_window.escalation import outbox

    seen = {}

    class FakeHook:
        def __init__(self, pagerduty_events_conn_id, timeout_seconds=None):
            pass

        def send_event(self, **payload):
            seen.update(payload)

    import delivery_window.hooks.pagerduty as pd

    monkeypatch.setattr(pd, "DeliveryPagerdutyHook", FakeHook)
    outbox.send_via_providers(
        "pagerduty_events",
        "pagerduty_event",
        {
            "summary": "call +91-9876543210",
            "severity": "critical",
            "dedup_key": "k",
            "custom_details": {"p": "+91-9876543211"},
        },
    )
    assert seen["summary"] == "call +**-******3210" and seen["custom_details"] == {"p": "+**-******3211"}


def test_every_module_logger_of_the_package_masks_phone_numbers():
    """Task logs show what the package logs: every module-level ``log`` carries the masking filter."""
    import importlib
    import logging
    import pkgutil

    import delivery_window
    from delivery_window.masking import PhoneMaskingFilter

    unmasked, seen = [], 0
    for info in pkgutil.walk_packages(delivery_window.__path__, "delivery_window."):
        if info.name.endswith("__main__"):
            continue
        log = getattr(importlib.import_module(info.name), "log", None)
        if isinstance(log, logging.Logger) and log.name == info.name:
            seen += 1
            if not any(isinstance(f, PhoneMaskingFilter) for f in log.filters):
                unmasked.append(info.name)
    assert seen >= 8 and unmasked == []

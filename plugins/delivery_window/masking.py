"""Phone numbers masked to their last 4 digits in every outbound message and log line.

``mask_phones("call +91-9876543211")`` gives ``"call +**-******3211"``: every digit but the last four becomes
``*`` and the separators stay, so the masked text still reads like a number. What counts as a phone number:

* anything written with a leading ``+`` and 8-15 digits (separators ``-``, space, ``.``, ``(``, ``)`` allowed):
  ``+91-9876543210``, ``+91 80 4555 0100``, ``+917000000001``;
* a bare Indian mobile number with its country code (``91`` then 10 digits starting 6-9), as WhatsApp writes
  ``wa_id``/``recipient_id`` (``919812345678``);
* in structured payloads (:func:`mask_value`), any digit string under a key that names a phone
  (``phone``, ``phone_e164``, ``msisdn``, ``to``, ``wa_id``, ``recipient_id``, ``display_phone_number``...).

Ids that merely look numeric (Meta ``phone_number_id``, attempt ids, Unix timestamps, dates in dedup keys) are
left alone: they identify nothing about a person and on-call needs them verbatim.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PhoneMaskingFilter", "mask_phones", "mask_value", "masked_logger"]

_PLUS_NUMBER = re.compile(r"(?<![\w+])\+(?:[\s().-]*\d){8,15}(?!\d)")
_BARE_INDIAN_MOBILE = re.compile(r"(?<![\w.+-])91[6-9]\d{9}(?![\w.-])")
# Keys whose value is a phone number even without a "+" (structured payloads only).
_PHONE_KEYS = frozenset(
    {
        "phone",
        "phone_e164",
        "phone_number",
        "msisdn",
        "mobile",
        "to",
        "wa_id",
        "recipient_id",
        "display_phone_number",
        "input",
    }
)
# Keys that are identifiers: never rewritten, even if they contain something number-like.
_ID_KEYS = frozenset({"dedup_key", "routing_key", "incident_id", "job_id", "phone_number_id", "id"})


def _mask_digits(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    keep_from = digits - 4
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_phones(text: str) -> str:
    """``text`` with every phone number masked to its last 4 digits."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _PLUS_NUMBER.sub(lambda m: _mask_digits(m.group(0)), text)
    return _BARE_INDIAN_MOBILE.sub(lambda m: _mask_digits(m.group(0)), text)


def mask_value(value: Any, key: str | None = None) -> Any:
    """A copy of a JSON-like value with phone numbers masked in every string (and under phone-named keys)."""
    if isinstance(value, Mapping):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, key) for v in value]
    if isinstance(value, str):
        if key in _ID_KEYS:
            return value
        if key in _PHONE_KEYS and sum(ch.isdigit() for ch in value) >= 8:
            return _mask_digits(value)
        return mask_phones(value)
    return value


class PhoneMaskingFilter(logging.Filter):
    """A logging filter that masks phone numbers in the formatted message (and drops the raw args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as is rather than lost
            return True
        masked = mask_phones(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


_FILTER = PhoneMaskingFilter()


def masked_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the phone-masking filter attached (idempotent)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger

"""The handoff as a Confluence page (storage format, XHTML), built from the handoff_log sections (pure).

The page is protocol.yaml ``shift_handoff.handoff_documentation.location`` (``confluence/<title>``): one page,
a new version every shift change. It opens with the incoming engineer's five briefing items in the protocol's
order, then the handoff documentation's required sections. Everything in it comes from the sections, which hold
no wall-clock value of the run, so an unchanged handoff renders the same page (and is not published again).
"""

from __future__ import annotations

import json
from datetime import date
from html import escape
from typing import Any

from delivery_window.protocol import Protocol

BRIEFING = "incoming_engineer_briefing"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _value(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "<em>none</em>"
    if isinstance(value, dict):
        items = "".join(
            f"<li><strong>{escape(_label(str(k)))}</strong>: {_value(v)}</li>" for k, v in value.items()
        )
        return f"<ul>{items}</ul>"
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return escape(", ".join(str(v) for v in value))
        return "<ol>" + "".join(f"<li>{_value(v)}</li>" for v in value) + "</ol>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return escape(f"{value:g}")
    return escape(str(value))


def render(day: date, sections: dict[str, Any], protocol: Protocol) -> tuple[str, str]:
    """(page title, storage-format body) of the day's handoff."""
    doc = protocol.shift_handoff.handoff_documentation
    parts = [
        f"<h1>On-call handoff: {day.isoformat()}</h1>",
        f"<p>Written by the delivery-window DAG at the 06:30 IST handoff ({escape(doc.update_frequency)}); "
        "earlier shifts are the page's earlier versions.</p>",
        "<h2>Incoming engineer's briefing</h2>",
    ]
    items = (sections.get(BRIEFING) or {}).get("items") or []
    for n, entry in enumerate(items, start=1):
        parts.append(f"<h3>{n}. {escape(_label(entry['item']))}</h3>")
        parts.append(_value(sections.get(entry["section"])))
    parts.append("<h2>Handoff documentation</h2>")
    for name in doc.required_sections:
        parts.append(f"<h3>{escape(_label(name))}</h3>")
        parts.append(_value(sections.get(name)))
    return doc.page_title, "\n".join(parts)


def digest(body: str) -> str:
    """A short, stable digest of a page body (the publish's key: an unchanged handoff is not published again)."""
    import hashlib

    return hashlib.sha256(json.dumps(body).encode()).hexdigest()[:16]

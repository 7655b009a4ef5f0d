"""A runbook of ``include/runbooks/`` rendered as a page (the incidents of the view link to it)."""

from __future__ import annotations

from html import escape

from delivery_window.paths import INCLUDE_DIR

RUNBOOKS_DIR = INCLUDE_DIR / "runbooks"


def runbook_names() -> set[str]:
    """The runbooks there are: a name outside this set is never turned into a path."""
    return {path.stem for path in RUNBOOKS_DIR.glob("*.md")}


def render_runbook(name: str) -> str | None:
    """The runbook ``name`` as HTML, or None when there is none of that name."""
    if name not in runbook_names():
        return None
    from markdown_it import MarkdownIt

    body = (
        MarkdownIt("commonmark", {"html": False})
        .enable("table")
        .render((RUNBOOKS_DIR / f"{name}.md").read_text())
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Runbook {escape(name)}</title>'
        "<style>body{font-family:system-ui,sans-serif;margin:16px;max-width:900px}table{border-collapse:collapse}"
        "td,th{border:1px solid #d0d7de;padding:4px 8px}code{background:#f6f8fa}</style></head>"
        f"<body>{body}</body></html>"
    )

"""The nearest valid name to a misspelt one, for error messages that say what was meant ("did you mean …?").

Shared by the run params (trigger conf keys), the protocol loader (check, rule, runbook and role names) and the
command line; standard library only, so every one of them can import it at parse time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Above difflib's default (0.6): names sharing a prefix reach it by that alone ("check_database" scores 0.61
# against "check_datadog_monitors"), and a wrong suggestion misleads more than none.
_CUTOFF = 0.75


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (a typo of it), or None when none is close."""
    found = difflib.get_close_matches(name, list(known), n=1, cutoff=_CUTOFF)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"did you mean X?"`` for the nearest known name, else the list of valid names."""
    known = list(known)
    close = nearest(name, known)
    return f"did you mean {close}?" if close else f"valid: {', '.join(known)}"

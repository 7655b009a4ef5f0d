"""What a command prints, and the log file that keeps everything: the demo's terminal shows its own progress and
the report; Airflow's, Great Expectations' and platformdirs' known-harmless warnings go only to the log file.

A message is left off the terminal only when it matches an entry of :data:`HARMLESS` by name: its logger and
message, or its warnings category and message. Nothing at error level or above, and no traceback, is ever left
off, whatever it says. The log file gets every byte, unfiltered (colour codes removed).
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class Harmless:
    """A message known to be harmless here: its logger (or warnings category) and how its message starts."""

    why: str
    message: str  # regular expression, matched at the start of the message
    logger: str | None = None
    category: str | None = None


HARMLESS = (
    Harmless(
        "dag.test() says so every second while the only unfinished tasks wait (a deferred sensor, a runbook "
        "watch); several KB each, as it lists every waiting task",
        r"No tasks to run\. unrunnable tasks: ",
        logger="airflow.sdk.definitions.dag",
    ),
    Harmless(
        "quality/runner.py uses GX's generic SQL data source on purpose: the Postgres one rejects the embedded "
        "server's socket URL",
        r"You are using a generic SQLDatasource but a more specific PostgresDatasource",
        category="GxDatasourceWarning",
    ),
    Harmless(
        "a local run has no Fernet key; its connections are environment variables, never stored encrypted",
        r"empty cryptography key - values will not be stored encrypted",
        logger="airflow.models.crypto",
    ),
    Harmless(
        "importing pgserver (the embedded Postgres) asks platformdirs for a runtime dir this machine has not set",
        r"XDG_RUNTIME_DIR is not set",
        category="RuntimeDirWarning",
    ),
    Harmless(
        "the demo defines delivery_db only, so migrations run through it (README, Database logins)",
        r"connection delivery_db_owner is not defined; migrating with delivery_db",
        logger="delivery_window.migrate",
    ),
)

_NEVER_DROPPED = {"error", "err", "critical", "crit", "exception", "fatal"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# structlog's console format (Airflow's): "<ISO time> [<level>   ] <message> [<logger>] key=value ..."
_STRUCTLOG = re.compile(r"(?P<time>\d{4}-\d\d-\d\dT\S+) \[(?P<level>[a-z]+) *\] (?P<rest>.*)", re.DOTALL)
_LOGGER = re.compile(r"\s\[(?P<logger>[A-Za-z_][\w.]*)\](?=\s|$)")
_FIELDS = re.compile(r"(\s+[\w.-]+=\S*)*\s*")
# warnings.formatwarning: "<file>:<line>: <Category>: <message>\n  <source line>"
_WARNING = re.compile(r"(?P<file>\S+?):(?P<line>\d+): (?P<category>[A-Za-z_]\w*): (?P<message>.*)", re.DOTALL)
_CATEGORY_FIELD = re.compile(r"(?:^|\s)category=(?P<category>[A-Za-z_]\w*)")


@dataclass(frozen=True)
class Message:
    """One message as written: level, logger, warnings category (when a warning) and its text."""

    level: str
    logger: str | None
    category: str | None
    text: str


def _logger_at(rest: str) -> re.Match | None:
    """Where the ``[logger]`` of a structlog line is: the last bracketed name followed by nothing but
    ``key=value`` fields (a message may hold brackets too: "<TaskInstance: ... [None] ti_id=...>")."""
    found = list(_LOGGER.finditer(rest))
    for m in reversed(found):
        if _FIELDS.fullmatch(rest[m.end() :]):
            return m
    return found[-1] if found else None


def parse(chunk: str) -> Message | None:
    """The message one write carries (a log record or a Python warning), or None for anything else (a print, a
    line of a traceback, the report)."""
    plain = _ANSI.sub("", chunk).lstrip("\n")
    if m := _STRUCTLOG.match(plain):
        level, rest = m["level"], " " + m["rest"]
        found = _logger_at(rest)
        logger = found["logger"] if found else None
        text = rest[1 : found.start()] if found else rest[1:]
        category = None
        if (
            logger == "py.warnings"
        ):  # a warning logged: stdlib capture (formatted) or structlog (category=...)
            if w := _WARNING.match(text):
                category, text = w["category"], w["message"]
            elif found and (c := _CATEGORY_FIELD.search(rest[found.end() :])):
                category = c["category"]
        return Message(level, logger, category, text)
    if w := _WARNING.match(plain):  # a warning printed before logging was set up
        return Message("warning", "py.warnings", w["category"], w["message"])
    return None


def harmless(chunk: str) -> Harmless | None:
    """The :data:`HARMLESS` entry ``chunk`` (one write to stdout or stderr) matches, or None: then it is
    printed. Never an entry for an error, a critical message or anything carrying a traceback."""
    if "Traceback (most recent call last)" in chunk:
        return None
    msg = parse(chunk)
    if msg is None or msg.level in _NEVER_DROPPED:
        return None
    for entry in HARMLESS:
        if entry.logger is not None and entry.logger != msg.logger:
            continue
        if entry.category is not None and entry.category != msg.category:
            continue
        if re.match(entry.message, msg.text):
            return entry
    return None


class _Tee:
    """A stdout/stderr stand-in: every write to the log file, and to the terminal unless it is harmless."""

    def __init__(self, console: TextIO, log: TextIO, counts: dict[str, int]):
        self._console, self._log, self._counts = console, log, counts

    def write(self, text: str) -> int:
        if not self._log.closed:
            self._log.write(_ANSI.sub("", text))
        entry = harmless(text)
        if entry is None:
            self._console.write(text)
        else:
            self._counts[entry.why] = self._counts.get(entry.why, 0) + 1
        return len(text)

    def flush(self) -> None:
        if not self._log.closed:
            self._log.flush()
        self._console.flush()

    def __getattr__(self, name: str):  # isatty, fileno, encoding, errors ...: the terminal's
        return getattr(self._console, name)


@dataclass
class Capture:
    """The log file being written (``file``: for a child process's output too), and how many harmless messages
    were kept off the terminal (by reason)."""

    path: Path
    left_off: dict[str, int]
    file: TextIO | None = None

    @property
    def left_off_total(self) -> int:
        return sum(self.left_off.values())


@contextmanager
def captured(path: Path) -> Iterator[Capture]:
    """While the block runs, everything written to stdout and stderr also goes to ``path`` (emptied first), and
    the terminal gets it minus :data:`HARMLESS` messages. Set up before Airflow is imported: its log handlers
    keep the streams they find then. An exception's traceback is written to the log file too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    out, err = sys.stdout, sys.stderr
    # appending, line by line: a child process given ``capture.file`` appends its lines between ours
    with open(path, "a", buffering=1, encoding="utf-8") as log:
        capture = Capture(path, {}, log)
        sys.stdout = _Tee(out, log, capture.left_off)  # type: ignore[assignment]
        sys.stderr = _Tee(err, log, capture.left_off)  # type: ignore[assignment]
        try:
            yield capture
        except BaseException:
            log.write(traceback.format_exc())
            raise
        finally:
            sys.stdout, sys.stderr = out, err
            for stream in (out, err):
                stream.flush()

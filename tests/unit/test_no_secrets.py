"""No secret is committed: tracked files carry no tokens, keys or private keys."""

from __future__ import annotations

import re
import subprocess

from delivery_window.paths import ROOT

PATTERNS = {
    "slack token": re.compile(r"xox[abprs]-[0-9A-Za-z-]{10,}"),
    "slack webhook": re.compile(r"hooks\.slack\.com/services/T[0-9A-Z]{6,}/B[0-9A-Z]{6,}/[0-9A-Za-z]{16,}"),
    "openai key": re.compile(r"sk-[A-Za-z0-9_-]{20,}"),
    "aws access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "github token": re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"),
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    "meta access token": re.compile(r"EAA[A-Za-z0-9]{60,}"),
    # ${VAR} references and CHANGE_ME placeholders (.env.example) are not secrets.
    "password in url": re.compile(r"postgres(ql)?://[^:/\s]+:(?!\$\{|CHANGE_ME)[^@\s/]{4,}@"),
}
# Large vendored specs contain example tokens that are documented placeholders, not secrets.
SKIP = ("tests/fixtures/specs/", "uv.lock", "tests/unit/test_no_secrets.py")  # this file holds sample matches


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines() if not f.startswith(SKIP)]


def test_patterns_catch_what_they_should():
    assert PATTERNS["slack token"].search("xoxb-1234567890-abcdefghij")
    assert PATTERNS["password in url"].search("postgresql://app:hunter22@db/x")
    assert not PATTERNS["password in url"].search("postgresql://postgres@127.0.0.1:5432/x")
    assert not PATTERNS["password in url"].search("postgresql://app:CHANGE_ME_pw@db/x")


def test_no_secret_in_tracked_files():
    found = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {label}" for label, rx in PATTERNS.items() if rx.search(text)]
    assert found == []

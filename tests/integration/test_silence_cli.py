"""`delivery-window silence add | list | expire` against the real report database: what is stored, and bad input
that gets one line on stderr, exit 2, and writes nothing."""

from __future__ import annotations

import psycopg
import pytest

from delivery_window import cli
from delivery_window.migrate import apply_migrations

pytestmark = pytest.mark.integration
REASON = "cli test: planned Meta maintenance"


@pytest.fixture
def silences(db_url):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        conn.execute("DELETE FROM delivery_ops.silences WHERE reason LIKE 'cli test%%'")

    def rows():
        with psycopg.connect(db_url) as conn:
            return conn.execute(
                "SELECT silence_id, matchers, author, expired_at IS NOT NULL FROM delivery_ops.silences "
                "WHERE reason LIKE 'cli test%%' ORDER BY silence_id"
            ).fetchall()

    yield rows
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM delivery_ops.silences WHERE reason LIKE 'cli test%%'")


def silence(db_url, *args: str) -> int:
    return cli.main(["silence", "--db-url", db_url, *args])


ADD = [
    "add",
    "--start",
    "2031-01-05T05:00",
    "--end",
    "2031-01-05T07:00",
    "--reason",
    REASON,
    "--author",
    "asha",
]


@pytest.mark.parametrize(
    ("match", "error"),
    [
        (["rule=no_such_rule"], "unknown rule 'no_such_rule'"),
        (["severity=severity_1"], "unknown match field 'severity'"),
        (["rule"], "is not label=value"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(db_url, silences, capsys, match, error):
    assert silence(db_url, *ADD, "--match", *match) == 2
    err = capsys.readouterr().err
    assert error in err and err.count("\n") == 1 and "Traceback" not in err
    assert silences() == []


def test_an_end_before_the_start_writes_nothing(db_url, silences, capsys):
    args = [
        "add",
        "--start",
        "2031-01-05T07:00",
        "--end",
        "2031-01-05T05:00",
        "--reason",
        REASON,
        "--author",
        "a",
    ]
    assert silence(db_url, *args, "--match", "rule=shard_failing") == 2
    assert "is not after" in capsys.readouterr().err and silences() == []


def test_add_list_and_expire(db_url, silences, capsys):
    assert silence(db_url, *ADD, "--match", "rule=shard_failing", "scope=number:123") == 0
    ((silence_id, matchers, author, expired),) = silences()
    assert matchers == {"rule": "shard_failing", "scope": "number:123"} and author == "asha" and not expired
    assert silence(db_url, "list", "--days", "10000") == 0
    assert f"{silence_id}: [upcoming] 2031-01-05 05:00 → 2031-01-05 07:00 IST" in capsys.readouterr().out
    assert silence(db_url, "expire", str(silence_id)) == 0
    assert silences()[0][3] is True
    assert silence(db_url, "expire", str(silence_id)) == 2  # already expired: said, nothing changed
    assert "no unexpired silence" in capsys.readouterr().err

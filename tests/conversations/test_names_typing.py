"""Type checkers see the snake_case aliases, with the types of their JS names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twilio_compat.conversations._names import js_names

SNIPPET = """
from twilio_compat.conversations import Client, Conversation


async def newest(client: Client, sid: str) -> int | None:
    conversation: Conversation = await client.get_conversation_by_sid(sid)
    name: str | None = conversation.friendly_name
    count: int = await conversation.get_messages_count()
    page = await conversation.get_messages(pageSize=count)
    print(name, client.connection_state)
    return page.items[-1].index if page.has_next_page or page.items else None


def misspelled(conversation: Conversation) -> object:
    return conversation.get_mesages  # the one error expected
"""


def test_mypy_accepts_snake_case_aliases(tmp_path: Path) -> None:
    """mypy runs in its own process: in-process it raises the interpreter's recursion limit
    for good, which would change what later tests see."""
    snippet = tmp_path / "uses_aliases.py"
    snippet.write_text(SNIPPET)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            str(snippet),
            "--strict",
            "--python-version",
            "3.10",
            "--follow-imports",
            "silent",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    stdout, stderr, status = done.stdout, done.stderr, done.returncode
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, stdout + stderr
    assert ":15: error:" in errors[0] and "get_mesages" in errors[0], stdout
    assert status == 1


def test_a_class_without_its_aliases_is_refused() -> None:
    with pytest.raises(TypeError, match="get_things = getThings"):

        @js_names
        class Things:
            def getThings(self) -> list[str]:
                return []

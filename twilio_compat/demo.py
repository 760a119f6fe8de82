"""`make demo`: a Twilio Conversations REST quickstart, unchanged but for the import, on ACS.

With nothing configured it runs on the embedded ACS emulator with a store and media folder in
a temporary directory that is removed afterwards, so it works on a fresh clone and leaves no
files behind. Set ``ACS_CONNECTION_STRING`` (and ``TWILIO_COMPAT_STORE`` / ``TWILIO_COMPAT_MEDIA``)
to run the same quickstart on a real Azure Communication Services resource.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from twilio_compat.settings import (
    ACCOUNT_SID_ENV,
    AUTH_TOKEN_ENV,
    CONNECTION_STRING_ENV,
    EMBEDDED,
    STORE_ENV,
    Settings,
    configured,
)

DEMO_ACCOUNT_SID = "AC" + "0" * 31 + "1"


@dataclass(frozen=True)
class DemoSetup:
    """What the demo runs on, once the unconfigured settings are filled in."""

    settings: Settings
    """The shim's settings: the environment's, with the demo's stand-ins where it is silent."""
    where: str
    """Which ACS the quickstart runs on, in words."""
    temporary_store: bool
    """The mapping store is thrown away afterwards, so the demo must not leave threads behind."""


@contextlib.contextmanager
def demo_setup(environ: Mapping[str, str] | None = None) -> Iterator[DemoSetup]:
    """Fill in what is not configured (embedded ACS, temporary store), open the shim's shared
    runtime on that, and close it before the temporary folder goes."""
    from twilio_compat.rest.client import close_shared_handler
    from twilio_compat.runtime import open_shared_runtime

    given = configured(environ)

    def unless_given(name: str, stand_in: str) -> str | None:
        return None if name in given else stand_in

    with tempfile.TemporaryDirectory(prefix="twilio-acs-demo-") as folder:
        settings = Settings.load(
            environ,
            connection_string=unless_given(CONNECTION_STRING_ENV, EMBEDDED),
            store_url=unless_given(STORE_ENV, f"sqlite:///{Path(folder) / 'demo.sqlite3'}"),
            account_sid=unless_given(ACCOUNT_SID_ENV, DEMO_ACCOUNT_SID),
            # The shim's own token; never sent to Twilio.
            auth_token=unless_given(AUTH_TOKEN_ENV, secrets.token_hex(16)),
        )
        open_shared_runtime(settings)
        try:
            yield DemoSetup(
                settings=settings,
                where="the embedded ACS emulator"
                if settings.acs.embedded
                else "Azure Communication Services",
                temporary_store=STORE_ENV not in given,
            )
        finally:
            close_shared_handler()  # closes the adapter (and emulator) before the folder goes


def quickstart(account_sid: str, auth_token: str) -> tuple[Any, list[Any], list[Any]]:
    """Twilio's Conversations quickstart; the only change is the import line."""
    from twilio_compat.rest import Client  # was: from twilio.rest import Client

    client = Client(account_sid, auth_token)

    conversation = client.conversations.v1.conversations.create(
        friendly_name="My First Conversation",
        attributes=json.dumps({"topic": "quickstart"}),
    )
    chat = client.conversations.v1.conversations(conversation.sid)
    chat.participants.create(identity="testPineapple", attributes=json.dumps({"role": "guest"}))
    chat.participants.create(identity="testBanana")

    chat.messages.create(author="testPineapple", body="Ahoy!")
    chat.messages.create(
        author="testBanana",
        body="Ahoy yourself! Are we still on for lunch?",
        attributes=json.dumps({"importance": "high"}),
    )
    # Media goes to Twilio's Media Content Service first, then the message names it.
    service_sid = conversation.chat_service_sid
    upload = client.request(
        "POST",
        f"https://mcs.us1.twilio.com/v1/Services/{service_sid}/Media",
        data=b"lunch at noon, usual place\n",
        headers={
            "Content-Type": "text/plain",
            "Content-Disposition": 'attachment; filename="plan.txt"',
        },
    )
    media_sid = json.loads(upload.text)["sid"]
    chat.messages.create(author="testPineapple", body="Here is the plan.", media_sid=media_sid)

    participants = chat.participants.list()
    newest_first = chat.messages.list(order="desc", limit=20)
    return chat.fetch(), participants, newest_first


def transcript(conversation: Any, participants: list[Any], messages: list[Any]) -> Table:
    """The conversation as a table, newest message first, as the quickstart listed it."""
    table = Table(
        title=f"{conversation.friendly_name} ({conversation.sid}, {conversation.state})",
        caption="newest first",
    )
    table.add_column("#", justify="right")
    table.add_column("author")
    table.add_column("message")
    table.add_column("attributes")
    table.add_column("media")
    for message in messages:
        media = ", ".join(
            f"{m['filename']} ({m['content_type']}, {m['size']} bytes)" for m in message.media or []
        )
        attributes = "" if message.attributes == "{}" else message.attributes
        table.add_row(str(message.index), message.author, message.body, attributes, media)
    names = ", ".join(sorted(p.identity for p in participants))
    table.title = f"{table.title}\nparticipants: {names}"
    return table


def main() -> int:
    console = Console()
    with demo_setup() as setup:
        console.print(
            Panel(
                "A Twilio Conversations REST quickstart, unchanged but for\n"
                "[bold]from twilio_compat.rest import Client[/bold], running on "
                + setup.where
                + ".",
                title="twilio-acs-compat demo",
            )
        )
        account = setup.settings.account
        assert account.account_sid is not None and account.auth_token is not None
        conversation, participants, messages = quickstart(
            account.account_sid, account.auth_token.reveal()
        )
        console.print(transcript(conversation, participants, messages))
        if setup.temporary_store:
            conversation.delete()  # its record goes with the temporary store: no orphan thread
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A separate writer process for the crash and shared-store tests.

``python -m tests.soak.writer`` sends messages through the REST face (twilio's own ``Client``
over ``AcsHttpClient``) into the given conversations, one at a time, and prints
``sent <n> <conversation> <index> <sid>`` after each, so its parent knows how far it got.
ACS and store settings come from the environment, as in production.
"""

from __future__ import annotations

import argparse
import json
import sys

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from twilio_compat.rest import AcsHttpClient, WireHandler

ACCOUNT_SID = "AC" + "7" * 32


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--author", required=True)
    parser.add_argument("--conversations", required=True, help="comma-separated CH SIDs")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="number of the first message")
    args = parser.parse_args()
    conversations = args.conversations.split(",")
    with AcsAdapter.open(Settings.load()) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        client = Client(ACCOUNT_SID, "writer-token", http_client=AcsHttpClient(handler=handler))
        print("ready", flush=True)
        for n in range(args.first, args.first + args.count):
            sid = conversations[n % len(conversations)]
            message = client.conversations.v1.conversations(sid).messages.create(
                author=args.author,
                body=f"{args.author} #{n}",
                attributes=json.dumps({"author": args.author, "n": n}),
            )
            print(f"sent {n} {sid} {message.index} {message.sid}", flush=True)
        handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A scenario for ``twilio-acs compare``: the calls your product makes, on any backend.

``scenario(client)`` gets a ``twilio.rest.Client`` and uses only it. It creates what it reads,
under fixed names, so two runs make the same calls; it cleans up after itself.
"""

import contextlib

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def scenario(client: Client) -> None:
    conversations = client.conversations.v1.conversations
    conversation = conversations.create(
        friendly_name="Order 1234", unique_name="compare-order-1234", attributes='{"vip": true}'
    )
    chat = conversations(conversation.sid)
    chat.participants.create(identity="alice")
    chat.messages.create(author="alice", body="Where is my order?")
    chat.messages.create(author="support", body="On its way!")
    chat.messages.list(order="desc", limit=10)
    chat.update(state="closed")
    with contextlib.suppress(TwilioRestException):  # the name is taken: 409, code 50353
        conversations.create(unique_name="compare-order-1234")
    chat.delete()

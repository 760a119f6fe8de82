"""The events a conversation emits, which the client also emits for each of its conversations.

Both ``Client`` and ``Conversation`` name them as class attributes (``Conversation.messageAdded``
is ``"messageAdded"``), as the JS SDK does; they are declared once here.
"""

from __future__ import annotations

from twilio_compat.conversations._names import js_names


@js_names
class ConversationEventNames:
    """Event names shared by ``Client`` and ``Conversation``."""

    participantJoined = "participantJoined"
    participantLeft = "participantLeft"
    participantUpdated = "participantUpdated"
    messageAdded = "messageAdded"
    messageRemoved = "messageRemoved"
    messageUpdated = "messageUpdated"
    typingEnded = "typingEnded"
    typingStarted = "typingStarted"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    participant_joined = participantJoined
    participant_left = participantLeft
    participant_updated = participantUpdated
    message_added = messageAdded
    message_removed = messageRemoved
    message_updated = messageUpdated
    typing_ended = typingEnded
    typing_started = typingStarted

"""Where each event of the client face is heard, as tests observed it.

Twilio delivers an event to every client of the users it concerns, wherever they run. Here a
client hears of a change made in another OS process only through what ACS reports to its poller
(or to Event Grid): messages, membership and the thread's topic. Changes that live only in the
shim's store (attributes, read horizons, users' friendly names) and typing, published on an
in-process bus, reach only the clients of the process that made them; the others see the new
values on their next read. The parity table calls an event "works" only when ``DELIVERED``
names a test in ``tests/conversations/test_cross_process_events.py`` that sees it arrive at a
client in another process within ``BOUND`` seconds; that test fails if it does not arrive.
Every other event says here what does happen.
"""

from __future__ import annotations

BOUND = 20.0
"""Seconds within which a cross-process event must arrive (polling every 0.2 s in the tests)."""
SETTLE = 2.0
"""Seconds the tests also listen after a change whose events are not expected elsewhere."""

SAME_PROCESS = "same process only"
THIS_CLIENT = "this client only"

_MEMBERSHIP = "test_membership_messages_and_edits_reach_another_process"

DELIVERED: dict[str, str] = {
    "Client.event.conversationAdded": _MEMBERSHIP,
    "Client.event.conversationJoined": _MEMBERSHIP,
    "Client.event.conversationUpdated": _MEMBERSHIP,
    "Client.event.participantJoined": _MEMBERSHIP,
    "Client.event.participantLeft": _MEMBERSHIP,
    "Client.event.messageAdded": _MEMBERSHIP,
    "Client.event.messageRemoved": _MEMBERSHIP,
    "Client.event.messageUpdated": _MEMBERSHIP,
    "Conversation.event.participantJoined": _MEMBERSHIP,
    "Conversation.event.participantLeft": _MEMBERSHIP,
    "Conversation.event.messageAdded": _MEMBERSHIP,
    "Conversation.event.messageRemoved": _MEMBERSHIP,
    "Conversation.event.messageUpdated": _MEMBERSHIP,
    "Conversation.event.updated": _MEMBERSHIP,
    "Message.event.updated": _MEMBERSHIP,
}
"""Event (``Class.event.name``) -> the test that sees it arrive at a client in another process."""

DELIVERED_NOTES = {
    "Client.event.conversationUpdated": "from another process for a new friendlyName or last "
    "message (ACS reports those); an attributes-only change is seen there on the next read",
    "Conversation.event.updated": "from another process for a new friendlyName or last "
    "message (ACS reports those); an attributes-only change is seen there on the next read",
}

_STORE_ONLY = "attributes and read horizons live in the shim's store, which has no change "
_STORE_ONLY += "feed: other processes see them on their next read"
_TYPING = "typing goes on an in-process event bus, and ACS reports it to no poller"
_DELETED = (
    SAME_PROCESS,
    "a poller is not shown deleted threads: the client in another process finds the "
    "conversation gone on its next read",
)
_USERS = (
    SAME_PROCESS,
    "users' friendly names and attributes live in the shim's store: other processes see "
    "them on their next read",
)
_LIFECYCLE = "about this client's own state, as in the JS SDK"
_SUBSCRIPTION = "follows this client's own getUser() / unsubscribe(), as in the JS SDK"

ELSEWHERE: dict[str, tuple[str, str]] = {
    "Client.event.conversationLeft": (
        SAME_PROCESS,
        "a removed user's poller can no longer read the thread: the client in another "
        "process finds the conversation gone on its next read",
    ),
    "Client.event.conversationRemoved": _DELETED,
    "Conversation.event.removed": _DELETED,
    "Client.event.participantUpdated": (SAME_PROCESS, _STORE_ONLY),
    "Conversation.event.participantUpdated": (SAME_PROCESS, _STORE_ONLY),
    "Participant.event.updated": (SAME_PROCESS, _STORE_ONLY),
    "Client.event.userUpdated": _USERS,
    "User.event.updated": _USERS,
    "Client.event.typingStarted": (SAME_PROCESS, _TYPING),
    "Client.event.typingEnded": (SAME_PROCESS, _TYPING),
    "Conversation.event.typingStarted": (SAME_PROCESS, _TYPING),
    "Conversation.event.typingEnded": (SAME_PROCESS, _TYPING),
    "Participant.event.typingStarted": (SAME_PROCESS, _TYPING),
    "Participant.event.typingEnded": (SAME_PROCESS, _TYPING),
    "Client.event.tokenAboutToExpire": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.tokenExpired": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.stateChanged": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.initialized": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.initFailed": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.connectionStateChanged": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.connectionError": (THIS_CLIENT, _LIFECYCLE),
    "Client.event.userSubscribed": (THIS_CLIENT, _SUBSCRIPTION),
    "Client.event.userUnsubscribed": (THIS_CLIENT, _SUBSCRIPTION),
    "User.event.userSubscribed": (THIS_CLIENT, _SUBSCRIPTION),
    "User.event.userUnsubscribed": (THIS_CLIENT, _SUBSCRIPTION),
}
"""Events no test sees arrive in another process -> (status, what happens instead)."""

NOT_ACROSS_TESTED: dict[str, frozenset[str]] = {
    _MEMBERSHIP: frozenset(
        {
            "Client.event.participantUpdated",
            "Conversation.event.participantUpdated",
            "Participant.event.updated",
            "Client.event.userUpdated",
            "User.event.updated",
            "Client.event.typingStarted",
            "Conversation.event.typingStarted",
            "Participant.event.typingStarted",
        }
    ),
    "test_removal_from_and_of_a_conversation_in_another_process": frozenset(
        {
            "Client.event.conversationLeft",
            "Client.event.conversationRemoved",
            "Conversation.event.removed",
        }
    ),
}
"""Test -> ``SAME_PROCESS`` events it checks do not arrive in the other process (if one ever
does, the table is out of date and the test says so)."""

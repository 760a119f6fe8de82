"""Where each event of the client face is heard, as tests observed it.

Twilio delivers an event to every client of the users it concerns, wherever they run. Here a
client hears of a change made in another OS process through two sources: what ACS reports to
its poller (or to Event Grid) about messages and the store's change feed, which carries every
write the shim makes (attributes, read horizons, users, deleted conversations, membership),
typing, and the membership, topic and deletion changes ACS-native apps make (recorded once by
whichever event source reports them first; ``test_native_changes_cross_process.py`` sees each
arrive once). The parity table calls an event "works" only when ``DELIVERED`` names a test in
``tests/conversations/test_cross_process_events.py`` that sees it arrive at a client in another
process within ``BOUND`` seconds; that test fails if it does not arrive. Every other event says
here what does happen.
"""

from __future__ import annotations

BOUND = 20.0
"""Seconds within which a cross-process event must arrive (polling every 0.2 s in the tests)."""
SETTLE = 2.0
"""Seconds the tests also listen after a change whose events are not expected elsewhere."""

SAME_PROCESS = "same process only"
THIS_CLIENT = "this client only"

_MEMBERSHIP = "test_membership_messages_and_edits_reach_another_process"
_STORE = "test_store_only_changes_and_typing_reach_another_process"
_REMOVAL = "test_removal_from_and_of_a_conversation_in_another_process"

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
    "Client.event.participantUpdated": _STORE,
    "Conversation.event.participantUpdated": _STORE,
    "Participant.event.updated": _STORE,
    "Client.event.userUpdated": _STORE,
    "User.event.updated": _STORE,
    "Client.event.typingStarted": _STORE,
    "Client.event.typingEnded": _STORE,
    "Conversation.event.typingStarted": _STORE,
    "Conversation.event.typingEnded": _STORE,
    "Participant.event.typingStarted": _STORE,
    "Participant.event.typingEnded": _STORE,
    "Client.event.conversationLeft": _REMOVAL,
    "Client.event.conversationRemoved": _REMOVAL,
    "Conversation.event.removed": _REMOVAL,
}
"""Event (``Class.event.name``) -> the test that sees it arrive at a client in another process."""

_NATIVE_TOO = (
    f"reaches clients in other processes (seen within {BOUND:g} s), also when an ACS-native app"
    " makes the change (seen once)"
)
DELIVERED_NOTES: dict[str, str] = {
    event: _NATIVE_TOO
    for event in (
        "Client.event.participantJoined",
        "Client.event.participantLeft",
        "Client.event.conversationUpdated",
        "Client.event.conversationRemoved",
        "Conversation.event.participantJoined",
        "Conversation.event.participantLeft",
        "Conversation.event.updated",
        "Conversation.event.removed",
    )
}
"""Events whose note says more than that they arrive."""

_LIFECYCLE = "about this client's own state, as in the JS SDK"
_SUBSCRIPTION = "follows this client's own getUser() / unsubscribe(), as in the JS SDK"

ELSEWHERE: dict[str, tuple[str, str]] = {
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

NOT_ACROSS_TESTED: dict[str, frozenset[str]] = {}
"""Test -> ``SAME_PROCESS`` events it checks do not arrive in the other process (if one ever
does, the table is out of date and the test says so)."""

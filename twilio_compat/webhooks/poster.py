"""`FeedPoster`: posts the post-event webhooks recorded on the change feed, once across replicas.

A write through the shim, or an event ACS reports, records its post-event webhooks on the
store's change feed (kind ``post_event``: targets, methods and forms, ready to sign with the
account's auth token). Per account, one process at a time holds the posting lease and posts
each change's webhooks in feed order from a durable cursor (`core.leased_feed`). So each event
is posted once however many replicas share the store, in order, and one recorded before a
crash is posted after the restart; a post cut short by a crash is posted again by the next
holder with the same ``I-Twilio-Idempotency-Token``, which is how Twilio marks a retried
webhook.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from twilio_compat.core.adapter_types import Change
from twilio_compat.core.leased_feed import LEASE_SECONDS, RENEW_EVERY, LeasedFollower
from twilio_compat.webhooks.sender import Webhook, WebhookSender

if TYPE_CHECKING:
    from twilio_compat.core import Core

POST_EVENT = "post_event"


class FeedPoster:
    """Holds the posting lease when it can, and posts the feed's post-events while it does."""

    def __init__(
        self,
        core: Core,
        sender: WebhookSender,
        *,
        poll_interval: float = 0.2,
        lease_seconds: float = LEASE_SECONDS,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self._core = core
        self._sender = sender
        account = core.account_sid
        self._follower = LeasedFollower(
            core.events,
            lease=f"webhooks:{account}:lease",
            cursor=f"webhooks:{account}:post-events",
            wanted=self._wanted,
            handle=self._post,
            name="twilio-webhook-poster",
            poll_interval=poll_interval,
            lease_seconds=lease_seconds,
            renew_every=renew_every,
        )

    @property
    def holding(self) -> bool:
        """Whether this poster holds the lease (as of its last renewal)."""
        return self._follower.holding

    def start(self) -> FeedPoster:
        self._follower.start()
        return self

    def stop(self) -> None:
        self._follower.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every post-event on the feed now was posted (by whichever process holds
        the lease) and this process's sender is idle; False on timeout."""
        deadline = time.monotonic() + timeout
        if not self._follower.caught_up(timeout):
            return False
        return self._sender.wait_idle(max(0.0, deadline - time.monotonic()))

    def _wanted(self, change: Change) -> bool:
        return change.kind == POST_EVENT and change.scope == self._core.account_sid

    def _post(self, change: Change) -> None:
        for number, hook in enumerate(_webhooks(change)):
            self._sender.post(
                Webhook(hook["url"], hook["method"], hook["params"], f"{change.id}-{number}")
            )


def _webhooks(change: Change) -> list[dict[str, Any]]:
    hooks = change.data.get("webhooks")
    return [hook for hook in hooks if isinstance(hook, dict)] if isinstance(hooks, list) else []

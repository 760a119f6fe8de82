"""`FeedPoster`: posts the post-event webhooks recorded on the change feed, once across replicas.

A write through the shim, or an event ACS reports, records its post-event webhooks on the
store's change feed (kind ``post_event``: targets, methods and forms, ready to sign with the
account's auth token). Per account, one process at a time holds the posting lease, a row in
the store that it renews while it works and that another process takes over once it lapses.
The holder follows the feed from a durable cursor and posts each change's webhooks in feed
order, moving the cursor past a change only once its webhooks were delivered or dropped after
their retries. So each event is posted once however many replicas share the store, in order,
and one recorded before a crash is posted after the restart; a post cut short by a crash is
posted again by the next holder with the same ``I-Twilio-Idempotency-Token``, which is how
Twilio marks a retried webhook.

Leases compare wall-clock times, so hosts sharing a store need synchronised clocks (as they
do for message dates).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from twilio_compat.core.adapter_types import AdapterError, Change, ChangeTailer
from twilio_compat.webhooks.sender import Webhook, WebhookSender

if TYPE_CHECKING:
    from twilio_compat.core import Core

logger = logging.getLogger("twilio_compat.webhooks")

POST_EVENT = "post_event"
LEASE_SECONDS = 15.0
"""How long a lease lasts unless renewed: the longest a crashed holder delays the posts."""
RENEW_EVERY = 3.0


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
        self._poll_interval = poll_interval
        self._lease_seconds = lease_seconds
        self._renew_every = renew_every
        self.owner = secrets.token_hex(8)
        account = core.account_sid
        self._cursor = f"webhooks:{account}:post-events"
        self._lease_name = f"webhooks:{account}:lease"
        self._lease: str | None = None
        """The lease value this poster holds (None when it holds none)."""
        self._tailer: ChangeTailer | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def holding(self) -> bool:
        """Whether this poster holds the lease (as of its last renewal)."""
        return self._lease is not None

    def start(self) -> FeedPoster:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="twilio-webhook-poster", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._release()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every post-event on the feed now was posted (by whichever process holds
        the lease) and this process's sender is idle; False on timeout."""
        deadline = time.monotonic() + timeout
        store = self._core.events
        target = store.latest_change()
        while store.cursor_position(self._cursor) < target:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return self._sender.wait_idle(max(0.0, deadline - time.monotonic()))

    # -- the lease ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                held = self._renew()
            except AdapterError as error:
                logger.warning("the webhook posting lease could not be renewed: %s", error)
                held = False
            if held and self._tailer is None:
                self._tailer = self._core.events.follow(
                    self._deliver,
                    start=self._core.events.cursor_position(self._cursor),
                    poll_interval=self._poll_interval,
                    name="twilio-webhook-poster-feed",
                ).start()
            elif not held:
                self._stop_tailer()
            self._stopping.wait(self._renew_every)
        self._stop_tailer()

    def _renew(self) -> bool:
        """Take or extend the lease; whether this poster holds it now."""
        events = self._core.events
        current = events.lease_value(self._lease_name)
        mine = f"{self.owner} {time.time() + self._lease_seconds:.3f}"
        if current is not None:
            owner, _, until = current.partition(" ")
            if owner != self.owner and _expiry(until) > time.time():
                self._lease = None
                return False
        self._lease = mine if events.swap_lease(self._lease_name, current, mine) else None
        return self._lease is not None

    def _release(self) -> None:
        """Give the lease up at once, so another replica need not wait for it to lapse."""
        lease, self._lease = self._lease, None
        if lease is None:
            return
        try:
            self._core.events.swap_lease(self._lease_name, lease, f"{self.owner} 0")
        except AdapterError as error:
            logger.debug("releasing the webhook posting lease failed: %s", error)

    def _stop_tailer(self) -> None:
        tailer, self._tailer = self._tailer, None
        if tailer is not None:
            tailer.stop()

    # -- posting ----------------------------------------------------------------------------

    def _deliver(self, changes: list[Change]) -> None:
        """Post each post-event in order, saving the cursor past each one done."""
        events = self._core.events
        for change in changes:
            if self._lease is None or self._stopping.is_set():
                return  # the lease went: the next holder goes on from the saved cursor
            if change.kind == POST_EVENT and change.scope == self._core.account_sid:
                for number, hook in enumerate(_webhooks(change)):
                    self._sender.post(
                        Webhook(
                            hook["url"], hook["method"], hook["params"], f"{change.id}-{number}"
                        )
                    )
                events.save_cursor(self._cursor, change.id)
        if changes:
            events.save_cursor(self._cursor, changes[-1].id)


def _webhooks(change: Change) -> list[dict[str, Any]]:
    hooks = change.data.get("webhooks")
    return [hook for hook in hooks if isinstance(hook, dict)] if isinstance(hooks, list) else []


def _expiry(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0

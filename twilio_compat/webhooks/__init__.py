"""Twilio-format webhooks for conversations on ACS: signed form posts, pre- and post-events.

`TwilioWebhooks(core, auth_token).install()` makes the core call pre-event webhooks before
its writes and post-event webhooks after them; `.listen(bus)` posts webhooks for what the
ACS event source reports that the shim did not do itself.
"""

from twilio_compat.webhooks.dispatcher import AUTH_TOKEN_ENV, TwilioWebhooks
from twilio_compat.webhooks.sender import Webhook, WebhookSender, call_pre_event
from twilio_compat.webhooks.signing import SIGNATURE_HEADER, signature

__all__ = [
    "AUTH_TOKEN_ENV",
    "SIGNATURE_HEADER",
    "TwilioWebhooks",
    "Webhook",
    "WebhookSender",
    "call_pre_event",
    "signature",
]

"""Errors arrive as Twilio's own ``TwilioRestException``, with Twilio's status and code."""

import os

from twilio.base.exceptions import TwilioRestException

from twilio_compat.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
conversations = client.conversations.v1.conversations

conversations.create(unique_name="support-desk")

# The same unique name twice: 409, code 50353, as on Twilio.
try:
    conversations.create(unique_name="support-desk")
except TwilioRestException as error:
    print("duplicate", error.status, error.code)

# A conversation that does not exist: 404, code 20404.
try:
    conversations("CH" + "0" * 32).fetch()
except TwilioRestException as error:
    print("missing", error.status, error.code)

# A Twilio feature ACS Chat has no equivalent for is refused, never faked: 400, code 20001.
try:
    conversations("support-desk").participants.create(
        identity="agent",
        messaging_binding_projected_address="+15555550199",  # group MMS
    )
except TwilioRestException as error:
    print("unsupported", error.status, error.code, error.msg)

# A parameter Twilio would refuse is refused before anything is written.
try:
    conversations.create(unique_name="bad-attributes", attributes="{not json")
except TwilioRestException as error:
    print("invalid", error.status, error.code)
print("created", [c.unique_name for c in conversations.list() if c.unique_name == "bad-attributes"])

conversations("support-desk").delete()

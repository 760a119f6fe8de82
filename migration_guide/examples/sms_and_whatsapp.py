"""SMS and WhatsApp participants: an agent on chat talks with a customer on SMS, and a WhatsApp
customer gets a template once the 24-hour window has closed.

In embedded mode the emulator plays the customers' phones (`sms_outbox`, `send_inbound_sms`,
...); on Azure the same code reaches real phones through ACS SMS and Advanced Messaging.
"""

import json
import os
import time
import uuid

from twilio_compat.rest import Client
from twilio_compat.runtime import shared_runtime

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
phones = shared_runtime().adapter.emulator  # embedded mode only: the customers' handsets
sms_number, whatsapp_number = "+18005550100", "+18005550101"  # the emulator's own numbers
customer = "+1425" + str(uuid.uuid4().int)[:7]


def waited(check):
    """Texts travel asynchronously, as on Twilio: wait for what the check looks for."""
    deadline = time.monotonic() + 20
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


conversation = client.conversations.v1.conversations.create(friendly_name="Delivery")
conversation.participants.create(identity="agent")
sms = conversation.participants.create(
    messaging_binding_address=customer, messaging_binding_proxy_address=sms_number
)
print("participant", sms.messaging_binding["type"], sms.identity)

sent = conversation.messages.create(author="agent", body="Your parcel arrives at 3pm.")
text = waited(lambda: phones.sms_outbox(to=customer))[0]
print("texted from", text["from"], text["body"])
receipts = waited(lambda: [r for r in sent.delivery_receipts.list() if r.status == "delivered"])
print("receipt", receipts[0].status, conversation.messages(sent.sid).fetch().delivery["delivered"])

phones.send_inbound_sms(customer, sms_number, "Great, thanks!")
replies = waited(lambda: [m for m in conversation.messages.list() if m.author == customer])
print("reply", replies[0].body)

# WhatsApp: free-form messages only within 24 hours of the customer's last message; after
# that, an approved template (a ContentSid registered with `twilio-acs content add`).
content_sid = "HX" + "0f" * 16
shared_runtime().core.content.register(content_sid, name="order_update", language="en_US")
whatsapp = client.conversations.v1.conversations.create(friendly_name="Orders")
whatsapp.participants.create(
    messaging_binding_address=f"whatsapp:{customer}",
    messaging_binding_proxy_address=f"whatsapp:{whatsapp_number}",
)
update = whatsapp.messages.create(
    author="agent", content_sid=content_sid, content_variables=json.dumps({"1": "Ann", "2": "42"})
)
print("template text", update.body)
template = waited(lambda: phones.whatsapp_outbox(to=customer))[0]["template"]
print("whatsapp template", template["name"], template["language"])

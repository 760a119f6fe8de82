"""Users and the read horizon: who has read how far, and how many messages are unread."""

import os

from twilio_compat.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
api = client.conversations.v1

# A Twilio identity is any string; the shim creates the matching ACS user on first use.
user = api.users.create(identity="carol@example.com", friendly_name="Carol")
print("user", user.sid, user.identity, user.friendly_name)

conversation = api.conversations.create(friendly_name="Team")
carol = api.conversations(conversation.sid).participants.create(identity=user.identity)
for n in range(4):
    api.conversations(conversation.sid).messages.create(author="dave", body=f"update {n}")

# Carol reads up to index 1: the shim keeps Twilio's value and sends ACS a read receipt.
carol = (
    api.conversations(conversation.sid).participants(carol.sid).update(last_read_message_index=1)
)
print("read horizon", carol.last_read_message_index)

for summary in api.users(user.sid).user_conversations.list():
    print("unread", summary.friendly_name, summary.unread_messages_count)

api.conversations(conversation.sid).delete()
api.users(user.sid).delete()

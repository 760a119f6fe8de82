"""After: the same quickstart on Azure Communication Services: only the import changed."""

import os

from twilio_compat.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
conversations = client.conversations.v1

conversation = conversations.conversations.create(
    friendly_name="Order 1234", unique_name="order-1234", attributes='{"priority": "high"}'
)
print("conversation", conversation.sid, conversation.friendly_name)

for identity in ("alice", "bob"):
    participant = conversations.conversations(conversation.sid).participants.create(
        identity=identity
    )
    print("participant", participant.sid, participant.identity)

messages = conversations.conversations(conversation.sid).messages
messages.create(author="alice", body="Where is my order?")
messages.create(author="bob", body="On its way!", attributes='{"agent": true}')

# A conversation can be addressed by its SID or by its unique name.
for message in conversations.conversations("order-1234").messages.list(order="asc"):
    print("message", message.index, message.author, message.body)

conversations.conversations(conversation.sid).update(state="closed")
print("state", conversations.conversations(conversation.sid).fetch().state)
conversations.conversations(conversation.sid).delete()
print("deleted", conversation.sid)

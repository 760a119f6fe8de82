"""Path 3: one client over Twilio and ACS; new conversations by tenant; history imported.

"Twilio" is your Twilio account (``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``). To try the
steps without one, set ``TWILIO_STAND_IN_STORE`` to a SQLite URL: a second embedded emulator
with that store then plays Twilio. The example creates its own conversations on both sides
and deletes them at the end.
"""

import os

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from acs_adapter import Settings
from twilio_compat.migration import (
    HistoryImport,
    ImportOptions,
    MigrationRoutingHttpClient,
    RoutingPolicy,
    TwilioSource,
)
from twilio_compat.rest import AcsHttpClient

account_sid, auth_token = os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]
stand_in = os.environ.get("TWILIO_STAND_IN_STORE")
twilio_http = (
    AcsHttpClient(Settings.load(connection_string="embedded", store_url=stand_in, environ={}))
    if stand_in
    else TwilioHttpClient()
)
twilio = Client(account_sid, auth_token, http_client=twilio_http)  # Twilio alone

# A conversation with history, on Twilio before the migration starts.
old = twilio.conversations.v1.conversations.create(
    unique_name="order-1001", attributes='{"tenant": "globex"}'
)
twilio.conversations.v1.conversations(old.sid).participants.create(identity="alice")
for body in ("Where is my order?", "Shipped today", "Thanks!"):
    twilio.conversations.v1.conversations(old.sid).messages.create(author="alice", body=body)
original = [
    (m.sid, m.index) for m in twilio.conversations.v1.conversations(old.sid).messages.list()
]

# One client over both: each conversation is answered by the backend that owns it; the policy
# places new ones (also: RoutingPolicy.percentage(10), .all(), .none()).
router = MigrationRoutingHttpClient(
    twilio=twilio_http,
    acs=AcsHttpClient(),
    policy=RoutingPolicy.where(lambda new: new.attributes.get("tenant") == "acme"),
)
client = Client(account_sid, auth_token, http_client=router)
api = client.conversations.v1


def backend(key: str) -> str:
    return "ACS" if router.owner_is_acs(key) else "Twilio"


acme = api.conversations.create(unique_name="order-2001", attributes='{"tenant": "acme"}')
globex = api.conversations.create(unique_name="order-2002", attributes='{"tenant": "globex"}')
for conversation in (acme, globex, old):
    print("conversation", conversation.unique_name, "on", backend(conversation.sid))
print("listed", sorted(c.unique_name for c in api.conversations.list()))

# Import one conversation's history (what `twilio-acs migrate --conversation order-1001` does).
# From the moment it finishes, the router sends that conversation to ACS.
summary = HistoryImport(
    TwilioSource(twilio), router.core, ImportOptions(only=("order-1001",))
).run()
print("imported", summary.imported["messages"], "messages, ok", summary.ok)
print("conversation order-1001 on", backend("order-1001"))
imported = [(m.sid, m.index) for m in api.conversations("order-1001").messages.list()]
print("same SIDs and indices", imported == original)
live = api.conversations("order-1001").messages.create(author="alice", body="Now on ACS")
print("next message", live.index, "on", backend("order-1001"))

for conversation in (acme, globex, old):
    api.conversations(conversation.sid).delete()
twilio.conversations.v1.conversations(old.sid).delete()  # the Twilio original, after import

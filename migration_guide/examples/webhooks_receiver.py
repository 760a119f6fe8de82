"""Twilio webhooks from conversations on ACS, checked with twilio's own ``RequestValidator``.

The receiver below is what a Twilio app already runs. The shim signs its form posts with
``TWILIO_AUTH_TOKEN`` exactly as Twilio does, so the receiver's code does not change.
"""

import json
import os
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from azure.communication.chat import ChatClient, CommunicationTokenCredential
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from twilio_compat.rest import AcsHttpClient, Client, WireHandler
from twilio_compat.runtime import Runtime
from twilio_compat.settings import WebhookOptions
from twilio_compat.webhooks.service import start_event_services

validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
posted: queue.Queue[dict[str, str]] = queue.Queue()


class Receiver(BaseHTTPRequestHandler):
    """Your webhook endpoint: refuses unsigned requests; the pre-event one vetoes a word."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        url = f"http://{self.headers['Host']}{self.path}"
        if not validator.validate(url, form, self.headers.get("X-Twilio-Signature", "")):
            self.answer(403)
        elif self.path == "/pre":  # onMessageAdd: any non-2xx answer refuses the message
            self.answer(403 if "forbidden" in form.get("Body", "") else 200)
        else:
            posted.put(form)
            self.answer(200)

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

# The shim and its event services: webhooks signed with TWILIO_AUTH_TOKEN, fed by Event Grid
# when ACS_EVENTGRID_SECRET is set, else by polling ACS (what `twilio-acs serve` runs).
runtime = Runtime.open()  # the settings, the adapter they open and the core over it
handler = WireHandler(runtime.core, runtime=runtime)
# Webhooks go to public addresses only, unless allowed: this receiver is on 127.0.0.1.
events = start_event_services(handler.core, webhook_options=WebhookOptions(allow_private=True))
client = Client(
    os.environ["TWILIO_ACCOUNT_SID"],
    os.environ["TWILIO_AUTH_TOKEN"],
    http_client=AcsHttpClient(handler=handler),
)
api = client.conversations.v1

# Configure webhooks the Twilio way.
api.configuration.webhooks().update(
    pre_webhook_url=f"{base}/pre",
    post_webhook_url=f"{base}/post",
    filters=["onMessageAdd", "onMessageAdded"],
    method="POST",
)
conversation = api.conversations.create(friendly_name="Support")
api.conversations(conversation.sid).participants.create(identity="alice")
messages = api.conversations(conversation.sid).messages

# As on Twilio, REST writes fire webhooks only with X-Twilio-Webhook-Enabled: true.
messages.create(author="alice", body="no webhook for this one")
messages.create(author="alice", body="Hello", x_twilio_webhook_enabled="true")
hook = posted.get(timeout=30)
print("webhook", hook["EventType"], hook["Source"], hook["Body"], "signature valid")

try:
    messages.create(author="alice", body="a forbidden word", x_twilio_webhook_enabled="true")
except TwilioRestException as error:
    print("vetoed", error.status, error.code)

# A message from an ACS-native app (here the Azure SDK as alice's ACS user) reaches the same
# webhook through the event source, with Source=SDK and the sender as ClientIdentity.
adapter = runtime.adapter
thread_id = adapter.store.conversations.get(conversation.sid).thread_id
token = adapter.tokens.token_for(adapter.directory.acs_user_for("alice")).token
verify = str(adapter.ca_bundle) if adapter.ca_bundle else True  # the emulator's CA
native = ChatClient(adapter.endpoint, CommunicationTokenCredential(token), connection_verify=verify)
thread = native.get_chat_thread_client(thread_id, connection_verify=verify)
thread.send_message("Sent with the ACS SDK")
hook = posted.get(timeout=60)
print("webhook", hook["EventType"], hook["Source"], hook["ClientIdentity"], hook["Body"])
print("indices", json.dumps([m.index for m in messages.list()]))

api.conversations(conversation.sid).delete()
native.close()
events.close()
handler.close()
server.shutdown()

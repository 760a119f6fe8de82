"""Media: upload to the Media Content Service URL, send by ``media_sid``, download by URL.

Twilio code does this with a raw request to ``mcs.us1.twilio.com``; the shim answers that same
request, keeps the bytes in its media store (a folder, or Azure Blob Storage) and hands out
temporary URLs that expire like Twilio's.
"""

import json
import os
import urllib.request

from twilio_compat.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
conversation = client.conversations.v1.conversations.create(friendly_name="Photos")
service_sid = conversation.chat_service_sid

# Upload: the same request Twilio code sends to the Media Content Service.
upload = client.request(
    "POST",
    f"https://mcs.us1.twilio.com/v1/Services/{service_sid}/Media",
    data=b"\x89PNG\r\n\x1a\n fake image bytes",
    headers={"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="car.png"'},
)
media = json.loads(upload.text)
print("uploaded", media["sid"], media["content_type"], media["filename"], media["size"])

message = client.conversations.v1.conversations(conversation.sid).messages.create(
    author="alice", media_sid=media["sid"]
)
print("message media", [(m["sid"], m["filename"]) for m in message.media])

# Download: fetch the media resource for a fresh temporary URL, then GET it.
fetched = client.request(
    "GET", f"https://mcs.us1.twilio.com/v1/Services/{service_sid}/Media/{media['sid']}"
)
url = json.loads(fetched.text)["links"]["content_direct_temporary"]
with urllib.request.urlopen(url) as response:  # noqa: S310 (the URL comes from the shim)
    print("downloaded", len(response.read()), "bytes")

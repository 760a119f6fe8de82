"""After: the same token endpoint for front-ends ported to the Python client face.

Only the imports changed: ``twilio_compat.jwt`` signs the same Twilio-format JWT, and
``twilio_compat.conversations.Client`` accepts it when it is signed with the API key in
``TWILIO_API_KEY`` / ``TWILIO_API_SECRET`` (or with ``TWILIO_AUTH_TOKEN``).
"""

import os

from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant


def chat_token(identity: str) -> dict[str, str]:
    token = AccessToken(
        os.environ["TWILIO_ACCOUNT_SID"],
        os.environ.get("TWILIO_API_KEY", "SK" + "0" * 32),
        os.environ.get("TWILIO_API_SECRET", "a-local-api-key-secret-of-32-chars"),
        identity=identity,
        ttl=3600,
    )
    token.add_grant(ChatGrant(service_sid=os.environ.get("TWILIO_CHAT_SERVICE_SID")))
    return {"identity": identity, "token": token.to_jwt()}


if __name__ == "__main__":
    issued = chat_token("alice")
    print("twilio token for", issued["identity"], "with", issued["token"].count("."), "dots")

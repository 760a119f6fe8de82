"""After: the same endpoint for front-ends built on the ACS Chat SDKs.

A Twilio identity (any string) becomes an ACS user (``8:acs:...``) the first time it is seen;
the shim keeps the pair in its mapping store, so the REST face, the client face and this
endpoint all agree on who is who. The front-end needs the ACS endpoint, the user id and a
chat-scoped ACS token instead of a Twilio JWT.
"""

from azure.communication.chat import ChatClient, CommunicationTokenCredential

from acs_adapter import AcsAdapter


def chat_token(adapter: AcsAdapter, identity: str) -> dict[str, object]:
    acs_user_id = adapter.directory.acs_user_for(identity)
    token = adapter.tokens.token_for(acs_user_id)
    return {
        "identity": identity,
        "acsUserId": acs_user_id,
        "endpoint": adapter.endpoint,
        "token": token.token,
        "expiresOn": token.expires_on,
    }


if __name__ == "__main__":
    with AcsAdapter.open() as adapter:  # settings from ACS_CONNECTION_STRING & co.
        issued = chat_token(adapter, "alice")
        print("acs user for", issued["identity"], "is", issued["acsUserId"])
        print("same user again:", chat_token(adapter, "alice")["acsUserId"] == issued["acsUserId"])

        # What the front-end does with it, here with the Azure SDK for Python.
        verify = str(adapter.ca_bundle) if adapter.ca_bundle else True  # the emulator's CA
        chat = ChatClient(
            adapter.endpoint,
            CommunicationTokenCredential(str(issued["token"])),
            connection_verify=verify,
        )
        created = chat.create_chat_thread(topic="Hello from an ACS-native client")
        print("thread", created.chat_thread.topic)
        chat.close()

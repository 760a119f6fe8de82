"""The account's own ACS user: how the account itself acts in ACS."""

SERVICE_IDENTITY = "urn:twilio-compat:service-user"
"""The directory identity of the ACS user through which the account itself acts.

It creates every thread and is a member of each, but is never shown as a participant; user
identities equal to it are refused so it cannot be impersonated.
"""

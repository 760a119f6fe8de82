"""Twilio Conversations semantics over the ACS adapter, shared by the REST and client faces.

The core owns the mapping decisions (SIDs, indices, unique names, attributes, read horizons,
media) and speaks Twilio's errors (`core.errors.TwilioApiError`); it knows nothing of wire
formats, which each face renders from the records in `core.records`.
"""

from twilio_compat.core._core import Core

__all__ = ["Core"]

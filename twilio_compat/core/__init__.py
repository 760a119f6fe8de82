"""Twilio Conversations semantics over the ACS adapter, shared by the REST and client faces.

The core owns the mapping decisions (SIDs, indices, unique names, attributes, read horizons,
media) and speaks Twilio's errors (`core.errors.TwilioApiError`); it knows nothing of wire
formats, which each face renders from the records in `core.records`.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twilio_compat.core._core import Core


def __getattr__(name: str) -> object:
    # The core (and through it the adapter, SQLAlchemy and the Azure SDKs) loads on first use,
    # so importing a light module of this package (`core.offload`) stays light.
    if name == "Core":
        from twilio_compat.core._core import Core

        return Core
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Core"]

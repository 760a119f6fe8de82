"""The emulated Identity service (api-version 2023-10-01): users and their access tokens."""

from acs_emulator.identity.models import IdentityBackend

__all__ = ["IdentityBackend"]

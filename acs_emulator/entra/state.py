"""The tenant's lasting parts (ids, the app's secret, the signing key) kept in the emulator state,
so a restarted emulator with the same state file still accepts the tokens it issued before."""

from __future__ import annotations

import secrets
import uuid

from acs_emulator.db import Database
from acs_emulator.entra.keys import SigningKey
from acs_emulator.entra.models import FakeEntra, RegisteredApp
from acs_emulator.tokens import setting, store_setting


def _app(db: Database, prefix: str) -> RegisteredApp:
    return RegisteredApp(
        client_id=setting(db, f"{prefix}_client_id", str(uuid.uuid4())),
        client_secret=setting(db, f"{prefix}_client_secret", secrets.token_urlsafe(30)),
        object_id=setting(db, f"{prefix}_object_id", str(uuid.uuid4())),
        allowed_on_resource=True,
    )


def load_entra(db: Database, *, authority: str, ca_bundle: str) -> FakeEntra:
    """The tenant stored in `db`, created on first use."""
    stored_key = setting(db, "entra_signing_key", "")
    if stored_key:
        key = SigningKey.from_pem(stored_key)
    else:
        key = SigningKey.generate()
        store_setting(db, "entra_signing_key", key.to_pem())
    return FakeEntra(
        authority=authority,
        ca_bundle=ca_bundle,
        tenant_id=setting(db, "entra_tenant_id", str(uuid.uuid4())),
        app=_app(db, "entra_app"),
        managed_identity=_app(db, "entra_managed_identity"),
        signing_key=key,
        identity_header=setting(db, "entra_identity_header", secrets.token_urlsafe(24)),
    )

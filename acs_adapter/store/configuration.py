"""Configuration documents: JSON text under a scope key (account, service, webhook settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acs_adapter.store._keyed import KeyedText
from acs_adapter.store.schema import configuration


@dataclass(frozen=True, slots=True)
class ConfigurationDocument:
    """One configuration document."""

    key: str
    document: str
    updated_at: datetime


class ConfigurationRepository(KeyedText):
    """JSON configuration documents by key; `put` creates or replaces."""

    table = configuration
    change_kind = "configuration"
    key_name = "key"
    value_name = "document"
    value_is_json = True

    def get(self, key: str) -> ConfigurationDocument | None:
        """The document under `key`, if any."""
        row = self._get_row(key)
        return None if row is None else ConfigurationDocument(**row._mapping)

    def put(self, key: str, document: str) -> ConfigurationDocument:
        """Store `document` (JSON text) under `key`, replacing what was there."""
        return ConfigurationDocument(**self._put_row(key, document)._mapping)

    def delete(self, key: str) -> bool:
        """Remove the document under `key`; True if there was one."""
        return self._delete_row(key)

    def list(self, prefix: str | None = None) -> list[ConfigurationDocument]:
        """All documents (whose key starts with `prefix`, if given), by key."""
        return [ConfigurationDocument(**row._mapping) for row in self._rows(prefix)]

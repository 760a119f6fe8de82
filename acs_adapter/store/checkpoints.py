"""Checkpoints of long jobs (history imports), so a restarted job resumes where it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acs_adapter.store._keyed import KeyedText
from acs_adapter.store.schema import migration_checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A job's saved progress, as JSON text."""

    job: str
    state: str
    updated_at: datetime


class CheckpointRepository(KeyedText):
    """Job name -> JSON progress; `put` creates or replaces."""

    table = migration_checkpoints
    key_name = "job"
    value_name = "state"
    value_is_json = True

    def get(self, job: str) -> Checkpoint | None:
        """The saved progress of `job`, if any."""
        row = self._get_row(job)
        return None if row is None else Checkpoint(**row._mapping)

    def put(self, job: str, state: str) -> Checkpoint:
        """Save the progress of `job` (JSON text)."""
        return Checkpoint(**self._put_row(job, state)._mapping)

    def delete(self, job: str) -> bool:
        """Forget `job` (it finished); True if it had a checkpoint."""
        return self._delete_row(job)

    def list(self, prefix: str | None = None) -> list[Checkpoint]:
        """Every checkpoint (of jobs whose name starts with `prefix`, if given), by job name."""
        return [Checkpoint(**row._mapping) for row in self._rows(prefix)]

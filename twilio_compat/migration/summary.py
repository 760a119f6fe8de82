"""What a history import did: counts, skipped items and failures with reasons, as text or JSON."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

COUNTED = (
    "conversations",
    "participants",
    "roles",
    "users",
    "messages",
    "media",
)


@dataclass(frozen=True)
class Problem:
    """One item left out: its kind (``message``...), its SID and why."""

    kind: str
    sid: str
    reason: str


@dataclass
class ImportSummary:
    """Counters of one run; ``imported`` counts what this run wrote, ``already`` what it found."""

    mode: str
    dry_run: bool
    imported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    already: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    skipped: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self.imported[kind] += count

    def found(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self.already[kind] += count

    def skip(self, kind: str, sid: str, reason: str) -> None:
        with self._lock:
            self.skipped.append(Problem(kind, sid, reason))

    def fail(self, kind: str, sid: str, reason: str) -> None:
        with self._lock:
            self.failed.append(Problem(kind, sid, reason))

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "imported": dict(self.imported),
            "already_present": dict(self.already),
            "skipped": [asdict(p) for p in self.skipped],
            "failed": [asdict(p) for p in self.failed],
            "seconds": round(self.seconds, 3),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def to_text(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        lines = [f"History import ({self.mode}{', dry run' if self.dry_run else ''})"]
        for kind in COUNTED:
            lines.append(
                f"  {kind:<14}{verb} {self.imported[kind]:>8}   already present "
                f"{self.already[kind]:>8}"
            )
        rate = self.imported["messages"] / self.seconds if self.seconds > 0 else 0.0
        lines.append(f"  took {self.seconds:.1f} s ({rate:,.0f} messages/s)")
        for title, problems in (("skipped", self.skipped), ("failed", self.failed)):
            lines.append(f"  {title}: {len(problems)}")
            lines += [f"    {p.kind} {p.sid}: {p.reason}" for p in problems[:50]]
            if len(problems) > 50:
                lines.append(f"    ... and {len(problems) - 50} more (see the JSON summary)")
        return "\n".join(lines)

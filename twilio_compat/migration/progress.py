"""A rich progress display for history imports: conversations and messages, with rates."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second since the task started (Twilio lists have no totals to show)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.1f}/s", style="progress.data.speed")


class ImportProgress:
    """Context manager whose ``__call__(kind, count)`` is the importer's progress hook."""

    def __init__(self, console: Console | None = None, *, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<14}"),
            TextColumn("{task.completed:>10,.0f}"),
            RateColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
        )
        self._tasks = {
            kind: self._progress.add_task(kind, total=None)
            for kind in ("conversations", "messages")
        }

    def __call__(self, kind: str, count: int) -> None:
        task = self._tasks.get(kind)
        if task is not None and count:
            self._progress.advance(task, count)

    def __enter__(self) -> ImportProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

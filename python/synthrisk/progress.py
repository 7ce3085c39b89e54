"""Progress display for long work: rich on stderr, silent when disabled."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Self


class Progress:
    """Shows the current step of a long job on stderr; a no-op when ``enabled`` is false."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr is not None
        self._status = None

    def __enter__(self) -> Self:
        if self.enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status("starting")
            self._status.__enter__()
        return self

    def step(self, message: str) -> None:
        if self._status is not None:
            self._status.update(message)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.__exit__(kind, value, tb)

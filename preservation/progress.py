"""What a long piece of work tells whoever is watching (the command line draws it as a bar): the stage it is in
with that stage's total, how much is done, and what it is working on. Work that nobody watches is given
NO_PROGRESS."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told of a long piece of work as it goes."""

    def stage(self, description: str, total: float | None = None) -> None:
        """A stage begins, with its total (bytes or things), or None when it is not known."""

    def advance(self, amount: float = 1) -> None:
        """This much more of the stage is done."""

    def describe(self, description: str) -> None:
        """What the stage is working on now."""


class _NoProgress:
    """Progress nobody watches."""

    def stage(self, description: str, total: float | None = None) -> None:
        """Nothing."""

    def advance(self, amount: float = 1) -> None:
        """Nothing."""

    def describe(self, description: str) -> None:
        """Nothing."""


NO_PROGRESS: Progress = _NoProgress()

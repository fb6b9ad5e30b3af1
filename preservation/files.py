"""Writing a file whole or not at all: written under a hidden temporary name beside it, renamed into place only
once complete, removed if anything fails — a reader never finds half a file at the name asked for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def written_whole(target: Path, mode: str = "wb", **options: Any) -> Iterator[IO[Any]]:
    """A handle on ``target``'s temporary twin (``open``'s ``mode`` and ``options``); ``target`` appears when the
    block ends without an error."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open(mode, **options) as handle:
            yield handle
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

"""File names that need not be UTF-8: bytes for tools, printable text for messages.

A name with bytes that are not UTF-8 (``l\\xe9_harbour.png``) reaches us as a ``str`` with
surrogate escapes (``os.fsdecode``). Python's own ``open`` and ``subprocess`` take that, but C
libraries and tools given text do not (pybind11, libmediainfo, SQLite URIs, ExifTool's argument
file all want UTF-8): they get the name as bytes (``os.fsencode``) or an open file instead.
Messages and identification warnings show such bytes as ``\\xNN``, as PREMIS ``originalName`` does.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


def as_bytes(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    """The path as the bytes the file system holds (surrogate escapes undone)."""
    return os.fsencode(path)


def printable(text: str) -> str:
    """``text`` with bytes that were not UTF-8 shown as ``\\xNN``: always encodable as UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no undecodable byte stands for
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def decoded(output: bytes) -> str:
    """A tool's output as text: a file name in it reads as the ``str`` path it was given (surrogate escapes)."""
    return output.decode("utf-8", "surrogateescape")


class _Collector(logging.Handler):
    """Keeps the messages of the log records it is given."""

    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message, named by the library that logged it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a library's badly formatted record
            message = str(record.msg)
        self.into.append(f"{record.name.split('.')[0]}: {message}")


@contextmanager
def library_warnings(logger: str = "") -> Iterator[list[str]]:
    """Collect, not print, what libraries log (WARNING up) or warn in the block: ``pypdf: EOF marker not found``."""
    found: list[str] = []
    target = logging.getLogger(logger or None)
    saved = (target.handlers[:], target.propagate, target.level)
    target.handlers = [_Collector(found)]  # only here: nothing printed by a handler set up elsewhere
    target.propagate = False
    if target.getEffectiveLevel() > logging.WARNING:
        target.setLevel(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield found
        finally:
            target.handlers, target.propagate, target.level = saved
            found.extend(
                f"{w.category.__name__}: {w.message}"
                for w in caught
                if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
            )
            found[:] = dict.fromkeys(printable(message) for message in found)

"""Identify many files: walk the paths given, identify in parallel, yield results in order."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from formats.identify import Identifier
from preservation.errors import PreservationError
from preservation.model import FormatInfo
from preservation.parallel import worker_map


@dataclass(frozen=True)
class IdentifiedFile:
    """One file's identification, or why it could not be identified."""

    path: str
    size: int = 0
    modified: str = ""
    format: FormatInfo = field(default_factory=FormatInfo)
    error: str = ""


def walk(paths: Iterable[str]) -> Iterator[str]:
    """Every file under the paths given, in a stable order; links are yielded (and reported), not followed."""
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            for dirpath, dirnames, filenames in os.walk(path, onerror=None):
                dirnames.sort()
                kept = []
                for name in dirnames:
                    full = os.path.join(dirpath, name)
                    if os.path.islink(full):
                        yield full
                    else:
                        kept.append(name)
                dirnames[:] = kept
                for name in sorted(filenames):
                    yield os.path.join(dirpath, name)
        else:
            yield path


def identify_file(identifier: Identifier, path: str) -> IdentifiedFile:
    """Identify one path; problems (missing, unreadable, not a regular file) become the result's error."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return IdentifiedFile(path, error=f"cannot be examined ({exc.strerror})")
    modified = datetime.fromtimestamp(info.st_mtime, UTC).isoformat()
    if stat.S_ISLNK(info.st_mode):
        return IdentifiedFile(path, 0, modified, error=f"symbolic link to {os.readlink(path)}; not followed")
    if not stat.S_ISREG(info.st_mode):
        return IdentifiedFile(path, 0, modified, error="not a regular file")
    try:
        with open(path, "rb"):
            pass
        fmt = identifier.identify(path)
    except OSError as exc:
        return IdentifiedFile(path, info.st_size, modified, error=f"cannot be read ({exc.strerror})")
    except PreservationError as exc:
        return IdentifiedFile(path, info.st_size, modified, error=exc.message)
    return IdentifiedFile(path, info.st_size, modified, fmt)


def identify_paths(paths: Iterable[str], workers: int, signatures: Path | None = None) -> Iterator[IdentifiedFile]:
    """Identify every file under ``paths`` on ``workers`` processes, yielding results in walk order."""
    return worker_map(Identifier, signatures, identify_file, walk(paths), workers, batch_size=32)

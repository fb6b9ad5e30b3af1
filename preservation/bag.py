"""The AIP as a BagIt 1.0 bag (RFC 8493): tag files written from digests already computed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ALGORITHMS = ("sha256", "sha512")


@dataclass(frozen=True)
class BagEntry:
    """A file in the bag with its digests (path relative to the bag root, '/'-separated)."""

    path: str
    size: int
    sha256: str
    sha512: str


def encode_path(path: str) -> str:
    """A path as a manifest line holds it: ``%``, CR and LF percent-encoded (RFC 8493 §2.1.3).

    bagit-python reads ``%25`` literally (its issue 157), so it cannot validate a bag with ``%`` in
    a file name; ``preserve bag validate`` can. See docs/architecture.md.
    """
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def decode_path(path: str) -> str:
    """The inverse of ``encode_path``."""
    return re.sub(r"%(0[dD]|0[aA]|25)", lambda m: {"0d": "\r", "0a": "\n", "25": "%"}[m.group(1).lower()], path)


def bag_info_text(fields: Iterable[tuple[str, str]]) -> str:
    """``bag-info.txt`` content; line breaks inside values become spaces."""
    lines = []
    for label, value in fields:
        clean = " ".join(str(value).split())
        lines.append(f"{label}: {clean}\n")
    return "".join(lines)


def write_tag_files(
    bag_dir: Path, payload: Callable[[], Iterable[BagEntry]], info: list[tuple[str, str]]
) -> list[BagEntry]:
    """Write bagit.txt, bag-info.txt (with Payload-Oxum), manifests and tag manifests into ``bag_dir``.

    ``payload()`` yields every file under ``data/``; it is called once per manifest plus once for
    the Payload-Oxum. Returns the tag files with their digests, tag manifests last.
    """
    bag_dir.mkdir(parents=True, exist_ok=True)
    total = count = 0
    for entry in payload():
        total += entry.size
        count += 1
    tags: list[BagEntry] = []
    with _TagFile(bag_dir, "bagit.txt", tags) as out:
        out.write(BAGIT_TXT)
    with _TagFile(bag_dir, "bag-info.txt", tags) as out:
        out.write(bag_info_text([*info, ("Payload-Oxum", f"{total}.{count}")]))
    for algorithm in ALGORITHMS:
        with _TagFile(bag_dir, f"manifest-{algorithm}.txt", tags) as out:
            for entry in payload():
                out.write(f"{getattr(entry, algorithm)}  {encode_path(entry.path)}\n")
    manifested = list(tags)
    for algorithm in ALGORITHMS:
        with _TagFile(bag_dir, f"tagmanifest-{algorithm}.txt", tags) as out:
            for tag in manifested:
                out.write(f"{getattr(tag, algorithm)}  {tag.path}\n")
    return tags


class _TagFile:
    """A UTF-8 tag file that hashes what is written to it; on close it appends its BagEntry to ``done``."""

    def __init__(self, bag_dir: Path, name: str, done: list[BagEntry]) -> None:
        self.name = name
        self.done = done
        self.handle = (bag_dir / name).open("wb")
        self.hashes = [hashlib.new(a) for a in ALGORITHMS]
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.handle.write(data)
        for h in self.hashes:
            h.update(data)
        self.size += len(data)

    def __enter__(self) -> _TagFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        self.handle.close()
        if exc_type is None:
            sha256, sha512 = (h.hexdigest() for h in self.hashes)
            self.done.append(BagEntry(self.name, self.size, sha256, sha512))

"""Bags written the way other tools write them: by bagit-python itself, or byte for byte as bagit-java
and the BagIt 0.93-0.97 drafts lay them out (two spaces between checksum and path, LF endings)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import bagit

logging.getLogger("bagit").setLevel(logging.ERROR)


def put_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative path -> bytes) under ``folder``."""
    for relative, data in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)


def bagit_python_bag(
    folder: Path,
    files: dict[str, bytes],
    checksums: tuple[str, ...] = ("sha256",),
    encoding: str = "utf-8",
    info: dict[str, str] | None = None,
) -> Path:
    """A bag made by bagit-python's ``make_bag`` (BagIt 0.97), manifests in ``encoding``.

    With an encoding other than UTF-8, make_bag writes every file and then fails to re-open its own
    bag (its bagit.txt still declares UTF-8): the bag is left as written, which ``declare`` completes.
    """
    folder.mkdir(parents=True)
    put_files(folder, files)
    try:
        bagit.make_bag(str(folder), bag_info=dict(info or {}), checksums=list(checksums), encoding=encoding)
    except UnicodeDecodeError:
        if encoding.lower().replace("-", "") == "utf8":
            raise
    return folder


def declare(
    bag: Path,
    version: str,
    encoding: str,
    info: list[tuple[str, str]] | None = None,
    algorithms: tuple[str, ...] = ("sha256",),
) -> None:
    """Rewrite bagit.txt (UTF-8) declaring ``encoding``, bag-info.txt in it (if given), and the tag manifests.

    bagit-python's ``make_bag(encoding=…)`` writes the manifests in that encoding but still declares
    UTF-8 and writes bag-info.txt in UTF-8; this makes such a bag what it means to be.
    """
    (bag / "bagit.txt").write_bytes(f"BagIt-Version: {version}\nTag-File-Character-Encoding: {encoding}\n".encode())
    if info is not None:
        (bag / "bag-info.txt").write_bytes(info_text(info).encode(encoding))
    write_tag_manifests(bag, algorithms, encoding)


def info_text(info: list[tuple[str, str]]) -> str:
    """bag-info.txt lines as every writer makes them."""
    return "".join(f"{label}: {value}\n" for label, value in info)


def digest(algorithm: str, data: bytes) -> str:
    """Hex digest of ``data``."""
    return hashlib.new(algorithm, data).hexdigest()


def encode_name(path: str, version: str) -> str:
    """A path as a manifest of ``version`` writes it: 0.97 and 1.0 percent-encode '%', CR and LF."""
    if version not in ("0.97", "1.0"):
        return path
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_manifest(bag: Path, name: str, lines: list[tuple[str, str]], encoding: str) -> None:
    """A manifest of (checksum, path as written) lines, in ``encoding``."""
    (bag / name).write_bytes("".join(f"{checksum}  {path}\n" for checksum, path in lines).encode(encoding))


def write_tag_manifests(bag: Path, algorithms: tuple[str, ...], encoding: str) -> None:
    """tagmanifest-<alg>.txt listing every top-level tag file (not the tag manifests themselves)."""
    for old in bag.glob("tagmanifest-*.txt"):
        old.unlink()
    tags = sorted(p.name for p in bag.iterdir() if p.is_file())
    for algorithm in algorithms:
        lines = [(digest(algorithm, (bag / name).read_bytes()), name) for name in tags]
        write_manifest(bag, f"tagmanifest-{algorithm}.txt", lines, encoding)


def hand_bag(
    folder: Path,
    version: str,
    files: dict[str, bytes],
    encoding: str = "UTF-8",
    info: list[tuple[str, str]] | None = None,
    algorithms: tuple[str, ...] = ("md5",),
    tag_manifest: bool = True,
    prefix: str = "",
) -> Path:
    """A bag written byte for byte as a BagIt ``version`` writer lays it out.

    0.93-0.95 keep their metadata in package-info.txt, 0.96 on in bag-info.txt (with Payload-Oxum);
    bagit.txt is in UTF-8, every other tag file in ``encoding``; ``prefix`` (e.g. './') is written
    before every manifest path.
    """
    put_files(folder / "data", files)
    (folder / "bagit.txt").write_bytes(f"BagIt-Version: {version}\nTag-File-Character-Encoding: {encoding}\n".encode())
    fields = list(info if info is not None else [("Source-Organization", "Test Archive")])
    if version in ("0.93", "0.94", "0.95"):
        (folder / "package-info.txt").write_bytes(info_text(fields).encode(encoding))
    else:
        oxum = f"{sum(len(d) for d in files.values())}.{len(files)}"
        (folder / "bag-info.txt").write_bytes(info_text([*fields, ("Payload-Oxum", oxum)]).encode(encoding))
    for algorithm in algorithms:
        lines = [
            (digest(algorithm, data), prefix + encode_name(f"data/{path}", version))
            for path, data in sorted(files.items())
        ]
        write_manifest(folder, f"manifest-{algorithm}.txt", lines, encoding)
    if tag_manifest:
        write_tag_manifests(folder, algorithms, encoding)
    return folder


def bagit_python_accepts(bag: Path) -> bool:
    """What bagit-python's full validation says of the bag."""
    return bagit.Bag(str(bag)).is_valid()

"""Validation and characterisation: is a file intact, and what are its significant properties?

Each validator returns a Validation: a verdict (see ``formats.verdicts``: valid, valid with
warnings, well-formed, invalid, not checked, failed) with messages, the tool and its version, and
characteristics worth keeping (dimensions, page count, duration, encoding, the PDF/A conformance a
file claims). Messages name the file as the caller names it (its path in the AIP), never by its
path on disk. Validators run in an isolated child process with a time limit
(see ``formats.isolation``); a hang or crash is a failed validation, never a failed ingest.
A file's name never matters: validators open files and pass them to tools by their bytes
(``formats.names``), so a name that is not UTF-8 gets the same verdict as any other; what a
library logs while it validates a file becomes one of that file's messages, never stray output.
"""

from __future__ import annotations

import bz2
import codecs
import dataclasses
import functools
import gzip
import json
import lzma
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tarfile
import warnings
import wave
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lxml import etree

from formats.isolation import CallCrashed, CallTimedOut, IsolatedFunction, die_with_parent
from formats.names import as_bytes, library_warnings, printable
from formats.office_validation import validate_ole2, validate_zip
from formats.pdf_validation import CREATING_APPLICATION, validate_pdf
from formats.verdicts import (
    ENCRYPTED,
    FAILED,
    INVALID,
    NOT_CHECKED,
    TOO_LARGE,
    TOOL_MISSING,
    VALID,
    VALID_WITH_WARNINGS,
    VERDICTS,
    WELL_FORMED,
    capped,
    scrub,
)
from preservation.model import FormatInfo, Validation

__all__ = [
    "CREATING_APPLICATION",
    "ENCRYPTED",
    "FAILED",
    "INVALID",
    "NOT_CHECKED",
    "TOO_LARGE",
    "TOOL_MISSING",
    "VALID",
    "VALID_WITH_WARNINGS",
    "VERDICTS",
    "WELL_FORMED",
    "Validation",
    "Validator",
    "family_of",
    "run_validator",
    "validate_ole2",
    "validate_pdf",
    "validate_zip",
]
DEFAULT_TIMEOUT = 60.0
# validators that read a whole file into memory (json.load, an lxml tree): larger files are not checked
DEFAULT_MAX_BYTES = {"json": 1 << 30, "xml": 1 << 30}
CHUNK = 1024 * 1024


# formats whose PRONOM record gives no MIME type (or a vague one), by PUID
FAMILY_BY_PUID = {
    "fmt/566": "image",
    "fmt/567": "image",
    "fmt/568": "image",  # WebP
    "fmt/408": "image",
    "x-fmt/178": "image",
    "x-fmt/164": "image",  # PPM, PGM, PBM
    "fmt/402": "image",
    "x-fmt/367": "image",  # TGA
    "fmt/414": "wave",
    "x-fmt/135": "wave",
    "x-fmt/136": "wave",  # AIFF, AIFF-C
    "x-fmt/266": "compressed",
    "x-fmt/268": "compressed",
    "fmt/1098": "compressed",  # gzip, bzip2, xz
    "x-fmt/265": "tar",
    "fmt/729": "sqlite",
    "fmt/569": "media",
    "fmt/199": "media",  # Matroska, MPEG-4
    "fmt/111": "ole2",
    "fmt/39": "ole2",
    "fmt/40": "ole2",
    "fmt/61": "ole2",
    "fmt/62": "ole2",
    "fmt/125": "ole2",
    "fmt/126": "ole2",
    "fmt/494": "ole2",  # fmt/494: an encrypted Office document (OOXML in OLE2)
    "fmt/754": "ole2",  # Word 97-2003, password protected
}


def family_of(fmt: FormatInfo) -> str:
    """Which validator applies to an identified file ('' when none does)."""
    if fmt.puid in FAMILY_BY_PUID:
        return FAMILY_BY_PUID[fmt.puid]
    mime = fmt.mime_type.split(";")[0].strip().lower()
    if mime == "application/pdf":
        return "pdf"
    if mime in ("image/svg+xml",) or mime.endswith("+xml") or mime in ("text/xml", "application/xml"):
        return "xml"
    if mime.startswith("image/"):
        return "image"
    if mime in ("audio/x-wav", "audio/wav", "audio/x-aiff", "audio/aiff"):
        return "wave"
    if mime.startswith(("audio/", "video/")) or mime in ("application/ogg", "application/mxf", "application/mp4"):
        return "media"
    if mime == "application/json":
        return "json"
    if mime in ("text/plain", "text/csv", "text/markdown", "text/html"):
        return "text"
    if mime in ("application/zip",) or mime.startswith(
        ("application/vnd.openxmlformats", "application/vnd.oasis.opendocument")
    ):
        return "zip"
    return ""


def _version(module: str) -> str:
    try:
        return metadata.version(module)
    except Exception:  # noqa: BLE001 - a version we cannot read is not worth failing for
        return "?"


def validate_image(path: str) -> Validation:
    """A full decode with Pillow (``verify()`` alone misses truncated JPEG and GIF); size and mode."""
    from PIL import Image  # imported here: ~9 ms at start-up, and only images need it  # noqa: PLC0415

    tool = f"Pillow {_version('Pillow')}"
    try:
        with Image.open(as_bytes(path)) as image:
            traits: tuple[tuple[str, str], ...] = (
                ("format", image.format or ""),
                ("width", str(image.width)),
                ("height", str(image.height)),
                ("colour mode", image.mode),
            )
            tags = image.getexif()
            if tags.get(0x0112) not in (None, 1):  # turned or mirrored on display: how (viewers need it)
                traits += (("orientation", str(tags.get(0x0112))),)
            software = str(tags.get(0x0131, "") or image.info.get("Software", "")).strip()
            if software:
                traits += ((CREATING_APPLICATION, software),)
            image.load()
            frames = getattr(image, "n_frames", 1)
            for index in range(1, frames):
                image.seek(index)
                image.load()
    except Image.DecompressionBombError as exc:
        return Validation(
            NOT_CHECKED, "image", tool, (f"{TOO_LARGE}: not decoded, a possible decompression bomb: {exc}",)
        )
    except Image.UnidentifiedImageError:  # its message would name the file as Python bytes
        return Validation(INVALID, "image", tool, ("Pillow cannot read it as an image: its header is damaged",))
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        return Validation(INVALID, "image", tool, (str(exc) or type(exc).__name__,))
    traits += (("frames", str(frames)),) if frames > 1 else ()
    exif = _exiftool()
    if exif is None:
        return Validation(VALID, "image", tool, (), traits)
    warnings = exif.validate(path)
    return Validation(
        _exiftool_verdict(warnings),
        "image",
        f"{tool}; ExifTool {exif.version}",
        tuple(f"ExifTool: {w}" for w in warnings),
        traits,
    )


def _exiftool_verdict(warnings: list[str]) -> str:
    """Invalid for damage ExifTool reports (corrupt, truncated), with warnings for other non-minor warnings."""
    major = [w for w in warnings if not w.startswith("[minor]")]
    if any(_SERIOUS.search(w) for w in major):
        return INVALID
    return VALID_WITH_WARNINGS if major else VALID


def validate_xml(path: str) -> Validation:
    """Well-formedness with libxml2 (lxml): no network, no DTD loading, entities never expanded."""
    tool = f"lxml {etree.__version__} (libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))})"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        with open(as_bytes(path), "rb") as handle:
            tree = etree.parse(handle, parser, base_url=printable(path))
    except etree.XMLSyntaxError as exc:  # libxml2 names only the base name: the path is put back, for scrub()
        return Validation(INVALID, "xml", tool, (f"{exc.msg} ({path}, line {exc.lineno})",))
    docinfo = tree.docinfo
    traits = (
        ("root element", tree.getroot().tag),
        ("encoding", docinfo.encoding or ""),
        ("xml version", docinfo.xml_version or ""),
    )
    notes = ("has a DOCTYPE; entities were not expanded",) if docinfo.doctype else ()
    return Validation(WELL_FORMED, "xml", tool, notes, traits)


def validate_json(path: str) -> Validation:
    """Well-formed JSON (the standard library's parser)."""
    tool = f"Python json {_python_version()}"
    try:
        with open(as_bytes(path), "rb") as handle:
            json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        return Validation(INVALID, "json", tool, (str(exc),))
    return Validation(WELL_FORMED, "json", tool, (), (("encoding", "UTF-8"),))


def validate_text(path: str) -> Validation:
    """Text that decodes: UTF-8 if it can be, else the encoding libmagic names; NUL bytes are invalid."""
    tool = f"Python codecs {_python_version()}"
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with open(as_bytes(path), "rb") as handle:
        head = handle.read(CHUNK)
        chunk = head
        while chunk:
            if b"\x00" in chunk and not _utf16(head):
                return Validation(INVALID, "text", tool, ("contains NUL bytes: binary data, not text",))
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            chunk = handle.read(CHUNK)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return Validation(
                INVALID, "text", tool, ("UTF-8 text ends in the middle of a character",), (("encoding", "UTF-8"),)
            )
        return Validation(VALID, "text", tool, (), (("encoding", "UTF-8"),))
    encoding = _guess_encoding(head)
    return Validation(WELL_FORMED, "text", tool, (f"not UTF-8: decodes as {encoding}",), (("encoding", encoding),))


def _utf16(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _guess_encoding(head: bytes) -> str:
    try:
        import magic  # imported here: raises ImportError where the libmagic library is missing  # noqa: PLC0415

        return magic.Magic(mime_encoding=True).from_buffer(head)
    except (ImportError, OSError):
        return "unknown (not UTF-8)"


def validate_wave(path: str) -> Validation:
    """WAV and AIFF headers against the sample data actually present (a truncated file is invalid)."""
    tool = f"Python wave/aifc {_python_version()}"
    try:
        with open(as_bytes(path), "rb") as handle:
            magic_bytes = handle.read(12)
            handle.seek(0)
            if magic_bytes.startswith(b"FORM"):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        import aifc  # imported here: deprecated (warns on import), gone in Python 3.13; AIFF only  # noqa: PLC0415
                except ImportError:  # a Python without aifc: the file is kept, its check said not made
                    return Validation(NOT_CHECKED, "wave", tool, (f"{TOOL_MISSING}: this Python has no aifc module",))
                opener: Callable[[IO[bytes], str], Any] = aifc.open
            else:
                opener = wave.open
            with opener(handle, "rb") as audio:
                channels, width, rate, frames = (
                    audio.getnchannels(),
                    audio.getsampwidth(),
                    audio.getframerate(),
                    audio.getnframes(),
                )
                data = audio.readframes(frames)
    except (EOFError, OSError, wave.Error, ValueError) as exc:
        return Validation(INVALID, "wave", tool, (str(exc) or type(exc).__name__,))
    traits = (
        ("channels", str(channels)),
        ("sample rate", str(rate)),
        ("bits per sample", str(8 * width)),
        ("duration seconds", f"{frames / rate:.3f}" if rate else "0"),
    )
    expected = frames * channels * width
    if len(data) < expected:
        return Validation(INVALID, "wave", tool, (f"truncated: {len(data)} of {expected} bytes of samples",), traits)
    return Validation(VALID, "wave", tool, (), traits)


def validate_compressed(path: str) -> Validation:
    """gzip, bzip2 or xz: the whole stream decompresses (streamed; nothing is kept)."""
    tool = f"Python gzip/bz2/lzma {_python_version()}"
    total = 0
    with open(as_bytes(path), "rb") as handle:
        magic_bytes = handle.read(6)
        handle.seek(0)
        opener = (
            gzip.open
            if magic_bytes.startswith(b"\x1f\x8b")
            else bz2.open
            if magic_bytes.startswith(b"BZh")
            else lzma.open
        )
        try:
            with opener(handle, "rb") as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            return Validation(INVALID, "compressed", tool, (str(exc) or type(exc).__name__,))
    return Validation(VALID, "compressed", tool, (), (("uncompressed bytes", str(total)),))


def validate_tar(path: str) -> Validation:
    """A tar archive whose headers all read (members are not extracted)."""
    tool = f"Python tarfile {_python_version()}"
    try:
        with open(as_bytes(path), "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            with tarfile.open(fileobj=handle, mode="r:") as archive:
                members = list(archive)
                end = archive.offset
            handle.seek(end)
            marker = handle.read(1024)
    except (tarfile.TarError, OSError, EOFError) as exc:
        return Validation(INVALID, "tar", tool, (str(exc),))
    short = [m.name for m in members if m.isfile() and m.offset_data + m.size > size]
    if short:
        return Validation(INVALID, "tar", tool, (f"truncated: member {short[0]!r} runs past the end of the file",))
    if marker != b"\0" * 1024:
        return Validation(INVALID, "tar", tool, ("no end-of-archive marker: the archive is truncated",))
    return Validation(VALID, "tar", tool, (), (("members", str(len(members))),))


def validate_sqlite(path: str) -> Validation:
    """SQLite's own integrity check, opened read-only."""
    tool = f"SQLite {sqlite3.sqlite_version}"
    try:
        connection = sqlite3.connect(f"file:{quote(as_bytes(path))}?mode=ro&immutable=1", uri=True)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return Validation(INVALID, "sqlite", tool, (str(exc),))
    if result != ["ok"]:
        return Validation(INVALID, "sqlite", tool, tuple(result[:20]))
    return Validation(VALID, "sqlite", tool, (), (("tables", str(tables)),))


EXIFTOOL_CONFIG = Path(__file__).with_name("exiftool.config")  # PNG CRCs by zlib: see the file
_SERIOUS = re.compile(r"error|corrupt|truncat|bad ", re.IGNORECASE)  # ExifTool's "[minor]" notes never are


class _ExifTool:
    """One ExifTool kept running (``-stay_open``): 4 ms a file instead of 80 for a new process."""

    def __init__(self, executable: str) -> None:
        self.process = subprocess.Popen(
            [executable, *_config_arguments(), "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self.version = self._run(["-ver"]).strip()

    def _run(self, arguments: list[str | bytes]) -> str:
        """One command: arguments one a line (a file name as its bytes), answered up to ``{ready}``."""
        stdin, stdout = self._pipes()
        lines = [argument if isinstance(argument, bytes) else argument.encode("utf-8") for argument in arguments]
        stdin.write(b"\n".join([*lines, b"-execute\n"]))
        stdin.flush()
        lines = []
        while (line := stdout.readline()) and line.strip() != b"{ready}":
            lines.append(line)
        return b"".join(lines).decode("utf-8", "replace")

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """ExifTool's standard input and output."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None  # the process was started with both as pipes
        return stdin, stdout

    def close(self) -> None:
        """Ask ExifTool to stop, and make sure it has."""
        stdin, _ = self._pipes()
        try:
            stdin.write(b"-stay_open\nFalse\n")
            stdin.close()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()

    def validate(self, path: str) -> list[str]:
        """ExifTool's -validate warnings for a file ([] when it finds nothing to say)."""
        name = as_bytes(path)  # ExifTool takes file names as bytes on POSIX: any name, not only UTF-8
        if b"\n" in name or b"\r" in name:
            return []
        output = self._run(["-charset", "filename=utf8", "-validate", "-warning", "-a", "-j", name])
        try:
            found = json.loads(output)[0]
        except (ValueError, IndexError):
            return []
        warnings = found.get("Warning", [])
        return [warnings] if isinstance(warnings, str) else [str(w) for w in warnings]


def _config_arguments() -> list[str]:
    """ExifTool's -config with preserve's file (which must come first); none if the file is missing."""
    return ["-config", str(EXIFTOOL_CONFIG)] if EXIFTOOL_CONFIG.is_file() else []


@functools.cache
def _exiftool() -> _ExifTool | None:
    executable = shutil.which("exiftool")
    return _ExifTool(executable) if executable else None


def validate_media(path: str) -> Validation:
    """Audio and video with MediaInfo: container and codecs, duration, and its truncation flag."""
    try:
        from pymediainfo import MediaInfo  # imported here: its absence is a verdict (tool missing), not an error  # noqa: PLC0415
    except ImportError:
        return Validation(NOT_CHECKED, "media", "", (f"{TOOL_MISSING}: pymediainfo is not installed",))
    if not MediaInfo.can_parse():
        return Validation(
            NOT_CHECKED, "media", "", (f"{TOOL_MISSING}: MediaInfo (Debian package libmediainfo0v5) is not installed",)
        )
    tool = f"MediaInfo via pymediainfo {_version('pymediainfo')}"
    with open(as_bytes(path), "rb") as handle:  # libmediainfo takes names as wide text, not bytes
        info = MediaInfo.parse(handle)
    if not info.general_tracks:
        return Validation(INVALID, "media", tool, ("MediaInfo found no media in the file",))
    general = info.general_tracks[0].to_data()
    found = [
        ("container", str(general.get("format", ""))),
        ("duration seconds", f"{int(general['duration']) / 1000:.3f}" if general.get("duration") else ""),
    ]
    for track in info.tracks[1:]:
        data = track.to_data()
        if track.track_type == "Video":
            found.append(("video", f"{data.get('format', '')} {data.get('width', '?')}x{data.get('height', '?')}"))
        elif track.track_type == "Audio":
            found.append(
                (
                    "audio",
                    f"{data.get('format', '')} {data.get('channel_s', '?')} ch {data.get('sampling_rate', '?')} Hz",
                )
            )
    traits = tuple((key, value) for key, value in found if value)
    if str(general.get("istruncated", "")).lower() == "yes":
        return Validation(INVALID, "media", tool, ("truncated (MediaInfo: IsTruncated)",), traits)
    if len(info.tracks) < 2:
        return Validation(INVALID, "media", tool, ("no audio or video track found",), traits)
    return Validation(VALID, "media", tool, (), traits)


def _python_version() -> str:
    return platform.python_version()


VALIDATORS: dict[str, Callable[[str], Validation]] = {
    "pdf": validate_pdf,
    "image": validate_image,
    "zip": validate_zip,
    "xml": validate_xml,
    "json": validate_json,
    "text": validate_text,
    "wave": validate_wave,
    "compressed": validate_compressed,
    "tar": validate_tar,
    "sqlite": validate_sqlite,
    "ole2": validate_ole2,
    "media": validate_media,
}


def run_validator(family: str, path: str) -> Validation:
    """Run the validator of ``family`` on ``path`` (in whatever process calls it); what libraries log is kept."""
    with library_warnings() as logged:
        result = VALIDATORS[family](path)
    if not logged:
        return result
    status = VALID_WITH_WARNINGS if result.status == VALID else result.status
    return dataclasses.replace(result, status=status, messages=capped([*result.messages, *logged]))


def stop_helpers() -> None:
    """Stop helper processes a validator started (ExifTool); called as the validating process ends."""
    if _exiftool.cache_info().currsize:
        tool = _exiftool()
        if tool is not None:
            tool.close()
        _exiftool.cache_clear()


class Validator:
    """Validates identified files, each call in an isolated child process with a time limit.

    ``max_bytes`` maps a family to the largest file its validator is given (larger ones are not
    checked: too large); the default limits only the validators that hold a whole file in memory.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, max_bytes: dict[str, int] | None = None):
        self.timeout = timeout
        self.max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        self._isolated = IsolatedFunction(run_validator, timeout, on_exit=stop_helpers)

    def validate(self, path: str | os.PathLike[str], fmt: FormatInfo, name: str = "") -> Validation:
        """Validate one file whose format is known; never raises for a bad file.

        ``name`` is how messages name the file (its path in the AIP, e.g. ``objects/letters/a.pdf``);
        by default its file name. The path on disk never appears in a message."""
        path = os.fspath(path)
        result = self._validate(path, fmt)
        label = printable(name or os.path.basename(path))
        messages = tuple(printable(scrub(message, path, label)) for message in result.messages)
        return result if messages == result.messages else dataclasses.replace(result, messages=messages)

    def _validate(self, path: str, fmt: FormatInfo) -> Validation:
        family = family_of(fmt)
        if not family or family not in VALIDATORS:
            return Validation(NOT_CHECKED, "", "", ("no validator for this format",))
        limit = self.max_bytes.get(family)
        size = os.path.getsize(path)
        if limit is not None and size > limit:
            return Validation(
                NOT_CHECKED, family, "", (f"{TOO_LARGE}: {size} bytes; the {family} validator takes at most {limit}",)
            )
        try:
            result: Validation = self._isolated(family, path)
            return result
        except CallTimedOut as exc:
            return Validation(FAILED, family, "", (f"validation stopped: {exc}",))
        except CallCrashed as exc:
            return Validation(FAILED, family, "", (str(exc),))
        except RuntimeError as exc:
            if "out of memory" in str(exc):
                return Validation(NOT_CHECKED, family, "", (f"{TOO_LARGE}: the validator {exc}",))
            return Validation(FAILED, family, "", (f"the validator failed: {exc}",))

    def close(self) -> None:
        """Stop the child process."""
        self._isolated.close()

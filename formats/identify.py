"""PRONOM format identification: one Identifier per process, over the archive's signature set.

The default signature set is FIDO's (opf-fido ships PRONOM signatures); an archive can make a
newer DROID signature set active with `preserve formats import-droid`.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from functools import cache
from importlib import metadata
from pathlib import Path

from formats import text
from formats.engine import CONTAINER, EXTENSION, NONE, SIGNATURE, TEXT, Match, Matcher
from formats.names import printable
from formats.signatures import Format, SignatureSet, from_fido, with_local_signatures
from preservation import software_version
from preservation.errors import FormatError
from preservation.model import FormatInfo

__all__ = ["CONTAINER", "EXTENSION", "NONE", "SIGNATURE", "TEXT", "Identifier", "identifier_description"]

TOOL = "preserve-pronom"


@cache
def _fido_conf() -> Path:
    try:
        import fido  # imported here: a missing opf-fido becomes a FormatError with its remedy  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - opf-fido is a core dependency
        raise FormatError("FIDO's signature data (opf-fido) is not installed", hint="pip install opf-fido") from exc
    return Path(fido.__file__).parent / "conf"


def load_signatures(path: Path | None = None) -> SignatureSet:
    """The signature set at ``path``, or FIDO's when none is given (compiled as shipped, when it was shipped for
    the opf-fido installed: parsing FIDO's XML costs every worker process ~0.1 s)."""
    if path is not None:
        return SignatureSet.load(path)
    shipped = builtin_compiled()
    return SignatureSet.load(shipped) if shipped.is_file() else from_fido(_fido_conf())


def builtin_compiled() -> Path:
    """Where FIDO's signature set, compiled from the installed opf-fido's data, is shipped.

    Written by ``python -m formats.identify`` for the opf-fido the lock pins; a test checks it equals what
    compiling FIDO's data gives. Another opf-fido version finds no file here and FIDO's XML is parsed."""
    return Path(__file__).with_name(f"fido-{_fido_version()}-signatures.json.gz")


@cache
def _fido_version() -> str:
    try:
        return metadata.version("opf-fido")
    except metadata.PackageNotFoundError:  # pragma: no cover - opf-fido is a core dependency
        return "missing"


class Identifier:
    """Identifies files against a signature set; build once per process (it compiles the set)."""

    def __init__(self, signatures: Path | SignatureSet | None = None) -> None:
        loaded = signatures if isinstance(signatures, SignatureSet) else load_signatures(signatures)
        self.signatures = with_local_signatures(loaded)  # what PRONOM lacks: see formats.signatures
        self.matcher = Matcher(self.signatures)
        self.tool_name = TOOL
        self.tool_version = _software_version()
        self.signature_version = self.signatures.version

    @property
    def tool_label(self) -> str:
        """Tool name, version and signature version, for events and reports."""
        return f"{self.tool_name} {self.tool_version} ({self.signature_version})"

    def identify(self, path: Path | str) -> FormatInfo:
        """Identify one file by its bytes (its name only for the extension); an extension-only match is said so."""
        name = os.fspath(path)
        try:
            match = self.matcher.identify_file(name)
        except OSError as exc:
            raise FormatError(f"{printable(name)}: cannot be read for identification ({exc.strerror})") from None
        if match.basis in (EXTENSION, NONE):
            match = self._as_text(match, name)
        if not match.formats:
            return FormatInfo(basis=NONE, warning="no PRONOM signature matched", tool=self.tool_label)
        best = match.formats[0]
        warnings = []
        if match.basis == EXTENSION:
            warnings.append("matched on file extension only; not an identification")
        else:
            ext = os.path.splitext(name)[1].lower().lstrip(".")
            if best.extensions and ext not in best.extensions:
                expected = ", ".join(best.extensions[:5])
                warnings.append(
                    f"extension mismatch: .{ext} is not usual for {best.puid} ({expected})"
                    if ext
                    else f"no file extension; {best.puid} usually has {expected}"
                )
        if len(match.formats) > 1:
            others = ", ".join(fmt.puid for fmt in match.formats[1:])
            warnings.append(f"{len(match.formats)} candidates; also {others}")
        return FormatInfo(
            puid=best.puid,
            name=best.name,
            version=best.version,
            mime_type=best.mime,
            basis=match.basis,
            warning=printable("; ".join(warnings)),
            tool=self.tool_label,
        )

    def _as_text(self, match: Match, name: str) -> Match:
        """Text PRONOM cannot sign, by libmagic; the extension guess stays when the content is not text."""
        found = text.detect(match.head, name)
        if found is None:
            return match
        puid, mime = found
        fmt = self.matcher.format(puid) or Format(puid, _TEXT_NAMES.get(puid, mime), mime=mime)
        if fmt.mime != mime:
            fmt = Format(fmt.puid, fmt.name, fmt.version, mime, fmt.extensions)
        return Match((fmt,), TEXT, match.head)


_TEXT_NAMES = {"fmt/1149": "Markdown", "fmt/817": "JSON Data Interchange Format", "x-fmt/111": "Plain Text File"}


def identifier_description(signatures: Path | None = None) -> tuple[str, str, str]:
    """(tool name, tool version, signature set version) without compiling the signatures."""
    if signatures is None:
        version = ET.parse(_fido_conf() / "versions.xml").getroot().findtext("pronomVersion") or "?"
        return TOOL, _software_version(), f"FIDO PRONOM v{version}"
    return TOOL, _software_version(), SignatureSet.load(signatures).version


def _software_version() -> str:
    return software_version()


if __name__ == "__main__":  # write the shipped compiled set for the opf-fido installed (see builtin_compiled)
    from_fido(_fido_conf()).save(builtin_compiled())
    print(builtin_compiled())

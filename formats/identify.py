"""PRONOM format identification with FIDO's signature data, one loaded identifier per process."""

from __future__ import annotations

import contextlib
import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from preservation.errors import FormatError
from preservation.model import FormatInfo

SIGNATURE = "signature"
CONTAINER = "container"
EXTENSION = "extension"
NONE = "none"


class Identifier:
    """Identifies files by PRONOM signatures (FIDO); build once per process, it loads signatures."""

    def __init__(self) -> None:
        try:
            import fido
            from fido.fido import Fido
        except ImportError as exc:  # pragma: no cover - opf-fido is a core dependency
            raise FormatError("FIDO (opf-fido) is not installed", hint="pip install opf-fido") from exc
        conf_dir = Path(fido.__file__).parent / "conf"
        self.signature_version = _pronom_version(conf_dir)
        self.tool_name = "FIDO"
        self.tool_version = fido.__version__
        self._result: list = []
        self._fido = Fido(
            quiet=True,
            handle_matches=self._collect,
            conf_dir=str(conf_dir),
            format_files=[f"formats-v{self.signature_version}.xml", "format_extensions.xml"],
        )
        self._fido.containersignature_file = _container_file(conf_dir)

    @property
    def tool_label(self) -> str:
        """Tool name, version and signature version, for events."""
        return f"{self.tool_name} {self.tool_version} (PRONOM signatures v{self.signature_version})"

    def _collect(self, _filename: str, matches: list, _delta: float, matchtype: str = "") -> None:
        self._result = [(element, matchtype) for element, _sig in matches]

    def identify(self, path: Path) -> FormatInfo:
        """Identify one file; a match on extension alone is recorded as such, never as a signature match."""
        self._result = []
        with contextlib.redirect_stderr(io.StringIO()) as noise:
            self._fido.identify_file(os.fspath(path))
        complaint = noise.getvalue().strip()
        if complaint.startswith("FIDO: Error"):
            raise FormatError(f"{path}: format identification failed: {complaint}")
        if not self._result:
            return FormatInfo(basis=NONE, warning="no PRONOM signature matched", tool=self.tool_label)
        matchtype = self._result[0][1] or SIGNATURE
        basis = {"signature": SIGNATURE, "container": CONTAINER, "extension": EXTENSION}.get(matchtype, matchtype)
        element = self._result[0][0]
        warnings = []
        if basis == EXTENSION:
            warnings.append("matched on file extension only; not an identification")
        if len(self._result) > 1:
            others = ", ".join(el.findtext("puid") or "?" for el, _ in self._result[1:])
            warnings.append(f"{len(self._result)} candidates; also {others}")
        return FormatInfo(
            puid=element.findtext("puid") or "",
            name=element.findtext("name") or "",
            version=element.findtext("version") or "",
            mime_type=element.findtext("mime") or "",
            basis=basis,
            warning="; ".join(warnings),
            tool=self.tool_label,
        )


def identifier_description() -> tuple[str, str, str]:
    """(tool name, tool version, PRONOM signature version) without loading the signatures."""
    import fido

    return "FIDO", fido.__version__, _pronom_version(Path(fido.__file__).parent / "conf")


def _pronom_version(conf_dir: Path) -> str:
    try:
        return ET.parse(conf_dir / "versions.xml").getroot().findtext("pronomVersion") or ""
    except (OSError, ET.ParseError) as exc:
        raise FormatError(f"cannot read FIDO's signature versions in {conf_dir}: {exc}") from exc


def _container_file(conf_dir: Path) -> str:
    root = ET.parse(conf_dir / "versions.xml").getroot()
    return root.findtext("pronomContainerSignature") or "container-signature-20200121.xml"

"""A warm LibreOffice: one soffice kept running, converting document after document over UNO.

Run as a script by a Python that has LibreOffice's ``uno`` module (Debian: python3-uno), which
need not be the Python preserve runs in, so this file imports nothing of preserve's:

    python3 uno_bridge.py PROFILE_DIR

It starts soffice with that user profile, listening on a private pipe, and connects. Then it reads
one job a line on standard input, as JSON ``{"source": ..., "output": ..., "target": ...}``, and
answers each with one line ``{"ok": true}`` or ``{"ok": false, "message": ...}``. A job that hangs
or kills soffice is the caller's to handle: it kills this process group and starts another.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import uno
from com.sun.star.beans import PropertyValue

CONNECT_SECONDS = 60
PDFA_VERSION = 2  # PDF/A-2b

# (service the loaded document supports, its ODF target, its ODF filter, its PDF export filter)
KINDS = (
    ("com.sun.star.text.TextDocument", "odt", "writer8", "writer_pdf_Export"),
    ("com.sun.star.sheet.SpreadsheetDocument", "ods", "calc8", "calc_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "odp", "impress8", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "odg", "draw8", "draw_pdf_Export"),
)


def _property(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _start(profile: Path) -> tuple[subprocess.Popen[bytes], Any]:
    """soffice started with its own profile and pipe, and its desktop once it answers."""
    pipe = f"preserve-{uuid.uuid4().hex}"
    soffice = subprocess.Popen(
        [
            os.environ.get("PRESERVE_SOFFICE", "soffice"),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:  # NoConnectException until soffice listens
            if soffice.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"soffice did not start (exit {soffice.poll()})") from None
            time.sleep(0.1)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return soffice, desktop


def _filter(document: Any, target: str) -> tuple[str, tuple[Any, ...]]:
    """The export filter (and its options) that makes ``target`` of this kind of document."""
    for service, odf, odf_filter, pdf_filter in KINDS:
        if document.supportsService(service):
            if target == "pdfa":
                options = uno.Any("[]com.sun.star.beans.PropertyValue", (_property("SelectPdfVersion", PDFA_VERSION),))
                return pdf_filter, (_property("FilterData", options),)
            if target != odf:
                raise ValueError(f"the document is not one that converts to {target} (it would make {odf})")
            return odf_filter, ()
    raise ValueError("LibreOffice opened the file as no kind of document it can export")


def _convert(desktop: Any, job: dict[str, str]) -> None:
    source, output = Path(job["source"]), Path(job["output"])
    loading = (
        _property("Hidden", True),
        _property("ReadOnly", True),
        _property("UpdateDocMode", 0),  # never update links (a document must not reach the network)
        _property("MacroExecutionMode", 0),  # never run macros
    )
    document = desktop.loadComponentFromURL(source.resolve().as_uri(), "_blank", 0, loading)
    if document is None:
        raise ValueError("LibreOffice could not open the file")
    try:
        name, options = _filter(document, job["target"])
        output.parent.mkdir(parents=True, exist_ok=True)
        document.storeToURL(output.resolve().as_uri(), (_property("FilterName", name), *options))
    finally:
        document.close(True)


def main() -> None:
    profile = Path(sys.argv[1])
    soffice, desktop = _start(profile)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    try:
        for line in sys.stdin:
            job = json.loads(line)
            try:
                _convert(desktop, job)
                answer: dict[str, Any] = {"ok": True}
            except Exception as exc:  # a document LibreOffice refuses: that job fails, the next one goes on
                if soffice.poll() is not None or type(exc).__name__.endswith("DisposedException"):
                    sys.exit(3)  # soffice died under it: no answer, so the caller starts another and tries again
                answer = {"ok": False, "message": f"{type(exc).__name__}: {exc}".strip()[:300]}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        with contextlib.suppress(Exception):  # already gone
            desktop.terminate()
        try:
            soffice.wait(10)
        except subprocess.TimeoutExpired:
            soffice.kill()


if __name__ == "__main__":
    main()

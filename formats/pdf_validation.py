"""PDF validation with qpdf: its exit status 0 is valid, 3 (warnings) valid with warnings, 2 invalid.

qpdf calls some problems warnings although content is lost (a stream it cannot recover and
treats as empty, a file that ends in the middle of an object): those make a PDF invalid too.
A PDF that needs a password to open is not checked. Without the qpdf command, pikepdf's
``check_pdf_syntax`` (the same checks, in the same library) stands in for it.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from formats.verdicts import ENCRYPTED, INVALID, NOT_CHECKED, VALID, VALID_WITH_WARNINGS, capped
from preservation.model import Validation

CREATING_APPLICATION = "creating application"  # recorded as PREMIS creatingApplication, not a property
QPDF_OK, QPDF_ERRORS, QPDF_WARNINGS = 0, 2, 3

# qpdf warnings that mean content was lost or could not be found, not merely repaired
_LOST = re.compile(
    r"unable to find trailer|unable to recover stream data|treating stream as empty|unexpected EOF|"
    r"EOF while reading|EOF after endobj|error decoding stream|does not contain any pages|^qpdf error",
    re.IGNORECASE,
)


def validate_pdf(path: str) -> Validation:
    """PDF syntax and structure with qpdf; page count, version, any PDF/A claim and encryption."""
    import pikepdf

    tool = f"pikepdf {pikepdf.__version__} (qpdf {pikepdf.__libqpdf_version__})"
    try:
        with pikepdf.open(path) as pdf:
            traits = _traits(pdf)
            notes = (f"{ENCRYPTED}: opens without a password; content checked",) if pdf.is_encrypted else ()
            code, problems = _qpdf_check(path) if _qpdf() else _pikepdf_check(pdf)
    except pikepdf.PasswordError:
        return Validation(NOT_CHECKED, "pdf", tool, (f"{ENCRYPTED}: a password is needed to open it; content not "
                                                     "checked",), (("encrypted", "yes"),))
    except pikepdf.PdfError as exc:
        return Validation(INVALID, "pdf", tool, (f"qpdf error: {exc}",))
    if _qpdf():
        tool += f"; qpdf {_qpdf_version()}"
    status = verdict(code, problems)
    if status == INVALID:  # what made it invalid first: the message a refusal quotes
        problems = tuple(sorted(problems, key=lambda problem: not _LOST.search(problem)))
    return Validation(status, "pdf", tool, capped([*notes, *problems]), traits)


def verdict(code: int, problems: tuple[str, ...]) -> str:
    """The verdict for qpdf's exit status and its messages."""
    if code == QPDF_OK and not problems:
        return VALID
    if code not in (QPDF_OK, QPDF_WARNINGS) or any(_LOST.search(problem) for problem in problems):
        return INVALID
    return VALID_WITH_WARNINGS


def _traits(pdf) -> tuple[tuple[str, str], ...]:
    traits = [("pdf version", pdf.pdf_version), ("pages", str(len(pdf.pages)))]
    producer = str(pdf.docinfo.get("/Producer", "") or pdf.docinfo.get("/Creator", "")).strip()
    with pdf.open_metadata() as meta:
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    if part:
        traits.append(("pdf/a claimed", f"PDF/A-{part}{(conformance or '').lower()}"))
    if pdf.is_encrypted:
        traits.append(("encrypted", "yes"))
    if producer:
        traits.append((CREATING_APPLICATION, producer))
    return tuple(traits)


def _qpdf_check(path: str) -> tuple[int, tuple[str, ...]]:
    """``qpdf --check``: its exit status and its warnings and errors, in order."""
    from formats.validation import _die_with_parent

    done = subprocess.run([_qpdf(), "--check", "--", path], capture_output=True, text=True, errors="replace",
                          preexec_fn=_die_with_parent, check=False)
    problems = []
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("WARNING: "):
            problems.append("qpdf warning: " + line.removeprefix("WARNING: "))
        elif line.startswith("qpdf: ") and "succeeded with warnings" not in line:
            problems.append("qpdf error: " + line.removeprefix("qpdf: "))
    return done.returncode, tuple(problems)


def _pikepdf_check(pdf) -> tuple[int, tuple[str, ...]]:
    """pikepdf's ``check_pdf_syntax`` (qpdf --check in the library), as an exit status and messages."""
    problems = tuple("qpdf " + p.replace("WARNING: ", "warning: ", 1).replace("ERROR: ", "error: ", 1)
                     for p in pdf.check_pdf_syntax())
    if any(p.startswith("qpdf error") for p in problems):
        return QPDF_ERRORS, problems
    return (QPDF_WARNINGS if problems else QPDF_OK), problems


@functools.cache
def _qpdf() -> str | None:
    return shutil.which("qpdf")


@functools.cache
def _qpdf_version() -> str:
    done = subprocess.run([_qpdf(), "--version"], capture_output=True, text=True, check=False)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    return first.removeprefix("qpdf version ").strip() or "?"

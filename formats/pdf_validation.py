"""PDF validation with qpdf: its exit status 0 is valid, 3 (warnings) valid with warnings, 2 invalid.

qpdf calls some problems warnings although content is lost (a stream it cannot recover and
treats as empty, a file that ends in the middle of an object): those make a PDF invalid too,
except in a linearised PDF's hint stream, which only speeds up display over a network: a hint
table qpdf cannot decode loses no content, so the PDF is valid with warnings, as qpdf says.
A PDF that needs a password to open is not checked.

The checks run in this process first, through pikepdf's ``check_pdf_syntax`` (``qpdf --check`` in
the library: 0.2 ms a small PDF, against 7 ms for starting the qpdf command); only a PDF it finds
a problem in is given to the qpdf command as well, whose exit status and messages then decide, as
they always have. Without the qpdf command, the library's findings decide.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from typing import IO, TYPE_CHECKING

from formats.isolation import die_with_parent
from formats.names import as_bytes, decoded, printable
from formats.verdicts import ENCRYPTED, INVALID, NOT_CHECKED, VALID, VALID_WITH_WARNINGS, capped
from preservation.model import Validation

if TYPE_CHECKING:
    import pikepdf

CREATING_APPLICATION = "creating application"  # recorded as PREMIS creatingApplication, not a property
QPDF_OK, QPDF_ERRORS, QPDF_WARNINGS = 0, 2, 3
LINEARIZATION_HEAD = 1024  # the linearization dictionary lies within the first 1024 bytes (ISO 32000-1, F.2)
HINT_NOTE = " (the linearization hint stream: hints for display over a network, no content lost)"

# qpdf warnings that mean content was lost or could not be found, not merely repaired
_LOST = re.compile(
    r"unable to find trailer|unable to recover stream data|treating stream as empty|unexpected EOF|"
    r"EOF while reading|EOF after endobj|error decoding stream|does not contain any pages|^qpdf error",
    re.IGNORECASE,
)
_FIRST_OBJECT = re.compile(rb"\A%PDF-\d\.\d[^\n\r]*[\r\n]+(?:%[^\n\r]*[\r\n]+)*\s*\d+\s+\d+\s+obj\s*<<(.*?)>>", re.S)
_HINT_OFFSET = re.compile(rb"/H\s*\[\s*(\d+)")
_OBJECT_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")


def validate_pdf(path: str) -> Validation:
    """PDF syntax and structure with qpdf; page count, version, any PDF/A claim and encryption."""
    import pikepdf  # imported here: ~40 ms at start-up, and only PDFs need it  # noqa: PLC0415

    tool = f"pikepdf {pikepdf.__version__} (qpdf {pikepdf.__libqpdf_version__})"
    qpdf = _qpdf()
    with open(as_bytes(path), "rb") as handle:  # pikepdf would hand qpdf the name as UTF-8 text, which may fail
        described = f"stream {handle}"  # how pikepdf names a file it is given open: put back as the path
        try:
            with pikepdf.open(handle) as pdf:
                traits = _traits(pdf)
                notes = (f"{ENCRYPTED}: opens without a password; content checked",) if pdf.is_encrypted else ()
                code, problems = _pikepdf_check(pdf)
                checked_by_qpdf = False
                if problems and qpdf:  # a problem: qpdf's own verdict and words, as people know them
                    code, problems = _qpdf_check(qpdf, path)
                    checked_by_qpdf = True
        except pikepdf.PasswordError:
            return Validation(
                NOT_CHECKED,
                "pdf",
                tool,
                (f"{ENCRYPTED}: a password is needed to open it; content not checked",),
                (("encrypted", "yes"),),
            )
        except pikepdf.PdfError as exc:
            return Validation(INVALID, "pdf", tool, (f"qpdf error: {str(exc).replace(described, printable(path))}",))
        hint = hint_stream(handle)
    problems = tuple(problem.replace(described, printable(path)) for problem in problems)
    if checked_by_qpdf and qpdf:
        tool += f"; qpdf {_qpdf_version(qpdf)}"
    status = verdict(code, problems, hint)
    problems = tuple(
        problem + HINT_NOTE if _LOST.search(problem) and not _lost(problem, hint) else problem for problem in problems
    )
    if status == INVALID:  # what made it invalid first: the message a refusal quotes
        problems = tuple(sorted(problems, key=lambda problem: not _lost(problem, hint)))
    return Validation(status, "pdf", tool, capped([*notes, *problems]), traits)


def verdict(code: int, problems: tuple[str, ...], hint: str = "") -> str:
    """The verdict for qpdf's exit status and its messages (``hint``: the hint stream's 'number generation')."""
    if code == QPDF_OK and not problems:
        return VALID
    if code not in (QPDF_OK, QPDF_WARNINGS) or any(_lost(problem, hint) for problem in problems):
        return INVALID
    return VALID_WITH_WARNINGS


def _lost(problem: str, hint: str) -> bool:
    """Whether a qpdf message means lost content: not when it is about the linearization hint stream."""
    return bool(_LOST.search(problem)) and not (_about(problem, hint) and problem.startswith("qpdf warning"))


def _about(problem: str, hint: str) -> bool:
    return bool(hint) and re.search(rf"\bobject {hint}\b", problem) is not None


def hint_stream(handle: IO[bytes]) -> str:
    """'number generation' of a linearised PDF's hint stream, by the linearization dictionary's /H ('' if none)."""
    handle.seek(0)
    first = _FIRST_OBJECT.match(handle.read(LINEARIZATION_HEAD))
    if first is None or b"/Linearized" not in first.group(1):
        return ""
    offset = _HINT_OFFSET.search(first.group(1))
    if offset is None:
        return ""
    handle.seek(int(offset.group(1)))
    header = _OBJECT_HEADER.match(handle.read(64))
    return f"{int(header.group(1))} {int(header.group(2))}" if header else ""


def _traits(pdf: pikepdf.Pdf) -> tuple[tuple[str, str], ...]:
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


def _qpdf_check(qpdf: str, path: str) -> tuple[int, tuple[str, ...]]:
    """``qpdf --check``: its exit status and its warnings and errors, in order (the file named by its bytes)."""
    done = subprocess.run(
        [qpdf, "--check", "--", as_bytes(path)], capture_output=True, preexec_fn=die_with_parent, check=False
    )
    problems = []
    for line in (decoded(done.stdout) + decoded(done.stderr)).splitlines():
        if line.startswith("WARNING: "):
            problems.append("qpdf warning: " + line.removeprefix("WARNING: "))
        elif line.startswith("qpdf: ") and "succeeded with warnings" not in line:
            problems.append("qpdf error: " + line.removeprefix("qpdf: "))
    return done.returncode, tuple(problems)


def _pikepdf_check(pdf: pikepdf.Pdf) -> tuple[int, tuple[str, ...]]:
    """pikepdf's ``check_pdf_syntax`` (qpdf --check in the library), as an exit status and messages."""
    problems = tuple(
        "qpdf " + p.replace("WARNING: ", "warning: ", 1).replace("ERROR: ", "error: ", 1)
        for p in pdf.check_pdf_syntax()
    )
    if any(p.startswith("qpdf error") for p in problems):
        return QPDF_ERRORS, problems
    return (QPDF_WARNINGS if problems else QPDF_OK), problems


@functools.cache
def _qpdf() -> str | None:
    return shutil.which("qpdf")


@functools.cache
def _qpdf_version(qpdf: str) -> str:
    done = subprocess.run([qpdf, "--version"], capture_output=True, text=True, check=False)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    return first.removeprefix("qpdf version ").strip() or "?"

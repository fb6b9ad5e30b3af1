"""The README's "Using it" block, run as a script on a fresh archive the way an archivist would type it: every
command must exit 0 and say what it is for. The few lines that cannot run here are named, with where they are
tested instead; a new line in the README is run by this test without changing it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.samples import make_sample_collection
from tests.conftest import require_tool

pytestmark = pytest.mark.slow  # a whole archive driven through the CLI, command by command

ROOT = Path(__file__).resolve().parent.parent
PRESERVE = str(Path(sys.executable).parent / "preserve")
PASSWORD = "correct horse battery staple"
NOT_RUN = {  # the start of a line -> why it is not run here, and where it is tested
    ". .venv/bin/activate": "the test runs the installed command directly",
    "export PRESERVE_HOME=": "set for every command the test runs",
    "preserve aip repair": "needs a lost file and a backup of it: tests/test_file_repair.py",
    "preserve serve": "runs until stopped: tests/test_portal_browser.py serves the portal",
}
SAYS = {  # what each command's output must include (lines not listed need only exit 0)
    "preserve init": "export PRESERVE_HOME=",
    "preserve where": "chosen by PRESERVE_HOME",
    "preserve ingest /": "Stored AIP",
    "preserve aip list": "Parish of St Michael: vestry records",
    "preserve aip show": "catalogued files (all of the above)",
    "preserve audit --due": "",
    "preserve audit": "intact",
    "preserve policy explain": "fmt/412",
    "preserve search": "vestry",
    "preserve access set": "DRO/52/1",
    "preserve user add": "created",
    "preserve identify": "filename,filesize",
    "preserve aip export": "Exported a valid bag",
}
ARCHIVAL = (
    "filename,reference,level,parent,dc.title\n"
    "objects,DRO/52,collection,,Parish of St Michael\n"
    "objects/documents/,DRO/52/1,series,DRO/52,Vestry papers\n"
)


def _using_it() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Using it", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def _accession(tmp_path: Path) -> Path:
    """A transfer as Archivematica lays one out, with reference codes for the README's `access set` line."""
    accession = tmp_path / "accession-2026-014"
    make_sample_collection(accession / "objects")
    (accession / "metadata").mkdir()
    (accession / "metadata" / "metadata.csv").write_text(ARCHIVAL)
    return accession


def test_the_readme_using_it_block_runs_on_a_fresh_archive(tmp_path):
    require_tool("soffice", "the sample's office documents are normalised at ingest")
    home, accession = tmp_path / "archive", _accession(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")}
    env["PRESERVE_HOME"] = str(home)
    lines = _using_it()
    assert len(lines) > 15
    aip_id, ran = "", []
    for line in lines:
        if any(line.startswith(start) for start in NOT_RUN):
            continue
        words = shlex.split(line, comments=True)
        assert words[0] == "preserve", line
        replacements = {
            "~/archive": str(home),
            "/media/accession-2026-014": str(accession),
            "/media/usb-stick": str(accession / "objects"),
            "3f2c": aip_id[:8],
            "/tmp/export": str(tmp_path / "export"),
            "fixity.html": str(tmp_path / "fixity.html"),
        }
        words = [replacements.get(word, word) for word in words]
        given = PASSWORD + "\n" if words[1:3] == ["user", "add"] else None
        done = subprocess.run([PRESERVE, *words[1:]], env=env, input=given, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        said = next((text for start, text in SAYS.items() if line.startswith(start)), "")
        assert said in done.stdout, f"{line}: expected {said!r} in\n{done.stdout}"
        if words[1:3] == ["ingest", str(accession)]:
            aip_id = next(word for word in done.stdout.split() if len(word) == 36 and word.count("-") == 4)
        ran.append(words[1])
    assert (tmp_path / "fixity.html").is_file() and (tmp_path / "export").is_dir()
    assert len(ran) >= len(lines) - len(NOT_RUN)

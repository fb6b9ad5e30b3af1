"""`preserve identify`: text, JSON and CSV output, problems reported per file, same answers in parallel."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from click.testing import CliRunner

from cli.main import cli


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["identify", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_lists_every_file_in_walk_order(collection):
    report = json.loads(_run("--json", str(collection)))
    assert report["identifier"].startswith("preserve-pronom ") and "PRONOM v" in report["signatures"]
    names = [os.path.relpath(f["filename"], collection) for f in report["files"]]
    assert names == sorted(names) and len(names) == 11
    by_name = {os.path.basename(f["filename"]): f for f in report["files"]}
    jpeg = by_name["harbour-1923.jpg"]["matches"][0]
    assert (jpeg["id"], jpeg["basis"], jpeg["mime"]) == ("fmt/43", "signature", "image/jpeg")
    docx = by_name["restoration-report.docx"]["matches"][0]
    assert (docx["id"], docx["basis"]) == ("fmt/412", "container")
    csv_match = by_name["burials-1890-1950.csv"]["matches"][0]
    assert (csv_match["id"], csv_match["basis"]) == ("x-fmt/18", "text")


def test_csv_has_a_row_per_file(collection):
    rows = list(csv.DictReader(io.StringIO(_run("--csv", str(collection / "photographs")))))
    assert [r["id"] for r in rows] == ["fmt/11", "fmt/353", "fmt/43"]
    assert all(r["namespace"] == "pronom" and r["errors"] == "" for r in rows)


def test_text_output_is_siegfried_like(collection):
    text = _run(str(collection / "audio"))
    assert "matches  :" in text and "  - ns      : 'pronom'" in text and "    id      : 'fmt/141'" in text


def test_problems_are_reported_per_file_not_fatal(collection, tmp_path):
    (tmp_path / "link.txt").symlink_to(collection / "documents" / "transcription-notes.txt")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "empty.bin").write_bytes(b"")
    missing = tmp_path / "missing.pdf"
    result = CliRunner().invoke(cli, ["identify", "--json", str(tmp_path), str(missing)])
    assert result.exit_code == 1 and "1 path(s) given do not exist: " in result.stderr  # a mistyped path is no success
    report = json.loads(result.stdout)
    errors = {os.path.basename(f["filename"]): f["errors"] for f in report["files"]}
    assert errors["link.txt"].startswith("symbolic link to ") and errors["link.txt"].endswith("not followed")
    assert errors["pipe"] == "not a regular file"
    assert errors["missing.pdf"] == "cannot be examined (No such file or directory)"
    assert errors["empty.bin"] == ""


def test_parallel_answers_equal_serial_answers(collection):
    serial = json.loads(_run("--json", "--workers", "1", str(collection)))["files"]
    parallel = json.loads(_run("--json", "--workers", "2", str(collection)))["files"]
    assert serial == parallel


def test_json_and_csv_together_is_a_usage_error(collection):
    result = CliRunner().invoke(cli, ["identify", "--json", "--csv", str(collection)])
    assert result.exit_code == 2 and "choose one of --json and --csv" in result.output


def test_identify_does_not_load_the_catalogue(collection, tmp_path):
    """Identification needs no archive: the command must not import SQLAlchemy (a quarter of a second)."""
    probe = (
        "import sys\n"
        "from cli.main import cli\n"
        "try:\n"
        f"    cli(['--home', {str(tmp_path / 'home')!r}, 'identify', '--csv', {str(collection)!r}])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "False", result.stderr
    assert "fmt/43" in result.stdout


def test_a_path_that_does_not_exist_fails_the_command(tmp_path):
    result = CliRunner().invoke(cli, ["identify", str(tmp_path / "no-such-folder")])
    assert result.exit_code == 1 and "no-such-folder" in result.stderr and "cannot be examined" in result.stdout

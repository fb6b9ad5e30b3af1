"""Progress on everything long (export, audit, replicate, rebuild, migrate, bag validate, ingest): drawn at a
terminal — here a real pseudo-terminal — with true totals that are never passed, and nothing with --quiet."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

PRESERVE = str(Path(sys.executable).parent / "preserve")
SIZES = re.compile(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) (bytes|KiB|MiB|GiB)")


def at_a_terminal(home: Path, *args: str) -> tuple[int, str, str]:
    """Run preserve with its standard error on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160"}
    env = {k: v for k, v in env.items() if not k.startswith("PRESERVE_") or k == "PRESERVE_REQUIRE_TOOLS"}
    process = subprocess.Popen(
        [PRESERVE, "--home", str(home), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    received = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process (EIO on Linux)
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(leader)
    return process.returncode, stdout.decode(), received.decode("utf-8", "replace")


def _within_totals(terminal: str) -> list[tuple[float, float]]:
    """Every 'done/total unit' the bars drew, each checked to be within its total."""
    pairs = [(float(done), float(total)) for done, total, _ in SIZES.findall(terminal)]
    assert all(done <= total for done, total in pairs), pairs
    return pairs


def test_export_audit_replicate_and_rebuild_show_progress_at_a_terminal(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]

    code, out, terminal = at_a_terminal(preserve.home, "aip", "export", aip_id, str(tmp_path / "bag"), "--as", "zip")
    assert code == 0 and "Exported a valid bag" in out
    for stage in ("Copying from", "Validating the bag", "Packing the bag as zip"):
        assert stage in terminal, stage
    assert _within_totals(terminal)

    code, out, terminal = at_a_terminal(preserve.home, "audit")
    assert code == 0 and "Auditing" in terminal and _within_totals(terminal)
    assert "stored files" in out  # the results on standard output, the bar only on the terminal

    preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second"), "--no-replicate")
    code, out, terminal = at_a_terminal(preserve.home, "storage", "replicate", "second")
    assert code == 0 and "1 copied" in out and "Copying" in terminal and _within_totals(terminal)

    code, out, terminal = at_a_terminal(preserve.home, "bag", "validate", str(tmp_path / "bag.zip"))
    assert code == 0 and "Validating bag.zip" in terminal

    preserve.lose_catalogue()
    code, out, terminal = at_a_terminal(preserve.home, "catalogue", "rebuild")
    assert code == 0 and "Registering the AIPs" in terminal and "Reading the copies in" in terminal


def test_quiet_draws_nothing_wherever_it_is_given(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    for args in (("--quiet", "audit"), ("audit", "--quiet"), ("-q", "aip", "export", aip_id, str(tmp_path / "a"))):
        code, out, terminal = at_a_terminal(preserve.home, *args)
        assert code == 0 and out, args
        assert terminal == "", (args, terminal)  # not a bar, not a step line
    code, _out, terminal = at_a_terminal(preserve.home, "audit", "--json")
    assert code == 0 and terminal == ""  # JSON is for programs: no bar either


def test_ingest_at_a_terminal_shows_its_steps_and_quiet_hides_them(preserve, collection):
    (preserve.home / "policies" / "formats.toml").write_text(
        'version = 2\n[default]\npreservation = "keep"\n[[format]]\npuids = ["fmt/11"]\npreservation = "tiff"\n'
    )
    code, out, terminal = at_a_terminal(preserve.home, "ingest", str(collection))
    assert code == 0 and "Stored AIP" in out and "1 preservation copy" in out
    assert "Checking the transfer" in terminal and _within_totals(terminal)
    files = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+) files", terminal)]
    assert files and all(done <= total for done, total in files), files  # the copy made is not an 'extra' file
    assert "Storing copies" in terminal
    code, out, terminal = at_a_terminal(preserve.home, "ingest", str(collection), "--title", "Again", "--quiet")
    assert code == 0 and "Stored AIP" in out and terminal == ""

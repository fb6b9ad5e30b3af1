"""`preserve doctor`: a killed ingest leaves a staging area and an unregistered object; doctor finds and
cleans them, never a running ingest's, and the archive is whole afterwards."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ingest import staging
from policies import DEFAULTS
from tests.conftest import require_tool
from tests.crashes import kill_ingest_part_way, make_collection, object_folders


def _doctor(preserve, *args: str) -> dict:
    """doctor's JSON report; its exit status must be 1 exactly when a check failed or leftovers were found
    (converter findings depend on what this machine has installed: LibreOffice Impress, say)."""
    result = preserve("doctor", *args, "--json", expect=None)
    report = json.loads(result.stdout)
    leftovers = (
        any(report[key] for key in ("abandoned_staging", "orphans", "unfinished_uploads", "expired_downloads"))
        and not report["fixed"]
    )
    assert result.exit_code == (0 if all(c["ok"] for c in report["checks"]) and not leftovers else 1)
    return report


def test_a_killed_ingest_is_found_and_cleaned(preserve, tmp_path):
    source = make_collection(tmp_path / "accession")
    kill_ingest_part_way(preserve.home, source, after_files=1)

    assert preserve.json("aip", "list") == []
    assert preserve.json("doctor")  # nothing is older than a day yet: nothing reported
    found = preserve.json("doctor", "--older-than", "0", expect=1)
    assert len(found["abandoned_staging"]) == 1
    assert [(o["location"], o["kind"], o["complete"]) for o in found["orphans"]] == [("primary", "object", False)]

    live = preserve.home / "staging" / "a-running-ingest"
    held = staging.hold(live)  # an ingest in progress is never touched
    try:
        fixed = preserve.json("doctor", "--older-than", "0", "--fix")
        assert fixed["fixed"] and live.exists()
    finally:
        held.close()
        staging.remove(live)
    assert object_folders(preserve.home) == [] and list((preserve.home / "staging").iterdir()) == []
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == []

    aip_id = preserve.json("ingest", str(source))["aip_id"]  # the same transfer goes in cleanly afterwards
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == [], aip_id


def test_doctor_reports_a_broken_policy(preserve):
    (preserve.home / "policies" / "checks.toml").write_text("version = 1\n[virus]\non_infected = 'ignore'\n")
    result = preserve.json("doctor", expect=1)
    [problem] = [c for c in result["checks"] if not c["ok"]]
    assert problem["check"] == "policy checks" and "on_infected" in problem["detail"]


def test_doctor_with_its_catalogue_gone_says_so_in_every_check_that_needs_it(preserve):
    preserve.lose_catalogue()
    result = preserve.json("doctor", expect=1)  # not an internal error: every check still reports
    failed = {c["check"]: c["detail"] for c in result["checks"] if not c["ok"]}
    assert set(failed) == {
        "catalogue schema is current",
        "every AIP has a copy in primary",
        "unregistered objects",
        "expired downloads",
    }
    assert all("catalogue" in detail for detail in failed.values()), failed


CHECKS = [
    "catalogue schema is current",
    "policy format",
    "policy fixity",
    "policy checks",
    "policy closure",
    "converters the format policy needs",
    "location primary reachable",
    "every AIP has a copy in primary",
    "unregistered objects",
    "expired downloads",
    "unfinished uploads in primary",
]


def test_every_check_is_listed_in_order_and_one_that_fails_stops_no_other(preserve):
    report = _doctor(preserve)
    assert [c["check"] for c in report["checks"]] == CHECKS
    assert all(set(c) == {"check", "ok", "detail"} for c in report["checks"])  # a hint only for converters
    with sqlite3.connect(preserve.home / "catalogue.db") as database:  # a catalogue behind this version
        [(revision,)] = database.execute("SELECT version_num FROM alembic_version").fetchall()
        database.execute("UPDATE alembic_version SET version_num = ?", (f"{int(revision) - 1:04}",))
    behind = preserve.json("doctor", expect=1)
    assert [c["check"] for c in behind["checks"]] == CHECKS
    problems = {c["check"]: c["detail"] for c in behind["checks"] if not c["ok"]}
    # what needs the catalogue says so too (nothing is judged, or removed with --fix, from a catalogue it cannot trust)
    assert set(problems) == {
        "catalogue schema is current",
        "every AIP has a copy in primary",
        "unregistered objects",
        "expired downloads",
    }
    assert all("this version of preserve needs" in detail for detail in problems.values())
    text = preserve("doctor", expect=1).stdout
    assert "PROBLEM  catalogue schema is current: the catalogue schema is at revision" in text
    assert "ok  unfinished uploads in primary" in text and "Everything looks right." not in text


# --- converters the format policy needs ----------------------------------------------------------------


def _fake_libreoffice(root: Path, components: tuple[str, ...]) -> Path:
    """A LibreOffice laid out as Debian installs it (bin/soffice -> lib/libreoffice/program/soffice, and a
    registry file per component in share/registry); returns the bin folder to put first on PATH."""
    program = root / "lib" / "libreoffice" / "program"
    program.mkdir(parents=True)
    (program / "soffice").write_text("#!/bin/sh\nexit 1\n")
    (program / "soffice").chmod(0o755)
    registry = root / "lib" / "libreoffice" / "share" / "registry"
    registry.mkdir(parents=True)
    for component in ("main", *components):
        (registry / f"{component}.xcd").write_text("<oor:data/>\n")
    (root / "bin").mkdir()
    (root / "bin" / "soffice").symlink_to(program / "soffice")
    return root / "bin"


def _path_with(monkeypatch, *folders: Path) -> None:
    monkeypatch.setenv("PATH", os.pathsep.join(map(str, folders)))


@pytest.fixture
def shipped_policy(preserve):
    """The archive with the shipped format policy (the fixture's archive normalises nothing)."""
    shutil.copyfile(DEFAULTS / "formats.toml", preserve.home / "policies" / "formats.toml")
    return preserve


def _tools_except_soffice(tmp_path: Path) -> Path:
    """A folder with this machine's ffmpeg (when it has one) and no soffice."""
    folder = tmp_path / "tools"
    folder.mkdir()
    ffmpeg = require_tool("ffmpeg", "the converter checks run it")
    (folder / "ffmpeg").symlink_to(ffmpeg)
    return folder


def _converter(report: dict, tool: str) -> dict:
    return next(c for c in report["checks"] if c["check"] == f"converter {tool}")


def test_a_missing_libreoffice_component_is_reported_with_the_formats_it_stops(shipped_policy, tmp_path, monkeypatch):
    _path_with(monkeypatch, _fake_libreoffice(tmp_path / "lo", ("writer", "calc")), _tools_except_soffice(tmp_path))
    report = shipped_policy.json("doctor", expect=1)
    impress = _converter(report, "LibreOffice Impress")
    assert not impress["ok"] and "LibreOffice Impress is not installed (no impress.xcd in" in impress["detail"]
    assert "Presentations (fmt/125, fmt/126" in impress["detail"] and "cannot be normalised to odp" in impress["detail"]
    assert "OpenDocument (fmt/138" in impress["detail"] and "given access copies as pdfa" in impress["detail"]
    assert "libreoffice-impress-nogui" in impress["hint"]
    assert _converter(report, "LibreOffice Writer")["ok"] and _converter(report, "LibreOffice Calc")["ok"]
    [entry] = [c for c in report["converters"] if c["tool"] == "LibreOffice Impress"]
    first = entry["needed_by"][0]
    assert (first["rule"], first["purpose"], first["target"]) == ("Presentations", "preservation", "odp")
    assert "fmt/215" in first["puids"]  # PowerPoint 2007 and later
    text = shipped_policy("doctor", expect=1).stdout
    assert "PROBLEM  converter LibreOffice Impress" in text and "libreoffice-impress-nogui" in text
    assert "ok  converters the format policy needs" not in text  # no all-clear beside the problem


def test_every_component_installed_is_not_a_problem(shipped_policy, tmp_path, monkeypatch):
    _path_with(
        monkeypatch,
        _fake_libreoffice(tmp_path / "lo", ("writer", "calc", "impress", "draw")),
        _tools_except_soffice(tmp_path),
    )
    report = _doctor(shipped_policy)
    lo = [c for c in report["checks"] if c["check"].startswith("converter LibreOffice")]
    assert {c["check"] for c in lo} == {f"converter LibreOffice {n}" for n in ("Writer", "Calc", "Impress")}
    assert all(c["ok"] for c in lo)


def test_libreoffice_not_installed_names_every_component_the_policy_needs(shipped_policy, tmp_path, monkeypatch):
    _path_with(monkeypatch, _tools_except_soffice(tmp_path))
    report = shipped_policy.json("doctor", expect=1)
    for name, package in (
        ("Writer", "libreoffice-writer-nogui"),
        ("Calc", "libreoffice-calc-nogui"),
        ("Impress", "libreoffice-impress-nogui"),
    ):
        check = _converter(report, f"LibreOffice {name}")
        assert "LibreOffice (soffice) is not installed" in check["detail"] and package in check["hint"]
    assert "Word-processing documents (fmt/37" in _converter(report, "LibreOffice Writer")["detail"]


def test_a_policy_that_needs_no_presentation_converter_is_not_reported(preserve, tmp_path, monkeypatch):
    _path_with(monkeypatch, _fake_libreoffice(tmp_path / "lo", ("writer",)), _tools_except_soffice(tmp_path))
    (preserve.home / "policies" / "formats.toml").write_text(
        'version = 7\n[default]\npreservation = "keep"\n\n[[format]]\nname = "Word"\npuids = ["fmt/412"]\n'
        'preservation = "odt"\n'
    )
    report = _doctor(preserve)
    assert [c["check"] for c in report["checks"] if c["check"].startswith("converter ")] == [
        "converter LibreOffice Writer"
    ]


def test_an_ffmpeg_without_an_encoder_is_reported(shipped_policy, tmp_path, monkeypatch):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "ffmpeg").write_text(
        "#!/bin/sh\necho 'Encoders:'\necho ' V....D ffv1   FFmpeg video codec #1'\n"
        "echo ' A....D flac   FLAC'\necho ' A....D aac    AAC'\n"
    )
    (tools / "ffmpeg").chmod(0o755)
    _path_with(monkeypatch, _fake_libreoffice(tmp_path / "lo", ("writer", "calc", "impress")), tools)
    report = shipped_policy.json("doctor", expect=1)
    video = _converter(report, "ffmpeg (libx264, aac)")
    assert "this ffmpeg has no libx264 encoder" in video["detail"] and "Video (fmt/5" in video["detail"]
    assert _converter(report, "ffmpeg (ffv1, flac)")["ok"]
    assert "no libmp3lame encoder" in _converter(report, "ffmpeg (libmp3lame)")["detail"]


def test_this_machines_impress_is_judged_by_the_default_policy(shipped_policy):
    """With Impress installed (as CI installs it) doctor finds it; without, it says presentations cannot be
    normalised."""
    soffice = Path(require_tool("soffice", "LibreOffice is what the default policy converts office files with"))
    registry = soffice.resolve().parent.parent / "share" / "registry"
    report = shipped_policy.json("doctor", expect=None if (registry / "impress.xcd").is_file() else 1)
    impress = _converter(report, "LibreOffice Impress")
    if (registry / "impress.xcd").is_file():
        assert impress["ok"]
    else:
        assert not impress["ok"] and "Presentations" in impress["detail"]

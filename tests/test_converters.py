"""Normalisation converters with the real tools: LibreOffice, ffmpeg, Pillow — and their failures."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from formats.converters import Job, registry
from formats.converters.libreoffice import LibreOffice
from formats.identify import Identifier
from ingest.samples import _docx, _xlsx
from tests.conftest import require_tool

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _identified(path: Path) -> str:
    return Identifier().identify(path).mime_type


def test_libreoffice_converts_a_batch_without_name_clashes(tmp_path):
    require_tool("soffice", "LibreOffice conversions")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _docx(tmp_path / "a" / "report.docx", ("First report",))
    _docx(tmp_path / "b" / "report.docx", ("Second report",))  # the same name in another folder
    _xlsx(tmp_path / "accounts.xlsx")
    jobs = [
        Job(tmp_path / "a" / "report.docx", "odt", tmp_path / "out" / "a.odt", DOCX),
        Job(tmp_path / "b" / "report.docx", "odt", tmp_path / "out" / "b.odt", DOCX),
        Job(tmp_path / "a" / "report.docx", "pdfa", tmp_path / "out" / "a.pdf", DOCX),
        Job(tmp_path / "accounts.xlsx", "ods", tmp_path / "out" / "accounts.ods", XLSX),
        Job(tmp_path / "accounts.xlsx", "pdfa", tmp_path / "out" / "accounts.pdf", XLSX),
    ]
    outcomes = LibreOffice().convert(jobs, timeout=120)
    assert [o.ok for o in outcomes] == [True] * 5, [o.message for o in outcomes]
    import zipfile

    texts = [zipfile.ZipFile(tmp_path / "out" / n).read("content.xml") for n in ("a.odt", "b.odt")]
    assert b"First report" in texts[0] and b"Second report" in texts[1]
    assert _identified(tmp_path / "out" / "a.odt") == "application/vnd.oasis.opendocument.text"
    assert _identified(tmp_path / "out" / "accounts.ods") == "application/vnd.oasis.opendocument.spreadsheet"
    import pikepdf

    with pikepdf.open(tmp_path / "out" / "a.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"


def test_a_broken_document_fails_alone_and_the_rest_of_its_batch_converts(tmp_path):
    require_tool("soffice", "LibreOffice conversions")
    _docx(tmp_path / "good.docx")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not a document")
    jobs = [
        Job(tmp_path / "good.docx", "odt", tmp_path / "out" / "good.odt", DOCX),
        Job(tmp_path / "broken.docx", "odt", tmp_path / "out" / "broken.odt", DOCX),
    ]
    good, broken = LibreOffice().convert(jobs, timeout=120)
    assert good.ok and not broken.ok and not (tmp_path / "out" / "broken.odt").exists()


def test_a_hanging_converter_is_stopped_and_leaves_nothing(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "soffice").write_text("#!/bin/sh\nsleep 60\n")  # a LibreOffice that never finishes
    (fake / "soffice").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    from formats.converters import libreoffice

    libreoffice._soffice.cache_clear()
    try:
        _docx(tmp_path / "a.docx")
        [outcome] = LibreOffice().convert(
            [Job(tmp_path / "a.docx", "odt", tmp_path / "out" / "a.odt", DOCX)], timeout=1
        )
        assert not outcome.ok and "did not finish within" in outcome.message
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    finally:
        libreoffice._soffice.cache_clear()


@pytest.fixture
def media(tmp_path) -> dict[str, Path]:
    require_tool("ffmpeg", "audio and video conversions")
    video, audio = tmp_path / "clip.avi", tmp_path / "interview.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=160x120:rate=10",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=1",
            "-c:v",
            "mjpeg",
            "-c:a",
            "pcm_s16le",
            str(video),
        ],
        check=True,
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", str(audio)], check=True
    )
    return {"video": video, "audio": audio}


def test_ffmpeg_makes_each_media_target(media, tmp_path):
    converters = registry()
    jobs = [
        Job(media["video"], "ffv1-mkv", tmp_path / "out" / "clip.mkv"),
        Job(media["video"], "mp4", tmp_path / "out" / "clip.mp4"),
        Job(media["audio"], "flac", tmp_path / "out" / "interview.flac"),
        Job(media["audio"], "mp3", tmp_path / "out" / "interview.mp3"),
        Job(media["audio"], "wav", tmp_path / "out" / "interview-24.wav"),
    ]
    outcomes = converters["mp4"].convert(jobs, timeout=120)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
            str(tmp_path / "out" / "clip.mkv"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["ffv1", "flac"]
    damaged = tmp_path / "damaged.wav"
    damaged.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    [failed] = converters["flac"].convert([Job(damaged, "flac", tmp_path / "out" / "damaged.flac")], timeout=60)
    assert not failed.ok and "ffmpeg exited" in failed.message
    assert not any(p.name.startswith("damaged") for p in (tmp_path / "out").iterdir())


def test_pillow_converts_images_and_refuses_a_decompression_bomb(tmp_path):
    Image.new("RGB", (64, 48), "navy").save(tmp_path / "scan.bmp")
    converters = registry()
    jobs = [
        Job(tmp_path / "scan.bmp", "tiff", tmp_path / "out" / "scan.tif"),
        Job(tmp_path / "scan.bmp", "jpeg", tmp_path / "out" / "scan.jpg"),
    ]
    assert all(o.ok for o in converters["tiff"].convert(jobs, timeout=30))
    with Image.open(tmp_path / "out" / "scan.tif") as image:
        assert image.size == (64, 48) and image.getpixel((0, 0)) == (0, 0, 128)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (30000, 30000)).save(bomb)  # 900 megapixels: beyond Pillow's bomb limit
    [outcome] = converters["png"].convert([Job(bomb, "png", tmp_path / "out" / "bomb.png")], timeout=30)
    assert not outcome.ok and "DecompressionBomb" in outcome.message


def test_every_target_a_policy_may_name_has_a_converter_and_an_expected_type():
    from formats.converters import EXPECTED_MIME
    from preservation.model import TARGET_FORMATS

    assert set(registry()) == set(TARGET_FORMATS) == set(EXPECTED_MIME)


def test_warm_libreoffice_converts_in_one_soffice_and_retries_a_document_once_after_it_dies(tmp_path):
    """The warm path (soffice over UNO) is what runs here, and a soffice killed mid-ingest is replaced."""
    require_tool("soffice", "LibreOffice conversions")
    from formats.converters.libreoffice import _converted_warm, _soffice
    from formats.converters.warm_office import WarmOffice, uno_python

    assert uno_python(), "no Python with LibreOffice's uno module (Debian: python3-uno)"
    for name in ("one", "two", "three"):
        _docx(tmp_path / f"{name}.docx", (f"The {name} report",))
    office = WarmOffice(_soffice(), tmp_path / "slot")
    try:
        first = _converted_warm(office, Job(tmp_path / "one.docx", "odt", tmp_path / "out" / "one.odt", DOCX), 120)
        second = _converted_warm(office, Job(tmp_path / "two.docx", "odt", tmp_path / "out" / "two.odt", DOCX), 120)
        assert first.ok and second.ok and office.starts == 1  # one soffice for both
        group = os.getpgid(office.process.pid)
        subprocess.run(["pkill", "-9", "-g", str(group), "soffice.bin"], check=True)  # LibreOffice dies
        third = _converted_warm(office, Job(tmp_path / "three.docx", "odt", tmp_path / "out" / "three.odt", DOCX), 120)
        assert third.ok, third.message
        assert office.starts == 2  # started again, and the document converted in the new one
    finally:
        office.stop()
    import zipfile

    assert b"The three report" in zipfile.ZipFile(tmp_path / "out" / "three.odt").read("content.xml")
    assert _identified(tmp_path / "out" / "three.odt") == "application/vnd.oasis.opendocument.text"
    assert not list((tmp_path / "slot").glob("out/*"))  # nothing half-written left behind


def test_without_the_uno_binding_libreoffice_converts_in_batches(tmp_path, monkeypatch):
    """The path for machines without python3-uno: soffice started per batch, a broken document failing alone."""
    require_tool("soffice", "LibreOffice conversions")
    import sys

    from formats.converters import warm_office

    monkeypatch.setenv("PRESERVE_UNO_PYTHON", sys.executable)  # preserve's own Python: it has no uno module
    warm_office.uno_python.cache_clear()
    try:
        assert warm_office.uno_python() == ""
        _docx(tmp_path / "good.docx", ("A report converted in a batch",))
        (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not a document")
        jobs = [
            Job(tmp_path / "good.docx", "odt", tmp_path / "out" / "good.odt", DOCX),
            Job(tmp_path / "broken.docx", "odt", tmp_path / "out" / "broken.odt", DOCX),
        ]
        good, broken = LibreOffice().convert(jobs, timeout=120)
    finally:
        warm_office.uno_python.cache_clear()
    assert good.ok and not broken.ok and not (tmp_path / "out" / "broken.odt").exists()
    assert _identified(tmp_path / "out" / "good.odt") == "application/vnd.oasis.opendocument.text"

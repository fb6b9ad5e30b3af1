"""Validation: intact files pass, damaged ones are caught, hostile ones are contained."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time

import pytest

import formats.validation as validation
from formats.identify import Identifier
from formats.validation import (
    FAILED,
    INVALID,
    NOT_CHECKED,
    VALID,
    VALID_WITH_WARNINGS,
    WELL_FORMED,
    Validation,
    Validator,
)
from preservation.model import FormatInfo
from tests.conftest import require_tool
from tests.corpus import make_corpus

NO_VALIDATOR = {"label.ps", "letter.rtf"}
# Pillow writes TIFF without the XResolution tag baseline TIFF requires; ExifTool says so (not when absent)
WARNED = {"image.tif": "Missing required TIFF IFD0 tag 0x011a XResolution"} if shutil.which("exiftool") else {}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def identified(corpus):
    identifier = Identifier()
    return {path: identifier.identify(path) for path in corpus}


@pytest.fixture
def validator():
    checker = Validator(timeout=20)
    yield checker
    checker.close()


def test_intact_files_are_valid_or_well_formed(validator, identified):
    for path, fmt in identified.items():
        result = validator.validate(path, fmt)
        if path.name in NO_VALIDATOR:
            assert result.status == NOT_CHECKED, path
        elif path.name in WARNED:
            assert result.status == VALID_WITH_WARNINGS and WARNED[path.name] in result.messages[0], result
        else:
            assert result.status in (VALID, WELL_FORMED), (path, result)
            assert result.tool, path


def test_truncated_files_are_invalid(validator, identified, tmp_path):
    # text cut short is still text; MediaInfo reads MIDI headers, not its event data
    still_valid = {"README.md", "burials.csv", "notes.txt", "page.html", "tune.mid"} | NO_VALIDATOR
    for path, fmt in identified.items():
        if path.name in still_valid:
            continue
        damaged = tmp_path / path.name
        data = path.read_bytes()
        # a tar is mostly zero padding after its end marker: cut inside the member's data instead
        damaged.write_bytes(data[:520] if path.suffix == ".tar" else data[: len(data) * 2 // 3])
        result = validator.validate(damaged, fmt)
        assert result.status == INVALID and result.messages, (path.name, result)


def test_characteristics_are_recorded(validator, identified):
    by_name = {path.name: (path, fmt) for path, fmt in identified.items()}
    image = dict(validator.validate(*by_name["image.png"]).characteristics)
    assert (image["width"], image["height"]) == ("64", "48")
    pdf = dict(validator.validate(*by_name["document.pdf"]).characteristics)
    assert pdf["pages"] == "1" and pdf["pdf version"] == "1.3"
    sound = dict(validator.validate(*by_name["sound.wav"]).characteristics)
    assert sound["duration seconds"] == "0.100" and sound["sample rate"] == "8000"


def test_xml_entities_are_never_expanded(validator, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY s SYSTEM "file://{secret}">]>\n<r>&s;</r>\n')
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]>\n<l>&j;</l>\n"
    )
    xml = FormatInfo(puid="fmt/101", mime_type="text/xml")
    started = time.monotonic()
    for path in (xxe, laughs):
        result = validator.validate(path, xml)
        assert result.status in (WELL_FORMED, INVALID), result
        assert "TOP SECRET" not in repr(result)
    assert time.monotonic() - started < 10


def test_a_hanging_validator_is_stopped_and_the_next_file_still_checked(monkeypatch, identified):
    def hang(path: str) -> Validation:
        time.sleep(60)
        return Validation(VALID)

    monkeypatch.setitem(validation.VALIDATORS, "hang", hang)
    monkeypatch.setattr(validation, "family_of", lambda fmt: "hang" if fmt.puid == "test/hang" else "image")
    checker = Validator(timeout=1)
    try:
        started = time.monotonic()
        result = checker.validate(__file__, FormatInfo(puid="test/hang"))
        assert result.status == FAILED and "no answer within 1 s" in result.messages[0]
        assert time.monotonic() - started < 5
        png = next(p for p in identified if p.name == "image.png")
        assert checker.validate(png, identified[png]).status == VALID
    finally:
        checker.close()


def test_a_validator_that_kills_its_process_is_a_failed_validation(monkeypatch):
    monkeypatch.setitem(validation.VALIDATORS, "crash", lambda path: os._exit(3))
    monkeypatch.setattr(validation, "family_of", lambda fmt: "crash")
    checker = Validator(timeout=10)
    try:
        result = checker.validate(__file__, FormatInfo(puid="x"))
        assert result.status == FAILED and "died" in result.messages[0]
    finally:
        checker.close()


def test_a_decompression_bomb_is_not_decoded_and_not_checked(validator, tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 megapixels of nothing: a small file
    assert os.path.getsize(bomb) < 2_000_000
    result = validator.validate(bomb, FormatInfo(puid="fmt/11", mime_type="image/png"))
    assert result.status == NOT_CHECKED and result.messages[0].startswith("too large: ")
    assert "decompression bomb" in result.messages[0] and not result.invalid


def test_not_utf8_text_names_its_encoding(validator, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café on the quay\n".encode("latin-1"))
    result = validator.validate(latin, FormatInfo(puid="x-fmt/111", mime_type="text/plain"))
    assert result.status == WELL_FORMED and "not UTF-8" in result.messages[0]
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"text\x00\x01\x02")
    assert validator.validate(binary, FormatInfo(puid="x-fmt/111", mime_type="text/plain")).status == INVALID


def test_a_claimed_pdf_a_conformance_is_recorded(validator, tmp_path):
    import pikepdf

    path = tmp_path / "claims-pdfa.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.save(path)
    result = validator.validate(path, FormatInfo(puid="fmt/476", mime_type="application/pdf"))
    assert dict(result.characteristics)["pdf/a claimed"] == "PDF/A-2b"


def test_a_file_too_large_for_its_validator_is_not_checked(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"a": "' + "x" * 2000 + '"}')
    checker = Validator(timeout=10, max_bytes={"json": 1000})
    try:
        result = checker.validate(path, FormatInfo(puid="fmt/817", mime_type="application/json"))
    finally:
        checker.close()
    assert result.status == NOT_CHECKED and result.messages[0].startswith("too large: ")


def test_a_missing_tool_is_not_checked_with_the_reason(monkeypatch, tmp_path):
    from pymediainfo import MediaInfo

    monkeypatch.setattr(MediaInfo, "can_parse", staticmethod(lambda *args: False))
    result = validation.validate_media(str(tmp_path / "clip.mp4"))
    assert result.status == NOT_CHECKED and result.messages[0].startswith("tool missing: MediaInfo")


def test_old_stored_validations_still_read():
    old = '{"status": "well-formed", "family": "xml", "tool": "lxml", "messages": [], "characteristics": []}'
    assert Validation.from_json(old).status == WELL_FORMED
    assert Validation.from_json('{"status": "invalid"}').invalid
    warned = Validation("valid with warnings", "pdf", "qpdf", ("qpdf warning: x",))
    assert Validation.from_json(warned.to_json()) == warned and warned.ok and not warned.invalid


def test_tool_messages_name_the_file_not_its_path_on_disk(validator, tmp_path):
    broken = tmp_path / "deep" / "broken.xml"
    broken.parent.mkdir()
    broken.write_text("<a><b></a>")
    result = validator.validate(broken, FormatInfo(puid="fmt/101", mime_type="text/xml"), name="objects/x/broken.xml")
    assert result.status == INVALID and str(tmp_path) not in repr(result)


def test_a_png_whose_image_data_fails_its_crc_is_invalid(validator, tmp_path):
    """Pillow does not check the CRC of PNG image data; ExifTool does (computed by zlib: formats/exiftool.config)."""
    require_tool("exiftool", "ExifTool checks the CRC of every PNG chunk")
    from PIL import Image

    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (120, 30, 200)).save(good)
    data = bytearray(good.read_bytes())
    at = data.find(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4 : at])
    data[at + 4 + length] ^= 0xFF  # the chunk's CRC, not its data: Pillow still decodes the image
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(bytes(data))
    png = FormatInfo(puid="fmt/11", mime_type="image/png")

    assert validator.validate(good, png).status == VALID
    result = validator.validate(damaged, png)
    assert result.status == INVALID and "ExifTool: Bad CRC for IDAT chunk" in result.messages


def test_exiftool_loads_preserves_configuration_without_complaint(tmp_path):
    exiftool = require_tool("exiftool", "the configuration is ExifTool's")
    from PIL import Image

    png = tmp_path / "plain.png"
    Image.new("L", (16, 16)).save(png)
    arguments = validation._config_arguments()
    assert arguments == ["-config", str(validation.EXIFTOOL_CONFIG)]  # shipped beside the module
    run = subprocess.run([exiftool, *arguments, "-validate", "-a", str(png)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "" and "Validate" in run.stdout and ": OK" in run.stdout


def test_a_png_whose_header_chunk_is_damaged_is_invalid_in_words(validator, tmp_path):
    from PIL import Image

    png = tmp_path / "header.png"
    Image.new("RGB", (8, 8)).save(png)
    data = bytearray(png.read_bytes())
    data[29] ^= 0xFF  # the IHDR chunk's CRC: Pillow refuses to read the file at all
    png.write_bytes(bytes(data))
    result = validator.validate(png, FormatInfo(puid="fmt/11", mime_type="image/png"))
    assert result.status == INVALID
    assert result.messages[0] == "Pillow cannot read it as an image: its header is damaged"  # not b'…' Python bytes

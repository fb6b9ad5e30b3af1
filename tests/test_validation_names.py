"""A file's name never changes its identification, validation or scan: names that are not UTF-8 too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from formats.identify import Identifier
from formats.names import library_warnings, printable
from formats.personal_data import KINDS, PersonalDataScanner
from formats.validation import INVALID, NOT_CHECKED, VALID_WITH_WARNINGS, Validator, family_of
from preservation.model import FormatInfo
from tests.corpus import make_corpus
from tests.test_validation_pdf import PDF, make_pdf, make_truncated

ODD = b"l\xe9_"  # Latin-1 'é': not UTF-8, so Python holds the name with a surrogate escape ('l\udce9_')


def odd_name(path: Path, stem: bytes = ODD) -> str:
    """A copy of ``path`` beside it, named with a byte that is not UTF-8 (as ``os.fsdecode`` gives it)."""
    target = os.fsdecode(os.fsencode(path.parent) + b"/" + stem + os.fsencode(path.name))
    shutil.copyfile(path, target)
    assert "\udce9" in target and not os.path.exists(os.fsdecode(os.fsencode(target).replace(b"\xe9", b"e")))
    return target


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[Path, FormatInfo]:
    identifier = Identifier()
    return {path: identifier.identify(path) for path in make_corpus(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture(scope="module")
def validator():
    checker = Validator(timeout=30)
    yield checker
    checker.close()


def test_every_validated_format_gets_the_same_answer_whatever_its_name(corpus, validator):
    identifier = Identifier()
    families = set()
    for path, fmt in corpus.items():
        odd = odd_name(path)
        assert identifier.identify(odd) == fmt, path.name
        plain, renamed = validator.validate(path, fmt, name="objects/f"), validator.validate(odd, fmt, name="objects/f")
        assert renamed == plain, (path.name, plain, renamed)
        if plain.status != NOT_CHECKED:
            families.add(family_of(fmt))
    assert {
        "pdf",
        "image",
        "zip",
        "ole2",
        "xml",
        "json",
        "text",
        "wave",
        "media",
        "compressed",
        "tar",
        "sqlite",
    } <= families


def test_a_truncated_pdf_with_a_name_that_is_not_utf8_is_invalid(validator, tmp_path):
    cut = odd_name(make_truncated(tmp_path / "resume.pdf"), b"r\xe9sum\xe9-")
    result = validator.validate(cut, PDF, name="objects/r%E9sum%E9-resume.pdf")
    assert result.status == INVALID and result.invalid, result
    assert "trailer" in result.messages[0] and "objects/r%E9sum%E9-resume.pdf" in result.messages[0]
    unnamed = validator.validate(cut, PDF)  # named by its file name, its odd byte shown as \xe9
    assert unnamed.status == INVALID and "r\\xe9sum\\xe9-resume.pdf" in unnamed.messages[0], unnamed.messages
    for message in unnamed.messages + result.messages:
        message.encode("utf-8")  # no surrogate escapes left: every message can be written to PREMIS
        assert str(tmp_path) not in message


def test_damaged_files_with_odd_names_are_invalid_for_the_same_reasons(corpus, validator, tmp_path):
    wanted = {"image.png", "image.jpg", "image.bmp", "catalogue.xml", "register.sqlite", "archive.zip", "sound.wav"}
    for path, fmt in corpus.items():
        if path.name not in wanted:
            continue
        damaged = tmp_path / path.name
        data = path.read_bytes()
        damaged.write_bytes(data[: len(data) * 2 // 3])
        plain = validator.validate(damaged, fmt, name="objects/f")
        renamed = validator.validate(odd_name(damaged), fmt, name="objects/f")
        assert plain.status == INVALID and renamed == plain, (path.name, plain, renamed)


def test_a_name_that_is_not_utf8_identifies_as_the_plain_one(tmp_path):
    identifier = Identifier()
    cut = make_truncated(tmp_path / "cut.pdf")  # no %%EOF: matched on its extension only
    for path in (make_pdf(tmp_path / "whole.pdf"), cut, tmp_path / "cut-whole.pdf"):
        assert identifier.identify(odd_name(path)) == identifier.identify(path)
    odd_extension = odd_name(make_pdf(tmp_path / "letter"), b"x.p\xe9f-")  # extension '.p\xe9f-letter'
    found = identifier.identify(odd_extension)
    assert found.basis == "signature" and found.puid == identifier.identify(tmp_path / "letter").puid
    assert "extension mismatch: .p\\xe9f-letter" in found.warning and found.warning.encode("utf-8")


def test_the_personal_data_scan_does_not_depend_on_the_name(corpus):
    scanner = PersonalDataScanner(KINDS)
    try:
        scanned = 0
        for path, fmt in corpus.items():
            plain = scanner.scan(path, fmt)
            assert scanner.scan(odd_name(path, b"scan-\xe9-"), fmt) == plain, path.name
            scanned += bool(plain and plain.scanned)
        assert scanned >= 5
    finally:
        scanner.close()


def test_what_a_pdf_library_says_is_kept_with_the_file_not_printed(tmp_path, capfd):
    whole = make_pdf(tmp_path / "whole.pdf").read_bytes()
    shifted = tmp_path / "shifted.pdf"  # every cross-reference offset 4 bytes out: pypdf and qpdf complain
    shifted.write_bytes(whole.replace(b"\n", b"\n%  \n", 1))
    cut = make_truncated(tmp_path / "cut.pdf")
    scanner, validator = PersonalDataScanner(KINDS), Validator(timeout=30)  # children started here: output seen
    try:
        scans = [scanner.scan(path, PDF) for path in (shifted, cut)]
        checks = [validator.validate(path, PDF) for path in (shifted, cut)]
    finally:
        scanner.close()
        validator.close()
    printed = capfd.readouterr()
    assert (printed.out, printed.err) == ("", "")
    assert all("pypdf: " in scan.note for scan in scans), scans
    assert "incorrect startxref pointer" in scans[0].note and "EOF marker not found" in scans[1].note
    assert checks[0].status == VALID_WITH_WARNINGS and checks[1].status == INVALID


def test_library_warnings_are_collected_once_and_printable():
    import logging
    import warnings

    with library_warnings() as found:
        logging.getLogger("pypdf._reader").warning("EOF marker not found")
        logging.getLogger("pypdf._reader").warning("EOF marker not found")
        logging.getLogger("somelib").info("not kept")
        warnings.warn("odd name l\udce9.pdf", UserWarning, stacklevel=1)
    assert found == ["pypdf: EOF marker not found", "UserWarning: odd name l\\xe9.pdf"]
    assert printable("l\udce9_harbour.png") == "l\\xe9_harbour.png" and printable("café") == "café"


PDF_POLICY = (
    'version = 2\n[default]\ninvalid = "accept"\n[[format]]\npuids = ["fmt/14", "fmt/15", "fmt/16", '
    '"fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276", "fmt/95", "fmt/354", "fmt/476", "fmt/477", '
    '"fmt/478"]\ninvalid = "reject"\n'
)


def test_ingest_validates_files_whose_names_are_not_utf8(preserve, corpus, tmp_path):
    transfer = tmp_path / "transfer"
    transfer.mkdir()
    by_name = {path.name: path for path in corpus}
    for name in ("image.png", "image.jpg", "image.bmp", "document.pdf"):
        shutil.copyfile(by_name[name], os.fsencode(transfer) + b"/" + ODD + name.encode())
    aip = preserve.json("ingest", str(transfer))["aip_id"]
    files = preserve.json("aip", "show", aip)["files"]
    assert len(files) == 4 and all(f["validation"]["status"] == "valid" for f in files), files


def test_ingest_refuses_a_truncated_pdf_whatever_its_name(preserve, tmp_path):
    from preservation.errors import TransferError

    (preserve.home / "policies" / "formats.toml").write_text(PDF_POLICY)
    cut = make_truncated(tmp_path / "resume.pdf").read_bytes()
    for number, name in enumerate((b"resume.pdf", b"r\xe9sum\xe9.pdf")):
        transfer = tmp_path / f"transfer-{number}"
        transfer.mkdir()
        with open(os.fsencode(transfer) + b"/" + name, "wb") as out:
            out.write(cut)
        result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
        assert "1 file(s) failed validation and the format policy refuses" in result.stderr, result.stderr
        assert "invalid fmt/" in result.stderr and "trailer" in result.stderr

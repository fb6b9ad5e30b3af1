"""PDF verdicts from real qpdf output: qpdf's warnings are 'valid with warnings', lost content is invalid."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import formats.pdf_validation as pdf_validation
from formats.validation import INVALID, NOT_CHECKED, VALID, VALID_WITH_WARNINGS, Validator
from preservation.model import FormatInfo
from tests.conftest import require_tool

PDF = FormatInfo(puid="fmt/17", mime_type="application/pdf")


def make_pdf(path: Path, pages: int = 4) -> Path:
    """An intact PDF of a few pages with text (pikepdf)."""
    import pikepdf

    with pikepdf.new() as pdf:
        for number in range(pages):
            pdf.add_blank_page()
            pdf.pages[-1].Contents = pdf.make_stream(b"BT 72 720 Td (Page %d) Tj ET" % number * 20)
        pdf.save(path)
    return path


def make_damaged_hint_table(path: Path) -> Path:
    """A PDF linearised by qpdf whose hint stream's compressed bytes are zeroed: qpdf --check exits 3."""
    qpdf = require_tool("qpdf", "to linearise a PDF")
    source = make_pdf(path.with_name(path.stem + "-source.pdf"))
    subprocess.run([qpdf, "--linearize", str(source), str(path)], check=True)
    data = bytearray(path.read_bytes())
    offset, length = map(int, re.search(rb"/H \[ (\d+) (\d+) \]", data).groups())
    start = data.index(b"stream\n", offset) + len(b"stream\n")
    end = data.index(b"endstream", start, offset + length)
    middle = (start + end) // 2
    data[middle : end - 1] = bytes(end - 1 - middle)
    path.write_bytes(bytes(data))
    return path


def linearized_with_a_flipped_byte(path: Path, where: str = "hint stream") -> Path:
    """A PDF linearised by pikepdf with the first data byte of its hint stream (or first page's contents) flipped.

    The hint stream is where the linearization dictionary's /H says, as a reader finds it."""
    import pikepdf

    with pikepdf.open(make_pdf(path.with_name(path.stem + "-source.pdf"))) as pdf:
        pdf.save(path, linearize=True)
    data = bytearray(path.read_bytes())
    linearization = re.search(rb"<<[^>]*/Linearized[^>]*>>", bytes(data[:1024])).group()
    offset = int(re.search(rb"/H\s*\[\s*(\d+)", linearization).group(1))
    if where != "hint stream":
        with pikepdf.open(path) as pdf:
            number, generation = pdf.pages[0].Contents.objgen
        offset = data.index(b"\n%d %d obj" % (number, generation)) + 1
    assert re.match(rb"\d+ \d+ obj", data[offset : offset + 20])
    start = re.compile(rb"stream\r?\n").search(data, offset).end()
    data[start] ^= 0xFF  # the zlib header: the stream no longer decodes
    path.write_bytes(bytes(data))
    return path


def make_truncated(path: Path) -> Path:
    """A PDF cut off at two thirds of its length."""
    data = make_pdf(path.with_name(path.stem + "-whole.pdf")).read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def make_encrypted(path: Path, user_password: str) -> Path:
    """A PDF encrypted by pikepdf (AES-256) with this user password ('' opens without one)."""
    import pikepdf

    with pikepdf.open(make_pdf(path.with_name(path.stem + "-plain.pdf"))) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner-secret", user=user_password))
    return path


def qpdf_check_status(path: Path) -> int:
    """What ``qpdf --check`` itself says of a file (its exit status)."""
    return subprocess.run([require_tool("qpdf"), "--check", str(path)], capture_output=True).returncode


@pytest.fixture(scope="module")
def validator():
    checker = Validator(timeout=30)
    yield checker
    checker.close()


def test_an_intact_pdf_is_valid(validator, tmp_path):
    path = make_pdf(tmp_path / "intact.pdf")
    assert qpdf_check_status(path) == 0
    result = validator.validate(path, PDF, name="objects/letters/intact.pdf")
    assert (result.status, result.messages) == (VALID, ())
    assert "qpdf 1" in result.tool and dict(result.characteristics)["pages"] == "4"


def test_a_damaged_hint_table_is_valid_with_warnings(validator, tmp_path):
    path = make_damaged_hint_table(tmp_path / "hinted.pdf")
    assert qpdf_check_status(path) == 3  # qpdf: "operation succeeded with warnings"
    result = validator.validate(path, PDF, name="objects/letters/hinted.pdf")
    assert result.status == VALID_WITH_WARNINGS, result
    assert result.ok and not result.invalid
    assert any("linearization" in message for message in result.messages), result.messages
    assert all(message.startswith("qpdf warning: objects/letters/hinted.pdf") for message in result.messages)
    assert dict(result.characteristics)["pages"] == "4"


def test_a_hint_stream_that_does_not_decode_is_valid_with_qpdfs_warnings(validator, tmp_path):
    path = linearized_with_a_flipped_byte(tmp_path / "hinted.pdf")
    assert qpdf_check_status(path) == 3  # qpdf: "operation succeeded with warnings"
    result = validator.validate(path, PDF, name="objects/hinted.pdf")
    assert result.status == VALID_WITH_WARNINGS and result.ok, result
    assert any(
        "error decoding stream data" in message and pdf_validation.HINT_NOTE in message for message in result.messages
    ), result.messages
    assert any("checking linearization data" in message for message in result.messages), result.messages
    assert all(message.startswith("qpdf warning: objects/hinted.pdf") for message in result.messages)
    assert dict(result.characteristics)["pages"] == "4"
    with open(path, "rb") as handle:
        hint = pdf_validation.hint_stream(handle)
    assert hint and f"for object {hint}:" in " ".join(result.messages)


def test_a_content_stream_that_does_not_decode_is_still_invalid(validator, tmp_path):
    path = linearized_with_a_flipped_byte(tmp_path / "contents.pdf", where="contents")
    assert qpdf_check_status(path) == 2  # qpdf --check reads every page's contents
    result = validator.validate(path, PDF)
    assert result.status == INVALID and "error decoding stream data" in result.messages[0], result
    assert not any(pdf_validation.HINT_NOTE in message for message in result.messages)


def test_a_rebuilt_cross_reference_table_is_valid_with_warnings(validator, tmp_path):
    data = make_pdf(tmp_path / "plain.pdf").read_bytes()
    shifted = tmp_path / "shifted.pdf"  # every offset in the xref table is now 4 bytes out
    shifted.write_bytes(data.replace(b"\n", b"\n%  \n", 1))
    assert qpdf_check_status(shifted) == 3
    result = validator.validate(shifted, PDF)
    assert result.status == VALID_WITH_WARNINGS, result
    assert any("reconstruct cross-reference table" in message for message in result.messages)


def test_a_truncated_pdf_is_invalid(validator, tmp_path):
    path = make_truncated(tmp_path / "cut.pdf")
    assert qpdf_check_status(path) == 2
    result = validator.validate(path, PDF, name="objects/cut.pdf")
    assert result.status == INVALID and result.invalid and not result.ok
    assert "trailer" in result.messages[0] and "objects/cut.pdf" in result.messages[0], result.messages


def test_lost_stream_data_is_invalid_even_when_qpdf_calls_it_a_warning():
    lost = ("qpdf warning: a.pdf (object 8 0, offset 788): unable to recover stream data; treating stream as empty",)
    assert pdf_validation.verdict(3, lost) == INVALID
    assert pdf_validation.verdict(3, ("qpdf warning: a.pdf: xref not found",)) == VALID_WITH_WARNINGS
    assert pdf_validation.verdict(2, ()) == INVALID
    hint = ("qpdf warning: a.pdf (offset 590): error decoding stream data for object 10 0: stream inflate: …",)
    assert pdf_validation.verdict(3, hint, hint="10 0") == VALID_WITH_WARNINGS
    assert pdf_validation.verdict(3, hint, hint="1 0") == pdf_validation.verdict(3, hint) == INVALID


def test_an_encrypted_pdf_is_not_checked(validator, tmp_path):
    path = make_encrypted(tmp_path / "locked.pdf", user_password="reader-secret")
    result = validator.validate(path, PDF)
    assert result.status == NOT_CHECKED and result.messages[0].startswith("encrypted:"), result
    assert not result.invalid and dict(result.characteristics)["encrypted"] == "yes"


def test_an_encrypted_pdf_that_opens_without_a_password_is_validated(validator, tmp_path):
    path = make_encrypted(tmp_path / "open.pdf", user_password="")
    result = validator.validate(path, PDF)
    assert result.status == VALID and result.messages == ("encrypted: opens without a password; content checked",)
    assert dict(result.characteristics)["pages"] == "4"


def test_messages_never_name_the_path_on_disk(validator, tmp_path):
    paths = [make_damaged_hint_table(tmp_path / "h.pdf"), make_truncated(tmp_path / "t.pdf")]
    for path in paths:
        named = validator.validate(path, PDF, name="objects/box 1/file.pdf")
        unnamed = validator.validate(path, PDF)
        assert named.messages and str(tmp_path) not in repr(named) + repr(unnamed)
        assert "objects/box 1/file.pdf" in named.messages[0]
        assert path.name in unnamed.messages[0]


def test_without_the_qpdf_command_pikepdf_gives_the_same_verdicts(monkeypatch, tmp_path):
    hinted, cut = make_damaged_hint_table(tmp_path / "h.pdf"), make_truncated(tmp_path / "t.pdf")
    flipped = linearized_with_a_flipped_byte(tmp_path / "f.pdf")
    monkeypatch.setattr(pdf_validation, "_qpdf", lambda: None)
    assert pdf_validation.validate_pdf(str(make_pdf(tmp_path / "fine.pdf"))).status == VALID
    for path in (hinted, flipped):
        result = pdf_validation.validate_pdf(str(path))
        assert result.status == VALID_WITH_WARNINGS and "; qpdf " not in result.tool, result
        assert all(message.startswith(f"qpdf warning: {path}") for message in result.messages), result.messages
    assert pdf_validation.validate_pdf(str(cut)).status == INVALID


def test_the_qpdf_command_runs_only_for_a_pdf_the_library_finds_a_problem_in(monkeypatch, tmp_path):
    """No process per clean PDF: the library checks first; qpdf's own verdict and words only where it complains."""
    real = require_tool("qpdf", "the qpdf command")
    calls = tmp_path / "calls"
    spy = tmp_path / "qpdf"
    spy.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    spy.chmod(0o755)
    monkeypatch.setattr(pdf_validation, "_qpdf", lambda: str(spy))
    clean = pdf_validation.validate_pdf(str(make_pdf(tmp_path / "fine.pdf")))
    assert clean.status == VALID and not calls.exists()
    cut = pdf_validation.validate_pdf(str(make_truncated(tmp_path / "t.pdf")))
    assert cut.status == INVALID and "; qpdf " in cut.tool
    assert calls.read_text().count("--check") == 1
    assert any(m.startswith("qpdf error: ") for m in cut.messages)  # the command's words (the library only warns)

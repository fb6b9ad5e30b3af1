"""The personal-data scan: detectors with their check digits, text from text/PDF/office files, and ingest."""

from __future__ import annotations

import pytest

from formats.personal_data import PersonalDataScanner, find_personal_data, luhn_valid, nhs_number_valid
from ingest.samples import _docx, _pdf
from preservation.model import FormatInfo


@pytest.mark.parametrize(
    "text, kind",
    [
        ("NI number AB 12 34 56 C on the form", "ni-number"),
        ("NHS no. 943 476 5919", "nhs-number"),
        ("paid with 4111 1111 1111 1111", "payment-card"),
        ("write to j.smith@example.org", "email"),
        ("ring 01632 960123 after six", "uk-phone"),
        ("mobile +44 7700 900123", "uk-phone"),
        ("Exeter EX1 1AA", "uk-postcode"),
    ],
)
def test_each_kind_is_found(text, kind):
    assert find_personal_data(text) == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "NHS no. 943 476 5918",  # wrong check digit
        "card 4111 1111 1111 1112",  # fails Luhn
        "QQ 12 34 56 C",  # a prefix never issued (used in examples)
        "the year 1923 and 47 parishioners",
        "ex1 1aa",  # postcodes are written in capitals
    ],
)
def test_near_misses_are_not_counted(text):
    assert find_personal_data(text) == {}


def test_check_digits():
    assert nhs_number_valid("9434765919") and not nhs_number_valid("9434765918")
    assert not nhs_number_valid("0000000000")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_text_comes_out_of_pdf_and_office_files_and_only_counts_are_kept(tmp_path):
    pdf, docx = tmp_path / "letter.pdf", tmp_path / "note.docx"
    _pdf(pdf, ("Patient 943 476 5919 seen today.", "Contact a.jones@example.org"))
    _docx(docx, ("Call 01632 960123.", "NI AB123456C"))
    scanner = PersonalDataScanner()
    try:
        found = scanner.scan(pdf, FormatInfo("fmt/17", mime_type="application/pdf"))
        assert found.scanned and found.found == {"nhs-number": 1, "email": 1}
        assert "example.org" not in found.summary() and found.summary() == "email 1, nhs-number 1"
        office = scanner.scan(
            docx,
            FormatInfo("fmt/412", mime_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        )
        assert office.found == {"uk-phone": 1, "ni-number": 1}
        assert scanner.scan(pdf, FormatInfo("fmt/11", mime_type="image/png")) is None  # not text-bearing
        broken = tmp_path / "broken.pdf"
        broken.write_bytes(b"%PDF-1.4\n" + b"\x00" * 100)
        result = scanner.scan(broken, FormatInfo("fmt/18", mime_type="application/pdf"))
        assert result is not None and result.found == {}
    finally:
        scanner.close()


def test_a_zip_bomb_in_an_office_file_is_read_only_up_to_the_limit(tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        paragraph = "<w:p><w:r><w:t>" + "a" * 1000 + "</w:t></w:r></w:p>"
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body>' + paragraph * 200_000 + "</w:body></w:document>",
        )
    scanner = PersonalDataScanner(max_bytes=100_000)
    try:
        result = scanner.scan(
            bomb,
            FormatInfo("fmt/412", mime_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        )
        assert result.scanned and "only the first 100000 characters" in result.note
    finally:
        scanner.close()


def test_ingest_records_findings_and_flags_files_for_review(preserve, collection):
    (collection / "registers").mkdir()
    (collection / "registers" / "members.csv").write_text(
        "name,ni,email\nA. Smith,AB 12 34 56 C,a.smith@example.org\nB. Jones,CE 65 43 21 A,b.jones@example.org\n"
    )
    _pdf(collection / "registers" / "letter.pdf", ("Write to the clerk at clerk@example.org",))
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip_id)
    files = {f["path"].removeprefix("data/objects/"): f for f in shown["files"]}
    members, letter = files["registers/members.csv"], files["registers/letter.pdf"]
    assert (members["personal_data"], members["review"]) == ("email 2, ni-number 2", "pending review")
    assert (letter["personal_data"], letter["review"]) == ("email 1", "")  # e-mail alone: recorded, not flagged
    assert files["photographs/church-tower.png"]["personal_data"] == ""  # not text-bearing
    event = next(
        e for e in shown["events"] if e["type"] == "forensic feature analysis" and e["file_id"] == members["id"]
    )
    assert event["outcome"] == "warning" and "example.org" not in str(shown["events"])

    preserve.lose_catalogue()
    preserve.json("catalogue", "rebuild")
    rebuilt = {f["path"]: f for f in preserve.json("aip", "show", aip_id)["files"]}
    assert rebuilt["data/objects/registers/members.csv"]["review"] == "pending review"
    assert rebuilt["data/objects/registers/members.csv"]["personal_data"] == "email 2, ni-number 2"


def test_an_encrypted_pdf_is_not_scanned_and_says_why(tmp_path):
    import pikepdf

    sealed = tmp_path / "sealed.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(sealed, encryption=pikepdf.Encryption(owner="o", user="secret"))
    scanner = PersonalDataScanner()
    try:
        result = scanner.scan(sealed, FormatInfo("fmt/18", mime_type="application/pdf"))
    finally:
        scanner.close()
    assert not result.scanned and result.summary() == "not scanned: encrypted: its text cannot be read"

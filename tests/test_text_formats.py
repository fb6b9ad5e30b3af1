"""Text formats PRONOM cannot sign are recognised from their content (libmagic), not their names."""

from __future__ import annotations

import pytest

from formats import text
from formats.identify import Identifier
from tests.conftest import REQUIRE_TOOLS


@pytest.fixture(scope="module")
def identifier():
    if not text.available():
        if REQUIRE_TOOLS:
            pytest.fail("libmagic is not installed; PRESERVE_REQUIRE_TOOLS=1 requires it")
        pytest.skip("libmagic (Debian package libmagic1) is not installed")
    return Identifier()


@pytest.mark.parametrize(
    ("name", "content", "puid", "mime"),
    [
        (
            "burials.csv",
            b"name,age,abode\nAnn Harvey,74,Church Street\nTom Penrose,3,Mill Lane\n",
            "x-fmt/18",
            "text/csv",
        ),
        ("register.json", b'{"entries": [{"name": "Ann"}, {"name": "Tom"}]}\n', "fmt/817", "application/json"),
        ("notes.txt", b"Transcription notes\nfolio 12 is water-damaged\n", "x-fmt/111", "text/plain"),
        ("catalogue.xml", b"<catalogue><item ref='A/1'>Minutes</item></catalogue>\n", "fmt/101", "text/xml"),
        ("README.md", b"# Parish records\n\nSee *the list* below.\n", "fmt/1149", "text/markdown"),
        ("latin1.txt", "Caf\xe9 on the quay\n".encode("latin-1"), "x-fmt/111", "text/plain"),
        ("data-without-extension", b"a,b,c\n1,2,3\n4,5,6\n", "x-fmt/18", "text/csv"),
    ],
)
def test_text_is_identified_by_content(identifier, tmp_path, name, content, puid, mime):
    path = tmp_path / name
    path.write_bytes(content)
    result = identifier.identify(path)
    assert (result.puid, result.mime_type, result.basis) == (puid, mime, "text")


def test_binary_content_keeps_the_extension_guess(identifier, tmp_path):
    path = tmp_path / "fake.csv"
    path.write_bytes(bytes(range(256)) * 4)
    result = identifier.identify(path)
    assert result.basis == "extension" and "not an identification" in result.warning


def test_a_text_extension_on_a_signed_format_is_a_mismatch(identifier, collection, tmp_path):
    renamed = tmp_path / "photo.txt"
    renamed.write_bytes((collection / "photographs" / "harbour-1923.jpg").read_bytes())
    result = identifier.identify(renamed)
    assert (result.puid, result.basis) == ("fmt/43", "signature")
    assert "extension mismatch: .txt is not usual for fmt/43" in result.warning

"""PRONOM identification through FIDO's signatures."""

from __future__ import annotations

import pytest

from formats.identify import Identifier, identifier_description
from ingest.samples import make_sample_collection


@pytest.fixture(scope="module")
def identifier():
    return Identifier()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    root = tmp_path_factory.mktemp("samples")
    make_sample_collection(root)
    return root


@pytest.mark.parametrize(
    ("name", "puid", "basis"),
    [
        ("photographs/harbour-1923.jpg", "fmt/43", "signature"),
        ("photographs/church-tower.png", "fmt/11", "signature"),
        ("documents/vestry-minutes-1923.pdf", "fmt/17", "signature"),
        ("documents/restoration-report.docx", "fmt/412", "container"),
        ("documents/tithe-accounts.xlsx", "fmt/214", "container"),
        ("audio/oral-history-interview.wav", "fmt/141", "signature"),
    ],
)
def test_sample_formats(identifier, samples, name, puid, basis):
    result = identifier.identify(samples / name)
    assert (result.puid, result.basis) == (puid, basis)
    assert result.tool.startswith("FIDO ") and "PRONOM signatures v" in result.tool


def test_extension_alone_is_not_an_identification(identifier, tmp_path):
    fake = tmp_path / "not-really.pdf"
    fake.write_bytes(b"\x00\x01 random bytes that no signature matches \xfe\xff")
    result = identifier.identify(fake)
    assert result.basis == "extension"
    assert result.puid  # tentative PUID kept
    assert "not an identification" in result.warning


def test_nothing_matches(identifier, tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(b"\x00\x01\x02\x03")
    result = identifier.identify(blob)
    assert result.puid == "" and result.basis == "none"


def test_empty_file(identifier, tmp_path):
    empty = tmp_path / "empty.dat"
    empty.write_bytes(b"")
    assert identifier.identify(empty).basis in ("none", "extension")


def test_description_without_loading():
    name, version, signatures = identifier_description()
    assert name == "FIDO" and version and signatures.isdigit()

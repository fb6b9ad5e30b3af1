"""DROID signature files compiled into signature sets, imported into an archive, and used."""

from __future__ import annotations

import json
import re
import sysconfig
from pathlib import Path

import fido
import pytest

from formats.engine import Matcher
from formats.signatures import SignatureSet, from_droid, from_fido
from preservation.errors import FormatError
from tests.pronom_files import unpack_signature_files

FIDO_CONF = Path(fido.__file__).parent / "conf"


@pytest.fixture(scope="module")
def signature_files(tmp_path_factory):
    return unpack_signature_files(tmp_path_factory.mktemp("pronom"))


@pytest.fixture(scope="module")
def v118(signature_files):
    return from_droid(*signature_files)


def test_the_published_files_compile_completely(v118):
    assert v118.version == "DROID V118; containers 20240501"
    assert len(v118.formats) > 2400 and len(v118.containers) > 250
    assert set(v118.triggers) == {"ZIP", "OLE2"}
    for fmt in v118.formats:
        for sig in fmt.signatures:
            for pattern in sig.patterns:
                re.compile(pattern.regex)
    for container in v118.containers:
        assert container.files, container.id
        for member in container.files:
            for sequences in member.signatures:
                for regex in sequences:
                    re.compile(regex)
    jpeg = next(f for f in v118.formats if f.puid == "fmt/43")
    assert "jpg" in jpeg.extensions and jpeg.mime == "image/jpeg" and jpeg.signatures


def test_saved_set_reads_back_identically(v118, tmp_path):
    v118.save(tmp_path / "set.json")
    assert SignatureSet.load(tmp_path / "set.json") == v118


def test_sample_collection_with_the_current_signatures(v118, collection):
    matcher = Matcher(v118)
    expected = {
        "photographs/harbour-1923.jpg": ("fmt/43", "signature"),
        "photographs/church-tower.png": ("fmt/11", "signature"),
        "photographs/estate-map.tif": ("fmt/353", "signature"),
        "documents/vestry-minutes-1923.pdf": ("fmt/17", "signature"),
        "documents/restoration-report.docx": ("fmt/412", "container"),
        "documents/tithe-accounts.xlsx": ("fmt/214", "container"),
        "audio/oral-history-interview.wav": ("fmt/141", "signature"),
        "web/parish-newsletter.html": ("fmt/471", "signature"),
    }
    for name, (puid, basis) in expected.items():
        match = matcher.identify_file(str(collection / name))
        assert (match.formats[0].puid, match.basis) == (puid, basis), name


def test_compiler_agrees_with_fidos_own_conversion_of_the_same_release(collection):
    """FIDO ships DROID v109 and its own regex conversion of it: compiled ourselves, answers must agree."""
    ours = Matcher(
        from_droid(FIDO_CONF / "DROID_SignatureFile-v109.xml", FIDO_CONF / "container-signature-20200121.xml")
    )
    fidos = Matcher(from_fido(FIDO_CONF))
    paths = sorted(p for p in collection.rglob("*") if p.is_file())
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths += sorted(stdlib.rglob("*.py"))[:60] + sorted(stdlib.rglob("*.pyc"))[:30]
    paths += sorted(
        p
        for p in Path(sysconfig.get_paths()["platlib"]).rglob("*")
        if p.suffix in (".so", ".png", ".gif", ".xsd", ".xml", ".json", ".zip", ".gz", ".html")
    )[:300]
    compared = 0
    for path in paths:
        a, b = fidos.identify_file(str(path)), ours.identify_file(str(path))
        if {a.basis, b.basis} & {"signature", "container"}:
            compared += 1
            assert ([f.puid for f in a.formats], a.basis) == ([f.puid for f in b.formats], b.basis), path
    assert compared > 100


def test_not_a_droid_file_is_refused(tmp_path):
    bogus = tmp_path / "x.xml"
    bogus.write_text("<root/>")
    with pytest.raises(FormatError, match="not a DROID signature file"):
        from_droid(bogus)
    broken = tmp_path / "broken.xml"
    broken.write_text("<FFSignatureFile")
    with pytest.raises(FormatError, match="cannot read the DROID signature file"):
        from_droid(broken)


def test_import_makes_the_set_active_for_identify_and_ingest(preserve, collection, signature_files):
    before = preserve.json("formats", "active")
    assert before["version"].startswith("FIDO PRONOM v")
    imported = preserve.json("formats", "import-droid", *map(str, signature_files))
    assert imported["version"] == "DROID V118; containers 20240501" and imported["active"] is True
    assert preserve.json("formats", "active")["version"] == imported["version"]
    report = json.loads(preserve("identify", "--json", str(collection / "photographs")).stdout)
    assert report["signatures"] == imported["version"]
    aip = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip)
    identified = [e for e in shown["events"] if e["type"] == "format identification"]
    assert identified and all("DROID V118" in e["detail"] for e in identified)
    tool = next(a for a in shown["agents"] if a["name"] == "preserve-pronom")
    assert "DROID V118" in tool["note"]

"""PRONOM identification through FIDO's signatures."""

from __future__ import annotations

from pathlib import Path

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
    assert result.tool.startswith("preserve-pronom ") and "PRONOM v" in result.tool


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
    assert name == "preserve-pronom" and version and signatures.startswith("FIDO PRONOM v")


def _stock_fido_answers(paths):
    """What unmodified FIDO says about each path: (PUIDs, match type)."""
    import xml.etree.ElementTree as ET

    import fido
    from fido.fido import Fido

    conf = Path(fido.__file__).parent / "conf"
    versions = ET.parse(conf / "versions.xml").getroot()
    answers = {}
    current = {}

    def collect(_name, matches, _delta, matchtype=""):
        current["value"] = (tuple(el.findtext("puid") for el, _ in matches), matchtype)

    stock = Fido(
        quiet=True,
        handle_matches=collect,
        conf_dir=str(conf),
        format_files=[versions.findtext("pronomSignature"), "format_extensions.xml"],
    )
    stock.containersignature_file = versions.findtext("pronomContainerSignature")
    for path in paths:
        current.clear()
        stock.identify_file(str(path))
        answers[path] = current.get("value", ((), ""))
    return answers


def test_answers_equal_stock_fido_on_fidos_signatures(identifier, samples, tmp_path):
    """Byte-signature and extension answers must equal FIDO's; where FIDO opened a container, so must we."""
    import random
    import sysconfig

    rng = random.Random(2026)
    paths = sorted(p for p in samples.rglob("*") if p.is_file())
    for first in range(256):  # every possible first byte, followed by plausible and random content
        path = tmp_path / f"first-{first:02x}.bin"
        path.write_bytes(bytes([first]) + rng.randbytes(rng.choice([3, 40, 600, 5000, 300_000])))
        paths.append(path)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths += sorted(stdlib.rglob("*.py"))[:40] + sorted(stdlib.rglob("*.pyc"))[:20]
    paths += sorted(
        p
        for p in Path(sysconfig.get_paths()["platlib"]).rglob("*")
        if p.suffix in (".so", ".png", ".gif", ".xsd", ".xml", ".json", ".txt", ".zip", ".gz")
    )[:200]
    expected = _stock_fido_answers(paths)
    different = []
    containers = 0
    for path in paths:
        match = identifier.matcher.identify_file(str(path))
        puids, matchtype = expected[path]
        if match.basis == "container" and matchtype in ("container", "signature"):
            containers += 1  # a container signature is more exact than FIDO's byte match; checked elsewhere
            continue
        if matchtype == "container":
            containers += 1
            if match.basis != "container":
                different.append((path, match, expected[path]))
            continue
        got = tuple(fmt.puid for fmt in match.formats)
        if got != puids or (puids and match.basis != matchtype):
            different.append((path, (got, match.basis), expected[path]))
    assert different == []
    assert len(paths) > 400 and containers >= 2


def test_the_shipped_compiled_fido_set_is_what_compiling_fidos_data_gives():
    """Every process loads FIDO's set compiled (0.02 s) instead of parsing its XML (0.1 s): the shipped file must be
    exactly that set, for the opf-fido installed. Regenerate it with `.venv/bin/python -m formats.identify`."""
    from formats.identify import _fido_conf, builtin_compiled, load_signatures
    from formats.signatures import SignatureSet, from_fido

    shipped = builtin_compiled()
    assert shipped.is_file(), f"{shipped.name} is missing: run `.venv/bin/python -m formats.identify` and commit it"
    assert SignatureSet.load(shipped) == from_fido(_fido_conf()), "stale: run `.venv/bin/python -m formats.identify`"
    assert load_signatures() == SignatureSet.load(shipped)

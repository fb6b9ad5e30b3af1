"""METS/PREMIS writing (streaming, schema-valid) and the BagIt tag files."""

from __future__ import annotations

import io
import shutil

import pytest
from lxml import etree

from ingest.bags import validate_bag
from preservation.bag import BagEntry, decode_path, encode_path, write_tag_files
from preservation.identifiers import event_uuid, file_uuid, timestamp, xml_id
from preservation.mets import METS_NS, MetsFile, MetsHeader, href_path, path_href, write_mets
from preservation.model import Agent, Event, FileRecord, FormatInfo
from preservation.premis import PREMIS_NS
from tests.schemas import validate_mets

AIP = "11111111-2222-4333-8444-555555555555"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NS = {"mets": METS_NS, "premis": PREMIS_NS}


def _files(paths):
    def files():
        for path in paths:
            file_id = file_uuid(AIP, path)
            record = FileRecord(
                file_id,
                AIP,
                f"data/objects/{path}",
                f"objects/{path}",
                3,
                "a" * 64,
                "b" * 128,
                FormatInfo("fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature"),
            )
            event = Event(
                event_uuid("t", file_id, "message digest calculation"),
                AIP,
                "message digest calculation",
                timestamp(),
                "success",
                "program=preserve",
                "",
                file_id,
                ("agent-1",),
            )
            yield MetsFile(record, (event,))

    return files


def _mets(paths) -> etree._ElementTree:
    out = io.BytesIO()
    header = MetsHeader(AIP, "Title & <things>", timestamp(), "Archive", "preserve 0.1", "title-" + AIP)
    agents = [Agent("agent-1", "software", "preserve", "0.1")]
    write_mets(out, header, agents, [], _files(paths))
    return etree.fromstring(out.getvalue()).getroottree()


def test_mets_is_valid_against_the_official_schemas():
    tree = _mets(["a.jpg", "b/c.jpg", "b/d/e.jpg", "b/f.jpg", "g.jpg"])
    assert validate_mets(tree) == []
    assert tree.getroot().get("OBJID") == f"urn:uuid:{AIP}"
    assert all(not i[0].isdigit() for i in tree.xpath("//@ID"))


def test_struct_map_nests_folders_in_order():
    tree = _mets(["a.jpg", "b/c.jpg", "b/d/e.jpg", "b/f.jpg", "g.jpg"])
    root_div = tree.find(".//mets:structMap/mets:div", NS)
    data = root_div.find("mets:div[@LABEL='data']/mets:div[@LABEL='objects']", NS)
    labels = [d.get("LABEL") for d in data]
    assert labels == ["a.jpg", "b", "g.jpg"]
    b = data.find("mets:div[@LABEL='b']", NS)
    assert [d.get("LABEL") for d in b] == ["c.jpg", "d", "f.jpg"]
    fptrs = tree.findall(".//mets:fptr", NS)
    file_ids = {f.get("ID") for f in tree.findall(".//mets:file", NS)}
    assert {f.get("FILEID") for f in fptrs} == file_ids and len(file_ids) == 5


def test_namespaces_are_declared_once():
    text = etree.tostring(_mets(["a.jpg", "b.jpg"]))
    assert text.count(b'xmlns:premis="') == 1
    assert b"ns0:" not in text


def test_a_broken_premis_object_fails_validation():
    tree = _mets(["a.jpg"])
    obj = tree.find(".//premis:object", NS)
    obj.remove(obj.find("premis:objectCharacteristics", NS))
    errors = validate_mets(tree)
    assert errors and any("originalName" in e for e in errors)


def test_a_premis_event_without_a_type_fails_validation():
    tree = _mets(["a.jpg"])
    event = tree.find(".//premis:event", NS)
    event.remove(event.find("premis:eventType", NS))
    assert validate_mets(tree)


def test_a_bogus_mets_element_fails_validation():
    tree = _mets(["a.jpg"])
    etree.SubElement(tree.find(".//mets:fileSec", NS), f"{{{METS_NS}}}bogus")
    assert validate_mets(tree)


@pytest.mark.parametrize("path", ["plain.txt", "with space.txt", "100% report.txt", "line\nbreak.txt", "cr\rhere"])
def test_manifest_path_encoding_round_trips(path):
    assert decode_path(encode_path(path)) == path
    assert "\n" not in encode_path(path) and "\r" not in encode_path(path)


def test_tag_files_make_a_valid_bag(tmp_path):
    bag = tmp_path / "bag"
    payload = {"data/objects/a.txt": b"alpha", "data/objects/sub/b b.txt": b"beta", "data/objects/p%c.txt": b"%"}
    import hashlib

    for path, data in payload.items():
        (bag / path).parent.mkdir(parents=True, exist_ok=True)
        (bag / path).write_bytes(data)
    entries = [
        BagEntry(p, len(d), hashlib.sha256(d).hexdigest(), hashlib.sha512(d).hexdigest()) for p, d in payload.items()
    ]
    tags = write_tag_files(bag, lambda: iter(entries), [("Source-Organization", "Test\nArchive")])
    assert [t.path for t in tags] == [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ]
    report = validate_bag(bag)
    assert report.valid, report.errors
    assert dict(report.info)["Payload-Oxum"] == "10.3"
    assert dict(report.info)["Source-Organization"] == "Test Archive"
    assert "%25c.txt" in (bag / "manifest-sha256.txt").read_text()
    for tag in tags:
        assert tag.sha256 == hashlib.sha256((bag / tag.path).read_bytes()).hexdigest()

    shutil.copy(bag / "data/objects/a.txt", bag / "data/objects/sub/b b.txt")
    errors = validate_bag(bag).errors
    assert any(e.startswith("data/objects/sub/b b.txt: sha256 checksum mismatch") for e in errors), errors


def test_identifiers_are_deterministic_and_xml_safe():
    assert file_uuid(AIP, "a/b") == file_uuid(AIP, "a/b") != file_uuid(AIP, "a/c")
    assert event_uuid("t", "f", "step") == event_uuid("t", "f", "step") != event_uuid("t2", "f", "step")
    assert xml_id("file", "0abc") == "file-0abc"
    assert timestamp().endswith("+00:00")


def test_a_file_location_is_read_back_in_either_form_it_was_written():
    stored = "data/objects/letters/a%5Cb 1921#2?.txt"
    written = path_href(stored)
    assert written == "data/objects/letters/a%255Cb%201921%232%3F.txt"
    assert href_path(etree.Element("FLocat", {"LOCTYPE": "URL", XLINK_HREF: written})) == stored
    # METS written before locations were URIs hold the path as it is
    assert (
        href_path(etree.Element("FLocat", {"LOCTYPE": "OTHER", "OTHERLOCTYPE": "SYSTEM", XLINK_HREF: stored})) == stored
    )

"""Folder entries of zip files written by Windows tools: a trailing backslash, the MS-DOS directory attribute."""

from __future__ import annotations

import zipfile


def _windows_zip(path, folder_name: str, attributes: int) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("objects\\letters\\to the vicar.txt", b"Dear Sir,\n")
        folder = zipfile.ZipInfo(folder_name)
        folder.external_attr = attributes
        folder.create_system = 0  # MS-DOS, as Windows tools write it
        archive.writestr(folder, b"")


def test_a_folder_entry_named_with_a_backslash_is_an_empty_folder(preserve, tmp_path):
    _windows_zip(tmp_path / "accession.zip", "objects\\not yet scanned\\", 0x10)
    summary = preserve.json("ingest", str(tmp_path / "accession.zip"))
    assert summary["counts"]["original"]["files"] == 1 and summary["empty_folders"] == ["data/objects/not yet scanned"]
    shown = preserve.json("aip", "show", summary["aip_id"])
    assert "data/objects/not yet scanned" not in {f["path"] for f in shown["files"]}


def test_an_empty_entry_with_the_directory_attribute_is_a_folder(preserve, tmp_path):
    _windows_zip(tmp_path / "accession.zip", "objects/drafts", 0x10)
    summary = preserve.json("ingest", str(tmp_path / "accession.zip"))
    assert summary["counts"]["original"]["files"] == 1 and summary["empty_folders"] == ["data/objects/drafts"]

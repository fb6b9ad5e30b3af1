"""Paths in an AIP as people give them to --path: as `aip show` prints them (data/objects/…), from a folder of the
bag (objects/…, derivatives/…, metadata/…), or bare within the records (photographs/…); and a depositor's name
that holds a backslash, typed as they wrote it."""

from __future__ import annotations

from catalogue import Database
from catalogue import queries as catalogue
from ingest.sources import logical_name

BAG_FOLDERS = ("objects", "derivatives", "metadata", "logs")  # the folders of a bag's data/ (docs/aip.md)


def bag_path(given: str) -> str:
    """The bag path the catalogue keys files by, for a path given to --path ('' for the whole AIP); a backslash
    is read as a folder separator (a path copied from Windows)."""
    wanted = given.replace("\\", "/").strip("/")
    if not wanted or wanted == "data" or wanted.startswith("data/"):
        return wanted
    return f"data/{wanted}" if wanted.split("/")[0] in BAG_FOLDERS else f"data/objects/{wanted}"


def found_bag_path(database: Database, aip_id: str, given: str) -> str:
    """``bag_path(given)``, unless it holds no file of the AIP and ``given`` has a backslash that was part of a
    depositor's name (stored as %5C by the renaming rule, docs/aip.md): then the stored form of that name."""
    separated = bag_path(given)
    if "\\" not in given or _holds_files(database, aip_id, separated):
        return separated
    named = bag_path(logical_name(given.strip("/")))
    return named if _holds_files(database, aip_id, named) else separated


def _holds_files(database: Database, aip_id: str, path: str) -> bool:
    with database.session() as session:
        return next(iter(catalogue.aip_files(session, aip_id, path)), None) is not None

"""Writing an EAD 2002 finding aid (the XML Schema's namespace, as The National Archives' Discovery and Archives
Hub take them) from units of description already chosen — what may be shown is decided before this is called."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

EAD = "urn:isbn:1-931666-22-9"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LEVELS = {"class", "collection", "file", "fonds", "item", "recordgrp", "series", "subfonds", "subgrp", "subseries"}
ISO_RANGE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?")  # what unitdate/@normal may hold


@dataclass
class ExportUnit:
    """A unit of description as it is to be written, with the units below it."""

    reference: str
    level: str = ""
    title: str = ""
    date: str = ""  # EDTF
    date_text: str = ""
    extent: str = ""
    scope: str = ""
    access_text: str = ""
    creators: tuple[str, ...] = ()
    link: str = ""  # where a person can see it (the portal's record page), for open records
    children: list[ExportUnit] = field(default_factory=list)


@dataclass(frozen=True)
class Repository:
    """Who holds the records: in the header and in every reference code's attributes."""

    name: str
    country: str = ""  # ISO 3166
    code: str = ""  # the repository code


def write_ead(out: IO[bytes], top: ExportUnit, repository: Repository, created: str) -> None:
    """Write ``top`` and everything below it as one EAD 2002 document."""
    E = _Maker()
    root = E("ead", nsmap={None: EAD, "xlink": XLINK, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{EAD} https://www.loc.gov/ead/ead.xsd")
    header = E.sub(
        root, "eadheader", countryencoding="iso3166-1", repositoryencoding="iso15511", dateencoding="iso8601"
    )
    eadid = E.sub(header, "eadid", text=top.reference)
    if repository.country and repository.code:
        eadid.set("countrycode", repository.country)
        eadid.set("mainagencycode", f"{repository.country}-{repository.code}")
    titlestmt = E.sub(E.sub(header, "filedesc"), "titlestmt")
    E.sub(titlestmt, "titleproper", text=top.title or top.reference)
    E.sub(E.sub(E.sub(header, "profiledesc"), "creation", text="Exported from preserve "), "date", text=created)
    archdesc = E.sub(root, "archdesc")
    _unit(E, archdesc, top, repository, top=True)
    etree.ElementTree(root).write(out, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _unit(E: _Maker, element: etree._Element, unit: ExportUnit, repository: Repository, top: bool = False) -> None:
    level = unit.level.strip().lower()
    if level in LEVELS:
        element.set("level", level)
    elif level or top:
        element.set("level", "otherlevel")
        element.set("otherlevel", unit.level.strip() or "unit")
    did = E.sub(element, "did")
    unitid = E.sub(did, "unitid", text=unit.reference)
    if repository.country and repository.code:
        unitid.set("countrycode", repository.country)
        unitid.set("repositorycode", f"{repository.country}-{repository.code}")
    E.sub(did, "unittitle", text=unit.title or unit.reference)
    if unit.date or unit.date_text:
        date = E.sub(did, "unitdate", text=unit.date_text or unit.date)
        if ISO_RANGE.fullmatch(unit.date):
            date.set("normal", unit.date)
    if unit.extent:
        E.sub(E.sub(did, "physdesc"), "extent", text=unit.extent)
    if unit.creators:
        origination = E.sub(did, "origination", label="Creator")
        for creator in unit.creators:
            E.sub(origination, "name", text=creator)
    if top:
        E.sub(E.sub(did, "repository"), "corpname", text=repository.name)
    if unit.link:
        dao = E.sub(did, "dao")
        dao.set(f"{{{XLINK}}}type", "simple")
        dao.set(f"{{{XLINK}}}href", unit.link)
        dao.set(f"{{{XLINK}}}title", f"{unit.title or unit.reference}: the digital records")
    for tag, text in (("scopecontent", unit.scope), ("accessrestrict", unit.access_text)):
        if text:
            note = E.sub(element, tag)
            for paragraph in text.split("\n"):
                E.sub(note, "p", text=paragraph)
    if unit.children:
        container = E.sub(element, "dsc") if top else element
        for child in unit.children:
            _unit(E, E.sub(container, "c"), child, repository)


class _Maker:
    """Elements in the EAD namespace."""

    def __call__(self, tag: str, nsmap: dict[str | None, str] | None = None) -> etree._Element:
        return etree.Element(f"{{{EAD}}}{tag}", nsmap=nsmap)

    def sub(self, parent: etree._Element, tag: str, text: str = "", **attributes: str) -> etree._Element:
        child = etree.SubElement(parent, f"{{{EAD}}}{tag}", attributes)
        if text:
            child.text = xml_text(text)
        return child


def xml_text(text: str) -> str:
    """Text XML can hold: control characters (which no finding aid means) left out."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))

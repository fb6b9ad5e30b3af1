"""Reading an EAD finding aid (EAD 2002, with or without its namespace, as CALM and AtoM export it; EAD3 alike):
its units of description in document order, each with its reference code, place in the hierarchy, title, dates,
extent, scope and content, access conditions and creators — and every problem, with its line, so that an
import refuses a file whole rather than taking part of it silently.

Safe with files from anywhere: no DTD is loaded, no entity expanded, nothing fetched."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

UNIT_TAGS = {"archdesc", "c", *(f"c{n:02}" for n in range(1, 13))}
# what is read of a unit: its did's identification, scope and content, access conditions, the units inside it
READ_IN_UNIT = {"did", "scopecontent", "accessrestrict", "dsc", *UNIT_TAGS}
READ_IN_DID = {
    *("head", "unitid", "unittitle", "origination"),
    *("unitdate", "unitdatestructured", "physdesc", "physdescstructured"),
}
XINCLUDE = "{http://www.w3.org/2001/XInclude}"
MAX_BYTES = 512 * 1024 * 1024  # a finding aid larger than this is refused before it is parsed


@dataclass(frozen=True)
class EadUnit:
    """One unit of description as the finding aid gives it."""

    reference: str  # the reference code, the repository's country and code taken off
    parent: str  # the reference of the unit it sits in ('' for the top)
    level: str  # fonds, collection, series, file, item … (an otherlevel by its own name)
    title: str
    date: str  # EDTF, from unitdate/@normal where given, else the text as written
    date_text: str  # unitdate as written
    extent: str
    scope: str  # scope and content, paragraphs joined
    access: str  # accessrestrict, as written
    creators: tuple[str, ...]
    line: int


@dataclass
class EadDocument:
    """A finding aid read: its units in document order, and what is wrong with it."""

    path: str
    title: str = ""
    country: str = ""
    repository: str = ""
    units: list[EadUnit] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    not_read: dict[str, list[int]] = field(default_factory=dict)  # element name -> lines: what the catalogue skips

    def skipped(self, name: str, line: int) -> None:
        """Note an element the catalogue does not read (the finding aid still holds it)."""
        self.not_read.setdefault(name, []).append(line)


def read_ead(path: Path) -> EadDocument:
    """The units of the finding aid at ``path`` (problems listed, never raised for the content)."""
    document = EadDocument(str(path))
    if path.stat().st_size > MAX_BYTES:
        document.problems.append((0, f"larger than {MAX_BYTES // 2**20} MiB: not read"))
        return document
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        huge = "XML_PARSE_HUGE" in exc.msg or "huge" in exc.msg.lower()
        what = "a text or an element larger than is read safely (10 MB)" if huge else f"not well-formed XML: {exc.msg}"
        document.problems.append((exc.lineno or 0, what))
        return document
    except OSError as exc:  # lxml's word for bytes the declared encoding cannot read
        document.problems.append((0, f"cannot be read in the encoding it declares: {exc}"))
        return document
    if _name(root) != "ead":
        document.problems.append((root.sourceline or 0, f"the document is <{_name(root)}>, not an EAD finding aid"))
        return document
    _refuse_what_reaches_outside(root, document)
    header = _either(_first(root, "eadheader"), _first(root, "control"))  # EAD 2002, EAD3
    _note_unread(root, {"eadheader", "control", "archdesc"}, "", document)
    eadid = _either(_first(header, "eadid"), _first(header, "recordid"))
    _note_unread(header, {"eadid", "recordid"}, f"{_name(header)}/" if header is not None else "", document)
    document.country = (eadid.get("countrycode") or eadid.get("countryencoding") or "") if eadid is not None else ""
    document.repository = (eadid.get("mainagencycode") or "") if eadid is not None else ""
    agency = _first(header, "maintenanceagency")  # EAD3 names the repository here
    if agency is not None:
        document.country = document.country or agency.get("countrycode") or ""
        document.repository = document.repository or _text(_first(agency, "agencycode"))
    archdesc = _first(root, "archdesc")
    if archdesc is None:
        document.problems.append((root.sourceline or 0, "no <archdesc>: no description to read"))
        return document
    _read_unit(archdesc, "", document)
    for unit in document.units:
        wrong = reference_problem(unit.reference)
        if wrong:
            document.problems.append((unit.line, f"{unit.reference!r}: {wrong}"))
    seen: dict[str, int] = {}
    for unit in document.units:
        if unit.reference in seen:
            document.problems.append(
                (unit.line, f"{unit.reference}: given again (first at line {seen[unit.reference]})")
            )
        seen.setdefault(unit.reference, unit.line)
    document.title = document.units[0].title if document.units else ""
    return document


def _refuse_what_reaches_outside(root: etree._Element, document: EadDocument) -> None:
    """Entities other than XML's own and XIncludes are problems: they are never expanded (a title would keep
    '&name;' as its text), so the finding aid must hold what they stand for."""
    for entity in root.iter(etree.Entity):
        document.problems.append(
            (entity.sourceline or 0, f"the entity {entity.text} is not expanded: write the text it stands for")
        )
    for include in root.iter(f"{XINCLUDE}include"):
        href = include.get("href") or "?"
        document.problems.append(
            (include.sourceline or 0, f"an XInclude of {href!r}: nothing outside the file is read; put it in")
        )


def _note_unread(element: etree._Element | None, read: set[str], prefix: str, document: EadDocument) -> None:
    """Note the children of ``element`` the catalogue does not read (XIncludes are problems of their own)."""
    for child in element if element is not None else ():
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and not tag.startswith(XINCLUDE) and _name(child) not in read:
            document.skipped(prefix + _name(child), child.sourceline or 0)


def _read_unit(element: etree._Element, parent: str, document: EadDocument) -> None:
    """One unit and, in order, the units inside it (c, c01 … c12, directly or inside a dsc)."""
    did = _first(element, "did")
    _note_unread(element, READ_IN_UNIT, "", document)
    _note_unread(did, READ_IN_DID, "did/", document)
    for dsc in _all(element, "dsc"):
        _note_unread(dsc, UNIT_TAGS | {"head"}, "dsc/", document)
    line = element.sourceline or 0
    unitid = _first(did, "unitid")
    reference = _reference(_text(unitid), unitid, parent, document) if unitid is not None and _text(unitid) else ""
    if not reference:
        document.problems.append((line, f"a <{_name(element)}> with no <unitid>: a unit needs its reference code"))
    else:
        document.units.append(_unit(element, did, reference, parent, line))
    children = [child for child in element if _name(child) in UNIT_TAGS]
    for dsc in _all(element, "dsc"):
        children += [child for child in dsc if _name(child) in UNIT_TAGS]
    for child in children:
        _read_unit(child, reference or parent, document)


def _unit(element: etree._Element, did: etree._Element | None, reference: str, parent: str, line: int) -> EadUnit:
    """What the finding aid says of one unit."""
    level = element.get("otherlevel") if element.get("level") == "otherlevel" else element.get("level")
    inside = list(did.iter()) if did is not None else []
    dates = [_date(d) for d in inside if _name(d) in ("unitdate", "unitdatestructured")]
    date_text = "; ".join(text for text, _ in dates if text)
    normal = next((normal for _, normal in dates if normal), "")
    extent = "; ".join(_extent(e) for e in inside if _name(e) in EXTENTS and _extent(e))
    originations = _all(did, "origination")
    creators = [_text(name) for origination in originations for name in origination if _text(name)]
    return EadUnit(
        reference,
        parent,
        (level or "").strip(),
        _text(_first(did, "unittitle")),
        _edtf(normal) if normal else date_text,
        date_text,
        extent or _text(_first(did, "physdesc")),
        _paragraphs(_first(element, "scopecontent")),
        _paragraphs(_first(element, "accessrestrict")),
        tuple(creators or [_text(o) for o in originations if _text(o)]),
        line,
    )


EXTENTS = ("extent", "physfacet", "physdescstructured")


def _date(element: etree._Element) -> tuple[str, str]:
    """(as written, normalised) of a unitdate, or of an EAD3 unitdatestructured (its datesingle, or its daterange
    from fromdate to todate, each with its standarddate)."""
    if _name(element) != "unitdatestructured":
        return _text(element), element.get("normal") or element.get("standarddate") or ""
    single = next((d for d in element.iter() if _name(d) == "datesingle"), None)
    if single is not None:
        return _text(single), single.get("standarddate") or ""
    start = next((d for d in element.iter() if _name(d) == "fromdate"), None)
    end = next((d for d in element.iter() if _name(d) == "todate"), None)
    written = " – ".join(_text(d) for d in (start, end) if d is not None and _text(d))
    ends = [d.get("standarddate") or "" if d is not None else "" for d in (start, end)]
    return written, "/".join(e or ".." for e in ends) if any(ends) else ""


def _extent(element: etree._Element) -> str:
    """An extent as written (EAD3's physdescstructured: its quantity and unit type, "3 boxes")."""
    if _name(element) != "physdescstructured":
        return _text(element)
    return " ".join(
        _text(_first(element, part)) for part in ("quantity", "unittype") if _first(element, part) is not None
    )


MAX_REFERENCE = 255  # characters of a reference code the catalogue keeps


def reference_problem(reference: str) -> str:
    """What is wrong with a reference code ('' if nothing): characters no archive means (controls, invisible
    formatting, bidirectional overrides), empty or dot parts, or more than MAX_REFERENCE characters."""
    if len(reference) > MAX_REFERENCE:
        return f"longer than {MAX_REFERENCE} characters"
    odd = [ch for ch in reference if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")]
    if odd:
        return f"holds characters that are not for reading (U+{ord(odd[0]):04X})"
    parts = reference.split("/")
    if any(part.strip() in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' part between its '/'s"
    return ""


def _reference(given: str, unitid: etree._Element, parent: str, document: EadDocument) -> str:
    """The reference code: the repository's country and code taken off the front where the file gives them
    ("GB 0123 DRO/52" is DRO/52); a bare local identifier below a parent ("1", as AtoM writes each level's own)
    goes after the parent's code."""
    country = unitid.get("countrycode") or document.country
    repository = unitid.get("repositorycode") or document.repository
    repository = repository.removeprefix(f"{country}-") if country else repository  # GB-0123 is 0123 in GB
    code = " ".join(given.split())
    for prefix in filter(None, (f"{country} {repository}", f"{country}/{repository}", f"{country}{repository}")):
        if repository and code.upper().startswith(prefix.upper()) and len(code) > len(prefix):
            code = code[len(prefix) :].lstrip(" /-")
            break
    if repository and code.upper().startswith(repository.upper() + " "):
        code = code[len(repository) + 1 :]
    if parent and "/" not in code and not code.startswith(parent):
        code = f"{parent}/{code}"
    return code


def _edtf(normal: str) -> str:
    """EAD's normal date (ISO 8601, basic or extended, a range with '/') as EDTF."""
    parts = []
    for part in normal.strip().split("/"):
        if re.fullmatch(r"\d{8}", part):
            part = f"{part[:4]}-{part[4:6]}-{part[6:]}"
        elif re.fullmatch(r"\d{6}", part):
            part = f"{part[:4]}-{part[4:]}"
        parts.append(part)
    return "/".join(parts)


def _name(element: etree._Element) -> str:
    """An element's name without its namespace (EAD 2002 comes with and without one)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _first(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((child for child in element if _name(child) == name), None)


def _either(first: etree._Element | None, second: etree._Element | None) -> etree._Element | None:
    """The first that is there (an element with no children is false, so ``or`` will not do)."""
    return first if first is not None else second


def _all(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [child for child in element if _name(child) == name] if element is not None else []


def _text(element: etree._Element | None) -> str:
    """An element's text with its markup taken off and its spaces made single."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _paragraphs(element: etree._Element | None) -> str:
    """A note's paragraphs, its heading left out, one per line."""
    if element is None:
        return ""
    paragraphs = [_text(p) for p in element.iter() if _name(p) == "p" and _text(p)]
    return "\n".join(paragraphs) if paragraphs else _text(element)

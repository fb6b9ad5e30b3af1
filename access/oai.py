"""An OAI-PMH 2.0 data provider over what the catalogue exposes (catalogue.oai_items): the six verbs, oai_dc and
oai_ead, a set per collection, from/until by each record's change time, resumption tokens that carry their
whole position (so they survive a restart), persistent deleted records, and the protocol's own errors.
Only what an anonymous researcher may find is ever in it."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from catalogue import Database
from catalogue.oai_items import OaiItem, earliest_datestamp, get_item, list_items, oai_sets
from preservation.config import Settings
from preservation.ead_writing import ExportUnit, Repository, write_ead, xml_text

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "oai_ead": ("https://www.loc.gov/ead/ead.xsd", "urn:isbn:1-931666-22-9"),
}
PAGE = {"ListRecords": 100, "ListIdentifiers": 500}
ARGUMENTS = {  # verb -> (required, optional, exclusive)
    "Identify": ((), (), ""),
    "ListMetadataFormats": ((), ("identifier",), ""),
    "ListSets": ((), (), "resumptionToken"),
    "GetRecord": (("identifier", "metadataPrefix"), (), ""),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
MAX_ARGUMENT = 4096  # characters of one argument
SET_SAFE = "-_.!*'()"  # what a setSpec may hold besides letters and digits ('~' marks an escaped byte)


class OaiError(Exception):
    """An error the protocol defines, with its code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def answer(settings: Settings, database: Database, arguments: Mapping[str, Sequence[str]], now: str = "") -> bytes:
    """The provider's response to one request (its arguments as a query string or form gives them)."""
    now = now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = f"{settings.portal_url}/oai"
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = now
    request = etree.SubElement(root, f"{{{OAI}}}request")
    request.text = base
    try:
        verb, given = _arguments(arguments)
        for name, value in given.items():
            request.set(name, value)
        request.set("verb", verb)
        body = etree.SubElement(root, f"{{{OAI}}}{verb}")
        provider = _Provider(settings, database, body)
        getattr(provider, verb)(given)
    except OaiError as error:
        for child in list(root)[2:]:
            root.remove(child)
        if error.code in ("badVerb", "badArgument"):
            request.attrib.clear()  # the request element echoes only a request that was right
        failure = etree.SubElement(root, f"{{{OAI}}}error", code=error.code)
        failure.text = error.message
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _arguments(arguments: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, checked against what the verb takes."""
    verbs = arguments.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
        raise OaiError("badVerb", "the verb is missing, repeated or not one of the protocol's six")
    verb = verbs[0]
    required, optional, exclusive = ARGUMENTS[verb]
    given = {}
    for name, values in arguments.items():
        if name == "verb":
            continue
        if name not in (*required, *optional, exclusive) or not name:
            raise OaiError("badArgument", f"{verb} takes no argument {name!r}")
        if len(values) != 1:
            raise OaiError("badArgument", f"{name} is given more than once")
        if xml_text(values[0]) != values[0] or len(values[0]) > MAX_ARGUMENT:
            raise OaiError("badArgument", f"{name} holds characters XML cannot carry, or is too long")
        given[name] = values[0]
    if exclusive and exclusive in given:
        if len(given) > 1:
            raise OaiError("badArgument", f"{exclusive} is exclusive: no other argument may come with it")
    else:
        missing = [name for name in required if name not in given]
        if missing:
            raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
    return verb, given


class _Provider:
    """Answers each verb into the response's body element."""

    def __init__(self, settings: Settings, database: Database, body: etree._Element) -> None:
        self.settings, self.database, self.body = settings, database, body
        self.host = urlsplit(settings.portal_url).hostname or "localhost"

    def Identify(self, _given: dict[str, str]) -> None:  # noqa: N802 - the protocol's verb
        """What the repository is."""
        with self.database.session() as session:
            earliest = earliest_datestamp(session)
        for tag, value in (
            ("repositoryName", self.settings.archive_name),
            ("baseURL", f"{self.settings.portal_url}/oai"),
            ("protocolVersion", "2.0"),
            ("adminEmail", self.settings.contact_email or self.settings.mail_sender or f"archives@{self.host}"),
            ("earliestDatestamp", earliest),
            ("deletedRecord", "persistent"),
            ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
        ):
            self._sub(self.body, tag, value)

    def ListMetadataFormats(self, given: dict[str, str]) -> None:  # noqa: N802
        """The formats every record is given in."""
        if "identifier" in given:
            self._item(given["identifier"])
        for prefix, (schema, namespace) in FORMATS.items():
            entry = self._sub(self.body, "metadataFormat")
            self._sub(entry, "metadataPrefix", prefix)
            self._sub(entry, "schema", schema)
            self._sub(entry, "metadataNamespace", namespace)

    def ListSets(self, given: dict[str, str]) -> None:  # noqa: N802
        """A set per collection."""
        if "resumptionToken" in given:
            raise OaiError("badResumptionToken", "the list of sets is given whole: it has no resumption token")
        with self.database.session() as session:
            sets = oai_sets(session)
        for collection, title in sets:
            entry = self._sub(self.body, "set")
            self._sub(entry, "setSpec", set_spec(collection))
            self._sub(entry, "setName", title)

    def GetRecord(self, given: dict[str, str]) -> None:  # noqa: N802
        """One record."""
        prefix = self._format(given["metadataPrefix"])
        self._record(self.body, self._item(given["identifier"]), prefix)

    def ListIdentifiers(self, given: dict[str, str]) -> None:  # noqa: N802
        """Headers of the records selected."""
        self._list("ListIdentifiers", given)

    def ListRecords(self, given: dict[str, str]) -> None:  # noqa: N802
        """The records selected."""
        self._list("ListRecords", given)

    def _list(self, verb: str, given: dict[str, str]) -> None:
        token = given.get("resumptionToken")
        position = _read_token(token, verb) if token else _position(given)
        prefix = self._format(position["m"])
        limit = PAGE[verb]
        with self.database.session() as session:
            items = list_items(session, position["s"], position["f"], position["u"], position["a"], limit + 1)
        if not items and not token:
            raise OaiError("noRecordsMatch", "no record matches the arguments given")
        for item in items[:limit]:
            if verb == "ListRecords":
                self._record(self.body, item, prefix)
            else:
                self._header(self.body, item)
        if len(items) > limit:
            self._sub(self.body, "resumptionToken", _write_token(verb, {**position, "a": items[limit - 1].reference}))
        elif token:
            self._sub(self.body, "resumptionToken")  # the list is complete: an empty token says so

    def _format(self, prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"no metadata format {prefix!r}: oai_dc and oai_ead are given")
        return prefix

    def _item(self, identifier: str) -> OaiItem:
        local = self._local(identifier)
        with self.database.session() as session:
            item = get_item(session, local) if local else None
        if item is None:
            raise OaiError("idDoesNotExist", f"no record {identifier!r} in this repository")
        return item

    def _local(self, identifier: str) -> str:
        """The reference code an identifier names — in the one form the repository gives it ('' otherwise)."""
        scheme = f"oai:{self.host}:"
        if not identifier.startswith(scheme):
            return ""
        local = unquote(identifier[len(scheme) :])
        return local if quote(local, safe=IDENTIFIER_SAFE) == identifier[len(scheme) :] else ""

    def _header(self, parent: etree._Element, item: OaiItem) -> None:
        header = self._sub(parent, "header")
        if item.deleted:
            header.set("status", "deleted")
        self._sub(header, "identifier", f"oai:{self.host}:{quote(item.reference, safe=IDENTIFIER_SAFE)}")
        self._sub(header, "datestamp", item.datestamp)
        if item.collection:
            self._sub(header, "setSpec", set_spec(item.collection))

    def _record(self, parent: etree._Element, item: OaiItem, prefix: str) -> None:
        record = self._sub(parent, "record")
        self._header(record, item)
        if item.deleted:
            return
        metadata = self._sub(record, "metadata")
        metadata.append(self._dc(item) if prefix == "oai_dc" else self._ead(item))

    def _link(self, item: OaiItem) -> str:
        fields = item.fields
        if fields.get("access") != "open":
            return ""
        if not fields.get("aip_id"):  # a unit of the archive's own catalogue: its page in the portal
            return f"{self.settings.portal_url}/catalogue/{quote(item.reference)}"
        path = f"/{quote(fields['path'])}" if fields.get("path") else ""
        return f"{self.settings.portal_url}/records/{fields['aip_id']}{path}"

    def _dc(self, item: OaiItem) -> etree._Element:
        fields = item.fields
        dc = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
        dc.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

        def add(element: str, value: str) -> None:
            if value:
                etree.SubElement(dc, f"{{{DC}}}{element}").text = xml_text(value)

        add("title", fields.get("title") or item.reference)
        add("identifier", item.reference)
        add("identifier", self._link(item))
        add("date", fields.get("date", ""))
        add("type", fields.get("level", ""))
        for element, values in sorted(fields.get("dc", {}).items()):
            if element in ("title", "date", "identifier") or element.startswith("dcterms."):
                continue
            for value in values:
                add(element, value)
        if fields.get("parent"):
            add("relation", f"isPartOf {fields['parent']}")
        return dc

    def _ead(self, item: OaiItem) -> etree._Element:
        fields = item.fields
        values = fields.get("dc", {})
        unit = ExportUnit(
            item.reference,
            fields.get("level", ""),
            fields.get("title", ""),
            fields.get("date", ""),
            fields.get("date", ""),
            "; ".join(values.get("format", [])),
            "\n".join(values.get("description", [])),
            "\n".join(values.get("rights", [])),
            tuple(values.get("creator", [])),
            self._link(item),
        )
        out = io.BytesIO()
        repository = Repository(self.settings.archive_name, self.settings.country_code, self.settings.repository_code)
        write_ead(out, unit, repository, item.datestamp[:10])
        return etree.fromstring(out.getvalue())

    def _sub(self, parent: etree._Element, tag: str, text: str = "") -> etree._Element:
        child = etree.SubElement(parent, f"{{{OAI}}}{tag}")
        if text:
            child.text = xml_text(text)
        return child


IDENTIFIER_SAFE = "-_.!~*'();/?:@&=+$,"  # what the local part of an oai-identifier may hold as it is


def set_spec(collection: str) -> str:
    """A collection's reference as a setSpec (letters, digits and -_.!*'(); any other byte as ~XX)."""
    return quote(collection, safe=SET_SAFE).replace("~", "%7E").replace("%", "~")  # quote keeps '~': escaped too


def _position(given: dict[str, str]) -> dict[str, str]:
    """Where a list starts: its format, set and datestamp range, checked."""
    since, until = given.get("from", ""), given.get("until", "")
    for value in (since, until):
        if value and not (DAY.fullmatch(value) or SECOND.fullmatch(value)) or not _a_time(value):
            raise OaiError("badArgument", f"{value!r} is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
    if since and until and len(since) != len(until):
        raise OaiError("badArgument", "from and until must have the same granularity")
    since = since + "T00:00:00Z" if DAY.fullmatch(since) else since
    until = until + "T23:59:59Z" if DAY.fullmatch(until) else until
    if since and until and since > until:
        raise OaiError("badArgument", "from is after until")
    collection = ""
    if "set" in given:
        collection = unquote(given["set"].replace("~", "%"))
    return {"m": given["metadataPrefix"], "s": collection, "f": since, "u": until, "a": ""}


def _a_time(value: str) -> bool:
    """Whether a datestamp names a real day (and time): 2026-02-30 does not."""
    if not value:
        return True
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ" if "T" in value else "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _write_token(verb: str, position: dict[str, str]) -> str:
    """A resumption token: the whole position of the list, so any process of the portal can go on from it."""
    data = json.dumps({"v": verb, **position}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _read_token(token: str, verb: str) -> dict[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data.pop("v") != verb or set(data) != {"m", "s", "f", "u", "a"}:
            raise ValueError(token)
        if not all(isinstance(value, str) for value in data.values()):
            raise ValueError(token)
        if not all(_a_time(data[key]) for key in ("f", "u")) or data["m"] not in FORMATS:
            raise ValueError(token)
        return data
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, AttributeError):
        raise OaiError("badResumptionToken", "the resumption token is not one this repository gave") from None

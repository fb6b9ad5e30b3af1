"""Offline validation of METS documents against the official METS 1.12 and PREMIS 3 schemas.

The schema files come from PyPI packages (metsrw ships mets.xsd; eulxml ships premis.xsd and
xlink.xsd). A small wrapper schema imports all three, and a resolver maps the remote xlink
location in mets.xsd to the local file, so nothing is ever fetched.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

XLINK_URLS = ("http://www.loc.gov/standards/xlink/xlink.xsd", "https://www.loc.gov/standards/xlink/xlink.xsd")


def schema_files() -> dict[str, Path]:
    """Local paths of mets.xsd, premis.xsd and xlink.xsd."""
    import eulxml
    import metsrw

    eul = Path(eulxml.__file__).parent / "schema_data"
    return {
        "mets": Path(metsrw.__file__).parent / "resources" / "mets.xsd",
        "premis": eul / "premis.xsd",
        "xlink": eul / "xlink.xsd",
    }


class _LocalResolver(etree.Resolver):
    def __init__(self, xlink: Path):
        super().__init__()
        self.xlink = xlink

    def resolve(self, url, public_id, context):
        if url in XLINK_URLS or url.endswith("/xlink.xsd"):
            return self.resolve_filename(str(self.xlink), context)
        if url.startswith(("http://", "https://")):
            raise ValueError(f"schema tried to fetch {url}")
        return None


@functools.cache
def mets_premis_schema() -> etree.XMLSchema:
    """One compiled schema that validates METS with embedded PREMIS 3 (no network)."""
    files = schema_files()
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:preserve:schema-wrapper">
  <xs:import namespace="http://www.w3.org/1999/xlink" schemaLocation="{files["xlink"].as_uri()}"/>
  <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="{files["mets"].as_uri()}"/>
  <xs:import namespace="http://www.loc.gov/premis/v3" schemaLocation="{files["premis"].as_uri()}"/>
</xs:schema>"""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver(files["xlink"]))
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))


def premis_schema() -> etree.XMLSchema:
    """The PREMIS 3 schema alone (for checking each embedded PREMIS element strictly)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver(schema_files()["xlink"]))
    return etree.XMLSchema(etree.parse(str(schema_files()["premis"]), parser))


def validate_mets(path_or_tree) -> list[str]:
    """Errors found in a METS document: METS schema, then every embedded PREMIS element strictly."""
    tree = etree.parse(str(path_or_tree)) if isinstance(path_or_tree, str | Path) else path_or_tree
    schema = mets_premis_schema()
    errors = [] if schema.validate(tree) else [str(e) for e in schema.error_log]
    premis = premis_schema()
    ns = {"mets": "http://www.loc.gov/METS/"}
    for xml_data in tree.iterfind(".//mets:mdWrap[@MDTYPE]/mets:xmlData", ns):
        mdtype = xml_data.getparent().get("MDTYPE")
        if not mdtype.startswith("PREMIS"):
            continue
        for element in xml_data:
            if not premis.validate(etree.ElementTree(element)):
                errors.extend(f"{mdtype}: {e.message}" for e in premis.error_log)
    return errors

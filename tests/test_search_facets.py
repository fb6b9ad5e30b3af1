"""Facets in words a researcher knows: formats by name (the PUID beside it), decades as '1920s', and what an empty
value means — not in a collection, undated — rather than a bare PUID, 's' or 'none'."""

from __future__ import annotations

import pytest

from catalogue.record_index import facet_label


def test_facet_values_in_words():
    names = {"fmt/17": "Acrobat PDF 1.3 - Portable Document Format 1.3"}
    assert facet_label("format", "fmt/17", names) == "Acrobat PDF 1.3 - Portable Document Format 1.3"
    assert facet_label("format", "fmt/999", names) == "fmt/999"  # no name known: the PUID itself
    assert facet_label("decade", "1920") == "1920s"
    assert facet_label("decade", "") == "Undated"
    assert facet_label("collection", "") == "Not in a collection"
    assert facet_label("collection", "DRO/52") == "DRO/52"


def test_search_names_formats_and_what_has_no_collection_or_date(preserve, collection):
    preserve.json("ingest", str(collection))
    shown = preserve("search").stdout
    assert "collection: Not in a collection" in shown and "(none)" not in shown
    [formats] = [line for line in shown.splitlines() if line.strip().startswith("format:")]
    assert "Acrobat PDF 1.3" in formats and "fmt/" not in formats  # formats by name, not bare PUIDs
    assert "decade: Undated" in shown


def test_the_portal_facets_say_the_same(preserve, collection):
    pytest.importorskip("fastapi", reason="the portal needs the web extra")
    from fastapi.testclient import TestClient

    from access.web.app import create_app
    from cli.context import AppContext

    preserve.json("ingest", str(collection))
    preserve("access", "set", preserve.json("aip", "list")[0]["id"], "--open", "--reason", "Public records")
    settings = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").settings
    page = TestClient(create_app(settings)).get("/").text
    assert "Not in a collection" in page and "Undated" in page and ">none<" not in page
    assert "Acrobat PDF" in page and '<span class="govuk-hint govuk-!-display-inline">fmt/17</span>' in page


def test_search_takes_a_format_by_the_name_its_facet_shows(preserve, collection):
    preserve.json("ingest", str(collection))
    by_puid = preserve.json("search", "--format", "fmt/17")["records"]
    assert (
        by_puid
        and preserve.json("search", "--format", "acrobat pdf 1.3 - portable document format")["records"] == by_puid
    )
    missing = preserve("search", "--format", "Plain Text Files", expect=13)
    assert "no file in the archive has a format called 'Plain Text Files'" in missing.stderr

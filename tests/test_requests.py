"""Requests: researchers gather records with a purpose, archivists decide, messages go to the outbox."""

from __future__ import annotations

import pytest

from access.requests import add_to_request, submit_request
from access.users import create_user
from cli.context import AppContext
from preservation.errors import AccessDenied, RequestError
from tests.test_access_status import ARCHIVAL, _transfer

pytestmark = pytest.mark.both_catalogues


@pytest.fixture
def archive(preserve, tmp_path):
    """An archive holding one AIP (a closed item in an open series), a researcher and an archivist."""
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    reader = create_user(database, "reader@example.org", "A Reader", "researcher", "correct horse battery")
    create_user(database, "archivist@example.org", "The Archivist", "archivist", "correct horse battery")
    return preserve, database, reader, aip_id


def test_a_request_goes_from_researcher_to_archivist_and_back(archive):
    preserve, database, reader, aip_id = archive
    add_to_request(database, reader, aip_id, "documents")  # the open series
    request = add_to_request(database, reader, aip_id, "documents/letter.txt")
    assert request.state == "open" and request.items == ((aip_id, "documents"), (aip_id, "documents/letter.txt"))
    submitted = submit_request(database, reader, "Research for a history of the parish bells")
    assert submitted.state == "submitted"
    [listed] = preserve.json("request", "list")
    assert listed["id"] == submitted.id and listed["purpose"].startswith("Research")
    shown = preserve.json("request", "show", submitted.id[:8])
    assert shown["user"] == "reader@example.org" and {r["access"] for r in shown["records"]} == {"open"}
    assert [m["to"] for m in preserve.json("outbox")] == ["archivist@example.org"]

    preserve("request", "approve", submitted.id[:8], "--reason", "Open records", "--archivist", "The Archivist")
    decided = preserve.json("request", "show", submitted.id)
    assert (decided["state"], decided["decided_by"], decided["decision_reason"]) == (
        "delivered",
        "The Archivist",
        "Open records",
    )
    approved, delivered = preserve.json("outbox")[-2:]
    assert approved["to"] == "reader@example.org" and "approved" in approved["subject"]
    assert "Open records" in approved["body"]
    assert delivered["to"] == "reader@example.org" and "ready" in delivered["subject"]
    again = preserve("request", "refuse", submitted.id, "--reason", "Changed my mind", expect=52)
    assert "is delivered, not waiting for a decision" in again.stderr


def test_a_closed_record_cannot_be_requested_and_nothing_about_it_is_said(archive):
    _preserve, database, reader, aip_id = archive
    with pytest.raises(AccessDenied) as refused:
        add_to_request(database, reader, aip_id, "documents/minutes.txt")  # closed for personal data
    assert "minutes" not in str(refused.value) and "personal" not in str(refused.value)
    with pytest.raises(AccessDenied) as missing:
        add_to_request(database, reader, aip_id, "documents/no-such-file.txt")
    assert str(missing.value) == str(refused.value)  # a closed record and no record look the same


def test_a_request_needs_records_and_a_purpose(archive):
    preserve, database, reader, aip_id = archive
    with pytest.raises(RequestError, match="nothing to submit"):
        submit_request(database, reader, "Research for a history of the parish bells")
    add_to_request(database, reader, aip_id, "")
    with pytest.raises(RequestError, match="say what the records are for"):
        submit_request(database, reader, "   bells ")
    assert preserve.json("request", "list", "--state", "open")[0]["items"] == [[aip_id, ""]]
    assert "give a reason" in preserve("request", "refuse", "nothing", "--reason", " ", expect=52).stderr


def test_only_signed_in_researchers_and_archivists_make_requests(archive):
    _preserve, database, reader, aip_id = archive
    with pytest.raises(AccessDenied):
        add_to_request(database, None, aip_id, "")
    from dataclasses import replace

    with pytest.raises(AccessDenied):
        add_to_request(database, replace(reader, disabled=True), aip_id, "")

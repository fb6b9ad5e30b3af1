"""Delivery of approved requests: DIPs of access copies behind time-limited links, and the outbox sent by SMTP."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import socket
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from access.delivery import delivery_link
from access.requests import add_to_request, submit_request
from access.secret import archive_secret
from access.users import create_user
from catalogue.accounts import User, add_user, find_user
from catalogue.requests_outbox import get_request
from cli.context import AppContext
from cli.scheduler import make_celery, send_outbox_task
from ingest.samples import make_sample_collection
from policies import DEFAULTS
from preservation.errors import AccessDenied, RequestError
from preservation.identifiers import new_uuid, timestamp
from storage.links import verify_local_link
from tests.conftest import require_tool
from tests.test_access_status import ARCHIVAL, _transfer


def _people(preserve):
    context = AppContext(home=preserve.home, config=preserve.home / "preserve.toml")
    database = context.database()
    reader = create_user(database, "reader@example.org", "A Reader", "researcher", "correct horse battery")
    create_user(database, "archivist@example.org", "The Archivist", "archivist", "correct horse battery")
    return context, database, reader


def _ask(database, reader, aip_id: str, *targets: str) -> str:
    for target in targets:
        add_to_request(database, reader, aip_id, target)
    return submit_request(database, reader, "A history of the parish and its people").id


def _dip(preserve, request_id: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(preserve.home / "access" / "dips" / f"{request_id}.zip")


def test_an_approved_request_is_delivered_without_its_closed_files(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    context, database, reader = _people(preserve)
    request_id = _ask(database, reader, aip_id, "")  # the whole collection; its minutes are closed
    result = preserve("request", "approve", request_id, "--reason", "Open records", "--archivist", "The Archivist")
    assert "Delivered: 2 file(s)" in result.stdout and "1 closed file(s) withheld" in result.stdout

    with _dip(preserve, request_id) as dip:
        names = set(dip.namelist())
        assert names == {
            f"objects/{aip_id[:8]}/documents/letter.txt",
            f"objects/{aip_id[:8]}/plan.txt",
            "manifest.csv",
            "README.txt",
        }  # nothing of the closed minutes, not even its name
        rows = list(csv.DictReader(io.StringIO(dip.read("manifest.csv").decode())))
        for row in rows:
            assert hashlib.sha256(dip.read(row["file"])).hexdigest() == row["sha256"]
            assert row["made"] == "original" and row["aip"] == aip_id
        readme = dip.read("README.txt").decode()
    assert "A history of the parish" in readme and "DRO/52" in readme and "1 file(s) closed today" in readme
    assert "minutes" not in readme.lower()

    shown = preserve.json("request", "show", request_id)
    assert shown["state"] == "delivered" and shown["dip_files"] == 2 and shown["dip_location"] == "access"
    events = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "dissemination"]
    assert len(events) == 1 and request_id in events[0]["detail"]
    logs = list((preserve.home / "storage" / "primary").rglob("*.xml"))
    assert any(b"dissemination" in log.read_bytes() and request_id.encode() in log.read_bytes() for log in logs)
    message = preserve.json("outbox")[-1]
    assert message["to"] == "reader@example.org" and f"/requests/{request_id}" in message["body"]

    link = preserve("request", "link", request_id[:8]).stdout.strip()
    assert link.startswith("http://127.0.0.1:8000/download/dips/")
    secret = archive_secret(context.settings)
    granted = link.removeprefix("http://127.0.0.1:8000/download/")
    assert verify_local_link(granted, "access", secret) == f"dips/{request_id}.zip"
    with pytest.raises(AccessDenied, match="not valid"):
        verify_local_link(granted.replace(request_id, get_request_id_of_other(request_id)), "access", secret)
    with pytest.raises(AccessDenied, match="expired"):
        verify_local_link(granted, "access", secret, now=datetime.now(UTC).timestamp() + 73 * 3600)


def get_request_id_of_other(request_id: str) -> str:
    """Another request's id of the same shape (a researcher editing the link)."""
    return request_id[:-1] + ("0" if request_id[-1] != "0" else "1")


def test_an_expired_delivery_gives_no_link_and_can_be_delivered_again(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    context, database, reader = _people(preserve)
    request_id = _ask(database, reader, aip_id, "plan.txt")
    preserve("request", "approve", request_id, "--reason", "Open")
    with database.session() as session:
        request = get_request(session, request_id)
    with pytest.raises(RequestError, match="expired"):
        delivery_link(context.settings, request, now=datetime.now(UTC) + timedelta(hours=73))
    preserve("request", "deliver", request_id)
    events = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "dissemination"]
    assert len(events) == 2  # each delivery is its own event
    preserve.lose_catalogue()
    assert preserve.json("catalogue", "rebuild")["problems"] == []
    rebuilt = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "dissemination"]
    assert sorted(e["id"] for e in rebuilt) == sorted(e["id"] for e in events)  # deliveries are in the AIP's log


def test_a_damaged_copy_is_never_delivered_and_nothing_is_left_half_done(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    _context, database, reader = _people(preserve)
    request_id = _ask(database, reader, aip_id, "plan.txt")
    [stored] = [p for p in (preserve.home / "storage" / "primary").rglob("plan.txt") if "content" in p.parts]
    stored.write_text("A plan, altered")
    result = preserve("request", "approve", request_id, "--reason", "Open", expect=30)
    assert "no intact copy to deliver from" in result.stderr and "SHA-512" in result.stderr
    assert preserve.json("request", "show", request_id)["state"] == "approved"  # decided; delivery can be retried
    assert not (preserve.home / "access" / "dips" / f"{request_id}.zip").exists()
    assert not list((preserve.home / "staging").glob("dip-*"))


def test_a_request_with_nothing_deliverable_says_so(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    (preserve.home / "policies" / "formats.toml").write_text('version = 2\n[default]\naccess = "none"\n')
    _context, database, reader = _people(preserve)
    request_id = _ask(database, reader, aip_id, "plan.txt")
    result = preserve("request", "approve", request_id, "--reason", "Open", expect=52)
    assert "nothing in it can be delivered" in result.stderr and "no access copy" in result.stderr


def test_access_copies_are_made_as_the_format_policy_says(preserve, tmp_path):
    for tool in ("soffice", "ffmpeg"):
        require_tool(tool, "access copies")
    shutil.copy(DEFAULTS / "formats.toml", preserve.home / "policies" / "formats.toml")  # copies at request
    transfer = tmp_path / "sample"
    make_sample_collection(transfer / "objects")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text("filename,dc.title\nobjects,Parish sample collection\n")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    _context, database, reader = _people(preserve)
    request_id = _ask(database, reader, aip_id, "")
    preserve("request", "approve", request_id, "--reason", "Open")
    with _dip(preserve, request_id) as dip:
        made = {
            row["original path"]: (row["file"], row["made"])
            for row in csv.DictReader(io.StringIO(dip.read("manifest.csv").decode()))
        }
        docx, how = made["documents/restoration-report.docx"]
        assert docx.endswith(".docx.pdf") and how.startswith("access copy: pdfa by LibreOffice")
        assert dip.read(docx).startswith(b"%PDF-")
        assert dip.read(made["photographs/estate-map.tif"][0])[:3] == b"\xff\xd8\xff"  # JPEG
        assert made["audio/oral-history-interview.wav"][0].endswith(".mp3")
        assert made["photographs/harbour-1923.jpg"] == (
            f"objects/{aip_id[:8]}/photographs/harbour-1923.jpg",
            "original",
        )
        assert len(made) == 11


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def _mail_settings(preserve, port: int) -> None:
    config = preserve.home / "preserve.toml"
    config.write_text(
        config.read_text().replace(
            "[mail]\n",
            f'[mail]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'security = "none"\nsender = "archives@example.org"\n',
        )
    )


def test_the_outbox_is_sent_by_smtp_once(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    _context, database, reader = _people(preserve)
    _ask(database, reader, aip_id, "plan.txt")
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's Controller cannot be given port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        _mail_settings(preserve, port)
        assert "Sent 1 message(s)" in preserve("outbox", "send").stdout
        assert "Nothing to send" in preserve("outbox", "send").stdout
        _ask(database, reader, aip_id, "documents/letter.txt")  # a second request: sent by the scheduler's task
        config = preserve.home / "preserve.toml"
        config.write_text(config.read_text().replace("[executor]\n", '[executor]\nbroker = "redis://127.0.0.1:1/0"\n'))
        celery = make_celery(AppContext(home=preserve.home, config=config))
        entry = celery.conf.beat_schedule["send messages"]
        assert entry["task"] == "preserve.send_outbox" and send_outbox_task(*entry["args"]) == 1
    finally:
        server.stop()
    (to, content), _second = inbox.messages
    assert to == ["archivist@example.org"] and "From: archives@example.org" in content
    assert "A history of the parish" in content
    assert preserve.json("outbox") == [] and preserve.json("outbox", "--all")[0]["sent"]


def _smtp_server(inbox) -> tuple[Controller, int]:
    with socket.socket() as probe:  # a free port (aiosmtpd's Controller cannot be given port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    return server, port


def test_a_message_the_mail_library_refuses_is_set_aside_and_the_rest_still_go(preserve, tmp_path):
    """An account made before names and addresses were checked: a line break and an RFC 2047 encoded word in its
    name, and an address that is an encoded word hiding another. Its name never reaches a header; the message to
    its address is set aside with why, and never blocks the others."""
    from email import message_from_string

    from access.requests import decide_request

    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    _context, database, reader = _people(preserve)
    with database.session() as session:
        add_user(
            session,
            User(
                new_uuid(),
                "=?utf-8?q?attacker=40evil.example=20?=dean@university.edu",
                "=?utf-8?q?Ann=0D=0AX-Injected:_yes?=\r\nBcc: everyone@example.org",
                "researcher",
                timestamp(),
            ),
            "unused",
        )
    with database.session() as session:
        mallory = find_user(session, "=?utf-8?q?attacker=40evil.example=20?=dean@university.edu")[0]
    asked = _ask(database, mallory, aip_id, "plan.txt")
    decide_request(database, asked, False, "Not for you", "The Archivist")  # a message to Mallory's address
    _ask(database, reader, aip_id, "documents/letter.txt")
    inbox = _Inbox()
    server, port = _smtp_server(inbox)
    try:
        _mail_settings(preserve, port)
        result = preserve("outbox", "send", expect=1)
        assert "Sent 2 message(s)" in result.stdout and "was refused and set aside" in result.stdout
        assert "Nothing to send" in preserve("outbox", "send").stdout  # the refused one is not tried again
    finally:
        server.stop()
    assert [to for to, _ in inbox.messages] == [["archivist@example.org"]] * 2
    for _, content in inbox.messages:
        headers = message_from_string(content)
        assert headers["X-Injected"] is None and headers["Bcc"] is None and "Ann" not in headers["Subject"]
    [failed] = preserve.json("outbox", "--failed")
    assert failed["to"].startswith("=?utf-8?q?attacker") and "encoded word" in failed["failure"]
    preserve("outbox", "retry", str(failed["id"]))
    assert preserve.json("outbox", "--failed") == [] and len(preserve.json("outbox")) == 1
    preserve("outbox", "drop", str(failed["id"]))
    assert preserve.json("outbox") == []
    preserve("outbox", "drop", str(failed["id"]), expect=13)


def test_names_purposes_and_reasons_with_control_characters_are_refused(preserve, tmp_path):
    from preservation.errors import AccountError

    context = AppContext(home=preserve.home, config=preserve.home / "preserve.toml")
    database = context.database()
    for name in ("Mallory\r\nBcc: x@example.org", "Esc\x1b[31mape", "Right\u202eto left"):
        with pytest.raises(AccountError, match="must not contain control characters"):
            create_user(database, "m@example.org", name, "researcher", "correct horse battery")
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    reader = create_user(database, "reader@example.org", "A Reader", "researcher", "correct horse battery")
    add_to_request(database, reader, aip_id, "plan.txt")
    with pytest.raises(RequestError, match="the purpose must not contain control characters"):
        submit_request(database, reader, "A history\x00 of the parish and its people")
    assert submit_request(database, reader, "A history of the parish\nand its people").state == "submitted"


def test_an_unreachable_smtp_server_keeps_the_messages(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    _context, database, reader = _people(preserve)
    _ask(database, reader, aip_id, "plan.txt")
    assert "no SMTP server is configured" in preserve("outbox", "send", expect=53).stderr
    _mail_settings(preserve, 9)  # nothing listens on the discard port
    result = preserve("outbox", "send", expect=53)
    assert "127.0.0.1:9" in result.stderr and "stay in the outbox" in result.stderr
    assert len(preserve.json("outbox")) == 1


def test_doctor_removes_downloads_that_have_expired(preserve, tmp_path):
    from catalogue.requests_outbox import update_request

    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    context, database, reader = _people(preserve)
    kept, old = _ask(database, reader, aip_id, "plan.txt"), _ask(database, reader, aip_id, "documents/letter.txt")
    for request_id in (kept, old):
        preserve("request", "approve", request_id, "--reason", "Open")
    with database.session() as session:
        update_request(session, old, expires_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    report = preserve.json("doctor", "--older-than", "1", expect=1)
    assert [d["request"] for d in report["expired_downloads"]] == [old]
    assert preserve.json("doctor", "--older-than", "3")["expired_downloads"] == []  # within the grace period
    preserve("doctor", "--fix", "--older-than", "1")
    assert not (preserve.home / "access" / "dips" / f"{old}.zip").exists()
    assert (preserve.home / "access" / "dips" / f"{kept}.zip").exists()
    shown = preserve.json("request", "show", old)
    assert shown["state"] == "delivered" and "removed after it expired" in shown["delivery_note"]
    with database.session() as session, pytest.raises(RequestError):
        delivery_link(context.settings, get_request(session, old))

"""The portal and its JSON API: every role against every access status on every route that can reveal or
deliver content, the request journey, and hostile input."""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import zipfile

import pytest

pytest.importorskip("fastapi", reason="the portal needs the web extra")
from fastapi.testclient import TestClient  # noqa: E402

from access.web.app import create_app  # noqa: E402
from tests.portal_fixtures import PASSWORD, ROLES, WORDS, make_portal_archive  # noqa: E402
from tests.portal_fixtures import csrf_of as _csrf  # noqa: E402
from tests.portal_fixtures import portal_client as _client  # noqa: E402

STATUSES = ("open", "restricted", "closed")
PEOPLE = ("anonymous", *ROLES)


@pytest.fixture
def archive(preserve, tmp_path):
    return make_portal_archive(preserve, tmp_path)


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.both_catalogues
def test_every_role_sees_exactly_what_each_access_status_allows(archive):
    """The access-control matrix: role × access status × route."""
    for who in PEOPLE:
        client = _client(archive, who)
        staff = who in ("archivist", "administrator")
        token = _csrf(client)
        for status in STATUSES:
            word, path = WORDS[status], archive.paths[status]
            title = f"The {word} in"  # the search box repeats the word searched for; only the title has this
            findable = status != "closed" or staff
            where = f"{who} × {status}"
            page = client.get("/", params={"q": word})
            assert (title in page.text) == findable, f"search page: {where}"
            found = client.get("/api/v1/search", params={"q": word}).json()
            assert (found["total"] == 1) == findable and (word in str(found)) == findable, f"search API: {where}"
            browse = client.get("/api/v1/search", params={"per_page": "100"}).json()
            assert (word in str(browse)) == findable, f"browsing: {where}"
            record = client.get(f"/records/{archive.aip_id}/{path}")
            assert record.status_code == (200 if findable else 404) and (word in record.text) == findable, where
            api_record = client.get(f"/api/v1/records/{archive.aip_id}/{path}")
            assert api_record.status_code == (200 if findable else 404), f"record API: {where}"
            collection = client.get(f"/api/v1/records/{archive.aip_id}").json()
            assert (word in str(collection["children"])) == findable, f"collection's children: {where}"
            previewable = status == "open" or staff
            shown = client.get(f"/preview/{archive.aip_id}/{path}")
            assert shown.status_code == (200 if previewable else 404), f"preview: {where}"
            if previewable:
                assert shown.headers["content-type"] == "image/jpeg" and shown.content[:3] == b"\xff\xd8\xff"
            added = client.post(
                "/api/v1/basket/items", json={"aip_id": archive.aip_id, "path": path}, headers={"X-CSRF-Token": token}
            )
            expected = 401 if who == "anonymous" else (403 if status == "closed" else 200)
            assert added.status_code == expected, f"basket: {where}: {added.text}"
            assert word not in added.text or status != "closed", f"basket answer: {where}"


def test_a_closed_record_and_a_missing_one_look_the_same(archive):
    client = _client(archive, "researcher")
    closed = client.get(f"/records/{archive.aip_id}/{archive.paths['closed']}")
    missing = client.get(f"/records/{archive.aip_id}/photographs/no-such-view.jpg")
    assert closed.status_code == missing.status_code == 404
    strip = re.compile(r'nonce-[^\']+|nonce="[^"]+"|value="[^"]+"')
    assert strip.sub("", closed.text) == strip.sub("", missing.text)
    token = _csrf(client)
    answers = [
        client.post(
            "/api/v1/basket/items", json={"aip_id": archive.aip_id, "path": p}, headers={"X-CSRF-Token": token}
        ).json()
        for p in (archive.paths["closed"], "photographs/no-such-view.jpg")
    ]
    assert answers[0] == answers[1]


@pytest.mark.both_catalogues
def test_search_to_request_to_approval_to_download_through_the_api(archive):
    researcher, archivist = _client(archive, "researcher"), _client(archive, "archivist")
    token = _csrf(researcher)
    for status in ("open", "restricted"):
        added = researcher.post(
            "/api/v1/basket/items",
            json={"aip_id": archive.aip_id, "path": archive.paths[status]},
            headers={"X-CSRF-Token": token},
        )
        assert added.status_code == 200
    short = researcher.post("/api/v1/basket/submit", json={"purpose": "bells"}, headers={"X-CSRF-Token": token})
    assert short.status_code == 400 and "at least 10" in short.json()["error"]
    sent = researcher.post(
        "/api/v1/basket/submit", json={"purpose": "A history of the harbour"}, headers={"X-CSRF-Token": token}
    ).json()
    assert sent["state"] == "submitted" and {r["access"] for r in sent["records"]} == {"open", "restricted"}
    assert _client(archive, "researcher").get("/api/v1/queue").status_code == 403

    [waiting] = archivist.get("/api/v1/queue").json()
    assert waiting["id"] == sent["id"] and waiting["user"] == "researcher@example.org"
    decided = archivist.post(
        f"/api/v1/queue/{sent['id']}/decision",
        json={"approve": True, "reason": "Fine"},
        headers={"X-CSRF-Token": _csrf(archivist)},
    ).json()
    assert decided["state"] == "approved"  # delivered after the answer (the test client waits for that)
    assert researcher.get(f"/api/v1/requests/{sent['id']}").json()["state"] == "delivered"

    mine = researcher.get(f"/api/v1/requests/{sent['id']}").json()
    link = mine["download"]
    assert link.startswith("http://127.0.0.1:8000/download/dips/")
    download = researcher.get(link.removeprefix("http://127.0.0.1:8000"))
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as dip:
        names = dip.namelist()
    assert sum(n.endswith(".jpg") for n in names) == 2 and "manifest.csv" in names
    other = _client(archive, "administrator")  # another person cannot read the request (an admin may)
    assert other.get(f"/api/v1/requests/{sent['id']}").status_code == 200
    create = TestClient(create_app(archive.settings))
    from access.users import create_user

    create_user(archive.database, "someone@example.org", "Someone", "researcher", PASSWORD)
    create.post("/api/v1/session", json={"email": "someone@example.org", "password": PASSWORD})
    assert create.get(f"/api/v1/requests/{sent['id']}").status_code == 404


def test_download_links_cannot_be_forged_stretched_or_pointed_elsewhere(archive):
    researcher, archivist = _client(archive, "researcher"), _client(archive, "archivist")
    token = _csrf(researcher)
    researcher.post(
        "/api/v1/basket/items",
        json={"aip_id": archive.aip_id, "path": archive.paths["open"]},
        headers={"X-CSRF-Token": token},
    )
    sent = researcher.post(
        "/api/v1/basket/submit", json={"purpose": "A history of the harbour"}, headers={"X-CSRF-Token": token}
    ).json()
    archivist.post(
        f"/api/v1/queue/{sent['id']}/decision",
        json={"approve": True, "reason": "Fine"},
        headers={"X-CSRF-Token": _csrf(archivist)},
    )
    link = researcher.get(f"/api/v1/requests/{sent['id']}").json()["download"].removeprefix("http://127.0.0.1:8000")
    path, query = link.split("?")
    expires = int(re.search(r"expires=(\d+)", query).group(1))
    anyone = TestClient(create_app(archive.settings))
    assert researcher.get(link).status_code == 200  # the link works for the researcher whose request it is
    asked = anyone.get(link, follow_redirects=False)  # anyone else holding it is asked to sign in, then refused
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=%2Fdownload%2F")
    assert _client(archive, "archivist").get(link).status_code == 404
    forged = [
        f"{path}?{query.replace(str(expires), str(expires + 86400))}",  # stretched
        f"{path}?expires={expires}&signature={'0' * 64}",  # forged
        f"{path}",  # unsigned
        f"/download/dips/../../secret.key?{query}",  # pointed elsewhere
        f"/download/%2e%2e/%2e%2e/secret.key?{query}",
        f"/download/dips/{'0' * 36}.zip?{query}",
    ]
    for attempt in forged:  # even for the researcher whose request it is
        answer = researcher.get(attempt)
        assert answer.status_code in (403, 404), attempt
        assert b"PK" not in answer.content[:2]


def test_every_form_and_api_change_needs_the_csrf_token(archive):
    client = _client(archive, "researcher")
    record = {"aip_id": archive.aip_id, "path": archive.paths["open"]}
    assert client.post("/basket/add", data=record).status_code == 403
    assert client.post("/basket/add", data=record | {"csrf_token": "forged"}).status_code == 403
    assert client.post("/api/v1/basket/items", json=record).status_code == 403
    assert client.post("/api/v1/basket/items", json=record, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get("/api/v1/basket").json()["records"] == []
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/login", data={"email": "researcher@example.org", "password": PASSWORD}).status_code == 403
    page = client.get(f"/records/{archive.aip_id}/{archive.paths['open']}")
    added = client.post("/basket/add", data=record | {"csrf_token": _form_token(page.text)}, follow_redirects=False)
    assert added.status_code == 303 and len(client.get("/api/v1/basket").json()["records"]) == 1


def test_sign_in_attempts_are_limited(archive):
    client = _client(archive)
    for _ in range(5):
        assert (
            client.post(
                "/api/v1/session", json={"email": "researcher@example.org", "password": "wrong password"}
            ).status_code
            == 401
        )
    limited = client.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    page = client.get("/login")
    form = client.post(
        "/login", data={"email": "researcher@example.org", "password": PASSWORD, "csrf_token": _form_token(page.text)}
    )
    assert form.status_code == 429 and "Too many sign-in attempts" in form.text


def test_hostile_search_input_is_answered_never_a_server_error(archive):
    client = _client(archive)
    for query in [
        '"',
        '"unbalanced',
        "NEAR(a b)",
        "a AND OR NOT",
        "*",
        "^",
        "col:val",
        "' OR 1=1 --",
        "'; DROP TABLE records; --",
        "\\x00",
        "%",
        "_",
        "a" * 999,
        "☃ ünïcödé 漢字",
        "(((",
        "-",
    ]:
        for url in ("/", "/api/v1/search"):
            answer = client.get(url, params={"q": query})
            assert answer.status_code == 200, (url, query)
    assert client.get("/", params={"q": "x" * 5000}).status_code == 400
    assert "characters or fewer" in client.get("/", params={"q": "x" * 5000}).text
    assert client.get("/api/v1/search", params={"year_from": "1950; DROP"}).status_code == 400
    for page in ("-1", "0", "99999999999999999999", "²", "٣", "1.5"):  # whole numbers in ASCII digits only
        assert client.get("/", params={"page": page}).status_code == 400, page
        assert client.get("/api/v1/search", params={"page": page}).status_code == 400, page
    for value in ("²", "١٩٢٣"):
        for name in ("per_page", "year_from", "year_to"):
            answer = client.get("/api/v1/search", params={name: value})
            assert answer.status_code == 400 and set(answer.json()) == {"error", "hint"}, (name, value)
            if name != "per_page":  # the pages show 20 a page, whatever is asked
                assert client.get("/", params={name: value}).status_code == 400, (name, value)
    assert client.get("/", params={"collection": "x' OR '1'='1"}).status_code == 200
    assert client.get("/api/v1/search", params={"q": "lighthouse"}).json()["total"] == 1  # nothing was dropped


def test_errors_have_one_shape_echo_nothing_and_are_never_cached(archive):
    client = _client(archive, "researcher")
    token = _csrf(client)
    secret = "correct horse battery staple"
    answer = client.post(
        "/api/v1/session", json={"email": ["not", "an", "address"], "password": secret}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 422 and set(answer.json()) == {"error", "hint"}
    assert secret not in answer.text and "email" in answer.json()["error"]
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "hint"}
    for answer in (missing, client.get("/api/v1/session")):  # JSON is never rendered by a browser
        assert answer.headers["content-disposition"] == 'attachment; filename="api.json"'
    for path in ("/no-such-page", "/static/no-such-file.css", "/assets/no-such-file.js"):
        page = client.get(path)  # signed in: the error page carries the person's name and form token
        assert page.status_code == 404 and page.headers["Cache-Control"] == "no-store", path
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in client.get("/").headers  # served over http here


def test_a_portal_served_over_https_asks_browsers_to_keep_to_it(archive):
    settings = dataclasses.replace(archive.settings, portal_url="https://records.example.org")
    client = TestClient(create_app(settings), base_url="https://records.example.org")
    page = client.get("/")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_oversized_requests_are_refused(archive):
    client = _client(archive, "researcher")
    token = _csrf(client)
    huge = client.post("/api/v1/basket/submit", json={"purpose": "x" * 6000}, headers={"X-CSRF-Token": token})
    assert huge.status_code == 422
    big_form = client.post("/basket/submit", data={"purpose": "x" * (2 << 20), "csrf_token": token})
    assert big_form.status_code == 413 and big_form.headers["cache-control"] == "no-store"
    chunked = client.post(
        "/api/v1/basket/submit",
        content=iter([b"{" + b" " * 40_000] * 3),
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413 and "too large" in chunked.json()["error"]
    record = {"aip_id": "a" * 65, "path": ""}
    assert client.post("/api/v1/basket/items", json=record, headers={"X-CSRF-Token": token}).status_code == 422


def test_pages_for_people_and_roles(archive):
    anonymous, researcher, archivist = (_client(archive, who) for who in ("anonymous", "researcher", "archivist"))
    for path in ("/basket", "/requests", "/queue"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert researcher.get("/queue").status_code == 403
    assert archivist.get("/queue").status_code == 200
    assert "Harbour photographs" in researcher.get(f"/records/{archive.aip_id}").text
    item = researcher.get(f"/records/{archive.aip_id}/{archive.paths['open']}").text
    assert "HAR/1" in item and 'href="/records/' in item  # the breadcrumb leads up to the collection
    headers = researcher.get("/").headers
    assert "frame-ancestors" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    assert researcher.get("/api/openapi.json").json()["paths"]["/api/v1/search"]


def test_registration_makes_a_researcher_through_the_link_mailed_to_the_address(archive):
    client = _client(archive)
    token = _form_token(client.get("/register").text)
    bad = client.post("/register", data={"email": "not an address", "name": "New", "csrf_token": token})
    assert bad.status_code == 400 and "There is a problem" in bad.text
    sent = client.post("/register", data={"email": "new@example.org", "name": "New Reader", "csrf_token": token})
    assert sent.status_code == 200 and "Check your email" in sent.text
    assert client.get("/api/v1/session").json()["user"] is None  # nobody is signed in before the link is followed
    link = _mailed_link(archive, "new@example.org")
    page = client.get(link)
    assert page.status_code == 200 and "new@example.org" in page.text
    form = {"token": link.split("token=")[1], "csrf_token": _form_token(page.text)}
    short = client.post("/register/confirm", data=form | {"password": "short"})
    assert short.status_code == 400 and "too short" in short.text
    made = client.post("/register/confirm", data=form | {"password": PASSWORD})
    assert made.status_code == 200 and client.get("/api/v1/session").json()["user"]["role"] == "researcher"
    again = _client(archive).get(link)
    assert again.status_code == 404  # a link makes one account, once
    from catalogue.requests_outbox import outbox

    with archive.database.session() as session:  # and the used token is kept nowhere, not even in the outbox
        assert not [m for m in outbox(session, unsent_only=False) if form["token"] in m[3]]


def _mailed_link(archive, address: str) -> str:
    from catalogue.requests_outbox import outbox

    with archive.database.session() as session:
        body = [m for m in outbox(session) if m[1] == address][-1][3]
    return re.search(r"https?://[^/\s]+(/register/confirm\?token=\S+)", body).group(1)


@pytest.mark.parametrize("who,status", list(itertools.product(("researcher",), ("closed",))))
def test_a_closed_record_is_never_named_in_a_request(archive, who, status):
    """A record closed after it was put in a request shows no title to the researcher."""
    client = _client(archive, who)
    token = _csrf(client)
    client.post(
        "/api/v1/basket/items",
        json={"aip_id": archive.aip_id, "path": archive.paths["restricted"]},
        headers={"X-CSRF-Token": token},
    )
    from access.decisions import decide_access
    from ingest.premis_records import make_agents
    from policies.closure import load_closure_policy
    from preservation.model import Access

    agents = make_agents("Test", "An archivist")
    decide_access(
        archive.settings,
        archive.database,
        load_closure_policy(archive.settings.policies_path),
        archive.aip_id,
        f"objects/{archive.paths['restricted']}",
        Access(status, "", "Review"),
        [agents["software"], agents["person"]],
    )
    basket = client.get("/basket").text
    assert WORDS["restricted"] not in basket and "no longer available" in basket


def test_serve_without_gov_uk_frontend_says_how_to_install_it(preserve, tmp_path, monkeypatch):
    monkeypatch.setenv("PRESERVE_PORTAL_ASSETS", str(tmp_path / "nowhere"))
    result = preserve("serve", expect=11)
    assert "GOV.UK Frontend is not installed" in result.stderr and "make portal-assets" in result.stderr


def test_signing_in_never_sends_anyone_to_another_site(archive):
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/", "/basket"):
        client = _client(archive)
        token = _form_token(client.get("/login", params={"next": target}).text)
        answer = client.post(
            "/login",
            data={"email": "researcher@example.org", "password": PASSWORD, "next": target, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == (target if target == "/basket" else "/"), target


def test_a_record_lists_what_is_below_it_up_to_a_limit(archive, monkeypatch):
    import access.record_view

    monkeypatch.setattr(access.record_view, "MAX_CHILDREN", 1)
    shown = _client(archive, "researcher").get(f"/api/v1/records/{archive.aip_id}").json()
    assert len(shown["children"]) == 1 and shown["more_children"] == 1  # the closed photograph is not counted
    shown = _client(archive, "archivist").get(f"/api/v1/records/{archive.aip_id}").json()
    assert len(shown["children"]) == 1 and shown["more_children"] == 2


def test_the_shared_listening_socket_gives_connections_tcp_nodelay():
    """With several server processes the portal makes the listening socket itself, as TCP, so asyncio turns
    Nagle off on each connection (uvicorn's own socket leaves it on: ~40 ms per keep-alive answer)."""
    import asyncio
    import socket

    from cli.serve import _listening_socket

    listener = _listening_socket("127.0.0.1", 0)
    listener.listen()
    seen = []

    async def accept_one() -> None:
        def connected(reader, writer) -> None:
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(accept_one())
    assert seen and seen[0] != 0


def test_a_failed_delivery_is_shown_to_archivists_and_can_be_tried_again(archive, preserve):
    researcher, archivist = _client(archive, "researcher"), _client(archive, "archivist")
    token = _csrf(researcher)
    researcher.post(
        "/api/v1/basket/items",
        json={"aip_id": archive.aip_id, "path": archive.paths["open"]},
        headers={"X-CSRF-Token": token},
    )
    sent = researcher.post(
        "/api/v1/basket/submit", json={"purpose": "A history of the harbour"}, headers={"X-CSRF-Token": token}
    ).json()
    policy = archive.settings.policies_path / "formats.toml"
    kept = policy.read_text()
    policy.write_text('version = 2\n[default]\naccess = "none"\n')  # nothing may be given to researchers
    page = archivist.get(f"/queue/{sent['id']}").text
    answer = archivist.post(
        f"/queue/{sent['id']}", data={"decision": "approve", "reason": "Fine", "csrf_token": _form_token(page)}
    )
    assert answer.status_code == 200 and "being prepared" in answer.text
    [waiting] = archivist.get("/api/v1/queue").json()
    assert waiting["state"] == "approved" and waiting["delivery_note"].startswith("delivery failed: ")
    assert "delivery failed" in archivist.get("/queue").text
    assert "download" not in researcher.get(f"/api/v1/requests/{sent['id']}").json()
    policy.write_text(kept)
    preserve("request", "deliver", sent["id"])
    assert researcher.get(f"/api/v1/requests/{sent['id']}").json()["download"]
    assert archivist.get("/api/v1/queue").json() == []


def test_an_open_pdf_is_previewed_in_the_record_page(preserve, tmp_path):
    from PIL import Image

    from cli.context import AppContext

    transfer = tmp_path / "plans"
    transfer.mkdir()
    Image.new("RGB", (80, 60), (200, 200, 180)).save(transfer / "harbour-plan.pdf", "PDF")
    (transfer / "notes.txt").write_text("Survey notes")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    client = TestClient(create_app(AppContext(home=preserve.home, config=preserve.home / "preserve.toml").settings))
    page = client.get(f"/records/{aip_id}/harbour-plan.pdf")
    assert page.status_code == 200 and f'<iframe src="/preview/{aip_id}/harbour-plan.pdf"' in page.text
    shown = client.get(f"/preview/{aip_id}/harbour-plan.pdf")
    assert shown.headers["content-type"] == "application/pdf" and shown.content.startswith(b"%PDF")
    assert "<iframe" not in client.get(f"/records/{aip_id}/notes.txt").text  # text is described, not previewed
    assert client.get(f"/preview/{aip_id}/notes.txt").status_code == 404

"""Sign-in limits, server-side sessions, registration that reveals nothing, and downloads bound to the request and
the person (docs/security.md maps these tests to the ASVS requirements they cover)."""

from __future__ import annotations

import dataclasses
import io
import re
import threading
import time
import types
import zipfile

import pytest

pytest.importorskip("fastapi", reason="the portal needs the web extra")
from fastapi.testclient import TestClient  # noqa: E402
from starlette.requests import Request  # noqa: E402

from access import throttle  # noqa: E402
from access.sessions import session_user, start_session  # noqa: E402
from access.users import authenticate, set_disabled, set_password, set_role  # noqa: E402
from access.web.app import create_app  # noqa: E402
from access.web.security import client_address  # noqa: E402
from catalogue.requests_outbox import outbox  # noqa: E402
from tests.portal_fixtures import PASSWORD, make_portal_archive  # noqa: E402
from tests.portal_fixtures import csrf_of as _csrf  # noqa: E402
from tests.portal_fixtures import portal_client as _client  # noqa: E402

NOW = 1_800_000_000.0


@pytest.fixture
def archive(preserve, tmp_path):
    return make_portal_archive(preserve, tmp_path)


def _refused(database, address: str, client: str, now: float) -> float | None:
    """The wait a limit gives this attempt, or None when it may be tried (it then counts, as a failure would)."""
    try:
        throttle.begin_sign_in(database, address, client, now)
    except throttle.TooManyAttempts as exc:
        return exc.wait
    return None


@pytest.mark.both_catalogues
def test_a_guesser_is_stopped_on_their_client_and_the_owner_is_not(archive):
    database = archive.database
    for _ in range(throttle.PAIR.attempts):
        assert _refused(database, "researcher@example.org", "203.0.113.9", NOW) is None
    for _ in range(3):  # refused attempts are not tried and do not count: the lock does not grow by hammering
        assert 0 < _refused(database, "researcher@example.org", "203.0.113.9", NOW + 1) <= throttle.PAIR.window
    assert _refused(database, "researcher@example.org", "198.51.100.7", NOW + 2) is None  # the owner's own machine
    assert _refused(database, "researcher@example.org", "203.0.113.9", NOW + throttle.PAIR.window + 1) is None


@pytest.mark.both_catalogues
def test_one_client_trying_many_accounts_is_stopped(archive):
    for number in range(throttle.CLIENT.attempts):
        assert _refused(archive.database, f"person{number}@example.org", "203.0.113.9", NOW) is None
    assert _refused(archive.database, "one-more@example.org", "203.0.113.9", NOW) > 0
    assert _refused(archive.database, "one-more@example.org", "198.51.100.7", NOW) is None


@pytest.mark.both_catalogues
def test_guessing_one_account_from_many_clients_is_slowed_but_never_locks_the_owner_out_for_long(archive):
    database, address = archive.database, "researcher@example.org"
    for number in range(throttle.ACCOUNT_FREE.attempts):
        assert _refused(database, address, f"203.0.113.{number}", NOW) is None
    now, waits = NOW, []
    for number in range(30):  # a botnet trying as fast as it is let
        wait = _refused(database, address, f"192.0.2.{number}", now)
        if wait is None:
            now += 0.5
            continue
        waits.append(wait)
        now += wait
    assert waits and max(waits) <= throttle.ACCOUNT_MAX_DELAY + 1  # the owner waits a minute at most
    assert waits[0] <= 3 and waits[-1] > waits[0]  # the delay doubles as the guessing goes on


@pytest.mark.both_catalogues
def test_fifty_attempts_at_once_are_tried_at_most_the_limits_worth(archive):
    allowed, barrier = [], threading.Barrier(50, timeout=60)

    def attempt() -> None:
        barrier.wait()
        if _refused(archive.database, "researcher@example.org", "203.0.113.9", NOW) is None:
            allowed.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a thread of the test did not finish within two minutes"
    assert len(allowed) == throttle.PAIR.attempts  # each in its turn: the first five are tried, no more


def test_forwarded_addresses_are_believed_only_from_trusted_proxies():
    def request(peer: str, forwarded: str | None) -> Request:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
        return Request({"type": "http", "client": (peer, 5000), "headers": headers})

    assert client_address(request("127.0.0.1", "198.51.100.7"), ()) == "127.0.0.1"  # no proxy trusted: ignored
    assert client_address(request("203.0.113.9", "198.51.100.7"), ("127.0.0.1",)) == "203.0.113.9"
    assert client_address(request("127.0.0.1", "198.51.100.7"), ("127.0.0.1",)) == "198.51.100.7"
    # the nearest address a trusted proxy did not add: what a client writes at the left is not believed
    chained = request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1")
    assert client_address(chained, ("10.0.0.0/8",)) == "198.51.100.7"
    assert client_address(request("127.0.0.1", "not an address"), ("127.0.0.1",)) == "127.0.0.1"
    assert client_address(request("127.0.0.1", None), ("127.0.0.1",)) == "127.0.0.1"


def test_the_owner_signs_in_from_their_machine_while_a_guesser_is_locked_out(archive):
    settings = dataclasses.replace(archive.settings, trusted_proxies=("127.0.0.1",))
    guesser = TestClient(create_app(settings), client=("127.0.0.1", 5000), headers={"X-Forwarded-For": "6.6.6.6"})
    for _ in range(throttle.PAIR.attempts):
        assert (
            guesser.post(
                "/api/v1/session", json={"email": "researcher@example.org", "password": "wrong password"}
            ).status_code
            == 401
        )
    assert (
        guesser.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code
        == 429
    )
    owner = TestClient(create_app(settings), client=("127.0.0.1", 5000), headers={"X-Forwarded-For": "198.51.100.7"})
    assert (
        owner.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code == 200
    )


@pytest.mark.both_catalogues
@pytest.mark.parametrize("change", ["sign out", "new password", "new role", "disabled", "ended by command"])
def test_an_old_cookie_is_worthless_once_its_session_is_ended(archive, preserve, change):
    client = _client(archive, "researcher")
    cookie = client.cookies.get("preserve_session")
    assert client.get("/api/v1/session").json()["user"]["email"] == "researcher@example.org"
    if change == "sign out":
        assert client.delete("/api/v1/session", headers={"X-CSRF-Token": _csrf(client)}).status_code == 200
    elif change == "new password":
        set_password(archive.database, "researcher@example.org", "a brand new passphrase")
    elif change == "new role":
        set_role(archive.database, "researcher@example.org", "archivist")
    elif change == "disabled":
        set_disabled(archive.database, "researcher@example.org", True)
    else:
        assert preserve.json("user", "sessions", "researcher@example.org", "--end")["ended"] == 1
    replayed = TestClient(
        create_app(archive.settings), base_url="http://127.0.0.1:8000", cookies={"preserve_session": cookie}
    )
    assert replayed.get("/api/v1/session").json()["user"] is None
    assert replayed.get("/basket", follow_redirects=False).status_code == 303
    states = [s["state"] for s in preserve.json("user", "sessions", "researcher@example.org")["sessions"]]
    assert states and not any(state == "running" for state in states)


def test_a_session_ends_when_idle_and_after_its_full_time_however_busy(archive):
    settings, database = archive.settings, archive.database
    user = authenticate(database, "researcher@example.org", PASSWORD)
    idle = start_session(database, user, "203.0.113.9", "test", now=NOW)
    assert session_user(settings, database, idle, now=NOW + 60).id == user.id
    assert session_user(settings, database, idle, now=NOW + 60 + settings.session_idle_minutes * 60 + 1) is None
    assert session_user(settings, database, idle, now=NOW + 120) is None  # ended for good, not just late
    busy = start_session(database, user, "203.0.113.9", "test", now=NOW)
    now = NOW
    while now < NOW + settings.session_hours * 3600 - 600:
        now += 600
        assert session_user(settings, database, busy, now=now).id == user.id
    assert session_user(settings, database, busy, now=NOW + settings.session_hours * 3600 + 1) is None


def _register(client: TestClient, address: str, name: str = "A Reader"):
    page = client.get("/register").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/register", data={"email": address, "name": name, "csrf_token": token})


def test_registration_answers_alike_for_known_and_unknown_addresses(archive):
    known = _register(_client(archive), "researcher@example.org")
    unknown = _register(_client(archive), "stranger@example.org")
    assert known.status_code == unknown.status_code == 200

    def shown(answer, address: str) -> str:
        main = re.search(r"<main.*</main>", answer.text, re.S).group(0)
        return main.replace(address, "ADDRESS")

    assert shown(known, "researcher@example.org") == shown(unknown, "stranger@example.org")
    with archive.database.session() as session:
        mail = {message[1]: message[3] for message in outbox(session)}
    assert "You already have one" in mail["researcher@example.org"] and "token=" not in mail["researcher@example.org"]
    assert "/register/confirm?token=" in mail["stranger@example.org"]
    assert authenticate(archive.database, "researcher@example.org", PASSWORD) is not None  # the account is unchanged


def test_registration_is_limited_per_client_and_refuses_control_characters_in_names(archive):
    client = _client(archive)
    assert _register(client, "someone@example.org", "Evil\r\nBcc: everyone@example.org").status_code == 400
    for number in range(throttle.REGISTER_CLIENT.attempts - 1):
        assert _register(client, f"reader{number}@example.org").status_code == 200
    limited = _register(client, "one-too-many@example.org")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def _delivered(archive, paths: list[str]) -> tuple[TestClient, str, str]:
    researcher, archivist = _client(archive, "researcher"), _client(archive, "archivist")
    token = _csrf(researcher)
    for path in paths:
        researcher.post(
            "/api/v1/basket/items", json={"aip_id": archive.aip_id, "path": path}, headers={"X-CSRF-Token": token}
        )
    sent = researcher.post(
        "/api/v1/basket/submit", json={"purpose": "A history of the harbour"}, headers={"X-CSRF-Token": token}
    ).json()
    archivist.post(
        f"/api/v1/queue/{sent['id']}/decision",
        json={"approve": True, "reason": "Fine"},
        headers={"X-CSRF-Token": _csrf(archivist)},
    )
    link = researcher.get(f"/api/v1/requests/{sent['id']}").json()["download"]
    return researcher, sent["id"], link.removeprefix("http://127.0.0.1:8000")


def test_a_revoked_request_downloads_nothing_and_says_why(archive, preserve):
    researcher, request_id, link = _delivered(archive, [archive.paths["open"]])
    assert researcher.get(link).status_code == 200
    preserve("request", "revoke", request_id[:8], "--reason", "Sent to the wrong person")
    refused = researcher.get(link)
    assert refused.status_code == 403 and "Sent to the wrong person" in refused.text
    assert b"PK" not in refused.content[:2]
    assert "withdrawn" in researcher.get(f"/requests/{request_id}").text
    assert not list((archive.settings.home / "access" / "dips").glob("*.zip"))  # the DIP itself is gone


def test_a_disabled_researchers_link_fails(archive):
    researcher, _, link = _delivered(archive, [archive.paths["open"]])
    set_disabled(archive.database, "researcher@example.org", True)
    answer = researcher.get(link, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    again = _client(archive).post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD})
    assert again.status_code == 401


def test_a_file_closed_since_approval_is_withheld_from_the_download(archive, preserve):
    researcher, request_id, link = _delivered(archive, [archive.paths["open"], archive.paths["restricted"]])
    with zipfile.ZipFile(io.BytesIO(researcher.get(link).content)) as dip:
        assert sum(name.endswith(".jpg") for name in dip.namelist()) == 2
    preserve(
        "access",
        "set",
        archive.aip_id,
        "--path",
        f"objects/{archive.paths['open']}",
        "--closed",
        "--reason",
        "Found to hold personal data",
    )
    assert "closed now" in researcher.get(f"/requests/{request_id}").text
    with zipfile.ZipFile(io.BytesIO(researcher.get(link).content)) as dip:
        names = dip.namelist()
        assert dip.testzip() is None
        withheld = dip.read("WITHHELD.txt").decode()
        manifest = dip.read("manifest.csv").decode()
        described = dip.read("README.txt").decode()
    assert "lighthouse" not in described and "quayside" in described  # the closed record's title is gone
    assert "1 file(s) under objects/" in described and "1 file(s) closed today were withheld" in described
    assert not any(name.endswith(archive.paths["open"]) for name in names)
    assert any(name.endswith(archive.paths["restricted"]) for name in names)
    assert archive.paths["open"] in withheld and archive.paths["open"] not in manifest
    assert archive.paths["restricted"] in manifest


def test_a_file_too_large_to_preview_is_offered_no_preview_frame(archive):
    from access.record_view import view_record

    user = authenticate(archive.database, "researcher@example.org", PASSWORD)
    shown = view_record(archive.database, user, archive.aip_id, archive.paths["open"])
    assert shown.preview_mime == "image/jpeg"
    too_large = view_record(archive.database, user, archive.aip_id, archive.paths["open"], preview_limit=100)
    assert too_large.preview_mime == ""


def test_the_session_cookie_is_http_only_same_site_and_on_https_host_only(archive):
    plain = _client(archive)
    plain.get("/login")
    cookie = (
        plain.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD})
        .headers["set-cookie"]
        .lower()
    )
    assert cookie.startswith("preserve_session=") and "httponly" in cookie and "samesite=lax" in cookie
    secure_settings = dataclasses.replace(archive.settings, portal_url="https://catalogue.example.org")
    https = TestClient(create_app(secure_settings), base_url="https://catalogue.example.org")
    cookie = (
        https.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD})
        .headers["set-cookie"]
        .lower()
    )
    assert cookie.startswith("__host-preserve_session=") and "secure" in cookie and "path=/" in cookie
    assert "domain=" not in cookie


def test_signing_in_starts_a_new_session_whatever_cookie_came_before(archive):
    client = _client(archive)
    before = _csrf(client)
    planted = client.cookies.get("preserve_session")
    assert (
        client.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code
        == 200
    )
    assert _csrf(client) != before and client.cookies.get("preserve_session") != planted
    fixed = TestClient(
        create_app(archive.settings), base_url="http://127.0.0.1:8000", cookies={"preserve_session": planted}
    )  # the cookie an attacker planted before sign-in
    assert fixed.get("/api/v1/session").json()["user"] is None


def test_an_unexpected_error_is_answered_with_the_portals_headers_and_no_detail(archive, monkeypatch):
    from access.web import api, pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr(pages, "search", broken)
    monkeypatch.setattr(api, "search", broken)
    client = TestClient(create_app(archive.settings), raise_server_exceptions=False)
    answer = client.get("/?q=harbour")
    assert answer.status_code == 500 and "secret detail" not in answer.text
    assert answer.headers["cache-control"] == "no-store" and answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors" in answer.headers["content-security-policy"]
    api = client.get("/api/v1/search?q=harbour")
    assert api.status_code == 500 and set(api.json()) == {"error", "hint"} and "secret" not in api.text
    assert api.headers["content-disposition"] == 'attachment; filename="api.json"'


def test_an_archivist_cannot_decide_their_own_request(archive):
    archivist = _client(archive, "archivist")
    token = _csrf(archivist)
    archivist.post(
        "/api/v1/basket/items",
        json={"aip_id": archive.aip_id, "path": archive.paths["restricted"]},
        headers={"X-CSRF-Token": token},
    )
    sent = archivist.post(
        "/api/v1/basket/submit", json={"purpose": "Checking the restricted photograph"}, headers={"X-CSRF-Token": token}
    ).json()
    own = archivist.post(
        f"/api/v1/queue/{sent['id']}/decision",
        json={"approve": True, "reason": "Mine"},
        headers={"X-CSRF-Token": token},
    )
    assert own.status_code == 403 and "own request" in own.json()["error"]
    other = _client(archive, "administrator")
    assert (
        other.post(
            f"/api/v1/queue/{sent['id']}/decision",
            json={"approve": False, "reason": "No"},
            headers={"X-CSRF-Token": _csrf(other)},
        ).json()["state"]
        == "refused"
    )


def test_a_request_revoked_while_its_copies_are_made_is_never_delivered(archive, monkeypatch):
    from access import delivery
    from access.requests import revoke_request

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
    gather = delivery._gather

    def revoked_meanwhile(*args, **kwargs):
        revoke_request(archive.settings, archive.database, sent["id"], "Sent to the wrong person", "head")
        return gather(*args, **kwargs)

    monkeypatch.setattr(delivery, "_gather", revoked_meanwhile)
    archivist.post(
        f"/api/v1/queue/{sent['id']}/decision",
        json={"approve": True, "reason": "Fine"},
        headers={"X-CSRF-Token": _csrf(archivist)},
    )
    shown = researcher.get(f"/api/v1/requests/{sent['id']}").json()
    assert shown["state"] == "revoked" and "download" not in shown
    assert not list((archive.settings.home / "access").rglob("*.zip"))
    with archive.database.session() as session:
        assert not [m for m in outbox(session) if m[1] == "researcher@example.org" and "are ready" in m[2]]


@pytest.mark.both_catalogues
def test_a_client_is_an_ipv4_address_or_an_ipv6_slash_64(archive):
    for host in range(1, throttle.PAIR.attempts + 1):
        assert _refused(archive.database, "researcher@example.org", f"2001:db8:1:2::{host}", NOW) is None
    assert _refused(archive.database, "researcher@example.org", "2001:db8:1:2:ffff::99", NOW) > 0  # same /64
    assert _refused(archive.database, "researcher@example.org", "2001:db8:1:3::1", NOW) is None
    assert throttle.client_key("::ffff:203.0.113.9") == "203.0.113.9"


def test_guessers_on_many_clients_cannot_keep_the_owner_out_of_their_own_browser(archive, monkeypatch):
    settings = dataclasses.replace(archive.settings, trusted_proxies=("127.0.0.1",))
    frozen = time.time()  # the limits' clock stands still: the account's 2 s delay cannot run out while a slow
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: frozen))  # machine hashes passwords

    def browser(address: str) -> TestClient:
        return TestClient(create_app(settings), client=("127.0.0.1", 5000), headers={"X-Forwarded-For": address})

    owner = browser("198.51.100.7")
    assert (
        owner.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code == 200
    )
    assert owner.cookies.get("preserve_device")
    for number in range(12):  # guessing from many addresses puts the account behind its delay
        browser(f"203.0.113.{number}").post(
            "/api/v1/session", json={"email": "researcher@example.org", "password": "wrong password"}
        )
    stranger = browser("192.0.2.50").post(
        "/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}
    )
    assert stranger.status_code == 429  # a browser the account has never signed in from waits
    owner.headers["X-Forwarded-For"] = "192.0.2.77"  # the owner's browser, from a new network (a train, say)
    assert (
        owner.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code == 200
    )
    forged = browser("192.0.2.51")
    forged.cookies.set("preserve_device", owner.cookies.get("preserve_device").replace(".", ".0", 1))
    assert (
        forged.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code
        == 429
    )


@pytest.mark.both_catalogues
def test_a_double_click_and_a_submit_at_once_keep_one_basket_and_never_fail(archive):
    from access.requests import add_to_request, basket, submit_request

    user = authenticate(archive.database, "researcher@example.org", PASSWORD)
    failures, barrier = [], threading.Barrier(12, timeout=60)

    def add(status: str) -> None:
        barrier.wait()
        try:
            add_to_request(archive.database, user, archive.aip_id, archive.paths[status])
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            failures.append(repr(exc))

    def submit() -> None:
        barrier.wait()
        try:
            submit_request(archive.database, user, "A history of the harbour")
        except Exception as exc:  # noqa: BLE001 - nothing to submit yet is an answer, anything else a failure
            if "nothing to submit" not in str(exc):
                failures.append(repr(exc))

    threads = [threading.Thread(target=add, args=(status,)) for status in ("open", "restricted") * 5]
    threads += [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a thread of the test did not finish within two minutes"
    assert failures == []
    from catalogue.requests_outbox import list_requests

    with archive.database.session() as session:
        mine = list_requests(session, user_id=user.id)
    assert len([r for r in mine if r.state == "open"]) <= 1
    for request in mine:
        assert len(request.items) == len(set(request.items))
    assert basket(archive.database, user) is None or basket(archive.database, user).state == "open"


def test_a_record_closed_since_approval_is_not_described_even_when_its_files_stay_open(archive, preserve):
    preserve(
        "access",
        "set",
        archive.aip_id,
        "--path",
        f"objects/{archive.paths['open']}",
        "--open",
        "--reason",
        "Open whatever the collection",
    )
    researcher, _, link = _delivered(archive, [""])  # the whole collection
    with zipfile.ZipFile(io.BytesIO(researcher.get(link).content)) as dip:
        assert "Harbour photographs" in dip.read("README.txt").decode()
    preserve("access", "set", archive.aip_id, "--closed", "--reason", "The collection is under review")
    with zipfile.ZipFile(io.BytesIO(researcher.get(link).content)) as dip:
        described = dip.read("README.txt").decode()
        assert any(name.endswith(archive.paths["open"]) for name in dip.namelist())  # its own decision: open
    assert "Harbour photographs" not in described and "HAR/1 " not in described


def test_a_download_link_tells_nobody_signed_out_whether_its_request_exists(archive):
    _, request_id, link = _delivered(archive, [archive.paths["open"]])
    anonymous = _client(archive)
    for key in (f"dips/{request_id}.zip", f"dips/{'0' * 8}-0000-0000-0000-{'0' * 12}.zip"):
        answer = anonymous.get(f"/download/{key}?expires=1&signature=00", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    other = _client(archive, "archivist")
    assert other.get(link).status_code == 404
    assert (
        other.get(f"/download/dips/{'0' * 8}-0000-0000-0000-{'0' * 12}.zip?expires=1&signature=00").status_code == 404
    )


def test_a_device_cookie_gives_a_guesser_a_few_tries_and_ends_with_the_sessions(archive, preserve):
    settings = dataclasses.replace(archive.settings, trusted_proxies=("127.0.0.1",))

    def browser(address: str, device: str = "") -> TestClient:
        client = TestClient(create_app(settings), client=("127.0.0.1", 5000), headers={"X-Forwarded-For": address})
        if device:
            client.cookies.set("preserve_device", device)
        return client

    def sign_in(client: TestClient, password: str = PASSWORD) -> int:
        return client.post(
            "/api/v1/session", json={"email": "researcher@example.org", "password": password}
        ).status_code

    owner = browser("198.51.100.7")
    assert sign_in(owner) == 200
    copied = owner.cookies.get("preserve_device")
    answers = [sign_in(browser(f"203.0.113.{n}", copied), "wrong password") for n in range(20)]
    assert answers.count(401) <= throttle.DEVICE.attempts and answers.count(429) >= 20 - throttle.DEVICE.attempts
    preserve("user", "sessions", "researcher@example.org", "--end")
    for number in range(12):  # the account is behind its delay again
        sign_in(browser(f"192.0.2.{number}"), "wrong password")
    assert sign_in(browser("192.0.2.200", copied)) == 429  # the device cookie ended with the sessions


@pytest.mark.parametrize(
    "cookie",
    [
        "9" * 400 + "-abcdefghijklmnop." + "0" * 64,
        "1" * 5000 + "-a.b",
        "1700000000-abcdefghijklmnop." + "\u00e9" * 64,
        "~" * 3000,
        "x.y~z.w~" * 50,
    ],
)
def test_a_malformed_device_cookie_is_no_device_and_no_error(archive, cookie):
    client = TestClient(create_app(archive.settings), raise_server_exceptions=False)
    answer = client.post(
        "/api/v1/session",
        json={"email": "researcher@example.org", "password": "wrong password"},
        headers={"Cookie": b"preserve_device=" + cookie.encode("latin-1")},
    )  # bytes as sent
    assert answer.status_code == 401

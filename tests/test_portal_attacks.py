"""Attacks on a real `preserve serve` with two server processes sharing one catalogue: a burst of sign-ins, an
oversized body, Unicode digits, cached error pages, a CR/LF name, and a burst of previews."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

httpx = pytest.importorskip("httpx", reason="the portal tests need httpx (the test extra)")
pytest.importorskip("fastapi", reason="the portal needs the web extra")

from access import throttle  # noqa: E402
from tests.portal_fixtures import PASSWORD, make_portal_archive, running_portal  # noqa: E402


@pytest.fixture
def served(preserve, tmp_path):
    """A running portal with two server processes: (base URL, archive)."""
    archive = make_portal_archive(preserve, tmp_path)
    with running_portal(preserve.home, workers=2) as base:
        yield base, archive


def test_a_hundred_simultaneous_sign_ins_get_at_most_the_limits_worth_of_verdicts(served):
    """100 wrong guesses at once get at most the limit's worth of answers, and then even the right password is
    held back. (All guesses are wrong: a success forgets that pair's failures, by design, so a right password
    among them would let up to as many again through after it, depending on when its turn came.)"""
    base, _ = served
    barrier = threading.Barrier(100, timeout=60)

    def attempt(number: int) -> int:
        with httpx.Client(base_url=base, timeout=120) as client:
            barrier.wait()
            return client.post(
                "/api/v1/session", json={"email": "researcher@example.org", "password": f"wrong guess {number}"}
            ).status_code

    with ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(attempt, range(100)))
    verdicts = [status for status in answers if status == 401]
    assert len(verdicts) <= throttle.PAIR.attempts, answers
    assert set(answers) <= {401, 429} and answers.count(429) >= 100 - throttle.PAIR.attempts
    with httpx.Client(base_url=base, timeout=120) as client:
        right = client.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD})
    assert right.status_code == 429  # the limit holds for the right password too: a guess that is right is no use


def test_a_ten_megabyte_body_is_refused_before_it_is_read(served):
    base, _ = served
    where = urlsplit(base)
    with socket.create_connection((where.hostname, where.port), timeout=30) as connection:
        connection.sendall(
            b"POST /api/v1/session HTTP/1.1\r\nHost: "
            + where.netloc.encode()
            + b'\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{"email": '
        )
        answer = connection.recv(65536).decode("latin-1")  # the answer comes though 10 MB were never sent
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "no-store" in answer.lower()


def test_unicode_digits_are_refused_and_a_signed_in_error_page_is_never_cached(served):
    base, _ = served
    with httpx.Client(base_url=base) as client:
        for path in ("/?q=harbour&page=²", "/api/v1/search?q=harbour&per_page=٣", "/?year_from=１９５０"):
            assert client.get(path).status_code == 400, path
        assert (
            client.post("/api/v1/session", json={"email": "researcher@example.org", "password": PASSWORD}).status_code
            == 200
        )
        for path in ("/no-such-page", "/static/no-such-file.css", "/records/00000000-0000-0000-0000-000000000000"):
            missing = client.get(path)
            assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store", path
        assert client.get("/").headers["cache-control"] == "no-store"


def test_a_name_with_a_line_break_is_refused_where_it_is_typed(served):
    base, archive = served
    with httpx.Client(base_url=base) as client:
        page = client.get("/register").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        answer = client.post(
            "/register",
            data={"email": "mallory@example.org", "csrf_token": token, "name": "Mallory\r\nBcc: everyone@example.org"},
        )
    assert answer.status_code == 400 and "control characters" in answer.text
    from catalogue.requests_outbox import outbox

    with archive.database.session() as session:
        assert not [message for message in outbox(session) if message[1] == "mallory@example.org"]


def test_twenty_simultaneous_previews_make_one_cached_copy(served):
    base, archive = served
    barrier = threading.Barrier(20, timeout=60)
    path = f"/preview/{archive.aip_id}/{archive.paths['open']}"

    def fetch(_: int) -> tuple[int, bytes]:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            answer = client.get(path)
            return answer.status_code, answer.content

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(fetch, range(20)))
    assert {status for status, _ in answers} == {200} and len({content for _, content in answers}) == 1
    cache = archive.settings.home / "cache" / "previews"
    entries = [p for p in cache.iterdir() if p.is_file() and p.suffix in (".jpg", ".png", ".pdf")]
    assert len(entries) == 1 and not [p for p in cache.iterdir() if p.is_dir()]  # no work folder left behind
    closed = httpx.get(f"{base}/preview/{archive.aip_id}/{archive.paths['closed']}")
    assert closed.status_code == 404 and len([p for p in cache.iterdir() if p.suffix == ".jpg"]) == 1

"""The portal in a real browser (Debian's Chromium, driven by Playwright) against a real `preserve serve`:
search → request → approve → download, and axe-core on every page (no serious or critical violations)."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.portal_fixtures import PASSWORD, make_portal_archive, running_portal

AXE = Path(__file__).parents[1] / "access" / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def portal(preserve, tmp_path):
    """A running portal for the test archive: (base URL, archive)."""
    chromium = require_tool("chromium", "the portal's browser tests")
    pytest.importorskip("playwright", reason="the browser tests need playwright (the test extra)")
    if not AXE.is_file():
        pytest.fail(f"{AXE}: axe-core is not installed; run `make portal-assets`")
    archive = make_portal_archive(preserve, tmp_path)
    with running_portal(preserve.home) as base:
        yield base, archive, chromium


def _browser(playwright, chromium: str):
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


def _shows(page, text: str) -> None:
    """Wait until the page shows ``text`` (after a click the browser may still be navigating: its content is then
    empty for a moment, which a plain read of it would take for the answer)."""
    page.get_by_text(text).first.wait_for()


def _sign_in(page, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(f"{who}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}/")
    _shows(page, "You are signed in")


def test_search_request_approve_download_in_the_browser(portal, tmp_path):
    from playwright.sync_api import sync_playwright

    base, archive, chromium = portal
    with sync_playwright() as playwright:
        browser = _browser(playwright, chromium)
        researcher = browser.new_context(accept_downloads=True).new_page()
        _sign_in(researcher, base, "researcher")
        researcher.get_by_label("Search words").fill("lighthouse")
        researcher.get_by_role("button", name="Search", exact=True).click()
        researcher.get_by_role("link", name="The lighthouse in 1951").click()
        # an open photograph is shown in the deep-zoom viewer, its tiles from the portal's IIIF service
        researcher.locator("[data-status]").filter(has_text="The lighthouse in 1951").wait_for()
        researcher.wait_for_function("document.querySelector('.openseadragon-canvas canvas') !== null")
        researcher.get_by_role("button", name="Add to request basket", exact=True).click()
        _shows(researcher, "Added to your request basket")
        researcher.get_by_role("link", name="Request basket").click()
        researcher.get_by_label("What do you want these records for?").fill("A history of the harbour")
        researcher.get_by_role("button", name="Send request", exact=True).click()
        _shows(researcher, "sent to the archivists")
        request_url = researcher.url

        archivist = browser.new_context().new_page()
        _sign_in(archivist, base, "archivist")
        archivist.get_by_role("link", name="Requests to decide").click()
        archivist.locator("table a").first.click()
        archivist.get_by_role("button", name="Send decision", exact=True).click()  # nothing chosen yet
        _shows(archivist, "Choose whether to approve or refuse")  # back on the same form
        archivist.get_by_label("Approve and send the records").check()
        archivist.get_by_label("Reason").fill("Open records")
        archivist.get_by_role("button", name="Send decision", exact=True).click()
        _shows(archivist, "is approved")

        researcher.goto(request_url)
        for _ in range(100):  # the copies are made after the archivist's answer
            if researcher.get_by_role("button", name="Download your records").count():
                break
            time.sleep(0.1)
            researcher.reload()
        with researcher.expect_download() as waiting:
            researcher.get_by_role("button", name="Download your records").click()
        saved = tmp_path / "dip.zip"
        waiting.value.save_as(saved)
        with zipfile.ZipFile(saved) as dip:
            assert any(name.endswith("photographs/open-view.jpg") for name in dip.namelist())
        browser.close()


def test_every_page_passes_axe(portal):
    from playwright.sync_api import sync_playwright

    base, archive, chromium = portal
    record = f"/records/{archive.aip_id}/{archive.paths['open']}"
    pages = {
        "anonymous": [
            "/",
            "/?q=harbour",
            "/?q=nothing-matches-this",
            "/?q=" + "x" * 1200,
            f"/records/{archive.aip_id}",
            record,
            "/login",
            "/register",
            "/no-such-page",
        ],
        "researcher": ["/", record, "/basket", "/requests"],
        "archivist": ["/queue", f"/records/{archive.aip_id}/{archive.paths['closed']}"],
    }
    problems = []
    with sync_playwright() as playwright:
        browser = _browser(playwright, chromium)
        for who, paths in pages.items():
            page = browser.new_context(bypass_csp=True).new_page()  # axe is injected as a script of the test's own
            if who != "anonymous":
                _sign_in(page, base, who)
            if who == "researcher":
                page.goto(base + record)
                page.get_by_role("button", name="Add to request basket", exact=True).click()
                paths = [*paths, "/basket"]
            for path in paths:
                page.goto(base + path)
                problems += _axe(page, path)
            if who == "researcher":
                page.goto(f"{base}/basket")
                page.get_by_label("What do you want these records for?").fill("A history of the harbour")
                page.get_by_role("button", name="Send request", exact=True).click()
                problems += _axe(page, "a request")
                page.goto(f"{base}/requests")
                problems += _axe(page, "/requests with one")
            if who == "archivist":
                page.goto(f"{base}/queue")
                page.locator("table a").first.click()
                problems += _axe(page, "the decision form")
            if who == "anonymous":
                problems += _register(page, base, archive)
        browser.close()
    assert not problems, "\n".join(problems)


def _register(page, base: str, archive) -> list[str]:
    """Ask for an account, follow the mailed link and choose a password: axe on each step's page."""
    from catalogue.requests_outbox import outbox

    page.goto(f"{base}/register")
    page.get_by_label("Full name").fill("New Reader")
    page.get_by_label("Email address").fill("new.reader@example.org")
    page.get_by_role("button", name="Continue", exact=True).click()
    _shows(page, "Check your email")
    problems = _axe(page, "registration sent")
    with archive.database.session() as session:
        body = [message[3] for message in outbox(session) if message[1] == "new.reader@example.org"][-1]
    page.goto(re.search(r"https?://\S+/register/confirm\?token=\S+", body).group(0))
    problems += _axe(page, "choose a password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()
    _shows(page, "Your account has been created")
    return problems


def _axe(page, label: str) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{label}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]

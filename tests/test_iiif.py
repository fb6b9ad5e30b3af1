"""IIIF for open images (issue 21, item 4), against a real `preserve serve`: info.json and every tile follow the
Image API 3.0's rules (sizes, tiles at every scale factor, the pixels where they belong, the status codes), manifests
are Presentation 3.0 that manifesto.js (the IIIF library Mirador and the Universal Viewer use) reads in Chromium, the
record page's deep-zoom viewer works from the keyboard and passes axe, and a closed or restricted image — its
info.json, tiles and manifest — is 404 to anonymous visitors, researchers and archivists alike, and never tiled."""

from __future__ import annotations

import hashlib
import io
import json
import math
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from access import iiif, iiif_images
from cli.context import AppContext
from tests.conftest import require_tool
from tests.portal_fixtures import PASSWORD, running_portal
from tests.test_portal_browser import AXE, _axe, _browser, _sign_in

MANIFESTO = Path(__file__).parents[1] / "access" / "web" / "node_modules" / "manifesto.js" / "dist-umd" / "manifesto.js"
WIDTH, HEIGHT = 3000, 2000
# the quadrants of the test photograph: top left, top right, bottom left, bottom right
QUADRANTS = ((200, 30, 30), (30, 200, 30), (30, 30, 200), (240, 240, 240))
pytestmark = pytest.mark.both_catalogues


def _quadrants(width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    image = Image.new("RGB", (width, height), QUADRANTS[0])
    image.paste(QUADRANTS[1], (width // 2, 0, width, height // 2))
    image.paste(QUADRANTS[2], (0, height // 2, width // 2, height))
    image.paste(QUADRANTS[3], (width // 2, height // 2, width, height))
    return image


def _expected_colour(x: float, y: float) -> tuple[int, int, int]:
    return QUADRANTS[(x >= WIDTH / 2) + 2 * (y >= HEIGHT / 2)]


def _make_archive(preserve, tmp_path: Path) -> dict:
    """Photographs in a described series — open, turned by EXIF, transparent, 16-bit grey, restricted, closed —
    and a letter that is no image; the accounts."""
    transfer = tmp_path / "harbour"
    photos = transfer / "objects" / "photographs"
    photos.mkdir(parents=True)
    (transfer / "objects" / "letters").mkdir()
    (transfer / "metadata").mkdir()
    _quadrants().save(photos / "quadrants.jpg", "JPEG", quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise: 1200 x 800 stored, 800 x 1200 seen (as a camera writes)
    Image.new("RGB", (1200, 800), (120, 120, 20)).save(photos / "turned.jpg", "JPEG", exif=exif)
    clear = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    clear.paste((10, 10, 10, 255), (100, 100, 200, 200))
    clear.save(photos / "clear.png")
    Image.new("I;16", (300, 200), 40000).save(photos / "grey16.tif")
    _quadrants(800, 600).save(photos / "restricted.jpg", "JPEG")
    Image.new("RGB", (700, 500), (90, 10, 90)).save(photos / "closed.jpg", "JPEG")
    (transfer / "objects" / "letters" / "letter.txt").write_text("Dear Sir, the harbour wall is failing.\n")
    (transfer / "metadata" / "metadata.csv").write_text(
        "filename,reference,level,parent,dc.title\n"
        "objects,HAR/2,collection,,Harbour survey\n"
        "objects/photographs,HAR/2/1,series,HAR/2,Survey photographs\n"
        "objects/photographs/quadrants.jpg,HAR/2/1/1,item,HAR/2/1,The four quarters of the harbour\n"
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    for path, how in (("restricted.jpg", "--restricted"), ("closed.jpg", "--closed")):
        preserve("access", "set", aip_id, "--path", f"objects/photographs/{path}", how, "--reason", "Depositor's wish")
    context = AppContext(home=preserve.home, config=preserve.home / "preserve.toml")
    from access.users import create_user  # noqa: PLC0415

    for role in ("researcher", "archivist"):
        create_user(context.database(), f"{role}@example.org", f"A {role}", role, PASSWORD)
    digests = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in photos.iterdir()}
    ids = {}
    from catalogue.models import FileRow  # noqa: PLC0415

    with context.database().session() as session:
        for row in session.query(FileRow).filter(FileRow.aip_id == aip_id):
            ids[row.path.removeprefix("data/objects/")] = row.id
    return {"aip": aip_id, "settings": context.settings, "ids": ids, "sha256": digests}


@pytest.fixture
def served(preserve, tmp_path):
    """The archive and a running portal for it: (base URL, archive)."""
    archive = _make_archive(preserve, tmp_path)
    with running_portal(preserve.home) as base:
        yield base, archive


def served_aip(served) -> str:
    """The AIP of the served archive."""
    return served[1]["aip"]


def _image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:200])
    return Image.open(io.BytesIO(response.content))


def test_info_json_and_every_tile_follow_the_image_api(served):
    base, archive = served
    image_id = archive["ids"]["photographs/quadrants.jpg"]
    with httpx.Client(base_url=base, timeout=60) as client:
        redirect = client.get(f"/iiif/3/{image_id}")
        assert redirect.status_code == 303 and redirect.headers["location"] == f"/iiif/3/{image_id}/info.json"
        answer = client.get(f"/iiif/3/{image_id}/info.json", headers={"Accept": "application/ld+json"})
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["content-type"] == 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
        assert client.get(f"/iiif/3/{image_id}/info.json").headers["content-type"] == "application/json"
        info = answer.json()
        assert info["@context"] == "http://iiif.io/api/image/3/context.json"
        assert info["id"] == f"{base}/iiif/3/{image_id}" and info["type"] == "ImageService3"
        assert info["protocol"] == "http://iiif.io/api/image" and info["profile"] == "level1"
        assert (info["width"], info["height"]) == (WIDTH, HEIGHT)
        (tiles,) = info["tiles"]
        factors = tiles["scaleFactors"]
        assert factors == [2**n for n in range(len(factors))] and WIDTH / factors[-1] <= tiles["width"] * 2
        # every tile at every scale factor, as a viewer computes them (the Image API's tile algorithm)
        side = tiles["width"]
        served_tiles = 0
        for factor in factors:
            for y in range(0, HEIGHT, side * factor):
                for x in range(0, WIDTH, side * factor):
                    w, h = min(side * factor, WIDTH - x), min(side * factor, HEIGHT - y)
                    size = (math.ceil(w / factor), math.ceil(h / factor))
                    tile = _image(client.get(f"/iiif/3/{image_id}/{x},{y},{w},{h}/{size[0]},/0/default.jpg"))
                    assert tile.format == "JPEG" and tile.size == size, (factor, x, y, tile.size, size)
                    served_tiles += 1
                    middle_x, middle_y = x + w / 2, y + h / 2
                    if abs(middle_x - WIDTH / 2) > w / 4 and abs(middle_y - HEIGHT / 2) > h / 4:
                        shown = tile.convert("RGB").getpixel((size[0] // 2, size[1] // 2))
                        wanted = _expected_colour(middle_x, middle_y)
                        assert max(abs(a - b) for a, b in zip(shown, wanted, strict=True)) < 24, (x, y, shown)
        assert served_tiles == 96 + 24 + 6 + 2 + 1
        for size in info["sizes"]:  # each size offered is served at exactly that size
            got = _image(client.get(f"/iiif/3/{image_id}/full/{size['width']},{size['height']}/0/default.jpg"))
            assert got.size == (size["width"], size["height"])
        assert _image(client.get(f"/iiif/3/{image_id}/full/max/0/default.jpg")).size == (WIDTH, HEIGHT)
        assert _image(client.get(f"/iiif/3/{image_id}/square/100,/0/default.jpg")).size == (100, 100)
        assert _image(client.get(f"/iiif/3/{image_id}/pct:50,0,50,50/max/0/default.jpg")).size == (1500, 1000)
        grey = _image(client.get(f"/iiif/3/{image_id}/full/!300,300/0/gray.png"))
        assert grey.format == "PNG" and grey.size == (300, 200) and grey.mode in ("L", "LA")
        top_right = _image(client.get(f"/iiif/3/{image_id}/2000,100,200,200/100,100/0/color.jpg"))
        assert max(abs(a - b) for a, b in zip(top_right.getpixel((50, 50)), QUADRANTS[1], strict=True)) < 24
        for path, status in {
            "full/max/90/default.jpg": 404,  # rotation: not offered
            "full/^max/0/default.jpg": 404,  # upscaling: not offered
            "full/max/0/bitonal.jpg": 404,
            "full/max/0/default.gif": 404,
            "full/max/0/sepia.jpg": 400,
            "0,0,10,10/20,/0/default.jpg": 400,  # larger than the region, without ^
            "9999,0,10,10/max/0/default.jpg": 400,  # outside the image
            "0,0,0,10/max/0/default.jpg": 400,
            "0,0,a,10/max/0/default.jpg": 400,
            "full/,/0/default.jpg": 400,
            "full/0,/0/default.jpg": 400,
            "full/max/0/default": 400,
            f"0,0,{'9' * 400},10/max/0/default.jpg": 400,  # numbers no image has (they were a 500)
            f"pct:0,0,{'9' * 400},10/max/0/default.jpg": 400,
            f"full/pct:{'9' * 400}/0/default.jpg": 400,
            f"full/1{'0' * 400},/0/default.jpg": 400,
            f"full/!1{'0' * 400},1{'0' * 400}/0/default.jpg": 400,
        }.items():
            answer = client.get(f"/iiif/3/{image_id}/{path}")
            assert answer.status_code == status, (path, answer.status_code, answer.text)
        assert client.head(f"/iiif/3/{image_id}/info.json").status_code == 200
        assert client.head(f"/iiif/manifest/{served_aip(served)}").status_code == 200
        tile = client.get(f"/iiif/3/{image_id}/0,0,256,256/256,/0/default.jpg")
        assert tile.headers["access-control-allow-origin"] == "*" and tile.headers["content-type"] == "image/jpeg"
        assert tile.headers["link"] == '<http://iiif.io/api/image/3/context.json>;rel="profile"'


def test_images_are_shown_as_they_are_seen_turned_flattened_and_in_eight_bits(served):
    base, archive = served
    with httpx.Client(base_url=base, timeout=60) as client:
        turned = archive["ids"]["photographs/turned.jpg"]
        info = client.get(f"/iiif/3/{turned}/info.json").json()
        assert (info["width"], info["height"]) == (800, 1200)  # its EXIF orientation applied
        assert _image(client.get(f"/iiif/3/{turned}/full/max/0/default.jpg")).size == (800, 1200)
        clear = _image(client.get(f"/iiif/3/{archive['ids']['photographs/clear.png']}/full/max/0/default.png"))
        assert clear.convert("RGB").getpixel((10, 10)) == (255, 255, 255)  # transparency on white
        assert max(clear.convert("RGB").getpixel((150, 150))) < 30
        grey = _image(client.get(f"/iiif/3/{archive['ids']['photographs/grey16.tif']}/full/max/0/default.jpg"))
        assert grey.size == (300, 200) and 140 < grey.convert("L").getpixel((10, 10)) < 170  # 40000 of 65535


def _manifest(client: httpx.Client, aip: str, path: str = "") -> httpx.Response:
    return client.get(f"/iiif/manifest/{aip}" + (f"/{path}" if path else ""))


def test_a_record_with_several_images_is_one_manifest_of_its_open_images(served):
    base, archive = served
    aip, ids = archive["aip"], archive["ids"]
    with httpx.Client(base_url=base, timeout=60) as client:
        series = _manifest(client, aip, "photographs")
        assert series.status_code == 200 and series.headers["access-control-allow-origin"] == "*"
        data = series.json()
        assert data["@context"] == "http://iiif.io/api/presentation/3/context.json" and data["type"] == "Manifest"
        assert data["id"] == f"{base}/iiif/manifest/{aip}/photographs"
        assert data["label"] == {"none": ["Survey photographs"]}
        assert data["metadata"] == [{"label": {"en": ["Reference"]}, "value": {"none": ["HAR/2/1"]}}]
        assert data["homepage"][0]["id"] == f"{base}/records/{aip}/photographs"
        shown = [canvas["items"][0]["items"][0]["body"]["service"][0]["id"] for canvas in data["items"]]
        open_ids = [ids[f"photographs/{name}"] for name in ("clear.png", "grey16.tif", "quadrants.jpg", "turned.jpg")]
        assert shown == [f"{base}/iiif/3/{file_id}" for file_id in open_ids]  # in path order, never the others
        for canvas, file_id in zip(data["items"], open_ids, strict=True):
            info = client.get(f"/iiif/3/{file_id}/info.json").json()
            assert (canvas["width"], canvas["height"]) == (info["width"], info["height"])
            annotation = canvas["items"][0]["items"][0]
            assert annotation["motivation"] == "painting" and annotation["target"] == canvas["id"]
        single = _manifest(client, aip, "photographs/quadrants.jpg").json()
        assert len(single["items"]) == 1 and single["label"] == {"none": ["The four quarters of the harbour"]}
        assert len(_manifest(client, aip).json()["items"]) == 4  # the whole AIP: the same four
        assert _manifest(client, aip, "letters").status_code == 404  # no image there
        assert _manifest(client, aip, "letters/letter.txt").status_code == 404


def _signed_in(base: str, who: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    answer = client.post("/api/v1/session", json={"email": f"{who}@example.org", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client


def test_closed_and_restricted_images_are_404_to_everyone_and_never_tiled(served, preserve):
    base, archive = served
    aip, ids = archive["aip"], archive["ids"]
    hidden = {name: ids[f"photographs/{name}"] for name in ("closed.jpg", "restricted.jpg")}
    not_images = {"a letter": ids["letters/letter.txt"], "nothing": str(uuid.uuid4()), "a long one": "x" * 300}
    clients = {
        "anonymous": httpx.Client(base_url=base, timeout=60),
        "researcher": _signed_in(base, "researcher"),
        "archivist": _signed_in(base, "archivist"),
    }
    for who, client in clients.items():
        for name, file_id in {**hidden, **not_images}.items():
            for path in ("", "/info.json", "/full/max/0/default.jpg", "/0,0,256,256/256,/0/default.jpg"):
                answer = client.get(f"/iiif/3/{file_id}{path}", follow_redirects=False)
                assert answer.status_code == 404, (who, name, path, answer.status_code)
                assert name not in answer.text and "Depositor" not in answer.text  # nothing said of it
        for name in hidden:
            assert _manifest(client, aip, f"photographs/{name}").status_code == 404, (who, name)
        client.close()
    cache = iiif.cache_folder(archive["settings"])
    made = {path.name.split("-")[0] for path in cache.iterdir()} if cache.is_dir() else set()
    assert not {archive["sha256"]["closed.jpg"], archive["sha256"]["restricted.jpg"]} & made  # never tiled
    # an image closed after its pyramid was made is 404 from then on
    quadrants = ids["photographs/quadrants.jpg"]
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.get(f"/iiif/3/{quadrants}/info.json").status_code == 200
        preserve("access", "set", aip, "--path", "objects/photographs/quadrants.jpg", "--closed", "--reason", "Found")
        for path in ("/info.json", "/full/max/0/default.jpg"):
            assert client.get(f"/iiif/3/{quadrants}{path}").status_code == 404
        assert _manifest(client, aip, "photographs/quadrants.jpg").status_code == 404
        assert len(_manifest(client, aip, "photographs").json()["items"]) == 3


def test_an_image_beyond_the_size_cap_gets_no_service(preserve, tmp_path):
    archive = _make_archive(preserve, tmp_path)
    config = preserve.home / "preserve.toml"
    config.write_text(config.read_text().replace("[access]\n", "[access]\niiif_max_megapixels = 1\n", 1))
    with running_portal(preserve.home) as base, httpx.Client(base_url=base, timeout=60) as client:
        big = archive["ids"]["photographs/quadrants.jpg"]  # 6 megapixels
        assert client.get(f"/iiif/3/{big}/info.json").status_code == 404
        small = archive["ids"]["photographs/clear.png"]  # 0.09
        assert client.get(f"/iiif/3/{small}/info.json").status_code == 200
        canvases = client.get(f"/iiif/manifest/{archive['aip']}/photographs").json()["items"]
        shown = [canvas["items"][0]["items"][0]["body"]["service"][0]["id"].rsplit("/", 1)[1] for canvas in canvases]
        assert small in shown and big not in shown  # a manifest never sends a viewer to a refused image
    entries = {path.suffix for path in iiif.cache_folder(archive["settings"]).iterdir() if path.name[0] != "."}
    assert {".none", ".tif"} <= entries  # the refusal is kept: the image is not fetched again


@pytest.fixture
def browser_portal(served):
    """The served archive and Debian's Chromium: (base URL, archive, chromium)."""
    chromium = require_tool("chromium", "the IIIF viewer's browser tests")
    pytest.importorskip("playwright", reason="the browser tests need playwright (the test extra)")
    for tool in (AXE, MANIFESTO):
        if not tool.is_file():
            pytest.fail(f"{tool}: not installed; run `make portal-assets`")
    base, archive = served
    return base, archive, chromium


def test_manifests_are_read_by_manifesto_js(browser_portal):
    from playwright.sync_api import sync_playwright

    base, archive, chromium = browser_portal
    with httpx.Client(base_url=base, timeout=60) as client:
        manifest = _manifest(client, archive["aip"], "photographs").json()
    with sync_playwright() as playwright:
        browser = _browser(playwright, chromium)
        page = browser.new_context(bypass_csp=True).new_page()
        page.goto("about:blank")
        page.add_script_tag(path=str(MANIFESTO))
        read = page.evaluate(
            """manifest => {
                const parsed = manifesto.parseManifest(JSON.stringify(manifest))
                const canvases = parsed.getSequences()[0].getCanvases()
                return {
                    label: parsed.getLabel().getValue(),
                    type: parsed.getIIIFResourceType(),
                    canvases: canvases.map(canvas => ({
                        width: canvas.getWidth(),
                        height: canvas.getHeight(),
                        service: canvas.getContent()[0].getBody()[0].getServices()[0].id,
                    })),
                }
            }""",
            manifest,
        )
        browser.close()
    assert read["label"] == "Survey photographs" and read["type"].lower() == "manifest"
    assert [c["service"] for c in read["canvases"]] == [
        c["items"][0]["items"][0]["body"]["service"][0]["id"] for c in manifest["items"]
    ]
    assert [(c["width"], c["height"]) for c in read["canvases"]] == [
        (c["width"], c["height"]) for c in manifest["items"]
    ]


def _a_tile(response) -> bool:
    """Whether a response is a tile (once the viewer has every tile in view, a new one means it zoomed)."""
    return "/iiif/3/" in response.url and response.url.endswith("/default.jpg") and response.ok


def test_the_record_page_viewer_works_from_the_keyboard_and_passes_axe(browser_portal):
    from playwright.sync_api import sync_playwright

    base, archive, chromium = browser_portal
    tiles: list[str] = []
    with sync_playwright() as playwright:
        browser = _browser(playwright, chromium)
        page = browser.new_context(bypass_csp=True).new_page()  # axe is injected as a script of the test's own
        page.on("response", lambda r: tiles.append(r.url) if "/default.jpg" in r.url and r.ok else None)
        page.goto(f"{base}/records/{archive['aip']}/photographs")
        status = page.locator("[data-status]")
        status.filter(has_text="Image 1 of 4").wait_for()
        loaded = page.locator(".preserve-viewer[data-loaded=true]")
        loaded.wait_for()
        assert tiles, "the viewer fetched no tiles"
        assert not _axe(page, "the record page with its viewer")
        next_image = page.get_by_role("button", name="Next image", exact=True)
        next_image.focus()  # the buttons, by keyboard: Enter presses them
        page.keyboard.press("Enter")
        status.filter(has_text="Image 2 of 4").wait_for()
        # one large photograph: zoomed in by its button, then by + on the image itself
        page.goto(f"{base}/records/{archive['aip']}/photographs/quadrants.jpg")
        status.filter(has_text="The four quarters of the harbour").wait_for()
        loaded.wait_for()
        page.get_by_role("button", name="Zoom in", exact=True).focus()
        with page.expect_response(_a_tile, timeout=20_000):  # zooming in fetches finer tiles
            for _ in range(3):
                page.keyboard.press("Enter")
        page.get_by_role("button", name="Whole image", exact=True).focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)  # the viewer springs back to the whole image
        page.keyboard.press("Tab")  # from the buttons, Tab reaches the image
        assert page.evaluate("document.activeElement.getAttribute('role')") == "application"
        assert page.evaluate("document.activeElement.getAttribute('aria-label')").endswith("plus and minus zoom")
        osd = "document.querySelector('.preserve-viewer').openSeadragon.viewport"
        home, middle = page.evaluate(f"{osd}.getZoom(true)"), page.evaluate(f"{osd}.getCenter(true).x")
        for key, moved in (
            ("+", f"{osd}.getZoom(true) > {home} * 1.3"),
            ("ArrowRight", f"{osd}.getCenter(true).x > {middle}"),
        ):
            page.keyboard.down(key)  # held, as a person does: OpenSeadragon zooms and moves while a key is down
            page.wait_for_function(moved, timeout=20_000)  # (a frame at a time: slower on a busy machine)
            page.keyboard.up(key)
        page.keyboard.press("0")  # the whole image again
        page.wait_for_function(f"Math.abs({osd}.getZoom(true) - {home}) < 0.01", timeout=20_000)
        # a researcher's view of the closed photograph's page has no viewer and no IIIF link
        _sign_in(page, base, "researcher")
        page.goto(f"{base}/records/{archive['aip']}/photographs/closed.jpg")
        assert page.locator(".preserve-viewer").count() == 0
        browser.close()
    assert all("/iiif/3/" in url for url in tiles)
    assert not any(archive["ids"][f"photographs/{name}"] in url for url in tiles for name in ("closed.jpg",))
    assert json.dumps(tiles)  # every tile address was an ordinary URL


def test_requests_that_would_read_far_more_than_they_send_are_refused():
    """A one-pixel sliver as wide as a 40,000-pixel image would decode its whole full-size level: refused as
    beyond the service's limits (404), as a request for more pixels than maxArea is."""
    levels = tuple((40_000 >> n, 40_000 >> n) for n in range(9))
    huge = iiif_images.Pyramid(Path("unused.tif"), levels)
    with pytest.raises(iiif_images.ImageRequestError) as refused:
        iiif_images.parse_request(huge, "full", "40000,1", "0", "default", "jpg", iiif.MAX_AREA)
    assert refused.value.status == 404 and "would read" in refused.value.message
    tile = iiif_images.parse_request(huge, "0,0,1024,1024", "256,256", "0", "default", "jpg", iiif.MAX_AREA)
    assert iiif_images.level_for(huge, tile.w, tile.h, tile.width, tile.height) == 2  # a tile: 1,024 pixels read
    tall = iiif_images.parse_request(huge, "0,0,100,40000", "1,4000", "0", "default", "jpg", iiif.MAX_AREA)
    assert iiif_images.level_for(huge, tall.w, tall.h, tall.width, tall.height) == 3  # tall enough, not upscaled


def test_images_libvips_can_only_decode_whole_have_a_lower_cap(tmp_path, monkeypatch):
    """GIF, WebP, HEIF, interlaced PNG and progressive JPEG are decoded whole into memory (a 400-megapixel GIF
    took 1.9 GB): past WHOLE_MAX_PIXELS they get no pyramid; what libvips reads a strip at a time does."""
    import pyvips

    monkeypatch.setattr(iiif_images, "WHOLE_MAX_PIXELS", 10_000)  # the limit, scaled down to a test's images
    image = pyvips.Image.black(200, 100, bands=3) + 90
    made = {}
    for name, save in {
        "baseline.jpg": lambda path: image.jpegsave(path),
        "plain.png": lambda path: image.pngsave(path),
        "progressive.jpg": lambda path: image.jpegsave(path, interlace=True),
        "interlaced.png": lambda path: image.pngsave(path, interlace=True),
        "animation.gif": lambda path: image.gifsave(path),
        "picture.webp": lambda path: image.webpsave(path),
    }.items():
        source = tmp_path / name
        save(str(source))
        made[name] = iiif_images.make_pyramid(source, tmp_path / f"{name}.pyramid", 10**9)
    assert made == {
        "baseline.jpg": ".tif",
        "plain.png": ".tif",
        "progressive.jpg": ".none",
        "interlaced.png": ".none",
        "animation.gif": ".none",
        "picture.webp": ".none",
    }


def test_when_enough_requests_wait_for_pyramids_the_rest_are_told_to_come_back(served, monkeypatch):
    """The portal's threads are not all tied up waiting for images to be made ready: past WAITING, a request
    for an image not yet made is answered 503 with Retry-After, and every other page still answers."""
    import threading

    base, archive = served
    monkeypatch.setattr(iiif, "WAITING", threading.BoundedSemaphore(1))
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    portal = TestClient(create_app(archive["settings"]))
    iiif.WAITING.acquire()  # another request is waiting for a pyramid
    try:
        fresh = archive["ids"]["photographs/grey16.tif"]
        answer = portal.get(f"/iiif/3/{fresh}/info.json")
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert portal.get("/sitemap.xml").status_code == 200
    finally:
        iiif.WAITING.release()
    assert portal.get(f"/iiif/3/{fresh}/info.json").status_code == 200

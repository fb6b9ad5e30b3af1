"""Portal previews from the cache (issue 17, item 4): images scaled down, PDFs up to a size, each made once per
content under a lock however many ask at once, never for a record the person may not see, the cache trimmed
least recently used first, and decompression bombs refused."""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from access import delivery, derived_cache, previews
from access.record_view import preview
from catalogue.accounts import User
from cli.context import AppContext
from preservation.errors import NotFound

CONCURRENT = 20


@dataclasses.dataclass
class Archive:
    """One ingested transfer and what the tests need of it."""

    settings: object
    database: object
    aip_id: str
    sha256: dict[str, str]  # file name -> SHA-256 of its content

    @property
    def cache(self) -> Path:
        return previews.cache_folder(self.settings)


def _ingest(preserve, tmp_path: Path, files: dict[str, Callable[[Path], None]]) -> Archive:
    transfer = tmp_path / "transfer"
    transfer.mkdir()
    for name, make in files.items():
        make(transfer / name)
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    context = AppContext(home=preserve.home, config=preserve.home / "preserve.toml")
    return Archive(
        context.settings,
        context.database(),
        aip_id,
        {name: hashlib.sha256((transfer / name).read_bytes()).hexdigest() for name in files},
    )


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> Callable[[Path], None]:
    return lambda path: Image.new("RGB", size, colour).save(path, "JPEG")


def _pdf(path: Path) -> None:
    Image.new("RGB", (80, 60), (200, 200, 180)).save(path, "PDF")


def _count_fetches(monkeypatch) -> list[list[str]]:
    """Every call of ``fetch_files`` from now on: the paths it was asked for."""
    calls: list[list[str]] = []
    real = delivery.fetch_files

    def counting(settings, database, folder, records):
        calls.append([record.path for record in records])
        return real(settings, database, folder, records)

    monkeypatch.setattr(delivery, "fetch_files", counting)
    return calls


def _listing(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_an_image_preview_is_scaled_down_made_once_and_then_served_from_the_cache(preserve, tmp_path, monkeypatch):
    def transparent(path: Path) -> None:
        image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
        image.paste((250, 40, 40, 255), (50, 50, 150, 150))
        image.save(path, "PNG")

    archive = _ingest(preserve, tmp_path, {"wide.jpg": _jpeg((3000, 1200), (30, 90, 160)), "clear.png": transparent})
    fetches = _count_fetches(monkeypatch)

    content, mime = preview(archive.settings, archive.database, None, archive.aip_id, "wide.jpg")
    assert mime == "image/jpeg"
    assert content == archive.cache / f"{archive.sha256['wide.jpg']}-{previews.DERIVATION}.jpg"
    with Image.open(content) as shown:
        assert shown.format == "JPEG" and shown.size == (2048, 819)
    assert fetches == [["data/objects/wide.jpg"]]
    made = content.stat()

    os.utime(content, (1000, 1000))  # long unused: serving it marks it used now
    again, mime = preview(archive.settings, archive.database, None, archive.aip_id, "wide.jpg")
    assert (again, mime) == (content, "image/jpeg") and again.stat().st_ino == made.st_ino
    assert again.stat().st_mtime > 1000
    assert len(fetches) == 1  # not fetched again

    content, mime = preview(archive.settings, archive.database, None, archive.aip_id, "clear.png")
    assert mime == "image/png" and content.suffix == ".png"
    with Image.open(content) as shown:  # transparency kept, and a small image is not enlarged
        assert shown.mode == "RGBA" and shown.size == (300, 200) and shown.getpixel((0, 0))[3] == 0
    assert len(fetches) == 2
    assert not [name for name in _listing(archive.cache) if name.endswith(".work")]  # no work folders left


def test_twenty_concurrent_previews_of_one_pdf_make_it_once(preserve, tmp_path, monkeypatch):
    archive = _ingest(preserve, tmp_path, {"plan.pdf": _pdf})
    fetches = _count_fetches(monkeypatch)
    arrived, everyone_in = [], threading.Event()
    real_cached, real_fetch = previews.cached_preview, delivery.fetch_files

    def arriving(*args):
        arrived.append(1)
        if len(arrived) == CONCURRENT:
            everyone_in.set()
        return real_cached(*args)

    def slow_fetch(*args):  # whoever fetches waits until all have asked: without a lock, all would fetch
        assert everyone_in.wait(60), "not every request reached the cache"
        return real_fetch(*args)

    monkeypatch.setattr(previews, "cached_preview", arriving)
    monkeypatch.setattr(delivery, "fetch_files", slow_fetch)
    results, errors = [], []

    def ask() -> None:
        try:
            results.append(preview(archive.settings, archive.database, None, archive.aip_id, "plan.pdf"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a thread of the test did not finish within two minutes"
    assert errors == []
    name = f"{archive.sha256['plan.pdf']}-{previews.DERIVATION}"
    entry = archive.cache / f"{name}.pdf"
    assert results == [(entry, "application/pdf")] * CONCURRENT
    assert len(fetches) == 1
    assert _listing(archive.cache) == {f"{name}.pdf", f"{name}.lock", derived_cache.TRIM_LOCK}  # nothing temporary
    assert entry.read_bytes() == (tmp_path / "transfer" / "plan.pdf").read_bytes()


def _preview_in_a_child(home: str, aip_id: str, threads: int, arrived, everyone_in, answers) -> None:
    """In a process of its own: ``threads`` previews of plan.pdf at once; (fetches, answers) to ``answers``."""
    context = AppContext(home=Path(home), config=Path(home) / "preserve.toml")
    settings, database = context.settings, context.database()
    fetches = []
    real_cached, real_fetch = previews.cached_preview, delivery.fetch_files

    def arriving(*args):
        with arrived.get_lock():
            arrived.value += 1
            if arrived.value == 2 * threads:
                everyone_in.set()
        return real_cached(*args)

    def slow_fetch(*args):
        fetches.append(1)
        everyone_in.wait(60)
        return real_fetch(*args)

    previews.cached_preview, delivery.fetch_files = arriving, slow_fetch
    shown = []

    def ask() -> None:
        try:
            content, mime = preview(settings, database, None, aip_id, "plan.pdf")
            shown.append(f"{content} {mime}")
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            shown.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert not worker.is_alive(), "a thread of the test did not finish within two minutes"
    answers.put((len(fetches), shown))


def test_two_processes_asking_at_once_make_the_preview_once(preserve, tmp_path):
    archive = _ingest(preserve, tmp_path, {"plan.pdf": _pdf})
    spawn = multiprocessing.get_context("spawn")
    arrived, everyone_in, answers = spawn.Value("i", 0), spawn.Event(), spawn.Queue()
    children = [
        spawn.Process(
            target=_preview_in_a_child, args=(str(preserve.home), archive.aip_id, 5, arrived, everyone_in, answers)
        )
        for _ in range(2)
    ]
    for child in children:
        child.start()
    reports = [answers.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    entry = archive.cache / f"{archive.sha256['plan.pdf']}-{previews.DERIVATION}.pdf"
    assert arrived.value == 10
    assert [shown for _, shown in reports] == [[f"{entry} application/pdf"] * 5] * 2
    assert sum(fetches for fetches, _ in reports) == 1
    assert {name for name in _listing(archive.cache) if not name.endswith(".lock")} == {entry.name}


def test_a_file_above_the_size_cap_is_refused_without_being_fetched(preserve, tmp_path, monkeypatch):
    archive = _ingest(preserve, tmp_path, {"plan.pdf": _pdf, "photo.jpg": _jpeg((64, 48), (10, 20, 30))})
    fetches = _count_fetches(monkeypatch)
    capped = dataclasses.replace(archive.settings, preview_max_mib=0)
    for path in ("plan.pdf", "photo.jpg"):
        with pytest.raises(NotFound) as refused:
            preview(capped, archive.database, None, archive.aip_id, path)
        assert refused.value.hint == "This file is too large to show here; request a copy instead."
    assert fetches == [] and _listing(archive.cache) == set()
    content, mime = preview(archive.settings, archive.database, None, archive.aip_id, "plan.pdf")  # within 64 MiB
    assert mime == "application/pdf" and fetches == [["data/objects/plan.pdf"]]
    with pytest.raises(NotFound):  # a cached preview is not served once the cap is below the file's size either
        preview(capped, archive.database, None, archive.aip_id, "plan.pdf")


def test_a_closed_record_is_refused_before_the_cache_is_looked_at(preserve, tmp_path, monkeypatch):
    same = _jpeg((64, 48), (120, 20, 20))  # the closed file has the same content as the open one
    archive = _ingest(preserve, tmp_path, {"open.jpg": same, "closed.jpg": same})
    preserve("access", "set", archive.aip_id, "--path", "objects/closed.jpg", "--closed", "--reason", "Personal data")
    asked = []
    real_cached = previews.cached_preview
    monkeypatch.setattr(previews, "cached_preview", lambda *args: asked.append(args[2].path) or real_cached(*args))
    fetches = _count_fetches(monkeypatch)

    answers = []
    for path in ("closed.jpg", "missing.jpg"):
        with pytest.raises(NotFound) as refused:
            preview(archive.settings, archive.database, None, archive.aip_id, path)
        answers.append((refused.value.message, refused.value.hint))
    assert answers[0] == answers[1]  # closed is answered as missing
    assert asked == [] and fetches == [] and not archive.cache.exists()

    content, _ = preview(archive.settings, archive.database, None, archive.aip_id, "open.jpg")
    assert asked == ["data/objects/open.jpg"] and content.exists()
    with pytest.raises(NotFound):  # its content is in the cache now: still refused, and the cache not asked
        preview(archive.settings, archive.database, None, archive.aip_id, "closed.jpg")
    assert asked == ["data/objects/open.jpg"]

    archivist = User("a", "archivist@example.org", "An archivist", "archivist", "2025-01-01")
    assert preview(archive.settings, archive.database, archivist, archive.aip_id, "closed.jpg")[0] == content
    assert asked[-1] == "data/objects/closed.jpg" and len(fetches) == 1  # the same content: from the cache


def test_the_cache_is_trimmed_least_recently_used_first(preserve, tmp_path, monkeypatch):
    archive = _ingest(
        preserve,
        tmp_path,
        {f"{name}.jpg": _jpeg((64 + index, 48), (40 * index, 60, 90)) for index, name in enumerate("abc")},
    )
    fetches = _count_fetches(monkeypatch)
    entry = {}
    for name in "abc":
        entry[name], _ = preview(archive.settings, archive.database, None, archive.aip_id, f"{name}.jpg")
    assert len(fetches) == 3 and all(path.exists() for path in entry.values())  # within the 2 GiB default
    now = time.time()
    for age, name in ((3000, "a"), (2000, "b"), (1000, "c")):
        os.utime(entry[name], (now - age, now - age))
    preview(archive.settings, archive.database, None, archive.aip_id, "a.jpg")  # a is used again
    assert len(fetches) == 3

    lock = {name: path.with_suffix(".lock") for name, path in entry.items()}
    died = archive.cache / f".{entry['b'].stem}.x1y2.work"  # what a maker that died left behind
    died.mkdir()
    (died / "half").write_bytes(b"half a preview")
    orphan = archive.cache / f"{'0' * 64}-{previews.DERIVATION}.lock"
    orphan.touch()

    removed = previews.trim(archive.cache, entry["a"].stat().st_size + entry["c"].stat().st_size)
    assert removed == [entry["b"]]  # the least recently used, and enough
    assert not entry["b"].exists() and not lock["b"].exists() and not died.exists() and not orphan.exists()
    assert entry["a"].exists() and entry["c"].exists() and lock["a"].exists()

    assert previews.trim(archive.cache, 0) == [entry["c"]]  # a was used a moment ago: a response may be sending it
    assert _listing(archive.cache) == {entry["a"].name, lock["a"].name, derived_cache.TRIM_LOCK}

    os.utime(entry["a"], (now - 3000, now - 3000))
    tiny = dataclasses.replace(archive.settings, preview_cache_mib=0)
    made, _ = preview(tiny, archive.database, None, archive.aip_id, "b.jpg")  # made again, then the cache trimmed
    assert made == entry["b"] and len(fetches) == 4
    assert {name for name in _listing(archive.cache) if not name.endswith(".lock")} == {entry["b"].name}


def _png_bomb(side: int) -> Callable[[Path], None]:
    """A valid black PNG of ``side`` x ``side`` 1-bit pixels: a few kilobytes that decode to far more."""

    def make(path: Path) -> None:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        rows = (b"\0" * (1 + (side + 7) // 8)) * 500
        packer = zlib.compressobj(9)
        data = b"".join(packer.compress(rows) for _ in range(side // 500)) + packer.flush()
        path.write_bytes(
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data)
            + chunk(b"IEND", b"")
        )

    return make


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # the second image: expected
def test_a_decompression_bomb_has_no_preview(preserve, tmp_path, monkeypatch):
    archive = _ingest(preserve, tmp_path, {"bomb.png": _png_bomb(20000), "small.jpg": _jpeg((64, 48), (1, 2, 3))})
    assert (tmp_path / "transfer" / "bomb.png").stat().st_size < 100_000
    fetches = _count_fetches(monkeypatch)
    for _ in range(2):
        with pytest.raises(NotFound) as refused:
            preview(archive.settings, archive.database, None, archive.aip_id, "bomb.png")
        assert refused.value.message == "no preview of this record"
    assert len(fetches) == 1  # refused once, remembered: not fetched again
    assert (archive.cache / f"{archive.sha256['bomb.png']}-{previews.DERIVATION}.none").stat().st_size == 0

    # above Pillow's limit but below twice it, where Pillow itself only warns
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 64 x 48 = 3072 pixels
    with pytest.raises(NotFound):
        preview(archive.settings, archive.database, None, archive.aip_id, "small.jpg")
    assert len(fetches) == 2


def test_an_image_whose_decoding_needs_too_many_pixels_has_no_preview(preserve, tmp_path, monkeypatch):
    archive = _ingest(
        preserve,
        tmp_path,
        {
            "scan.png": _png_bomb(7000),  # 49 million pixels, decoded whole
            "plan.jpg": _jpeg((5000, 4500), (9, 8, 7)),  # baseline: decoded at 1/2, 2500 x 2250
            "survey.jpg": lambda path: Image.new("RGB", (5000, 4500), (1, 2, 3)).save(path, "JPEG", progressive=True),
        },
    )
    monkeypatch.setattr(previews, "MAX_DECODED_PIXELS", 8_000_000)
    for name in ("scan.png", "survey.jpg"):  # a progressive JPEG keeps a full-size buffer: it counts whole
        with pytest.raises(NotFound):
            preview(archive.settings, archive.database, None, archive.aip_id, name)
        assert (archive.cache / f"{archive.sha256[name]}-{previews.DERIVATION}.none").exists()
    content, mime = preview(archive.settings, archive.database, None, archive.aip_id, "plan.jpg")
    assert mime == "image/jpeg" and Image.open(content).size == (2048, 1843)

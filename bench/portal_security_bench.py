"""What the portal's defences cost, and what they hold, through a real `preserve serve --workers 2`.

Run: .venv/bin/python bench/portal_security_bench.py [--pdf-mib 50] [--image-px 6000]

- sign-in: 50 good sign-ins one after another (Argon2id dominates), and the cost of counting an attempt
  in the catalogue (1,000 attempts through access.throttle, no password);
- a burst of 100 simultaneous wrong sign-ins for one account: verdicts, refusals, time;
- a signed-in request against an anonymous one (the session row is read on every request);
- previews: the first and the cached answer for a large JPEG and a large PDF, and 20 simultaneous first
  previews of the PDF: the servers' peak memory and the disk used under cache/;
- a 200 MB JSON body sent to the sign-in route: the answer and the servers' memory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402
import pikepdf  # noqa: E402
import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from access import throttle  # noqa: E402
from access.users import create_user  # noqa: E402
from cli.context import AppContext  # noqa: E402

HOME = HERE / "work" / "portal-security"
PASSWORD = "correct horse battery"
MIB = 1 << 20


def _preserve(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "preserve"), "--home", str(HOME), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _archive(pdf_mib: int, image_px: int) -> str:
    """A fresh archive holding one large open JPEG and one large open PDF; the AIP id."""
    shutil.rmtree(HOME, ignore_errors=True)
    _preserve("init", "--name", "Benchmark Archive")
    (HOME / "policies" / "formats.toml").write_text('version = 2\n[default]\npreservation = "keep"\n')
    transfer = HOME.parent / "portal-security-transfer"
    shutil.rmtree(transfer, ignore_errors=True)
    (transfer / "objects").mkdir(parents=True)
    gradient = Image.linear_gradient("L").resize((image_px, image_px))
    Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_90), gradient)).save(
        transfer / "objects" / "plan.jpg", quality=95
    )
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Contents = pdf.make_stream(b"% " + os.urandom(pdf_mib * MIB).hex().encode()[: pdf_mib * MIB])
    pdf.save(transfer / "objects" / "report.pdf", compress_streams=False)
    import json

    aip = json.loads(_preserve("ingest", str(transfer), "--json"))["aip_id"]
    shutil.rmtree(transfer)
    database = AppContext(home=HOME, config=HOME / "preserve.toml").database()
    create_user(database, "reader@example.org", "A Reader", "researcher", PASSWORD)
    return aip


def _serve(port: int) -> subprocess.Popen:
    config = HOME / "preserve.toml"
    config.write_text(config.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "preserve"),
            "--home",
            str(HOME),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/session", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the portal did not start")


class PeakMemory:
    """The largest summed RSS of a server and its worker processes while the block runs (sampled every 20 ms)."""

    def __init__(self, pid: int):
        self.root, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()

    def now(self) -> int:
        """Summed RSS now, in bytes."""
        processes = [self.root, *self.root.children(recursive=True)]
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def __enter__(self) -> PeakMemory:
        self.before = self.now()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdf-mib", type=int, default=50)
    parser.add_argument("--image-px", type=int, default=6000)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()}: {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total // MIB} MiB, Python {platform.python_version()}"
    )
    aip = _archive(args.pdf_mib, args.image_px)
    database = AppContext(home=HOME, config=HOME / "preserve.toml").database()
    counting = [
        _timed(
            lambda n=n: throttle.signed_in(
                database, throttle.begin_sign_in(database, f"person{n % 50}@example.org", f"192.0.2.{n % 200}")
            )
        )
        for n in range(1000)
    ]
    print(
        f"counting an attempt (SQLite, 1,000): p50 {statistics.median(counting):.2f} ms, "
        f"p95 {sorted(counting)[949]:.2f} ms"
    )
    server = _serve(args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            good = [
                _timed(
                    lambda: client.post("/api/v1/session", json={"email": "reader@example.org", "password": PASSWORD})
                )
                for _ in range(50)
            ]
            print(f"good sign-in (Argon2id, 50): p50 {statistics.median(good):.1f} ms")
            signed = [_timed(lambda: client.get("/api/v1/session")) for _ in range(300)]
        with httpx.Client(base_url=base, timeout=30) as anonymous:
            anon = [_timed(lambda: anonymous.get("/api/v1/session")) for _ in range(300)]
        print(
            f"GET /api/v1/session (300): anonymous p50 {statistics.median(anon):.2f} ms, "
            f"signed in p50 {statistics.median(signed):.2f} ms"
        )

        barrier = threading.Barrier(100)

        def attempt(number: int) -> int:
            with httpx.Client(base_url=base, timeout=120) as client:
                barrier.wait()
                return client.post(
                    "/api/v1/session", json={"email": "reader@example.org", "password": f"wrong {number}"}
                ).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(100) as pool:
            answers = list(pool.map(attempt, range(100)))
        print(
            f"100 simultaneous wrong sign-ins: {answers.count(401)} verdicts (401), {answers.count(429)} refused "
            f"(429), other {len(answers) - answers.count(401) - answers.count(429)}, "
            f"{time.perf_counter() - started:.1f} s"
        )

        cache = HOME / "cache"
        for name in ("plan.jpg", "report.pdf"):
            path = f"/preview/{aip}/{name}"
            first = _timed(lambda p=path: httpx.get(base + p, timeout=300).raise_for_status())
            cached = statistics.median(_timed(lambda p=path: httpx.get(base + p, timeout=60)) for _ in range(10))
            print(
                f"preview {name}: first {first:.0f} ms, cached p50 {cached:.1f} ms; cache now "
                f"{_disk(cache) / MIB:.1f} MiB"
            )
        shutil.rmtree(cache)
        barrier = threading.Barrier(20)

        def preview(_: int) -> int:
            barrier.wait()
            return httpx.get(f"{base}/preview/{aip}/report.pdf", timeout=300).status_code

        disk_peak = [0]
        stop = threading.Event()

        def watch_disk() -> None:
            while not stop.is_set():
                disk_peak[0] = max(disk_peak[0], _disk(cache))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch_disk, daemon=True)
        watcher.start()
        with PeakMemory(server.pid) as memory, ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(preview, range(20)))
        stop.set()
        watcher.join()
        print(
            f"20 simultaneous first previews of the {args.pdf_mib} MiB PDF: statuses {sorted(set(statuses))}, "
            f"servers' RSS {memory.before / MIB:.0f} → peak {memory.peak / MIB:.0f} MiB, cache peak "
            f"{disk_peak[0] / MIB:.1f} MiB"
        )

        body = b'{"email": "' + b"x" * (200 * MIB) + b'"}'
        with PeakMemory(server.pid) as memory:
            answer = httpx.post(
                f"{base}/api/v1/session", content=body, timeout=120, headers={"Content-Type": "application/json"}
            )
        print(
            f"200 MB JSON body: {answer.status_code}; servers' RSS {memory.before / MIB:.0f} → peak "
            f"{memory.peak / MIB:.0f} MiB"
        )
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()

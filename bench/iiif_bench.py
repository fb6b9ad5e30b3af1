"""IIIF tile latency for a 100-megapixel image, through a real `preserve serve`.

Run: .venv/bin/python bench/iiif_bench.py [--megapixels 100] [--tiles 2000] [--clients 4] [--keep]

A fresh archive home (bench/work/iiif/) is made with `preserve init`; one open photograph of --megapixels (a
JPEG, square, with detail everywhere: noise over gradients, as a scanned map or plan has) is ingested with
`preserve ingest`, and the portal is started. The first info.json request makes the image's pyramid: its time and
the server's peak memory (its VmHWM) are printed. Then --tiles tile requests, as OpenSeadragon makes them (a
256-pixel tile at a random position of a random scale factor, `x,y,w,h/w,h/0/default.jpg`), are made one at a
time and then from --clients clients at once; p50, p95 and p99 latencies and tiles per second are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
PRESERVE = str(Path(sys.executable).parent / "preserve")
HOME = HERE / "work" / "iiif"


def _photograph(path: Path, megapixels: int) -> None:
    """A square JPEG of ``megapixels`` with detail everywhere, written by libvips a strip at a time."""
    import pyvips  # noqa: PLC0415

    side = int(math.sqrt(megapixels * 1_000_000))
    noise = pyvips.Image.gaussnoise(side, side, sigma=40, mean=128)
    ramp = pyvips.Image.xyz(side, side)[0] * (255 / side)
    red, green = (noise + ramp) / 2, (noise * 0.5 + 64)
    blue = pyvips.Image.xyz(side, side)[1] * (255 / side)
    red.bandjoin([green, blue]).cast("uchar").jpegsave(str(path), Q=90)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_kib(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _tiles(info: dict, count: int, seed: int) -> list[str]:
    """``count`` tile paths at random scale factors and positions, as a viewer asks for them."""
    rng = random.Random(seed)
    width, height = info["width"], info["height"]
    side = info["tiles"][0]["width"]
    factors = info["tiles"][0]["scaleFactors"]
    paths = []
    for _ in range(count):
        factor = rng.choice(factors[:-2] or factors)  # the levels a viewer spends its time in
        span = side * factor
        x = rng.randrange(0, math.ceil(width / span)) * span
        y = rng.randrange(0, math.ceil(height / span)) * span
        w, h = min(span, width - x), min(span, height - y)
        paths.append(f"{x},{y},{w},{h}/{math.ceil(w / factor)},{math.ceil(h / factor)}/0/default.jpg")
    return paths


def _timed(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise SystemExit(f"{url}: HTTP {answer.status_code} {answer.text[:200]}")
    return elapsed


def _report(label: str, times: list[float], wall: float) -> None:
    ordered = sorted(times)
    at = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000  # noqa: E731
    print(
        f"{label}: {len(times)} tiles, p50 {at(0.50):.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms, "
        f"mean {statistics.mean(times) * 1000:.1f} ms; {len(times) / wall:.0f} tiles/s"
    )


def main() -> None:
    """Build, serve, measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=int, default=100)
    parser.add_argument("--tiles", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep bench/work/iiif afterwards")
    args = parser.parse_args()
    shutil.rmtree(HOME, ignore_errors=True)
    transfer = HOME / "transfer"
    transfer.mkdir(parents=True)
    started = time.perf_counter()
    _photograph(transfer / "plan.jpg", args.megapixels)
    size = (transfer / "plan.jpg").stat().st_size
    print(
        f"photograph: {args.megapixels} megapixels, {size / 2**20:.1f} MiB JPEG ({time.perf_counter() - started:.1f} s)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")} | {"PRESERVE_HOME": str(HOME / "home")}
    subprocess.run([PRESERVE, "init", str(HOME / "home")], check=True, capture_output=True, env=env)
    config = HOME / "home" / "preserve.toml"
    port = _free_port()
    config.write_text(config.read_text().replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"))
    ingest = subprocess.run([PRESERVE, "ingest", str(transfer), "--json"], check=True, capture_output=True, env=env)
    aip = json.loads(ingest.stdout)["aip_id"]
    server = subprocess.Popen([PRESERVE, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(200):
                try:
                    client.get("/")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            manifest = client.get(f"/iiif/manifest/{aip}").json()
            service = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"].removeprefix(base)
            before = _peak_kib(server.pid)
            started = time.perf_counter()
            info = client.get(f"{service}/info.json").json()
            made = time.perf_counter() - started
            peak = _peak_kib(server.pid)
            pyramid = next((HOME / "home" / "cache" / "iiif").glob("*.tif"))
            print(
                f"first info.json (fetch, check, make the pyramid): {made:.2f} s; pyramid "
                f"{pyramid.stat().st_size / 2**20:.1f} MiB, {len(info['tiles'][0]['scaleFactors'])} levels; server "
                f"peak memory {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB after"
            )
            paths = [f"{service}/{tile}" for tile in _tiles(info, args.tiles, seed=21)]
            for path in paths[:50]:  # warm up: the server's first requests of each kind
                _timed(client, path)
            started = time.perf_counter()
            one = [_timed(client, path) for path in paths]
            _report("one client", one, time.perf_counter() - started)
        clients = [httpx.Client(base_url=base, timeout=600) for _ in range(args.clients)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            several = list(pool.map(lambda n: _timed(clients[n % args.clients], paths[n]), range(len(paths))))
        _report(f"{args.clients} clients at once", several, time.perf_counter() - started)
        for client in clients:
            client.close()
        print(f"server peak memory after the tiles: {_peak_kib(server.pid) / 1024:.0f} MiB")
    finally:
        server.terminate()
        server.wait()
        if not args.keep:
            shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()

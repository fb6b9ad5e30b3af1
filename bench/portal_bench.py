"""Portal throughput under concurrent searches: requests per second and latency, through a real `preserve serve`.

Run: .venv/bin/python bench/portal_bench.py [--records 1000000] [--workers 2] [--clients 8 32] [--seconds 20]

The catalogue of bench/search_bench.py (1,000,000 file records; built first if it is not there) is
served by `preserve serve --workers N` (uvicorn processes) and searched by C client threads at once,
each with its own keep-alive connection, each request a researcher's search from the search
benchmark's query set (common and rare words, pairs, prefixes, facet filters) — half as the JSON
API, half as the HTML search page with its facets. The clients run on the same machine, so they
take CPU from the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402

from bench.search_bench import WORK, build, query_set, vocabulary  # noqa: E402
from catalogue import Database  # noqa: E402

HOME = HERE / "work" / "portal"


def _urls(count: int) -> list[str]:
    urls = []
    for number, query in enumerate(query_set(vocabulary(20_000), count)):
        params = {
            "q": query.text,
            "collection": query.collection,
            "format": query.puid,
            "year_from": query.year_from or "",
            "year_to": query.year_to or "",
        }
        path = "/api/v1/search" if number % 2 else "/"
        urls.append(path + "?" + urlencode({k: v for k, v in params.items() if v}))
    return urls


def _serve(url: str, workers: int, port: int) -> subprocess.Popen:
    HOME.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")}
    preserve = str(Path(sys.executable).parent / "preserve")
    subprocess.run(
        [preserve, "--home", str(HOME), "init", "--name", "Benchmark Archive"], env=env, check=True, capture_output=True
    )
    config = HOME / "preserve.toml"
    config.write_text(config.read_text().replace('url = "sqlite:///catalogue.db"', f'url = "{url}"', 1))
    server = subprocess.Popen(
        [preserve, "--home", str(HOME), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/search?q=parish", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the portal did not start")


def _load(base: str, urls: list[str], clients: int, seconds: float) -> tuple[int, list[float], int]:
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, failed = [], 0
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                answer = http.get(rng.choice(urls))
                mine.append((time.perf_counter() - started) * 1000)
                failed += answer.status_code != 200
        with lock:
            timings.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(timings), sorted(timings), errors[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    url = f"sqlite:///{WORK}/catalogue.db"
    if not (WORK / f".built-{args.records}").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        Database(url).upgrade()
        build(url, args.records, vocabulary(20_000))
        (WORK / f".built-{args.records}").write_text("")
    Database(url).upgrade()  # the portal needs the current schema
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", args.port))
    server = _serve(url, args.workers, args.port)
    base = f"http://127.0.0.1:{args.port}"
    urls = _urls(300)
    try:
        _load(base, urls, 4, 5)  # warm the caches
        print(
            f"# {platform.node()} — {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}; {args.records:,} records; preserve serve --workers {args.workers}"
        )
        print("| concurrent clients | requests | requests/s | p50 ms | p95 ms | max ms | errors |")
        print("|---|---|---|---|---|---|---|")
        for clients in args.clients:
            count, timings, errors = _load(base, urls, clients, args.seconds)
            print(
                f"| {clients} | {count:,} | {count / args.seconds:.0f} | {statistics.median(timings):.1f} | "
                f"{timings[int(0.95 * (len(timings) - 1))]:.1f} | {timings[-1]:.1f} | {errors} |"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()

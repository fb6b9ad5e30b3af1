"""Ingest in-process against Celery with 1 and 2 workers; Celery's per-task overhead; where the time goes.

Run: .venv/bin/python bench/scaleout_bench.py [--only a|b] [--modes local,celery-1,celery-2]

Data sets (made once under bench/work/ by bench/ingest_bench.py's generator, warm page cache):
  (a) 1,000 files x 1 MiB      (b) 10,000 files x 4 KiB
Each ingest runs in this process through the same function `preserve ingest` calls, into a fresh
archive home, timing each stage the pipeline reports. Modes: `local` is the embedded default (a
process pool, one worker per core); `celery-N` starts a Redis server (Debian's redis-server, unix
socket) and N `preserve worker` processes. Per-task overhead: empty batches sent through the
executor with one worker, one at a time (round trip) and 32 in flight (throughput).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest_bench import WORK, make_set  # noqa: E402

from catalogue import Database  # noqa: E402
from ingest.pipeline import IngestRequest, Progress, ingest  # noqa: E402
from ingest.steps import WorkerSetup  # noqa: E402
from ingest.tasks import CeleryExecutor  # noqa: E402
from preservation.config import load_settings  # noqa: E402
from preservation.plain import to_plain  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

PRESERVE = str(Path(sys.executable).parent / "preserve")


class StageClock(Progress):
    """Seconds spent in each stage the pipeline announces (the per-file work is 'Storing')."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.current, self.since = "Starting", time.perf_counter()

    def stage(self, text: str) -> None:
        """A new stage began: close the last one."""
        self._close()
        self.current = text

    def start(self, files: int, size: int) -> None:
        """The per-file work begins."""
        self._close()
        self.current = "Per-file work (store, digest, identify, verify, validate)"

    def finish(self) -> None:
        """The ingest returned."""
        self._close()

    def _close(self) -> None:
        now = time.perf_counter()
        self.stages[self.current] = self.stages.get(self.current, 0.0) + now - self.since
        self.since = now


def new_home(name: str, broker: str = "") -> Path:
    home = WORK / "scaleout" / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    subprocess.run([PRESERVE, "--home", str(home), "init"], check=True, stdout=subprocess.DEVNULL)
    config = home / "preserve.toml"
    text = config.read_text()
    if broker:
        text = text.replace('kind = "local"', 'kind = "celery"', 1).replace(
            "[executor]\n", f'[executor]\nbroker = "{broker}"\n', 1
        )
    config.write_text(text)
    return home


def start_workers(home: Path, count: int) -> list[subprocess.Popen]:
    workers = [
        subprocess.Popen(
            [PRESERVE, "--home", str(home), "worker", "--loglevel", "WARNING"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    time.sleep(3)  # the workers load the signature set and connect
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def run_ingest(home: Path, source: Path) -> tuple[float, dict[str, float], int]:
    settings = load_settings(home, home / "preserve.toml")
    database = Database(settings.catalogue_url)
    clock = StageClock()
    started = time.perf_counter()
    report = ingest(settings, database, IngestRequest(source=source), clock)
    seconds = time.perf_counter() - started
    clock.finish()
    database.dispose()
    return seconds, clock.stages, report.files


def task_overhead(home: Path, broker: str, tasks: int = 300) -> tuple[float, float]:
    """(ms per task one at a time, ms per task with 32 in flight) for empty batches."""
    settings = load_settings(home, home / "preserve.toml")
    setup = WorkerSetup(tuple(settings.location(n) for n in settings.replication), "urn:uuid:bench")
    results = []
    for in_flight in (1, 32):
        executor = CeleryExecutor.from_settings(settings, in_flight=in_flight)
        plain = to_plain(setup)
        messages = ((plain, []) for _ in range(tasks))
        started = time.perf_counter()
        for _ in executor.map("preserve.process_batch", messages):
            pass
        results.append((time.perf_counter() - started) / tasks * 1000)
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["a", "b"])
    parser.add_argument("--modes", default="local,celery-1,celery-2")
    args = parser.parse_args()
    modes = args.modes.split(",")
    print(
        f"# {platform.node()} — {os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    redis = None
    if any(m.startswith("celery") for m in modes):
        folder = WORK / "scaleout-redis"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        redis = RedisServer(shutil.which("redis-server") or "redis-server", folder).start()
    try:
        print("| set | executor | files | seconds | files/s | MB/s |")
        print("|---|---|---|---|---|---|")
        breakdown = {}
        for name in (args.only,) if args.only else ("a", "b"):
            source = make_set(name)
            megabytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6
            for mode in modes:
                workers = []
                home = new_home(f"{name}-{mode}", redis.url if mode.startswith("celery") else "")
                if mode.startswith("celery"):
                    workers = start_workers(home, int(mode.split("-")[1]))
                try:
                    seconds, stages, files = run_ingest(home, source)
                finally:
                    stop_workers(workers)
                print(
                    f"| {name} | {mode} | {files:,} | {seconds:.1f} | {files / seconds:,.0f} | "
                    f"{megabytes / seconds:,.1f} |",
                    flush=True,
                )
                breakdown[(name, mode)] = stages
        print("\nWhere the time goes (seconds per stage):")
        for (name, mode), stages in breakdown.items():
            parts = ", ".join(f"{stage.rstrip('…')}: {secs:.1f}" for stage, secs in stages.items() if secs >= 0.05)
            print(f"- {name} / {mode}: {parts}")
        if redis is not None:
            home = new_home("overhead", redis.url)
            workers = start_workers(home, 1)
            try:
                one, many = task_overhead(home, redis.url)
            finally:
                stop_workers(workers)
            print(
                f"\nPer-task overhead (empty batch, 1 worker): {one:.2f} ms round trip one at a time; "
                f"{many:.2f} ms per task with 32 in flight"
            )
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()

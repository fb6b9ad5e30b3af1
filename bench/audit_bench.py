"""Fixity audit throughput against the hashing floor, and the cost of a metadata-only pass.

Run: .venv/bin/python bench/audit_bench.py [--meta-files 100000]

1. One AIP of 1,000 × 1 MiB random files (bench/work/set-a, shared with the ingest benchmark)
   ingested into an archive with two copies: local disk and SeaweedFS (`weed mini`, started here).
2. Local: a full audit of the local copy (`run_audit`, repair off, in this process) against the
   single-pass floor over the same stored files (one read per file feeding SHA-256 and SHA-512,
   sequential, in this process).
3. S3: a full audit of the S3 copy against raw boto3 `get_object` + SHA-256 + SHA-512 of the same
   objects, sequential.
4. Metadata only: --meta-files files of 64 bytes in one AIP (local), a metadata-only audit
   (listing and sizes), and a full audit of the same copy for comparison.
Page cache is warm for the local runs (each is run once before timing).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest_bench import make_set  # noqa: E402

from catalogue import Database  # noqa: E402
from preservation.config import load_settings  # noqa: E402
from stewardship.audit_runs import FULL, METADATA, plan_all, run_audit  # noqa: E402
from storage import seaweedfs as s3server  # noqa: E402

WORK = HERE / "work" / "audit"
BIN = Path(sys.executable).parent


def _home(name: str, s3_endpoint: str = "") -> Path:
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    cloud = (
        f'[[storage]]\nname = "cloud"\nbackend = "s3"\nendpoint = "{s3_endpoint}"\nbucket = "bench"\n'
        if s3_endpoint
        else ""
    )
    names = '"primary", "cloud"' if s3_endpoint else '"primary"'
    (home / "preserve.toml").write_text(
        f'[[storage]]\nname = "primary"\nbackend = "local"\npath = "storage"\n'
        f"{cloud}[replication]\nlocations = [{names}]\n"
    )
    subprocess.run([BIN / "preserve", "--home", home, "init"], check=True, capture_output=True)
    return home


def _ingest(home: Path, source: Path) -> None:
    subprocess.run([BIN / "preserve", "--home", home, "ingest", source, "--json"], check=True, capture_output=True)


def _audit(home: Path, location: str, kind: str) -> tuple[float, int, int, bool]:
    settings = load_settings(home)
    database = Database(settings.catalogue_url)
    plan = plan_all(database, location=location, kind=kind)
    start = time.perf_counter()
    results = run_audit(settings, database, plan, repair=False)
    seconds = time.perf_counter() - start
    copy = results[0].copies[0].check
    return seconds, copy.files, copy.bytes, results[0].ok


def _floor_local(home: Path) -> tuple[float, int]:
    files = sorted(p for p in (home / "storage").rglob("v1/content/**/*") if p.is_file())
    start = time.perf_counter()
    total = 0
    for path in files:
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sha256.update(chunk)
                sha512.update(chunk)
                total += len(chunk)
    return time.perf_counter() - start, total


def _floor_s3(client) -> tuple[float, int]:
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket="bench")
        for o in page.get("Contents", [])
        if "/v1/content/" in o["Key"]
    ]
    start = time.perf_counter()
    total = 0
    for key in keys:
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        body = client.get_object(Bucket="bench", Key=key)["Body"]
        while chunk := body.read(1024 * 1024):
            sha256.update(chunk)
            sha512.update(chunk)
            total += len(chunk)
    return time.perf_counter() - start, total


def _make_tiny(count: int) -> Path:
    """``count`` files of 64 bytes in folders of 1,000 (made once)."""
    root = HERE / "work" / f"set-tiny-{count}"
    marker = HERE / "work" / f".set-tiny-{count}-complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        for i in range(count):
            folder = root / f"folder-{i // 1000:03}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{i:06}.txt").write_bytes(os.urandom(32).hex().encode())
        marker.write_text("")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meta-files", type=int, default=100_000)
    args = parser.parse_args()
    source = make_set("a")
    server = s3server.start(WORK / "s3")
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": s3server.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": s3server.SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    rows = []
    try:
        client = server.client()
        client.create_bucket(Bucket="bench")
        home = _home("copies", server.endpoint)
        _ingest(home, source)
        _floor_local(home)  # warm the page cache
        floor_s, floor_bytes = _floor_local(home)
        audit_s, files, audited, ok = _audit(home, "primary", FULL)
        assert ok and audited == floor_bytes, (ok, audited, floor_bytes)
        rows.append(("local, full audit", files, audited, audit_s, floor_s))
        s3_floor_s, s3_bytes = _floor_s3(client)
        s3_s, files, audited, ok = _audit(home, "cloud", FULL)
        assert ok and audited == s3_bytes, (ok, audited, s3_bytes)
        rows.append(("SeaweedFS, full audit", files, audited, s3_s, s3_floor_s))
        meta_s, files, listed, ok = _audit(home, "cloud", METADATA)
        rows.append(("SeaweedFS, metadata only", files, listed, meta_s, None))
    finally:
        server.stop()
    tiny = _home("tiny")
    tiny_source = _make_tiny(args.meta_files)
    start = time.perf_counter()
    _ingest(tiny, tiny_source)
    ingest_s = time.perf_counter() - start
    _audit(tiny, "primary", METADATA)  # warm
    meta_s, files, listed, ok = _audit(tiny, "primary", METADATA)
    assert ok
    rows.append((f"local, metadata only, {args.meta_files:,} files", files, listed, meta_s, None))
    full_s, files, read, ok = _audit(tiny, "primary", FULL)
    rows.append((f"local, full audit, {args.meta_files:,} files", files, read, full_s, None))
    print(
        f"# {time.strftime('%Y-%m-%d')}  {platform.node()}  {os.cpu_count()} cores  "
        f"(tiny set ingested in {ingest_s:.0f} s)"
    )
    print("| run | files | MB | seconds | MB/s | files/s | floor s | vs floor |")
    print("|---|---|---|---|---|---|---|---|")
    for name, files, size, seconds, floor_seconds in rows:
        ratio = f"{floor_seconds / seconds:.2f}×" if floor_seconds else "—"
        print(
            f"| {name} | {files:,} | {size / 1e6:,.0f} | {seconds:.2f} | {size / 1e6 / seconds:,.0f} | "
            f"{files / seconds:,.0f} | {f'{floor_seconds:.2f}' if floor_seconds else '—'} | {ratio} |"
        )


if __name__ == "__main__":
    main()

"""S3 throughput through preserve's backend against raw boto3, and memory on a very large object.

Run: .venv/bin/python bench/s3_bench.py [--mib 1024] [--large-gib 10]

Starts SeaweedFS (`weed mini`, authentication on) in bench/work/s3/. Throughput: the same file of
--mib MiB PUT and GET through `storage.s3.S3Storage` (SHA-256 per part sent to the server, SHA-256
and SHA-512 computed locally while streaming) and through boto3's `upload_file` /
`download_fileobj` (a client with boto3's defaults: 8 MiB parts, 10 threads). Memory: a
--large-gib GiB object streamed from a generator through `put`, then read back through `open` and
hashed, in a child process whose peak RSS is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from storage import seaweedfs as s3server  # noqa: E402
from storage.s3 import S3Storage  # noqa: E402

WORK = HERE / "work" / "s3"

LARGE = r"""
import hashlib, io, json, sys, time
sys.path.insert(0, sys.argv[4])
from storage.s3 import S3Storage
from storage.seaweedfs import S3Server
endpoint, bucket, gib = sys.argv[1], sys.argv[2], int(sys.argv[3])
server = S3Server(endpoint, None, None)
store = S3Storage("bench", server.client(), bucket)
block = bytes(range(256)) * 4096  # 1 MiB

class Generated(io.RawIOBase):
    def __init__(self, total): self.left = total
    def readable(self): return True
    def readinto(self, buffer):
        n = min(len(buffer), self.left, len(block))
        buffer[:n] = block[:n]; self.left -= n
        return n

size = gib * 1024**3
start = time.perf_counter()
stored = store.put("large.bin", io.BufferedReader(Generated(size), 1024 * 1024), size=size,
                   algorithms=("sha256", "sha512"))
put_seconds = time.perf_counter() - start
start = time.perf_counter()
digest = hashlib.sha256()
with store.open("large.bin") as handle:
    while chunk := handle.read(1024 * 1024):
        digest.update(chunk)
get_seconds = time.perf_counter() - start
assert digest.hexdigest() == stored.digests["sha256"]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"put_seconds": put_seconds, "get_seconds": get_seconds, "peak_mib": peak / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--large-gib", type=int, default=10)
    args = parser.parse_args()
    subprocess.run(["rm", "-rf", str(WORK)], check=True)
    server = s3server.start(WORK / "server")
    try:
        import boto3

        ours = server.client()  # preserve's client settings
        client = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=s3server.ACCESS_KEY,
            aws_secret_access_key=s3server.SECRET_KEY,
            region_name="us-east-1",
        )  # boto3 defaults
        client.create_bucket(Bucket="bench")
        source = WORK / "source.bin"
        with source.open("wb") as out:
            for _ in range(args.mib):
                out.write(os.urandom(1024 * 1024))
        store = S3Storage("bench", ours, "bench")
        size = source.stat().st_size
        results = {}
        client.upload_file(str(source), "bench", "warm-up.bin")  # the server's first volume allocation is slow
        start = time.perf_counter()
        with source.open("rb") as handle:
            store.put("ours.bin", handle, size=size, algorithms=("sha256", "sha512"))
        results["preserve put"] = time.perf_counter() - start
        start = time.perf_counter()
        client.upload_file(str(source), "bench", "theirs.bin")
        results["boto3 upload_file"] = time.perf_counter() - start
        start = time.perf_counter()
        with store.open("ours.bin") as handle:
            while handle.read(1024 * 1024):
                pass
        results["preserve open + read"] = time.perf_counter() - start
        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            client.download_fileobj("bench", "theirs.bin", sink)
        results["boto3 download_fileobj"] = time.perf_counter() - start
        large = subprocess.run(
            [sys.executable, "-c", LARGE, server.endpoint, "bench", str(args.large_gib), str(HERE.parent)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "AWS_ACCESS_KEY_ID": s3server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": s3server.SECRET_KEY},
        )
        big = json.loads(large.stdout)
    finally:
        server.stop()
    mb = size / 1e6
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  SeaweedFS {args.mib} MiB")
    print("| operation | seconds | MB/s |")
    print("|---|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} | {mb / seconds:,.0f} |")
    print(
        f"put ratio {results['boto3 upload_file'] / results['preserve put']:.2f}x, "
        f"get ratio {results['boto3 download_fileobj'] / results['preserve open + read']:.2f}x of boto3"
    )
    gib = args.large_gib
    print(
        f"{gib} GiB object: put {big['put_seconds']:.1f} s ({gib * 1073.7 / big['put_seconds']:.0f} MB/s), "
        f"get {big['get_seconds']:.1f} s; peak RSS {big['peak_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()

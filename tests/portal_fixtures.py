"""An archive for the portal tests: three photographs (open, restricted, closed) in a described collection,
and one account per role."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from access.users import create_user
from cli.context import AppContext
from preservation.config import Settings

PASSWORD = "correct horse battery"
ROLES = ("researcher", "archivist", "administrator")
# a word only each photograph's title holds, to find it (or not) in any answer
WORDS = {"open": "lighthouse", "restricted": "quayside", "closed": "shipwreck"}


@dataclass
class PortalArchive:
    """The archive, its catalogue and what the tests look for."""

    settings: Settings
    database: object
    aip_id: str
    paths: dict[str, str]  # access status -> the photograph's path under objects/


def make_portal_archive(preserve, tmp_path: Path) -> PortalArchive:
    """Ingest the photographs, set their access and make the accounts."""
    transfer = tmp_path / "harbour"
    (transfer / "objects" / "photographs").mkdir(parents=True)
    (transfer / "metadata").mkdir()
    rows = [
        "filename,reference,level,parent,dc.title,dc.date",
        "objects,HAR/1,collection,,Harbour photographs,1950/1959",
    ]
    paths = {}
    for index, (status, word) in enumerate(WORDS.items()):
        path = f"photographs/{status}-view.jpg"
        Image.new("RGB", (64, 48), (40 * index, 90, 160)).save(transfer / "objects" / path, "JPEG")
        rows.append(f"objects/{path},HAR/1/{index + 1},item,HAR/1,The {word} in {1951 + index},{1951 + index}")
        paths[status] = path
    (transfer / "metadata" / "metadata.csv").write_text("\n".join(rows) + "\n")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve(
        "access",
        "set",
        aip_id,
        "--path",
        f"objects/{paths['restricted']}",
        "--restricted",
        "--reason",
        "Depositor asks to be consulted",
    )
    preserve(
        "access",
        "set",
        aip_id,
        "--path",
        f"objects/{paths['closed']}",
        "--closed",
        "--reason",
        "Personal data, closed until reviewed",
    )
    context = AppContext(home=preserve.home, config=preserve.home / "preserve.toml")
    database = context.database()
    for role in ROLES:
        create_user(database, f"{role}@example.org", f"A {role}", role, PASSWORD)
    return PortalArchive(context.settings, database, aip_id, paths)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_portal(home: Path, workers: int = 1) -> Iterator[str]:
    """A real `preserve serve` for the archive at ``home`` (its portal_url set to where it listens): its base URL."""
    port = free_port()
    config = home / "preserve.toml"
    config.write_text(
        config.read_text().replace('portal_url = "http://127.0.0.1:8000"', f'portal_url = "http://127.0.0.1:{port}"')
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")} | {"PRESERVE_HOME": str(home)}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "preserve"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"preserve serve exited: {server.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("preserve serve did not start listening within 60 s")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(20)


def portal_client(archive: PortalArchive, who: str = "anonymous"):
    """A test client of the portal, signed in as ``who`` (a role's account) unless anonymous."""
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    client = TestClient(create_app(archive.settings), base_url="http://127.0.0.1:8000")
    if who != "anonymous":
        answer = client.post("/api/v1/session", json={"email": f"{who}@example.org", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
    return client


def csrf_of(client) -> str:
    """The CSRF token of the client's session."""
    return client.get("/api/v1/session").json()["csrf_token"]

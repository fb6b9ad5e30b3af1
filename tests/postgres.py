"""A throwaway PostgreSQL cluster for tests (Debian's server binaries; run as `postgres` when we are root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else []
    )
    return found[-1] if found else None


def available() -> bool:
    """Whether initdb and pg_ctl are installed."""
    return bool(_binary("initdb") and _binary("pg_ctl"))


class PostgresServer:
    """initdb in a fresh folder, pg_ctl start on a free port (fsync off), stop and remove on ``stop``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="preserve-pg-"))  # not under a 0700 tree of root's
        self.data = self.folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            [
                _binary("initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        self._run(
            [
                _binary("pg_ctl"),
                "-w",
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "log"),
                "-o",
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off -c full_page_writes=off",
                "start",
            ]
        )

    def _run(self, command: list[str]) -> None:
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        self._run([_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)

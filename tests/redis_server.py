"""A real Redis server (Debian's redis-server) on a unix socket, started, killed and restarted by tests."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


class RedisServer:
    """redis-server on ``folder``/redis.sock, without persistence: a restart forgets every queue and result."""

    def __init__(self, binary: str, folder: Path):
        self.binary = binary
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The broker URL Celery and preserve.toml take."""
        return f"redis+socket://{self.socket}"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers."""
        import redis

        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except (redis.exceptions.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.socket.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the server cleanly."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

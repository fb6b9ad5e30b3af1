"""Shared fixtures: an archive home in a temporary folder, the CLI, a sample collection."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from ingest.samples import make_sample_collection

REQUIRE_TOOLS = os.environ.get("PRESERVE_REQUIRE_TOOLS") == "1"


def require_tool(name: str, reason: str = "") -> str:
    """The path of system tool ``name``; skip (or, under PRESERVE_REQUIRE_TOOLS=1, fail) without it."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed" + (f" ({reason})" if reason else "")
    if REQUIRE_TOOLS:
        pytest.fail(message + "; PRESERVE_REQUIRE_TOOLS=1 requires it")
    pytest.skip(message)


def _required(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Under PRESERVE_REQUIRE_TOOLS=1 every skip is a failure, however it was asked for (require_tool,
    importorskip, pytest.skip): CI has every tool and extra, so a skip there means something is missing."""
    if REQUIRE_TOOLS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but PRESERVE_REQUIRE_TOOLS=1 requires it to run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """A skipped test fails under PRESERVE_REQUIRE_TOOLS=1."""
    outcome = yield
    _required(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A module skipped as a whole (importorskip at the top) fails under PRESERVE_REQUIRE_TOOLS=1."""
    outcome = yield
    _required(outcome.get_result())


class Preserve:
    """Runs ``preserve`` commands against one archive home, in-process."""

    def __init__(self, home: Path):
        self.home = home
        self.runner = CliRunner()
        self.new_database = None  # makes an empty PostgreSQL catalogue, when the archive uses one

    def lose_catalogue(self) -> None:
        """Take the catalogue away, as a disaster would: delete the SQLite files, or point the archive at a
        new, empty PostgreSQL database."""
        config = self.home / "preserve.toml"
        text = config.read_text()
        if self.new_database is not None:
            old = next(line for line in text.splitlines() if line.startswith("url = "))
            config.write_text(text.replace(old, f'url = "{self.new_database()}"', 1))
            return
        for suffix in ("", "-wal", "-shm"):
            (self.home / f"catalogue.db{suffix}").unlink(missing_ok=True)

    def __call__(self, *args: str, expect: int | None = 0):
        result = self.runner.invoke(cli, ["--home", str(self.home), *args], catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"preserve {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def json(self, *args: str, expect: int | None = 0):
        """Run with --json and parse stdout."""
        return json.loads(self(*args, "--json", expect=expect).stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty folder for an archive home."""
    path = tmp_path / "home"
    path.mkdir()
    return path


# What makes a test slow: a whole archive driven through the CLI, or a real server, browser or worker pool.
# `make test-fast` leaves these out (-m "not slow"); `make test` runs everything.
SLOW_FIXTURES = frozenset(
    {
        "preserve",
        "collection",
        "s3_server",
        "s3_bucket",
        "postgres_server",
        "redis_url",
        "redis_server",
        "workers",
        "page",
        "browser",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as ``slow`` every test that needs an archive, a server, a browser or workers."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_catalogues`` run once on SQLite and once on PostgreSQL."""
    if "preserve" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_catalogues"):
        metafunc.parametrize("catalogue_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def catalogue_backend(request) -> str:
    """The catalogue database the ``preserve`` fixture's archive uses."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL cluster for the session (Debian's postgresql package)."""
    from tests import postgres

    if not postgres.available():
        require_tool("pg_ctl", "the PostgreSQL catalogue tests")
    server = postgres.PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def preserve(home: Path, monkeypatch: pytest.MonkeyPatch, request, catalogue_backend: str) -> Preserve:
    """The CLI bound to an initialised archive home (environment cleared of PRESERVE_* settings)."""
    for name in list(os.environ):
        if name.startswith("PRESERVE_") and name != "PRESERVE_REQUIRE_TOOLS":
            monkeypatch.delenv(name)
    run = Preserve(home)
    run("init", "--name", "Test Archive Service")
    if catalogue_backend == "postgresql":
        url = request.getfixturevalue("postgres_server").create_database()
        config = home / "preserve.toml"
        config.write_text(config.read_text().replace('url = "sqlite:///catalogue.db"', f'url = "{url}"', 1))
        run("init")  # migrates the new PostgreSQL catalogue
        run.new_database = request.getfixturevalue("postgres_server").create_database
    keep_originals_only(home)
    return run


def keep_originals_only(home: Path) -> None:
    """A format policy that normalises nothing: most tests ingest the sample collection and need no
    LibreOffice run each time (the shipped policy is tested by the normalisation tests and `make demo`)."""
    (home / "policies" / "formats.toml").write_text('version = 2\n[default]\npreservation = "keep"\n')


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """The sample collection in a fresh folder."""
    path = tmp_path / "collection"
    make_sample_collection(path)
    return path


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` by relative path (to prove a folder was not changed)."""
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            result[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server (SeaweedFS) for the whole test session."""
    from storage import seaweedfs as s3server

    server = s3server.start(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis server (Debian's redis-server) on a unix socket, for the whole session: a broker URL."""
    from tests.redis_server import RedisServer

    server = RedisServer(require_tool("redis-server", "the Celery broker in tests"), tmp_path_factory.mktemp("redis"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server.url
    server.stop()


@pytest.fixture
def redis_server(tmp_path_factory):
    """A Redis server of the test's own, which the test may kill and restart."""
    from tests.redis_server import RedisServer

    server = RedisServer(require_tool("redis-server", "the Celery broker in tests"), tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.kill()


@pytest.fixture
def s3_bucket(s3_server, request):
    """A fresh, empty bucket on the test server."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9-]", "-", f"t-{uuid.uuid4().hex[:8]}")
    s3_server.client().create_bucket(Bucket=name)
    return name


def use_s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's environment: the test server's S3 credentials, and no PRESERVE_* overrides."""
    from storage.seaweedfs import ACCESS_KEY, SECRET_KEY

    for name in list(os.environ):
        if name.startswith("PRESERVE_") and name != "PRESERVE_REQUIRE_TOOLS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

"""`preserve serve` logs every request in the common log format, without the query string (what a researcher
searched for may be personal data)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the portal needs the web extra")
from fastapi.testclient import TestClient  # noqa: E402

from access.web import access_log, serve  # noqa: E402


def test_every_request_is_logged_without_its_query(preserve, monkeypatch, caplog):
    monkeypatch.setenv("PRESERVE_HOME", str(preserve.home))
    monkeypatch.setenv("PRESERVE_CONFIG", str(preserve.home / "preserve.toml"))
    monkeypatch.setattr(serve, "log_to_stderr", lambda: None)  # caplog reads the lines instead
    client = TestClient(serve.make_app())
    with caplog.at_level("INFO", logger="preserve.access"):
        assert client.get("/api/v1/search?q=Ann+Harvey+1923").status_code == 200
        assert client.get("/no/such/page?token=secret").status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "preserve.access"]
    assert len(lines) == 2
    assert '"GET /api/v1/search HTTP/1.1" 200 ' in lines[0] and '"GET /no/such/page HTTP/1.1" 404 ' in lines[1]
    assert not any("Harvey" in line or "secret" in line or "?" in line for line in lines)
    assert lines[0].startswith("testclient - - [")


def test_a_path_cannot_forge_a_log_line():
    scope = {"client": ("192.0.2.7", 5000), "method": "GET", "path": "/x\n127.0.0.1 - - fake", "http_version": "1.1"}
    line = access_log.line(scope, 404, 0, now=0)
    assert "\n" not in line and "/x%0A127.0.0.1%20-%20-%20fake" in line
    assert line == '192.0.2.7 - - [01/Jan/1970:00:00:00 +0000] "GET /x%0A127.0.0.1%20-%20-%20fake HTTP/1.1" 404 -'

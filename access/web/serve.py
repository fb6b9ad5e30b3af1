"""The portal application for the archive named by PRESERVE_HOME / PRESERVE_CONFIG (for server processes)."""

from __future__ import annotations

from fastapi import FastAPI

from access.web.access_log import AccessLog, log_to_stderr
from access.web.app import create_app
from preservation.config import load_settings


def make_app() -> FastAPI:
    """Build the portal from the environment ``preserve serve`` set, logging each request (access_log)."""
    log_to_stderr()
    app = create_app(load_settings())
    app.add_middleware(AccessLog)  # outermost: every answer is logged, refusals and errors too
    return app

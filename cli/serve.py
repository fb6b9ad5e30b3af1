"""``preserve serve``: the researcher portal and its JSON API."""

from __future__ import annotations

import contextlib
import os
import socket

import click

from cli.context import app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (they share sessions and sign-in limits through the catalogue).",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the portal: search, records, request basket, my requests, the archivists' queue, /api/v1."""
    try:  # imported here: the [web] extra may not be installed
        import uvicorn  # noqa: PLC0415

        from access.web.app import assets_folder  # noqa: PLC0415
    except ImportError:
        raise click.ClickException("the portal needs its extra: pip install 'preserve[web]'") from None
    obj = app(ctx)
    obj.database()  # the catalogue exists and is current before anyone connects
    assets_folder()
    os.environ["PRESERVE_HOME"] = str(obj.settings.home)  # the server processes open the same archive
    if obj.settings.config_file:
        os.environ["PRESERVE_CONFIG"] = str(obj.settings.config_file)
    config = uvicorn.Config(
        "access.web.serve:make_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )  # X-Forwarded-For: [access] trusted_proxies
    click.echo(f"Portal of {obj.settings.archive_name} on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess  # imported here: the [web] extra may not be installed  # noqa: PLC0415

    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[_listening_socket(host, port)]).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    """The socket the server processes share, made as TCP explicitly: uvicorn's own leaves its protocol unset,
    so accepted connections never get TCP_NODELAY and every keep-alive answer waits ~40 ms on the client's
    delayed ACK (uvicorn#3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.set_inheritable(True)
    return listener


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(serve_command)

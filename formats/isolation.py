"""Run a function in a long-lived child process that is killed if a call takes too long.

Validators parse hostile files with C libraries (qpdf, libjpeg, libxml2); a hang or a crash there
must cost one file's validation, not the ingest. The child serves calls over a pipe, so a call
costs a round trip rather than a process start; after a timeout or a crash it is replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

MEMORY_LIMIT = 4 * 1024**3  # address space of the child: a decompression bomb fails, not the machine
PARENT_CHECK_SECONDS = 5  # how often an idle child checks that its parent is still alive


class CallTimedOut(Exception):
    """The call did not finish within the time limit; the child was killed."""


class CallCrashed(Exception):
    """The child process died during the call."""


def die_with_parent() -> None:
    """In a child process: be killed when its parent dies (a tool such as ExifTool would otherwise wait forever).

    Given as ``preexec_fn`` to the tools a validator starts."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the graceful stop the caller makes still applies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _serve(
    connection: Connection, parent_end: Connection, function: Callable[..., Any], on_exit: Callable[[], None] | None
) -> None:
    parent_end.close()  # else this child keeps its own pipe open and never sees its parent go
    try:
        _serve_calls(connection, function)
    finally:
        if on_exit is not None:
            on_exit()


def _serve_calls(connection: Connection, function: Callable[..., Any]) -> None:
    with contextlib.suppress(ValueError, OSError):  # where not permitted, run without the limit
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    parent = os.getppid()
    while True:
        try:
            while not connection.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent:  # the parent died (killed): a copy of its pipe end elsewhere
                    return  # (another child forked later) would otherwise keep this one waiting for ever
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            connection.send(("ok", function(*request)))
        except MemoryError:
            connection.send(("error", "ran out of memory (limit reached)"))
        except Exception as exc:  # noqa: BLE001 - reported to the caller as the call's outcome
            connection.send(("error", f"{type(exc).__name__}: {exc}"))


class IsolatedFunction:
    """``function`` run in a child process, each call limited to ``timeout`` seconds."""

    def __init__(self, function: Callable[..., Any], timeout: float, on_exit: Callable[[], None] | None = None) -> None:
        self.function = function
        self.timeout = timeout
        self.on_exit = on_exit
        self._context = multiprocessing.get_context("fork")
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def _start(self) -> Connection:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(child, parent, self.function, self.on_exit), daemon=True
        )
        self._process.start()
        child.close()
        self._connection = parent
        return parent

    def __call__(self, *args: Any) -> Any:
        """The function's result; CallTimedOut or CallCrashed; RuntimeError with its message if it raised."""
        connection = self._connection  # set and cleared together with the process
        if self._process is None or connection is None or not self._process.is_alive():
            connection = self._start()
        connection.send(args)
        if not connection.poll(self.timeout):
            self._kill()
            raise CallTimedOut(f"no answer within {self.timeout:g} s")
        try:
            status, value = connection.recv()
        except (EOFError, ConnectionResetError):
            self._kill()
            raise CallCrashed("the validating process died") from None
        if status == "error":
            raise RuntimeError(value)
        return value

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None

    def close(self) -> None:
        """Stop the child process."""
        if self._process is not None and self._connection is not None and self._process.is_alive():
            try:
                self._connection.send(None)
                self._process.join(2)
            except (BrokenPipeError, OSError):
                pass
        self._kill()

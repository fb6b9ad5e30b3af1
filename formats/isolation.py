"""Run a function in a long-lived child process that is killed if a call takes too long.

Validators parse hostile files with C libraries (qpdf, libjpeg, libxml2); a hang or a crash there
must cost one file's validation, not the ingest. The child serves calls over a pipe, so a call
costs a round trip rather than a process start; after a timeout or a crash it is replaced.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
from collections.abc import Callable
from typing import Any

MEMORY_LIMIT = 4 * 1024**3  # address space of the child: a decompression bomb fails, not the machine
PARENT_CHECK_SECONDS = 5  # how often an idle child checks that its parent is still alive


class CallTimedOut(Exception):
    """The call did not finish within the time limit; the child was killed."""


class CallCrashed(Exception):
    """The child process died during the call."""


def _serve(connection, parent_end, function: Callable[..., Any], on_exit: Callable[[], None] | None) -> None:
    parent_end.close()  # else this child keeps its own pipe open and never sees its parent go
    try:
        _serve_calls(connection, function)
    finally:
        if on_exit is not None:
            on_exit()


def _serve_calls(connection, function: Callable[..., Any]) -> None:
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

    def __init__(self, function: Callable[..., Any], timeout: float, on_exit: Callable[[], None] | None = None):
        self.function = function
        self.timeout = timeout
        self.on_exit = on_exit
        self._context = multiprocessing.get_context("fork")
        self._process = None
        self._connection = None

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(child, parent, self.function, self.on_exit), daemon=True
        )
        self._process.start()
        child.close()
        self._connection = parent

    def __call__(self, *args: Any) -> Any:
        """The function's result; CallTimedOut or CallCrashed; RuntimeError with its message if it raised."""
        if self._process is None or not self._process.is_alive():
            self._start()
        self._connection.send(args)
        if not self._connection.poll(self.timeout):
            self._kill()
            raise CallTimedOut(f"no answer within {self.timeout:g} s")
        try:
            status, value = self._connection.recv()
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
        if self._process is not None and self._process.is_alive():
            try:
                self._connection.send(None)
                self._process.join(2)
            except (BrokenPipeError, OSError):
                pass
        self._kill()

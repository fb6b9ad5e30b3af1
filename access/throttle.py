"""Limits on sign-in and registration attempts that hold under concurrency and across server processes.

Attempts at the same keys take turns (a lock in the catalogue: PostgreSQL advisory locks, SQLite's write lock):
in its turn an attempt counts those before it and, if every limit allows it, is written to the catalogue and
committed *before* the password is checked. However many arrive at once, at however many server processes, no
more than a limit's worth are ever tried. An attempt a limit refuses is not written: it was never tried.

The limits (docs/security.md says why these):

- **account and client together**: 5 attempts in 15 minutes. A guesser on one client is stopped; the account's
  owner, on their own client, is not locked out by them;
- **client**: 50 attempts in 15 minutes over all accounts, against one client trying many accounts;
- **account, from anywhere**: after 10 attempts in 15 minutes, each further attempt waits 2, 4, 8 … seconds
  after the one before, at most a minute — except from a device the account has signed in from before (it
  carries a signed device cookie, OWASP's "device cookie" defence: access.devices), which has a limit of its own,
  5 attempts in 15 minutes. Guessing from many clients is slowed to one try a minute; the owner, on their own
  device, is never held back by it;
- **registration**: 5 an hour per client and 200 an hour over all clients.

A client is its IPv4 address, or its IPv6 /64 network (one host is commonly given a whole /64).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from catalogue import Database
from catalogue.attempts import (
    add_attempts,
    attempts_since,
    forget_attempts,
    lock_attempts,
    withdraw_attempts,
)


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` attempts per key within ``window`` seconds."""

    attempts: int
    window: float


PAIR = Limit(5, 900)
CLIENT = Limit(50, 900)
ACCOUNT_FREE = Limit(10, 900)  # attempts on an account from anywhere before each must wait
ACCOUNT_MAX_DELAY = 60.0
DEVICE = Limit(5, 900)  # a known device's own attempts: a copied device cookie gives a guesser no more than this
REGISTER_CLIENT = Limit(5, 3600)
REGISTER_ALL = Limit(200, 3600)
KEPT = 2 * 3600  # attempts older than this are read by no window


class TooManyAttempts(Exception):
    """A limit refuses the attempt; ``wait`` is the number of seconds until one would be allowed."""

    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = max(1, int(wait) + 1)


@dataclass
class Ticket:
    """An attempt being tried: its rows, to withdraw when it turns out not to count."""

    ids: list[int]
    pair_key: str


def client_key(address: str) -> str:
    """The client a limit counts: an IPv4 address, or the /64 network of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def begin_sign_in(database: Database, address: str, client: str, now: float | None = None, device: str = "") -> Ticket:
    """Count a sign-in attempt for ``address`` from ``client``; TooManyAttempts if a limit refuses it. An attempt
    from a device the account has signed in from before (``device``, its token's id) is not held back by the
    delay on the account; its client's limits and the device's own apply."""
    now = time.time() if now is None else now
    address, client = address.strip().lower(), client_key(client)
    pair, by_client, account = f"pair:{address}|{client}", f"client:{client}", f"account:{address}"
    keys = [pair, by_client, account] + ([f"device:{device}"] if device else [])
    with database.session() as session:
        lock_attempts(session, keys, now - KEPT)
        _within(session, pair, PAIR, now)
        _within(session, by_client, CLIENT, now)
        if device:
            _within(session, f"device:{device}", DEVICE, now)
        count, latest = attempts_since(session, account, now - ACCOUNT_FREE.window)
        if count >= ACCOUNT_FREE.attempts and not device:
            delay = min(2.0 ** (count - ACCOUNT_FREE.attempts + 1), ACCOUNT_MAX_DELAY)
            if now - latest < delay:
                raise TooManyAttempts(delay - (now - latest))
        return Ticket(add_attempts(session, keys, now), pair)


def succeeded(database: Database, ticket: Ticket) -> None:
    """The attempt succeeded: it does not count, and the failures of this account on this client are forgotten."""
    with database.session() as session:
        withdraw_attempts(session, ticket.ids)
        forget_attempts(session, ticket.pair_key)


def begin_registration(database: Database, client: str, now: float | None = None) -> None:
    """Count a registration from ``client``; TooManyAttempts if this client or everyone has made too many."""
    now = time.time() if now is None else now
    keys = [f"register:{client_key(client)}", "register:*"]
    with database.session() as session:
        lock_attempts(session, keys, now - KEPT)
        _within(session, keys[0], REGISTER_CLIENT, now)
        _within(session, keys[1], REGISTER_ALL, now)
        add_attempts(session, keys, now)


def _within(session, key: str, limit: Limit, now: float) -> None:
    """TooManyAttempts if ``key`` has had its limit's worth of attempts in the window already."""
    count, oldest = attempts_since(session, key, now - limit.window, oldest=True)
    if count >= limit.attempts:
        raise TooManyAttempts(oldest + limit.window - now)

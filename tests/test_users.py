"""Accounts: Argon2id hashes, roles, sign-in, and what is refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import cli.user as user_commands
from access.users import authenticate, require_role
from catalogue.accounts import find_user
from cli.context import AppContext
from cli.main import cli
from preservation.errors import AccessDenied

pytestmark = pytest.mark.both_catalogues

PASSWORD = "correct horse battery staple"


def _add(preserve, email: str, role: str, password: str = PASSWORD):
    """`preserve user add`, the password given on standard input as a script would."""
    return preserve.runner.invoke(
        cli,
        ["--home", str(preserve.home), "user", "add", email, "--role", role, "--password-stdin", "--json"],
        input=password + "\n",
    )


def _database(preserve):
    from cli.context import AppContext

    return AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()


def test_an_account_signs_in_with_its_password_only(preserve):
    added = _add(preserve, "  Reader@Example.ORG ", "researcher")
    assert added.exit_code == 0, added.stderr
    assert PASSWORD not in added.stdout
    database = _database(preserve)
    with database.session() as session:
        user, stored = find_user(session, "reader@example.org")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert user.email == "reader@example.org" and user.role == "researcher"
    assert authenticate(database, "READER@example.org", PASSWORD).id == user.id
    assert authenticate(database, "reader@example.org", PASSWORD + "!") is None
    assert authenticate(database, "nobody@example.org", PASSWORD) is None
    [listed] = preserve.json("user", "list")
    assert listed["last_login"] and "password" not in " ".join(listed)

    assert "State" in preserve("user", "list").stdout  # every column has a heading
    preserve("user", "disable", "reader@example.org")
    assert "disabled" in preserve("user", "list").stdout
    assert authenticate(database, "reader@example.org", PASSWORD) is None
    preserve("user", "disable", "reader@example.org", "--enable")
    assert authenticate(database, "reader@example.org", PASSWORD) is not None


def test_roles_decide_what_an_account_may_do(preserve):
    _add(preserve, "archivist@example.org", "archivist")
    _add(preserve, "reader@example.org", "researcher")
    database = _database(preserve)
    archivist = authenticate(database, "archivist@example.org", PASSWORD)
    reader = authenticate(database, "reader@example.org", PASSWORD)
    assert require_role(archivist, "archivist") is archivist
    with pytest.raises(AccessDenied):
        require_role(reader, "archivist")
    with pytest.raises(AccessDenied):
        require_role(None, "researcher")
    preserve("user", "role", "reader@example.org", "administrator")
    assert require_role(authenticate(database, "reader@example.org", PASSWORD), "archivist")  # may do everything


def test_a_new_password_replaces_the_old(preserve):
    _add(preserve, "reader@example.org", "researcher")
    changed = preserve.runner.invoke(
        cli,
        ["--home", str(preserve.home), "user", "password", "reader@example.org", "--password-stdin"],
        input="a brand new passphrase\n",
    )
    assert changed.exit_code == 0, changed.stderr
    database = _database(preserve)
    assert authenticate(database, "reader@example.org", PASSWORD) is None
    assert authenticate(database, "reader@example.org", "a brand new passphrase") is not None


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("not-an-address", PASSWORD, "is not an e-mail address"),
        ("=?utf-8?q?attacker=40evil.example=20?=dean@university.edu", PASSWORD, "is not an e-mail address"),
        ("=?utf-8?q?v0=40t0.example=2cv1=40t1.example=2c?=x@x.org", PASSWORD, "is not an e-mail address"),
        ("a\x08b@example.org", PASSWORD, "is not an e-mail address"),
        ("reader@example.org,other@example.org", PASSWORD, "is not an e-mail address"),
        ("\u00fc@ex\u00e4mple.org", PASSWORD, "is not an e-mail address"),
        ("reader@example.org", "short", "the password is too short"),
        ("reader@example.org", "x" * 129, "the password is too long"),
        ("reader@example.org", " " * 12, "too easy to guess"),
        ("reader@example.org", "aaaaaaaaaaaa", "too easy to guess"),
        ("reader@example.org", "Password1234", "too easy to guess"),
        ("reader@example.org", "my reader@example.org", "too easy to guess"),
        ("amy@example.org", "amy@example.org", "too easy to guess"),
        ("q1@example.net", "q1@example.net", "too easy to guess"),
        ("reader@example.org", "P@ssw0rd1234", "too easy to guess"),
        ("reader@example.org", "1q2w3e4r5t6y", "too easy to guess"),
        ("reader@example.org", "football1234", "too easy to guess"),
        ("reader@example.org", "dragondragon", "too easy to guess"),
        ("reader@example.org", "abcdeabcdeab", "too easy to guess"),
        ("reader@example.org", "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44" + "1234", "too easy to guess"),
    ],
)
def test_bad_accounts_are_refused(preserve, email, password, message):
    result = _add(preserve, email, "researcher", password)
    assert result.exit_code == 51 and message in result.stderr
    assert preserve.json("user", "list") == []


def test_an_address_is_used_once(preserve):
    _add(preserve, "reader@example.org", "researcher")
    again = _add(preserve, "READER@example.org", "archivist")
    assert again.exit_code == 51 and "already an account" in again.stderr
    assert "no account has this address" in preserve("user", "role", "x@example.org", "archivist", expect=13).stderr


def test_a_piped_password_needs_no_flag_and_a_typed_one_is_checked_at_once(preserve, monkeypatch):
    piped = CliRunner().invoke(
        cli,
        ["--home", str(preserve.home), "user", "add", "piped@example.org", "--role", "researcher"],
        input=PASSWORD + "\n",
    )
    assert piped.exit_code == 0, piped.output
    assert "Warning" not in piped.output and "Password:" not in piped.output  # read as a line, no prompt
    windows = CliRunner().invoke(  # a line written on Windows ends in CR LF: the CR is no part of the password
        cli,
        ["--home", str(preserve.home), "user", "add", "crlf@example.org", "--role", "researcher"],
        input=PASSWORD + "\r\n",
    )
    assert windows.exit_code == 0, windows.output
    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    assert authenticate(database, "crlf@example.org", PASSWORD) is not None

    monkeypatch.setattr(user_commands, "_at_a_terminal", lambda: True)
    typed = CliRunner().invoke(
        cli,
        ["--home", str(preserve.home), "user", "add", "typed@example.org", "--role", "researcher"],
        input=f"short\n{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert typed.exit_code == 0, typed.output
    assert "too short" in typed.stderr  # said after the first typing, not after both
    assert "did not match" in typed.stderr
    assert typed.output.count("Repeat the password") == 2

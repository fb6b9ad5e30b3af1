"""The PREMIS agents every part of preserve names: preserve itself, and the person acting."""

from __future__ import annotations

import getpass

from preservation import SOFTWARE_NAME, software_version
from preservation.identifiers import agent_uuid
from preservation.model import PERSON, SOFTWARE, Agent


def software_agent() -> Agent:
    """preserve, at the installed version."""
    version = software_version()
    return Agent(agent_uuid(SOFTWARE, SOFTWARE_NAME, version), SOFTWARE, SOFTWARE_NAME, version)


def person_agent(name: str = "") -> Agent:
    """The person acting (default: the login name)."""
    name = name or login_name()
    return Agent(agent_uuid(PERSON, name), PERSON, name)


def login_name() -> str:
    """The user name of whoever runs the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name known to the system (some containers)
        return "unknown archivist"

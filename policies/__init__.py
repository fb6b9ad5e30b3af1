"""Preservation planning: the policy files and their evaluation."""

from __future__ import annotations

import shutil
from pathlib import Path

from preservation.config import read_toml
from preservation.errors import PolicyError

DEFAULTS = Path(__file__).parent / "defaults"


def default_policy_files() -> list[Path]:
    """The policy files shipped with preserve."""
    return sorted(DEFAULTS.glob("*.toml"))


def install_defaults(dest: Path) -> list[Path]:
    """Copy the default policy files into ``dest``, keeping any the archive has already changed."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for source in default_policy_files():
        target = dest / source.name
        if not target.exists():
            shutil.copyfile(source, target)
            written.append(target)
    return written


def load_policy(path: Path) -> dict:
    """Read one policy file; PolicyError naming the file (and line) if it is missing or not valid TOML."""
    return read_toml(path, PolicyError)


def policy_line(text: str, section: str, key: str) -> int:
    """The line of ``key`` inside ``[section]`` of a TOML text (0 when it is not written there), for messages."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip()
        elif current == section and stripped.split("=", 1)[0].strip() == key:
            return number
    return 0

"""Preservation planning: the policy files and their evaluation."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
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


INVALID_ACTIONS = ("accept", "reject")
FORMAT_KEYS = {"puids", "preservation", "access", "risk", "invalid"}


@dataclass(frozen=True)
class FormatPolicy:
    """What to do with files by PRONOM identifier (so far: with files that fail validation)."""

    version: int
    default_invalid: str = "accept"
    invalid_by_puid: dict[str, str] = field(default_factory=dict)

    def on_invalid(self, puid: str) -> str:
        """``accept`` (keep it, with a warning event) or ``reject`` (refuse the transfer)."""
        return self.invalid_by_puid.get(puid, self.default_invalid)


def load_format_policy(folder: Path) -> FormatPolicy:
    """The archive's format policy (``formats.toml`` in the policy folder; the shipped one if absent)."""
    path = folder / "formats.toml"
    if not path.is_file():
        path = DEFAULTS / "formats.toml"
    data = load_policy(path)
    version = data.get("version")
    if not isinstance(version, int):
        raise PolicyError(f"{path}: 'version' must be a whole number")
    default = data.get("default", {})
    default_invalid = _invalid_action(path, "default.invalid", default.get("invalid", "accept"))
    by_puid: dict[str, str] = {}
    for index, entry in enumerate(data.get("format", []), start=1):
        unknown = set(entry) - FORMAT_KEYS
        if unknown:
            raise PolicyError(f"{path}: [[format]] entry {index}: unknown key {sorted(unknown)[0]!r}",
                              hint=f"Known keys: {', '.join(sorted(FORMAT_KEYS))}.")
        puids = entry.get("puids")
        if not isinstance(puids, list) or not all(isinstance(p, str) for p in puids):
            raise PolicyError(f"{path}: [[format]] entry {index}: 'puids' must be a list of PRONOM identifiers")
        if "invalid" in entry:
            action = _invalid_action(path, f"format[{index}].invalid", entry["invalid"])
            by_puid.update(dict.fromkeys(puids, action))
    return FormatPolicy(version, default_invalid, by_puid)


def _invalid_action(path: Path, key: str, value: object) -> str:
    if value not in INVALID_ACTIONS:
        raise PolicyError(f"{path}: {key} must be one of {', '.join(INVALID_ACTIONS)}, not {value!r}")
    return str(value)

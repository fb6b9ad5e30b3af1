"""The fixity policy (``fixity.toml``): check cadence per location, the per-run byte budget, and repair."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from policies import DEFAULTS, load_policy, policy_line
from preservation.errors import PolicyError

NUMBERS = {"full_every_days", "metadata_every_days", "runs_per_day", "budget_bytes_per_run"}
SCHEDULE_KEYS = NUMBERS | {"run_at", "repair", "every_days"}  # every_days: the first name of full_every_days


@dataclass(frozen=True)
class Cadence:
    """How often the copies in one location are checked, and how much one run may read there."""

    full_every_days: float = 90
    metadata_every_days: float = 7  # 0: no metadata-only checks
    runs_per_day: float = 1
    budget_bytes: int = 0  # 0: no limit


class Named(Protocol):
    """A configured location, as far as the policy needs it (``preservation.config.LocationSettings``)."""

    @property
    def name(self) -> str:
        """The location's name."""
        ...


@dataclass(frozen=True)
class FixityPolicy:
    """The archive's fixity schedule and repair setting."""

    default: Cadence
    by_location: dict[str, Cadence] = field(default_factory=dict)
    run_at: str = "02:30"
    repair: bool = True
    path: Path = DEFAULTS / "fixity.toml"

    def cadences(self, locations: Iterable[Named]) -> dict[str, Cadence]:
        """The cadence of each configured location (its override, or the default)."""
        return {loc.name: self.by_location.get(loc.name, self.default) for loc in locations}


def load_fixity_policy(folder: Path) -> FixityPolicy:
    """The archive's ``fixity.toml`` (the shipped one if the archive has none), checked key by key."""
    path = folder / "fixity.toml"
    if not path.is_file():
        path = DEFAULTS / "fixity.toml"
    data = load_policy(path)
    unknown = set(data) - {"version", "schedule", "location"}
    if unknown:
        raise PolicyError(
            f"{path}: unknown section or key {sorted(unknown)[0]!r}",
            hint="Known: version, [schedule], [location.NAME].",
        )
    schedule = data.get("schedule", {})
    text = path.read_text(encoding="utf-8")
    default = _cadence(path, "schedule", schedule, Cadence(), text)
    by_location = {
        name: _cadence(path, f"location.{name}", table, default, text)
        for name, table in data.get("location", {}).items()
    }
    run_at = schedule.get("run_at", "02:30")
    if not isinstance(run_at, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", run_at):
        raise PolicyError(
            f"{path}:{policy_line(text, 'schedule', 'run_at')}: schedule.run_at must be a time of day "
            f'as "HH:MM", not {run_at!r}'
        )
    repair = schedule.get("repair", True)
    if not isinstance(repair, bool):
        raise PolicyError(f"{path}:{policy_line(text, 'schedule', 'repair')}: schedule.repair must be true or false")
    return FixityPolicy(default, by_location, run_at, repair, path)


def _cadence(path: Path, where: str, section: object, base: Cadence, text: str) -> Cadence:
    if not isinstance(section, dict):
        raise PolicyError(f"{path}: [{where}] must be a table")
    table: dict[str, Any] = section  # a TOML table: its values are checked below

    def at(key: str) -> str:
        return f"{path}:{policy_line(text, where, key)}"

    allowed = SCHEDULE_KEYS if where == "schedule" else NUMBERS
    unknown = set(table) - allowed
    if unknown:
        raise PolicyError(
            f"{at(sorted(unknown)[0])}: [{where}]: unknown key {sorted(unknown)[0]!r}",
            hint=f"Known keys: {', '.join(sorted(allowed - {'every_days'}))}.",
        )
    for key in NUMBERS | {"every_days"}:
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise PolicyError(f"{at(key)}: {where}.{key} must be a number of at least 0, not {value!r}")
    full = table.get("full_every_days", table.get("every_days", base.full_every_days))
    if full <= 0:
        raise PolicyError(f"{at('full_every_days')}: {where}.full_every_days must be more than 0")
    runs = table.get("runs_per_day", base.runs_per_day)
    if runs <= 0:
        raise PolicyError(f"{at('runs_per_day')}: {where}.runs_per_day must be more than 0")
    return Cadence(
        full,
        table.get("metadata_every_days", base.metadata_every_days),
        runs,
        int(table.get("budget_bytes_per_run", base.budget_bytes)),
    )

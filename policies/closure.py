"""The closure policy (``closure.toml``): which records are open, closed for a period, or restricted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from policies import DEFAULTS, load_policy
from policies.formats import _line
from preservation.errors import PolicyError
from preservation.model import Access

ACCESS = ("open", "closed", "restricted")
APPLIES_TO = ("pending-review", "personal-data", "depositor")
RULE_KEYS = {"name", "applies_to", "access", "closed_years"}


@dataclass(frozen=True)
class ClosureRule:
    """Access for one kind of record."""

    name: str
    applies_to: str
    access: str
    closed_years: int = 0

    def closed_until(self, last_year: int) -> date | None:
        """When a record whose last date falls in ``last_year`` opens: 1 January of the following year plus
        the closure period (None unless the rule closes records)."""
        return date(last_year + 1 + self.closed_years, 1, 1) if self.access == "closed" else None


@dataclass(frozen=True)
class ClosurePolicy:
    """The default access and the rules."""

    version: int
    default_access: str
    rules: tuple[ClosureRule, ...]
    path: Path

    def rule_for(self, applies_to: str) -> ClosureRule | None:
        """The rule for a kind of record, if any."""
        return next((rule for rule in self.rules if rule.applies_to == applies_to), None)

    def evaluate(self, kind: str, last_year: int | None) -> Access | None:
        """The access the rule for ``kind`` gives a record whose last date falls in ``last_year`` (None: no rule).
        A closed record with no date to count from stays closed until reviewed."""
        rule = self.rule_for(kind)
        if rule is None:
            return None
        if rule.access != "closed":
            return Access(rule.access, "", rule.name)
        if last_year is None:
            return Access(
                "closed", "", f"{rule.name}: no date to count {rule.closed_years} years from, so closed until reviewed"
            )
        until = rule.closed_until(last_year)
        assert until is not None  # the rule closes records
        return Access(
            "closed", until.isoformat(), f"{rule.name}: {rule.closed_years} years from 1 January {last_year + 1}"
        )

    def default(self) -> Access:
        """The access of records no rule or decision covers."""
        return Access(self.default_access, "", "the closure policy's default")


def load_closure_policy(folder: Path) -> ClosurePolicy:
    """The archive's ``closure.toml`` (the shipped one if the archive has none)."""
    path = folder / "closure.toml"
    return parse_closure_policy(path if path.is_file() else DEFAULTS / "closure.toml")


def parse_closure_policy(path: Path) -> ClosurePolicy:
    """Read and check a closure policy; PolicyError naming the file, rule and key."""
    data = load_policy(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    version = data.get("version")
    if not isinstance(version, int):
        raise PolicyError(f"{path}: 'version' must be a whole number")
    default = data.get("default", {}).get("access", "open")
    if default not in ACCESS:
        raise PolicyError(
            f"{path}:{_line(lines, 'default', 0, 'access')}: default.access must be one of "
            f"{', '.join(ACCESS)}, not {default!r}"
        )
    rules = []
    for index, table in enumerate(data.get("rule", []), start=1):

        def fail(key: str, message: str, index: int = index) -> PolicyError:
            return PolicyError(f"{path}:{_line(lines, 'rule', index, key)}: [[rule]] {index}: {message}")

        for key in sorted(set(table) - RULE_KEYS):
            raise fail(key, f"unknown key {key!r} (known: {', '.join(sorted(RULE_KEYS))})")
        if table.get("applies_to") not in APPLIES_TO:
            raise fail("applies_to", f"applies_to must be one of {', '.join(APPLIES_TO)}")
        if table.get("access") not in ACCESS:
            raise fail("access", f"access must be one of {', '.join(ACCESS)}")
        years = table.get("closed_years", 0)
        if table["access"] == "closed" and (isinstance(years, bool) or not isinstance(years, int) or years <= 0):
            raise fail("closed_years", "a closed rule needs closed_years, a whole number of years above 0")
        rules.append(ClosureRule(table.get("name", table["applies_to"]), table["applies_to"], table["access"], years))
    return ClosurePolicy(version, default, tuple(rules), path)

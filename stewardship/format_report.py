"""The holdings profiled by format: what the archive holds of each PUID, at what risk, and what the policy does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from catalogue import Database
from catalogue import queries as catalogue
from policies.formats import FormatRule
from preservation.model import format_label


@dataclass(frozen=True)
class FormatHolding:
    """The original files of one format across the archive, with what the format policy says of it."""

    puid: str
    name: str
    version: str
    files: int
    bytes: int
    aips: int
    normalised: int  # files that have a preservation copy
    risk: str
    preservation: str
    access: str
    rule: str

    @property
    def label(self) -> str:
        """The format's name and version in words."""
        return format_label(self.name, self.version)


def format_holdings(database: Database, rule_for: Callable[[str], FormatRule]) -> list[FormatHolding]:
    """Every format held, largest first; ``rule_for(puid)`` gives the format policy's rule."""
    with database.session() as session:
        rows = catalogue.format_profile(session)
    holdings = []
    for puid, name, version, files, size, aips, normalised in rows:
        rule = rule_for(puid)
        holdings.append(
            FormatHolding(
                puid,
                name or "not identified",
                version,
                files,
                size,
                aips,
                normalised,
                rule.risk,
                rule.preservation,
                rule.access,
                rule.name,
            )
        )
    return holdings

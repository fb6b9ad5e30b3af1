"""The format policy (``formats.toml``): per PRONOM format, the preservation action, the access copy,
the risk, and what to do with a file that fails validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from policies import DEFAULTS, load_policy
from preservation.errors import PolicyError
from preservation.model import TARGET_FORMATS as TARGETS

KEEP, ORIGINAL, NONE = "keep", "original", "none"
RISKS = ("low", "medium", "high", "unknown")
INVALID_ACTIONS = ("accept", "reject")
RULE_KEYS = {"name", "puids", "preservation", "access", "risk", "invalid"}
PUID = re.compile(r"(x-)?fmt/[0-9]+")


@dataclass(frozen=True)
class FormatRule:
    """What happens to files of some formats."""

    name: str
    puids: tuple[str, ...] = ()
    preservation: str = KEEP  # keep, or a target to normalise to (the original is always kept too)
    access: str = ORIGINAL  # original, none, or a target for the access copy
    risk: str = "unknown"
    invalid: str = "accept"
    line: int = 0  # where the rule is written in the policy file


DEFAULT_ONLY = {"access_copies", "on_failure", "preservation_copies"}  # keys of [default] that no [[format]] has


@dataclass(frozen=True)
class FormatPolicy:
    """The whole format policy."""

    version: int
    default: FormatRule
    rules: tuple[FormatRule, ...] = ()
    access_copies: str = "request"  # "ingest": make access copies at ingest; "request": when one is asked for
    on_failure: str = "continue"  # a conversion fails: "continue" (original kept, failure recorded) or "stop"
    path: Path = DEFAULTS / "formats.toml"
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # "ingest": derivatives are made before the AIP is registered; "after": the AIP is registered once its originals
    # are safe and the derivatives follow as its next version, in the background
    preservation_copies: str = "ingest"

    def rule_for(self, puid: str) -> FormatRule:
        """The rule for ``puid`` (the default when no rule names it)."""
        for rule in self.rules:
            if puid in rule.puids:
                return rule
        return self.default

    def on_invalid(self, puid: str) -> str:
        """``accept`` (keep it, with a warning event) or ``reject`` (refuse the transfer)."""
        return self.rule_for(puid).invalid


def load_format_policy(folder: Path) -> FormatPolicy:
    """The archive's ``formats.toml`` (the shipped one if the archive has none)."""
    path = folder / "formats.toml"
    return parse_format_policy(path if path.is_file() else DEFAULTS / "formats.toml")


def parse_format_policy(path: Path) -> FormatPolicy:
    """Read and check a format policy; PolicyError naming the file, line and key of the first problem."""
    data = load_policy(path)
    lines = path.read_text(encoding="utf-8").splitlines()

    def where(table: str, index: int, key: str) -> str:
        return f"{path}:{_line(lines, table, index, key)}"

    version = data.get("version")
    if not isinstance(version, int):
        raise PolicyError(f"{path}: 'version' must be a whole number")
    unknown = set(data) - {"version", "default", "groups", "format"}
    if unknown:
        raise PolicyError(
            f"{path}: unknown section or key {sorted(unknown)[0]!r}",
            hint="Known: version, [default], [groups], [[format]].",
        )
    groups = {}
    for name, members in data.get("groups", {}).items():
        if not isinstance(members, list) or not all(isinstance(p, str) and PUID.fullmatch(p) for p in members):
            raise PolicyError(
                f'{where("groups", 0, name)}: groups.{name} must be a list of PRONOM identifiers like "fmt/412"'
            )
        groups[name] = tuple(members)
    default_table = data.get("default", {})
    extra = set(default_table) - (RULE_KEYS - {"name", "puids"}) - DEFAULT_ONLY
    if extra:
        raise PolicyError(f"{where('default', 0, sorted(extra)[0])}: default.{sorted(extra)[0]}: unknown key")
    default = _rule(default_table, "default", ("default", 0), where, groups, FormatRule("default"))
    access_copies = default_table.get("access_copies", "request")
    if access_copies not in ("request", "ingest"):
        raise PolicyError(
            f'{where("default", 0, "access_copies")}: default.access_copies must be "request" or '
            f'"ingest", not {access_copies!r}'
        )
    on_failure = default_table.get("on_failure", "continue")
    if on_failure not in ("continue", "stop"):
        raise PolicyError(
            f'{where("default", 0, "on_failure")}: default.on_failure must be "continue" or "stop", not {on_failure!r}'
        )
    preservation_copies = default_table.get("preservation_copies", "ingest")
    if preservation_copies not in ("ingest", "after"):
        raise PolicyError(
            f'{where("default", 0, "preservation_copies")}: default.preservation_copies must be "ingest" or '
            f'"after", not {preservation_copies!r}'
        )
    rules: list[FormatRule] = []
    seen: dict[str, int] = {}  # PUID -> the [[format]] that names it
    for index, table in enumerate(data.get("format", []), start=1):
        unknown = set(table) - RULE_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise PolicyError(
                f"{where('format', index, key)}: [[format]] {index}: unknown key {key!r}",
                hint=f"Known keys: {', '.join(sorted(RULE_KEYS))}.",
            )
        rule = _rule(table, f"format[{index}]", ("format", index), where, groups, default)
        if not rule.puids:
            raise PolicyError(
                f"{where('format', index, 'puids')}: [[format]] {index}: 'puids' must name at least "
                "one PRONOM identifier or @group"
            )
        for puid in rule.puids:
            if puid in seen:
                raise PolicyError(
                    f"{where('format', index, 'puids')}: {puid} is in [[format]] {seen[puid]} and "
                    f"{index}: a format may have only one rule"
                )
            seen[puid] = index
        rules.append(rule)
    return FormatPolicy(version, default, tuple(rules), access_copies, on_failure, path, groups, preservation_copies)


def _rule(table: dict, label: str, at: tuple[str, int], where, groups: dict, base: FormatRule) -> FormatRule:
    puids: list[str] = []
    for item in table.get("puids", []):
        if isinstance(item, str) and item.startswith("@"):
            if item[1:] not in groups:
                raise PolicyError(f"{where(*at, 'puids')}: {label}.puids: no group named {item[1:]!r} in [groups]")
            puids += groups[item[1:]]
        elif isinstance(item, str) and PUID.fullmatch(item):
            puids.append(item)
        else:
            raise PolicyError(
                f"{where(*at, 'puids')}: {label}.puids: {item!r} is neither a PRONOM identifier "
                '("fmt/412") nor a group ("@word-processing")'
            )
    preservation = table.get("preservation", base.preservation)
    if preservation != KEEP and preservation not in TARGETS:
        raise PolicyError(
            f'{where(*at, "preservation")}: {label}.preservation must be "keep" or one of '
            f"{', '.join(TARGETS)}, not {preservation!r}"
        )
    access = table.get("access", base.access)
    if access not in (ORIGINAL, NONE) and access not in TARGETS:
        raise PolicyError(
            f'{where(*at, "access")}: {label}.access must be "original", "none" or one of '
            f"{', '.join(TARGETS)}, not {access!r}"
        )
    risk = table.get("risk", base.risk)
    if risk not in RISKS:
        raise PolicyError(f"{where(*at, 'risk')}: {label}.risk must be one of {', '.join(RISKS)}, not {risk!r}")
    invalid = table.get("invalid", base.invalid)
    if invalid not in INVALID_ACTIONS:
        raise PolicyError(
            f"{where(*at, 'invalid')}: {label}.invalid must be one of {', '.join(INVALID_ACTIONS)}, not {invalid!r}"
        )
    return FormatRule(
        table.get("name", label),
        tuple(dict.fromkeys(puids)),
        preservation,
        access,
        risk,
        invalid,
        _line_of_table(where, at),
    )


def _line_of_table(where, at: tuple[str, int]) -> int:
    text = where(*at, "")
    return int(text.rsplit(":", 1)[1]) if text.rsplit(":", 1)[1].isdigit() else 0


def _line(lines: list[str], table: str, index: int, key: str) -> int:
    """The line of ``key`` in ``[table]`` (index 0) or in the index-th ``[[table]]``; the table's own line
    when ``key`` is '' or not written there; 0 if not found."""
    count, start = 0, 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            if start:
                break
            if (index == 0 and stripped == f"[{table}]") or (
                index and stripped == f"[[{table}]]" and (count := count + 1) == index
            ):
                start = number
        elif start and key and stripped.split("=", 1)[0].strip().strip('"') == key:
            return number
    return start

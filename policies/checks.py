"""The checks policy (``checks.toml``): what happens to infected and unscannable files, and the personal-data scan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policies import DEFAULTS, load_policy, policy_line
from preservation.errors import PolicyError

SENSITIVE_KINDS = ("ni-number", "nhs-number", "payment-card", "email", "uk-phone", "uk-postcode")
CHOICES = {
    "on_infected": ("stop", "quarantine"),
    "on_not_scanned": ("continue", "stop"),
    "on_no_scanner": ("continue", "stop"),
}


@dataclass(frozen=True)
class ChecksPolicy:
    """Decisions for virus checking and the sensitive-data scan."""

    version: int = 1
    on_infected: str = "stop"
    on_not_scanned: str = "continue"
    on_no_scanner: str = "continue"
    scan_sensitive: bool = True
    sensitive_kinds: tuple[str, ...] = SENSITIVE_KINDS
    flag_for_review: tuple[str, ...] = ("ni-number", "nhs-number", "payment-card")
    sensitive_max_bytes: int = 50_000_000
    path: Path = DEFAULTS / "checks.toml"


def load_checks_policy(folder: Path) -> ChecksPolicy:
    """The archive's ``checks.toml`` (the shipped one if the archive has none), checked key by key."""
    path = folder / "checks.toml"
    if not path.is_file():
        path = DEFAULTS / "checks.toml"
    return parse_checks_policy(path)


def parse_checks_policy(path: Path) -> ChecksPolicy:
    """Read and check one checks policy file."""
    data = load_policy(path)
    text = path.read_text(encoding="utf-8")

    def fail(section: str, key: str, message: str) -> PolicyError:
        return PolicyError(f"{path}:{policy_line(text, section, key)}: {section}.{key}: {message}")

    version = data.get("version")
    if not isinstance(version, int):
        raise PolicyError(f"{path}: 'version' must be a whole number")
    unknown = set(data) - {"version", "virus", "sensitive"}
    if unknown:
        raise PolicyError(
            f"{path}: unknown section or key {sorted(unknown)[0]!r}", hint="Known: version, [virus], [sensitive]."
        )
    virus = data.get("virus", {})
    for key in set(virus) - set(CHOICES):
        raise fail("virus", key, f"unknown key (known: {', '.join(CHOICES)})")
    for key, allowed in CHOICES.items():
        if virus.get(key, allowed[0]) not in allowed:
            raise fail("virus", key, f"must be one of {', '.join(allowed)}, not {virus[key]!r}")
    sensitive = data.get("sensitive", {})
    known = {"scan", "kinds", "flag_for_review", "max_bytes"}
    for key in set(sensitive) - known:
        raise fail("sensitive", key, f"unknown key (known: {', '.join(sorted(known))})")
    if not isinstance(sensitive.get("scan", True), bool):
        raise fail("sensitive", "scan", "must be true or false")
    for key in ("kinds", "flag_for_review"):
        values = sensitive.get(key, [])
        if not isinstance(values, list) or any(v not in SENSITIVE_KINDS for v in values):
            raise fail("sensitive", key, f"must be a list of: {', '.join(SENSITIVE_KINDS)}")
    max_bytes = sensitive.get("max_bytes", 50_000_000)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise fail("sensitive", "max_bytes", "must be a whole number of bytes above 0")
    defaults = ChecksPolicy()
    return ChecksPolicy(
        version,
        virus.get("on_infected", "stop"),
        virus.get("on_not_scanned", "continue"),
        virus.get("on_no_scanner", "continue"),
        sensitive.get("scan", True),
        tuple(sensitive.get("kinds", defaults.sensitive_kinds)),
        tuple(sensitive.get("flag_for_review", defaults.flag_for_review)),
        max_bytes,
        path,
    )

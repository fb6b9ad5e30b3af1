"""``preserve policy``: the archive's policy files — show them, check an edited one, explain a format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from cli.context import app
from cli.output import console, emit_json, esc, json_option, table
from formats.active import active_signature_file
from formats.converters import TARGET_NAMES, registry
from formats.identify import load_signatures
from policies.checks import load_checks_policy, parse_checks_policy
from policies.closure import load_closure_policy, parse_closure_policy
from policies.fixity import load_fixity_policy
from policies.formats import KEEP, NONE, ORIGINAL, load_format_policy, parse_format_policy
from preservation.errors import PolicyError
from preservation.model import format_label

KINDS = ("formats", "fixity", "checks", "closure")


@click.group("policy")
def policy_group() -> None:
    """The archive's preservation policies (policies/*.toml in the archive home)."""


@policy_group.command("show")
@json_option(help="Print as JSON.")
@click.pass_context
def show_command(ctx: click.Context, as_json: bool) -> None:
    """Show the format, fixity and checks policies in force."""
    folder = app(ctx).settings.policies_path
    formats, fixity, checks = load_format_policy(folder), load_fixity_policy(folder), load_checks_policy(folder)
    closure = load_closure_policy(folder)
    if as_json:
        emit_json(
            {"formats": _plain(formats), "fixity": _plain(fixity), "checks": _plain(checks), "closure": _plain(closure)}
        )
        return
    out = console()
    out.print(
        f"[bold]Format policy[/bold] {esc(str(formats.path))} (version {formats.version}); preservation copies "
        f"made {_when_copies(formats.preservation_copies)}; access copies made at {formats.access_copies}; "
        f"a failed conversion: {formats.on_failure}"
    )
    rules = table("Rule", "Formats", "Preservation", "Access", "Risk", "Invalid files")
    for rule in (*formats.rules, formats.default):
        rules.add_row(
            esc(rule.name),
            str(len(rule.puids)) if rule.puids else "all others",
            _action(rule.preservation),
            rule.access,
            rule.risk,
            rule.invalid,
        )
    out.print(rules)
    cadence = fixity.default
    out.print(
        f"[bold]Fixity policy[/bold] {esc(str(fixity.path))}: full check every {cadence.full_every_days:g} "
        f"days, metadata every {cadence.metadata_every_days:g}, {cadence.runs_per_day:g} run(s) a day at "
        f"{fixity.run_at} UTC, budget {cadence.budget_bytes or 'none'}, repair {'on' if fixity.repair else 'off'}"
        + "".join(f"; {esc(name)}: every {c.full_every_days:g} days" for name, c in fixity.by_location.items())
    )
    out.print(
        f"[bold]Checks policy[/bold] {esc(str(checks.path))}: infected files → {checks.on_infected}; "
        f"not scanned → {checks.on_not_scanned}; no scanner → {checks.on_no_scanner}; personal-data scan "
        f"{'on' if checks.scan_sensitive else 'off'} ({', '.join(checks.sensitive_kinds)}), review for "
        f"{', '.join(checks.flag_for_review) or 'nothing'}"
    )
    out.print(
        f"[bold]Closure policy[/bold] {esc(str(closure.path))}: default {closure.default_access}"
        + "".join(
            f"; {esc(r.name)}: {r.access}" + (f" for {r.closed_years} years" if r.closed_years else "")
            for r in closure.rules
        )
    )


@policy_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="Which policy FILE is (default: from its name).")
@click.pass_context
def check_command(ctx: click.Context, file: Path, kind: str | None) -> None:
    """Check a policy file before putting it in place: exit 0 if it is valid, 40 naming line and key if not."""
    kind = kind or file.stem
    if kind not in KINDS:
        raise click.UsageError(f"cannot tell which policy {file.name} is; pass --kind {'|'.join(KINDS)}")
    if kind == "formats":
        policy = parse_format_policy(file)
        click.echo(
            f"{file}: a valid format policy (version {policy.version}, {len(policy.rules)} rules, "
            f"{sum(len(r.puids) for r in policy.rules)} formats)"
        )
    elif kind == "fixity":
        if file.name != "fixity.toml":
            raise PolicyError(f"{file}: a fixity policy is read as fixity.toml; rename it to check it")
        load_fixity_policy(file.parent)
        click.echo(f"{file}: a valid fixity policy")
    elif kind == "closure":
        closure = parse_closure_policy(file)
        click.echo(f"{file}: a valid closure policy (version {closure.version}, {len(closure.rules)} rules)")
    else:
        checks = parse_checks_policy(file)
        click.echo(f"{file}: a valid checks policy (version {checks.version})")


@policy_group.command("explain")
@click.argument("puid")
@json_option(help="Print as JSON.")
@click.pass_context
def explain_command(ctx: click.Context, puid: str, as_json: bool) -> None:
    """What will happen to a file of format PUID at ingest and on access, and which rule says so."""
    obj = app(ctx)
    converters = registry()
    policy = load_format_policy(obj.settings.policies_path)
    known = {f.puid: f for f in load_signatures(active_signature_file(obj.settings.home)).formats}
    fmt = known.get(puid)
    rule = policy.rule_for(puid)
    where = f"{policy.path}:{rule.line}" if rule.line else f"{policy.path} [default]"
    explanation = {
        "puid": puid,
        "format": format_label(fmt.name, fmt.version) if fmt else "",
        "known": fmt is not None,
        "rule": rule.name,
        "where": where,
        "preservation": rule.preservation,
        "access": rule.access,
        "access_copies": policy.access_copies,
        "preservation_copies": policy.preservation_copies,
        "risk": rule.risk,
        "invalid": rule.invalid,
        "policy_version": policy.version,
    }
    if as_json:
        emit_json(explanation)
        return
    title = explanation["format"] or "not in the active PRONOM signatures"
    lines = [
        f"{puid}: {title}",
        f"  rule: {rule.name!r} ({where}; policy version {policy.version})",
        "  preservation: "
        + (
            "the original is kept as it is"
            if rule.preservation == KEEP
            else f"the original is kept, and a preservation copy is made as {TARGET_NAMES[rule.preservation]} with "
            f"{converters[rule.preservation].label} {_when_copies(policy.preservation_copies)}"
        ),
        "  access: "
        + (
            "researchers receive the original"
            if rule.access == ORIGINAL
            else "no access copy is given"
            if rule.access == NONE
            else f"researchers receive {TARGET_NAMES[rule.access]} made with {converters[rule.access].label} "
            + ("at ingest" if policy.access_copies == "ingest" else "when their request is approved")
        ),
        f"  risk: {rule.risk}",
        "  a file that fails validation is "
        + ("accepted, with a failed validation event" if rule.invalid == "accept" else "refused with its transfer"),
    ]
    if fmt is None:
        lines.append("  note: no such PUID in the active signatures; files are never identified as it")
    click.echo("\n".join(lines))


def _action(preservation: str) -> str:
    return "keep" if preservation == KEEP else f"normalise to {preservation}"


def _plain(policy) -> dict:
    data = dataclasses.asdict(policy)
    return {key: (str(value) if isinstance(value, Path) else value) for key, value in data.items()}


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(policy_group)


def _when_copies(preservation_copies: str) -> str:
    """When the policy makes preservation copies, in words."""
    return "at ingest" if preservation_copies == "ingest" else "straight after ingest, in the background"

"""``preserve doctor``: find (and with --fix, clean) what crashes leave behind, and check the archive's set-up."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from cli.context import app
from cli.output import console, emit_json, esc, human_size, json_option
from preservation.errors import PreservationError


@click.command("doctor")
@click.option(
    "--fix",
    is_flag=True,
    help="Remove what was found (abandoned staging areas, unregistered objects, "
    "unfinished uploads, expired downloads).",
)
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="Grace period: only leftovers untouched for this many hours count.",
)
@json_option(help="Print as JSON.")
@click.pass_context
def doctor_command(ctx: click.Context, fix: bool, hours: float, as_json: bool) -> None:
    """Check the archive: catalogue, policies, storage locations, and leftovers of crashed ingests.

    Leftovers are staging areas no running ingest or delivery holds, objects and event logs in
    storage that no AIP owns (retention is applied only after registration, so they are never
    locked), unfinished multipart uploads, and delivered requests' downloads that expired. They are
    listed, and removed with --fix. Exit 1 if a problem remains.
    """
    from access.delivery import expired_deliveries, remove_delivery
    from ingest import staging
    from policies.checks import load_checks_policy
    from policies.closure import load_closure_policy
    from policies.fixity import load_fixity_policy
    from policies.formats import load_format_policy
    from stewardship.orphans import find_orphans, remove_orphan
    from storage import open_location

    obj = app(ctx)
    settings = obj.settings
    seconds = hours * 3600
    checks: list[dict] = []

    def check(name: str, fn) -> object:
        try:
            value = fn()
            checks.append({"check": name, "ok": True, "detail": ""})
            return value
        except PreservationError as exc:
            checks.append({"check": name, "ok": False, "detail": exc.message})
            return None

    check("catalogue schema is current", lambda: obj.database().require_current())
    for loader in (load_format_policy, load_fixity_policy, load_checks_policy, load_closure_policy):
        check(
            f"policy {loader.__name__.removeprefix('load_').removesuffix('_policy')}",
            lambda loader=loader: loader(settings.policies_path),
        )
    policy_read = all(c["ok"] for c in checks if c["check"] == "policy format")  # else its error is listed already
    converters = (
        check("converters the format policy needs", lambda: policy_converters(settings)) or [] if policy_read else []
    )
    if converters:  # each converter is a line of its own: an "ok" for having looked would read as all well
        checks.pop()
    checks += [converter.as_check() for converter in converters]
    for location in settings.locations:
        check(
            f"location {location.name} reachable",  # list() is lazy: take one answer from the store
            lambda location=location: next(iter(open_location(location).list("0=")), None),
        )
    areas = staging.abandoned(settings.staging_dir, seconds)
    orphans = check("unregistered objects", lambda: find_orphans(settings, obj.database(), seconds)) or []
    expired = check("expired downloads", lambda: expired_deliveries(obj.database(), seconds)) or []
    uploads = {}
    for location in settings.locations:
        found = check(
            f"unfinished uploads in {location.name}",
            lambda location=location: open_location(location).abandoned_writes(seconds, remove=fix),
        )
        if found:
            uploads[location.name] = found
    if fix:
        for area in areas:
            staging.remove(area)
        for orphan in orphans:
            remove_orphan(open_location(settings.location(orphan.location)), orphan)
        for request in expired:
            remove_delivery(settings, obj.database(), request)
    result = {
        "checks": checks,
        "abandoned_staging": [
            {"path": str(a), "age_hours": round((time.time() - a.stat().st_mtime) / 3600, 1)} for a in areas
        ]
        if not fix
        else [str(a) for a in areas],
        "orphans": [
            {
                "location": o.location,
                "prefix": o.prefix,
                "kind": o.kind,
                "keys": o.keys,
                "bytes": o.bytes,
                "complete": o.complete,
            }
            for o in orphans
        ],
        "unfinished_uploads": uploads,
        "expired_downloads": [
            {"request": r.id, "location": r.dip_location, "key": r.dip_key, "expired": r.expires_at} for r in expired
        ],
        "converters": [converter.as_json() for converter in converters],
        "fixed": fix,
    }
    if as_json:
        emit_json(result)
    else:
        out = console()
        for item in checks:
            mark = "[green]ok[/green]" if item["ok"] else "[red]PROBLEM[/red]"
            out.print(f"{mark}  {esc(item['check'])}" + (f": {esc(item['detail'])}" if item["detail"] else ""))
            if item.get("hint"):
                out.print(f"      [dim]{esc(item['hint'])}[/dim]")
        verb = "removed" if fix else "found"
        for area in areas:
            out.print(f"[yellow]{verb}[/yellow] abandoned staging area {esc(str(area))}")
        for o in orphans:
            what = "complete but unregistered" if o.complete else "incomplete"
            out.print(
                f"[yellow]{verb}[/yellow] {o.kind} {esc(o.prefix)} in {esc(o.location)}: {o.keys} keys, "
                f"{human_size(o.bytes)} ({what})"
            )
        for name, found in uploads.items():
            out.print(f"[yellow]{verb}[/yellow] {len(found)} unfinished upload(s) in {esc(name)}")
        for request in expired:
            out.print(
                f"[yellow]{verb}[/yellow] the download of request {request.id[:8]}, expired "
                f"{request.expires_at[:16].replace('T', ' ')} UTC"
            )
        leftovers = areas or orphans or uploads or expired
        if not leftovers and all(c["ok"] for c in checks):
            out.print("Everything looks right.")
        elif not fix and leftovers:
            out.print("Run `preserve doctor --fix` to remove the leftovers.")
    if not all(c["ok"] for c in checks) or (not fix and (areas or orphans or uploads or expired)):
        ctx.exit(1)


# --- converters the format policy needs -----------------------------------------------------------

LIBREOFFICE_COMPONENTS = {"writer": "Writer", "calc": "Calc", "impress": "Impress", "draw": "Draw"}
FFMPEG_ENCODERS = {
    "ffv1-mkv": ("ffv1", "flac"),
    "mp4": ("libx264", "aac"),
    "flac": ("flac",),
    "wav": ("pcm_s24le",),
    "mp3": ("libmp3lame",),
}
PILLOW_FEATURES = {"tiff": "libtiff", "jpeg": "jpg", "png": "zlib"}


@dataclass
class ConverterNeed:
    """One tool (or LibreOffice component) the policy needs, whether it can run, and the rules that need it."""

    tool: str
    problem: str  # '' when it can run
    hint: str
    uses: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (rule, purpose, target) -> PUIDs

    def affected(self) -> str:
        """The rules, targets and formats that need this tool, for people."""
        parts = []
        for (rule, purpose, target), puids in self.uses.items():
            formats = ", ".join(puids[:6]) + (f" and {len(puids) - 6} more" if len(puids) > 6 else "")
            verb = "normalised to" if purpose == "preservation" else "given access copies as"
            parts.append(f"{rule} ({formats or 'formats without a rule'}) cannot be {verb} {target}")
        return "; ".join(parts)

    def as_check(self) -> dict:
        """The finding as one of doctor's checks."""
        detail = f"{self.problem}: {self.affected()}" if self.problem else ""
        return {
            "check": f"converter {self.tool}",
            "ok": not self.problem,
            "detail": detail,
            "hint": self.hint if self.problem else "",
        }

    def as_json(self) -> dict:
        """The finding with the rules and formats that need the tool."""
        return {
            "tool": self.tool,
            "ok": not self.problem,
            "problem": self.problem,
            "hint": self.hint,
            "needed_by": [
                {"rule": rule, "purpose": purpose, "target": target, "puids": puids}
                for (rule, purpose, target), puids in self.uses.items()
            ],
        }


def policy_converters(settings) -> list[ConverterNeed]:
    """For every conversion the active format policy asks for, whether its converter can run here."""
    from formats.active import active_signature_file
    from formats.converters import registry
    from formats.identify import load_signatures
    from policies.formats import load_format_policy

    policy = load_format_policy(settings.policies_path)
    converters = registry()
    mimes = {f.puid: f.mime for f in load_signatures(active_signature_file(settings.home)).formats}
    needs: dict[str, ConverterNeed] = {}
    for rule in (*policy.rules, policy.default):
        for purpose, target in (("preservation", rule.preservation), ("access", rule.access)):
            if target not in converters:
                continue
            for puid in rule.puids or ("",):
                need = _need(converters[target].name, target, mimes.get(puid, ""))
                found = needs.setdefault(need.tool, need)
                puids = found.uses.setdefault((rule.name, purpose, target), [])
                if puid:
                    puids.append(puid)
    return list(needs.values())


def _need(converter: str, target: str, mime: str) -> ConverterNeed:
    """What running ``converter`` for ``target`` on a file of ``mime`` needs, and whether it is here."""
    if converter == "libreoffice":
        return _libreoffice_need(_libreoffice_component(target, mime))
    if converter == "ffmpeg":
        return _ffmpeg_need(target)
    return _pillow_need(target)


def _libreoffice_component(target: str, mime: str) -> str:
    """The LibreOffice component that opens the source: the target's own for ODF, by the source's MIME for PDF/A."""
    from formats.converters.libreoffice import PRESENTATION, SPREADSHEET

    if target in ("odt", "ods", "odp"):
        return {"odt": "writer", "ods": "calc", "odp": "impress"}[target]
    if any(word in mime for word in SPREADSHEET):
        return "calc"
    return "impress" if any(word in mime for word in PRESENTATION) else "writer"


def _libreoffice_need(component: str) -> ConverterNeed:
    """LibreOffice and one of its components: a component is installed when its registry file (``writer.xcd``…)
    is in the installation's share/registry, as LibreOffice itself finds its modules."""
    name = LIBREOFFICE_COMPONENTS[component]
    hint = f"Install the Debian package libreoffice-{component}-nogui (or LibreOffice {name} otherwise)."
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return ConverterNeed(f"LibreOffice {name}", "LibreOffice (soffice) is not installed", hint)
    share = Path(soffice).resolve().parent.parent / "share"
    if not any((share / folder / f"{component}.xcd").is_file() for folder in ("registry", ".registry")):
        return ConverterNeed(
            f"LibreOffice {name}",
            f"LibreOffice {name} is not installed (no {component}.xcd in {share / 'registry'})",
            hint,
        )
    return ConverterNeed(f"LibreOffice {name}", "", hint)


def _ffmpeg_need(target: str) -> ConverterNeed:
    """ffmpeg with the encoders the target uses."""
    encoders = FFMPEG_ENCODERS[target]
    tool = f"ffmpeg ({', '.join(encoders)})"
    hint = "Install the Debian package ffmpeg (its build has every encoder preserve uses)."
    if shutil.which("ffmpeg") is None:
        return ConverterNeed(tool, "ffmpeg is not installed", hint)
    missing = [name for name in encoders if name not in _ffmpeg_encoders()]
    return ConverterNeed(tool, f"this ffmpeg has no {', '.join(missing)} encoder" if missing else "", hint)


def _ffmpeg_encoders() -> set[str]:
    try:
        run = subprocess.run(
            ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.split()[1] for line in run.stdout.splitlines() if len(line.split()) > 1 and line.startswith(" ")}


def _pillow_need(target: str) -> ConverterNeed:
    """Pillow with the codec the target uses."""
    from PIL import features

    feature = PILLOW_FEATURES.get(target, "")
    tool = f"Pillow ({feature})" if feature else "Pillow"
    ok = not feature or bool(features.check(feature))
    return ConverterNeed(
        tool,
        "" if ok else f"this Pillow was built without {feature}",
        "Reinstall Pillow from its wheels (pip install --force-reinstall Pillow), which include it.",
    )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(doctor_command)

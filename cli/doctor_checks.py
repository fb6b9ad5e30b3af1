"""What ``preserve doctor`` checks: one function per thing it looks at, each returning its findings.

``CHECKS`` lists them in the order the report shows them. A check that cannot look (a
``PreservationError``) is a failed finding with the error's message. Leftovers of crashes (staging
areas, unregistered objects, unfinished uploads, expired downloads) are found here and removed by
``remove_leftovers`` (unfinished uploads as they are found, with --fix).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from access.delivery import expired_deliveries, remove_delivery
from catalogue import queries as catalogue
from catalogue.requests_outbox import Request
from cli.context import AppContext
from formats.active import active_signature_file
from formats.converters import registry
from formats.converters.libreoffice import PRESENTATION, SPREADSHEET
from formats.identify import load_signatures
from ingest import staging
from policies.checks import load_checks_policy
from policies.closure import load_closure_policy
from policies.fixity import load_fixity_policy
from policies.formats import FormatPolicy, load_format_policy
from preservation.config import LocationSettings, Settings
from preservation.errors import PreservationError
from stewardship.orphans import Orphan, find_orphans, remove_orphan
from storage import StoredObject, open_location

T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, and whether it is right (if not, why)."""

    check: str
    ok: bool
    detail: str = ""
    hint: str | None = None  # what to do, where the check knows (the JSON has the key only then)

    def as_json(self) -> dict[str, object]:
        """The finding as the JSON report lists it."""
        found: dict[str, object] = {"check": self.check, "ok": self.ok, "detail": self.detail}
        if self.hint is not None:
            found["hint"] = self.hint
        return found


@dataclass
class Findings:
    """What checks found: their findings, the converters the format policy needs, and the leftovers."""

    checks: list[Finding] = field(default_factory=list)
    converters: list[ConverterNeed] = field(default_factory=list)
    staging: list[Path] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    uploads: dict[str, list[str]] = field(default_factory=dict)  # location -> unfinished uploads
    expired: list[Request] = field(default_factory=list)

    def add(self, other: Findings) -> None:
        """Take in what another check found, after what is here."""
        self.checks += other.checks
        self.converters += other.converters
        self.staging += other.staging
        self.orphans += other.orphans
        self.uploads.update(other.uploads)
        self.expired += other.expired

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(finding.ok for finding in self.checks)

    @property
    def leftovers(self) -> bool:
        """Whether crashes left something behind."""
        return bool(self.staging or self.orphans or self.uploads or self.expired)


@dataclass(frozen=True)
class Checkup:
    """What the checks look at, and how."""

    context: AppContext
    settings: Settings
    seconds: float  # grace period: only leftovers untouched for this long count
    fix: bool  # unfinished uploads are removed as they are found


def attempt(name: str, look: Callable[[], T]) -> tuple[Finding, T | None]:
    """The finding of check ``name``, and what ``look`` returned (None when it raised a PreservationError)."""
    try:
        value = look()
    except PreservationError as exc:
        return Finding(name, False, exc.message), None
    return Finding(name, True), value


def catalogue_schema(checkup: Checkup) -> Findings:
    """The catalogue can be opened and its schema is the one this version of preserve needs."""
    finding, _ = attempt("catalogue schema is current", lambda: checkup.context.database().require_current())
    return Findings([finding])


POLICIES = (
    ("format", load_format_policy),
    ("fixity", load_fixity_policy),
    ("checks", load_checks_policy),
    ("closure", load_closure_policy),
)


def policies(checkup: Checkup) -> Findings:
    """Every policy file can be read."""
    path = checkup.settings.policies_path
    return Findings([attempt(f"policy {name}", partial(load, path))[0] for name, load in POLICIES])


def converters(checkup: Checkup) -> Findings:
    """A finding per converter the format policy needs: whether it can run here. Nothing when the policy cannot be
    read (its own check says why); one finding when it needs none, or when they cannot be looked for."""
    try:
        policy = load_format_policy(checkup.settings.policies_path)
    except PreservationError:
        return Findings()
    finding, needs = attempt("converters the format policy needs", partial(policy_converters, checkup.settings, policy))
    if not needs:
        return Findings([finding])
    return Findings([need.as_check() for need in needs], converters=needs)


def locations_reachable(checkup: Checkup) -> Findings:
    """Every storage location answers."""
    return Findings(
        [attempt(f"location {loc.name} reachable", partial(_first_key, loc))[0] for loc in checkup.settings.locations]
    )


def copies_owed(checkup: Checkup) -> Findings:
    """Every AIP has a copy in every location of [replication] (one added later is owed the AIPs before it)."""
    found = []
    for name in checkup.settings.replication:
        check = f"every AIP has a copy in {name}"
        finding, missing = attempt(check, partial(_without_copy, checkup, name))
        if missing:
            finding = Finding(
                check,
                False,
                f"{len(missing)} AIP(s) have none, e.g. {missing[0]}",
                f"`preserve storage replicate {name}` copies them there",
            )
        found.append(finding)
    return Findings(found)


def _without_copy(checkup: Checkup, location: str) -> list[str]:
    with checkup.context.database().session() as session:
        return catalogue.aips_without_copy(session, location)


def _first_key(location: LocationSettings) -> StoredObject | None:
    """One answer from the store (its listing is lazy)."""
    return next(iter(open_location(location).list("0=")), None)


def abandoned_staging(checkup: Checkup) -> Findings:
    """Staging areas no running ingest or delivery holds (a leftover, not a check: nothing can fail to look)."""
    return Findings(staging=staging.abandoned(checkup.settings.staging_dir, checkup.seconds))


def unregistered_objects(checkup: Checkup) -> Findings:
    """Objects and event logs in storage that no AIP owns."""
    finding, orphans = attempt(
        "unregistered objects", lambda: find_orphans(checkup.settings, checkup.context.database(), checkup.seconds)
    )
    return Findings([finding], orphans=orphans or [])


def expired_downloads(checkup: Checkup) -> Findings:
    """Delivered requests whose downloads have expired."""
    finding, expired = attempt(
        "expired downloads", lambda: expired_deliveries(checkup.context.database(), checkup.seconds)
    )
    return Findings([finding], expired=expired or [])


def unfinished_uploads(checkup: Checkup) -> Findings:
    """Unfinished multipart uploads in every location (removed as they are found, with --fix)."""
    found = Findings()
    for location in checkup.settings.locations:
        finding, writes = attempt(
            f"unfinished uploads in {location.name}",
            partial(_abandoned_writes, location, checkup.seconds, checkup.fix),
        )
        found.checks.append(finding)
        if writes:
            found.uploads[location.name] = writes
    return found


def _abandoned_writes(location: LocationSettings, seconds: float, remove: bool) -> list[str]:
    return open_location(location).abandoned_writes(seconds, remove=remove)


CHECKS: tuple[Callable[[Checkup], Findings], ...] = (
    catalogue_schema,
    policies,
    converters,
    locations_reachable,
    copies_owed,
    abandoned_staging,
    unregistered_objects,
    expired_downloads,
    unfinished_uploads,
)


def run_checks(checkup: Checkup) -> Findings:
    """Every check, in order."""
    found = Findings()
    for check in CHECKS:
        found.add(check(checkup))
    return found


def remove_leftovers(checkup: Checkup, found: Findings) -> None:
    """Remove the abandoned staging areas, unregistered objects and expired downloads found (--fix)."""
    settings = checkup.settings
    for area in found.staging:
        staging.remove(area)
    for orphan in found.orphans:
        remove_orphan(open_location(settings.location(orphan.location)), orphan)
    for request in found.expired:
        remove_delivery(settings, checkup.context.database(), request)


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

    def as_check(self) -> Finding:
        """The finding as one of doctor's checks."""
        detail = f"{self.problem}: {self.affected()}" if self.problem else ""
        return Finding(f"converter {self.tool}", not self.problem, detail, self.hint if self.problem else "")

    def as_json(self) -> dict[str, object]:
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


def policy_converters(settings: Settings, policy: FormatPolicy) -> list[ConverterNeed]:
    """For every conversion the format policy asks for, whether its converter can run here."""
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
    from PIL import features  # here, not at the top: ~10 ms to import, and every command would pay it at start-up  # noqa: PLC0415

    feature = PILLOW_FEATURES.get(target, "")
    tool = f"Pillow ({feature})" if feature else "Pillow"
    ok = not feature or bool(features.check(feature))
    return ConverterNeed(
        tool,
        "" if ok else f"this Pillow was built without {feature}",
        "Reinstall Pillow from its wheels (pip install --force-reinstall Pillow), which include it.",
    )

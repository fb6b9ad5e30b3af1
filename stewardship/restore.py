"""Restoring a file of an AIP from outside the archive (a backup, the depositor's copy) — a lost file, most often.

The content is accepted only if it matches what was recorded for that file (its size and digests in
the catalogue, or the trusted OCFL inventory's SHA-512); it is then written, through a verifying
reader and read back, to every location whose copy of the file does not verify, with a PREMIS
recovery event per location. The AIP is then audited again, so its copies' state, its status and its
list of lost files say what is true now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.lost import forget_lost_file, lost_files
from preservation import SOFTWARE_NAME
from preservation.agents import software_agent
from preservation.config import Settings
from preservation.errors import FixityError, NotFound, PreservationError
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.model import RECOVERY, SUCCESS, Event
from stewardship.audit import Expected
from stewardship.audit_runs import AipAudit, plan_all, run_audit, seal_rewritten, trusted_inventory
from stewardship.event_log import event_log_prefix, named_digest, write_event_log_to
from stewardship.repair import EVENT_LOG, Side, Wanted, copy_verified, intact, wanted_files
from storage import open_location
from storage.digests import hash_stream


@dataclass(frozen=True)
class Restored:
    """What a restoration did: the file, the locations written, and the AIP's audit afterwards."""

    aip_id: str
    path: str
    key: str
    written: list[str]
    already_intact: list[str]
    audit: AipAudit


def restore_file(settings: Settings, database: Database, reference: str, path: str, source: Path) -> Restored:
    """Write ``source`` as the AIP's file ``path`` wherever that file's copy does not verify."""
    with database.session() as session:
        aip = catalogue.get_aip(session, reference)
        files = list(catalogue.aip_files(session, aip.id))
        replicas = {r.location: r for r in catalogue.aip_replicas(session, aip.id)}
        lost = lost_files(session, aip.id)
    sides = [Side(name, open_location(settings.location(name)), r.object_root) for name, r in replicas.items()]
    expected = [Expected(f.path, f.size, f.sha256, f.sha512) for f in files]
    expected.append(Expected(aip.mets_path, -1, "", aip.mets_sha512))
    document = _event_log_document(aip.id, path)
    if document:
        want, sha256 = Wanted(document, f"{EVENT_LOG}{document.rsplit('/', 1)[-1]}", -1, ""), named_digest(document)
        log_sides = [Side(side.name, side.storage, "") for side in sides]  # the log's keys are whole keys
    else:
        want, sha256 = _wanted(aip.id, path, sides, replicas, expected, lost)
    want = replace(want, sha512=_accept(source, want, sha256))
    written, intact_in = [], []
    for side in log_sides if document else sides:
        if intact(side, want):
            intact_in.append(side.name)
            continue
        copy_verified(lambda: open(source, "rb"), str(source), side, want)  # noqa: SIM115 - opened in its with block
        if not document:
            seal_rewritten(database, side.storage, replicas[side.name], [want.key])  # its new version is the one
        written.append(side.name)
    _record(settings, database, aip.id, want, source, written, {f.path: f.id for f in files})
    with database.session() as session:
        forget_lost_file(session, aip.id, want.key)
    [audit] = run_audit(settings, database, plan_all(database, aip.id), repair=True)
    return Restored(aip.id, want.path, want.key, written, intact_in, audit)


def _wanted(
    aip_id: str, path: str, sides: list[Side], replicas: dict, expected: list[Expected], lost: list
) -> tuple[Wanted, str]:
    """What the file named ``path`` (its path in the AIP, or its key in the object) must be, and its SHA-256."""
    named = path.strip().removeprefix("./")
    trusted = trusted_inventory(sides, replicas)
    sha256 = {e.path: e.sha256 for e in expected}
    if trusted is not None:
        for want in wanted_files(trusted[0], expected, trusted[1]).values():
            if named in (want.path, want.key):
                return want, sha256.get(want.path, "")
    recorded = {r.inventory_sha512 for r in replicas.values() if r.inventory_sha512}
    if named == "inventory.json" and len(recorded) == 1:
        return Wanted("inventory.json", "inventory.json", -1, recorded.pop()), ""
    names = sorted({f.path for f in lost} | {e.path for e in expected})[:5]
    raise NotFound(
        f"AIP {aip_id}: no file {path!r} whose content is recorded",
        hint="Name the file as `preserve aip show` lists it (e.g. " + ", ".join(names) + ")."
        if names
        else "Name the file as `preserve aip show` lists it.",
    )


def _event_log_document(aip_id: str, path: str) -> str:
    """The key of the event log document ``path`` names (its name, its key, or as an audit names it), or ''."""
    name = path.strip().removeprefix(EVENT_LOG).rsplit("/", 1)[-1]
    key = f"{event_log_prefix(aip_id)}{name}"
    if not named_digest(key):
        if name.endswith(".xml") and path.strip().startswith((EVENT_LOG, "extensions/preserve-event-log/")):
            raise NotFound(
                f"{path}: an event log document named before documents carried their SHA-256 cannot "
                "be checked against anything, so it cannot be restored from outside",
                hint="Copy it back by hand if you are sure of it; the next audit judges it.",
            )
        return ""
    return key


def _accept(source: Path, want: Wanted, sha256: str) -> str:
    """Refuse content that is not what was recorded for the file (nothing is written then); its SHA-512."""
    try:
        with open(source, "rb") as stream:
            digests, size = hash_stream(stream, ("sha256", "sha512"))
    except OSError as exc:
        raise PreservationError(
            f"{source}: cannot be read ({exc.strerror})",
            hint="Check that the file exists and can be read by this account.",
        ) from None
    wrong = []
    if want.size >= 0 and size != want.size:
        wrong.append(f"size {size}, expected {want.size}")
    if sha256 and digests["sha256"] != sha256:
        wrong.append(f"SHA-256 {digests['sha256']}, expected {sha256}")
    if want.sha512 and digests["sha512"] != want.sha512:
        wrong.append(f"SHA-512 {digests['sha512'][:32]}…, expected {want.sha512[:32]}…")
    if wrong:
        raise FixityError(
            f"{source}: is not the file recorded as {want.path}: " + "; ".join(wrong),
            hint="Nothing was written. Find the copy whose digests match (`preserve aip show --json` lists them).",
        )
    return digests["sha512"]


def _record(
    settings: Settings,
    database: Database,
    aip_id: str,
    want: Wanted,
    source: Path,
    written: list[str],
    file_ids: dict[str, str],
) -> None:
    """A recovery event per location written, in the catalogue and in every location's event log."""
    agent = software_agent()
    run_id, when = new_uuid(), timestamp()
    events = [
        Event(
            event_uuid(run_id, f"{aip_id}/{location}/{want.key}", RECOVERY),
            aip_id,
            RECOVERY,
            when,
            SUCCESS,
            f"program={SOFTWARE_NAME}; {want.path} in location {location!r} restored from a file "
            f"outside the archive ({source.name}), verified against the recorded digests as it was read and "
            "again once written",
            f"sha512:{want.sha512}; source=outside; target={location}",
            file_ids.get(want.path, ""),
            (agent.id,),
        )
        for location in written
    ]
    if not events:
        return
    with database.session() as session:
        catalogue.upsert_agents(session, [agent])
        catalogue.record_events(session, events)
    with database.session() as session:
        held = [r.location for r in catalogue.aip_replicas(session, aip_id)]
    write_event_log_to(settings, held, aip_id, events, [agent])  # one document everywhere; a location that
    # cannot be written is returned as its error, not raised: its next event log audit finds the document missing

"""One ingest, from a folder to a registered AIP.

scan → per file (store while digesting, identify, read back) → METS → bag tag files → OCFL
inventory → register in one catalogue transaction. Until that commit nothing is visible; on any
failure every stored key of the new object and the staging area are removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from catalogue import Database
from catalogue import ingests as runs
from catalogue import queries as catalogue
from catalogue.access_status import refresh_access
from formats.active import active_signature_file
from ingest import run_records
from ingest import staging as staging_area
from ingest.archives import is_archive
from ingest.checksums import Assertion, extra_algorithms, read_assertions, verify_depositor_checksums
from ingest.crash_points import crash_point
from ingest.executors import executor_for
from ingest.journal import Journal
from ingest.normalise import normalise, plan
from ingest.packaging import Package, slugify
from ingest.placement import place_under
from ingest.premis_records import TransferRecords, make_agents
from ingest.scan import journal_transfer
from ingest.sources import RENAMING_RULE, DirectorySource
from ingest.steps import WorkerSetup
from ingest.timings import Timings
from ingest.transfer_checks import VirusOutcome
from ingest.transfer_checks import check_viruses as check_transfer
from ingest.transfer_metadata import read_transfer_metadata
from ingest.transfers import MetadataSource, Transfer, open_transfer
from policies.checks import ChecksPolicy, load_checks_policy
from policies.closure import ClosurePolicy, load_closure_policy
from policies.formats import FormatPolicy, load_format_policy
from preservation.config import Settings
from preservation.errors import IngestIncomplete, NotFound, PreservationError, Problem, TransferError
from preservation.identifiers import new_uuid, timestamp, urn, utc_now
from preservation.model import COPIES_PENDING, Agent, Aip, Event, FileCounts, Replica
from stewardship.event_log import event_log_prefix, raise_failed, write_event_log_everywhere
from stewardship.replicate import seal_copy
from storage import open_location
from storage.ocfl import NewObject, ensure_storage_root, object_root

SMALL_TRANSFER = 64  # files; fewer than this are processed in-process (no pool start-up)

__all__ = ["IngestReport", "IngestRequest", "Progress", "ingest", "slugify"]


@dataclass(frozen=True)
class IngestRequest:
    """What an archivist asked for."""

    source: Path
    title: str = ""
    archivist: str = ""
    metadata: Path | None = None  # a metadata.csv (else the transfer's metadata/metadata.csv, if any)
    rights: Path | None = None  # a rights.csv (else the transfer's metadata/rights.csv, if any)
    resume: str = ""  # the transfer id of an interrupted ingest to finish (source and options as it was started)
    under: str = ""  # the reference code of a unit the AIP is placed below (--under)


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did."""

    aip_id: str
    title: str
    bag_name: str
    counts: FileCounts  # files and bytes by role, catalogued and stored (docs/aip.md)
    formats: list[tuple[str, str, int, int]]  # (format, PUID, files, bytes) of the catalogued files
    locations: list[str]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    virus_check: str = ""
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path, signature): left out of the AIP
    layout: str = ""  # how the records were told from what came with them
    metadata_files: list[tuple[str, str]] = field(default_factory=list)  # (name in the transfer, path in the AIP)
    empty_folders: list[str] = field(default_factory=list)  # paths in the AIP of folders kept empty
    renamed: list[tuple[str, str, bool]] = field(default_factory=list)  # (name as given, stored path, name taken)
    checksums_checked: int = 0  # files (records and metadata files) whose depositor checksums were verified
    timings: dict[str, Any] = field(default_factory=dict)  # where the time went (ingest.timings), this run only
    placed: tuple[str, str] = ("", "")  # with --under: (the unit it is under, the AIP's own reference code)
    invalid: list[tuple[str, str, str]] = field(default_factory=list)  # (path, PUID, first message): kept, invalid
    conversion_failures: list[tuple[str, str, str, str]] = field(default_factory=list)  # (path, role, target, why)
    copies_pending: bool = False  # preservation copies to be made in the background (preservation_copies = "after")


@dataclass(frozen=True)
class Duplicate:
    """A file of this transfer whose content the archive (or this transfer) already holds."""

    path: str
    held_in_aip: str  # an AIP id, or this AIP's id for a duplicate within the transfer
    held_as: str


class Progress:
    """Receives progress; the CLI shows it as a bar, everything else ignores it."""

    def start(self, files: int, size: int) -> None:
        """The per-file work is about to start."""

    def advance(self, size: int) -> None:
        """One more file of ``size`` bytes is done."""

    def stage(self, text: str) -> None:
        """A new stage of the ingest has begun."""


@dataclass(frozen=True)
class Policies:
    """The archive's policies, read once before anything starts (a broken one stops the ingest there)."""

    formats: FormatPolicy
    checks: ChecksPolicy
    closure: ClosurePolicy

    @classmethod
    def load(cls, settings: Settings) -> Policies:
        """Read the format, checks and closure policies of the archive."""
        folder = settings.policies_path
        return cls(load_format_policy(folder), load_checks_policy(folder), load_closure_policy(folder))


@dataclass
class Underway:
    """One ingest under way: what its steps are given, and what they leave for the steps after them."""

    settings: Settings
    database: Database
    request: IngestRequest
    progress: Progress
    policies: Policies
    given: Path
    transfer_id: str
    aip_id: str
    started: str
    staging: Path
    lock: IO[bytes]
    journal: Journal
    transfer: Transfer
    resuming: bool
    records: TransferRecords
    package: Package
    signatures: Path | None
    files: int = 0  # what the transfer holds once infected files are left out
    size: int = 0
    assertions: list[Assertion] = field(default_factory=list)
    extra_digests: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    virus: VirusOutcome | None = None
    checksums_checked: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    mets_sha512: str = ""
    timings: Timings = field(default_factory=Timings)
    copies_pending: bool = False  # the policy makes derivatives after ingest, and this AIP is owed some
    placed_as: str = ""  # with --under: the reference code of the AIP's own unit


@dataclass(frozen=True)
class Step:
    """One named step of an ingest. ``checkpoint`` names the journal entry that says it is done: a resumed ingest
    skips the step and ``restore`` takes back what it left. A step without one only reads, or keeps its own work
    file by file in the journal, so it simply runs again."""

    name: str
    run: Callable[[Underway], None]
    checkpoint: str = ""
    restore: Callable[[Underway, str], None] | None = None


def ingest(
    settings: Settings, database: Database, request: IngestRequest, progress: Progress | None = None
) -> IngestReport:
    """Ingest a folder as a new AIP and return what was done; raises PreservationError on bad input."""
    progress = progress or Progress()
    if request.resume:
        database.require_current()
        request = _resumed_request(settings, database, request)
    given = Path(request.source)
    if not is_archive(given):
        DirectorySource(given).check_root()
    database.require_current()
    executor_for(settings).check_ready()  # an unreachable broker stops us before anything starts
    policies = Policies.load(settings)  # a broken policy stops us before anything starts
    previous = (
        settings.staging_dir / request.resume if request.resume else staging_area.resumable(settings.staging_dir, given)
    )
    if previous is None:
        return _run_steps(_begin(settings, database, request, progress, policies, given))
    resumed = _resume(settings, database, request, progress, policies, given, previous)
    return resumed if isinstance(resumed, IngestReport) else _run_steps(resumed)


def _run_steps(underway: Underway) -> IngestReport:
    """The steps in order, skipping those the journal has; on failure what was written is removed (unless the error
    keeps it for a resume), why is recorded, and the error raised. Sealing comes last, once nothing can fail."""
    journal = underway.journal
    done = journal.meta()
    try:
        for step in STEPS:
            if step.checkpoint and step.checkpoint in done:
                if step.restore is not None:
                    step.restore(underway, done[step.checkpoint])
                continue
            try:
                with underway.timings.step(step.name):
                    step.run(underway)
            finally:
                run_records.record_timings(underway.database, underway.transfer_id, underway.timings.to_json())
            crash_point(f"after {step.name}")
        report = _report(underway)
    except BaseException as exc:
        kept = isinstance(exc, IngestIncomplete)  # what was done is kept: running the ingest again finishes it
        for obj in [] if kept else underway.package.objects:  # clean every location it can; an unreachable one
            with contextlib.suppress(PreservationError):  # keeps unregistered leftovers (`preserve doctor` finds them)
                obj.abort()
                for stored in list(obj.storage.list(event_log_prefix(underway.aip_id))):
                    obj.storage.delete(stored.key)
        if not kept:
            shutil.rmtree(underway.staging, ignore_errors=True)
        run_records.record_failure(underway.database, underway.transfer_id, exc, kept, journal)
        if isinstance(exc, PreservationError):  # where the rest of the story is (the timings, a worker's traceback)
            story = f"`preserve ingest status {underway.transfer_id[:8]}` shows this ingest's steps and timings."
            exc.hint = f"{exc.hint} {story}".strip()
        raise
    finally:
        journal.close()
        underway.lock.close()
    _seal(underway)
    return report


def _begin(
    settings: Settings, database: Database, request: IngestRequest, progress: Progress, policies: Policies, given: Path
) -> Underway:
    """A new ingest: its ids, its staging area (held), the transfer opened and the journal started."""
    transfer_id, aip_id, started = new_uuid(), new_uuid(), timestamp()
    staging = settings.staging_dir / transfer_id
    lock = staging_area.hold(staging)  # released by a crash too: `preserve doctor` tells abandoned areas apart
    run_records.record_start(settings, database, transfer_id, aip_id, given, request.title, started)
    try:
        transfer = _with_given_documents(open_transfer(given, staging, settings.workers), request)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        lock.close()
        run_records.record_failure(database, transfer_id, exc, kept=False)
        raise
    journal = Journal(staging / "journal.sqlite")
    asked = {"title": request.title, "archivist": request.archivist}
    asked |= {"metadata": str(request.metadata or ""), "rights": str(request.rights or ""), "under": request.under}
    journal.set_meta(
        source=str(given.resolve()),
        aip_id=aip_id,
        started=started,
        transfer=transfer.to_json(),
        request=json.dumps(asked),
    )
    ids = (transfer_id, aip_id, started)
    return _underway(settings, database, request, progress, policies, given, ids, staging, lock, journal, transfer)


def _resume(
    settings: Settings,
    database: Database,
    request: IngestRequest,
    progress: Progress,
    policies: Policies,
    given: Path,
    previous: Path,
) -> Underway | IngestReport:
    """An ingest of the same source was killed: finish it from its journal, never start a second AIP."""
    lock = staging_area.hold(previous, existing=True)
    journal = Journal(previous / "journal.sqlite")
    meta = journal.meta()
    request = _as_started(request, meta)
    transfer_id, aip_id, started = previous.name, meta["aip_id"], meta["started"]
    progress.stage(f"Resuming the interrupted ingest {transfer_id}")
    run_records.record_start(settings, database, transfer_id, aip_id, given, request.title, started)
    with database.session() as session:
        registered = catalogue.find_aip(session, aip_id)
    if registered is not None:  # killed after registering: only the sealing and the clean-up were left
        journal.close()
        report = _finish_registered(settings, database, registered, previous, lock, started)
        files, size = report.counts.catalogued
        run_records.record_end(database, transfer_id, "stored", files=files, size=size)
        return report
    transfer = Transfer.from_json(meta["transfer"])
    ids = (transfer_id, aip_id, started)
    return _underway(
        settings, database, request, progress, policies, given, ids, previous, lock, journal, transfer, resuming=True
    )


def _underway(
    settings: Settings,
    database: Database,
    request: IngestRequest,
    progress: Progress,
    policies: Policies,
    given: Path,
    ids: tuple[str, str, str],
    staging: Path,
    lock: IO[bytes],
    journal: Journal,
    transfer: Transfer,
    resuming: bool = False,
) -> Underway:
    """The ingest about to run its steps, with its PREMIS records and the package they will make."""
    transfer_id, aip_id, started = ids
    signatures = active_signature_file(settings.home)
    agents = make_agents(settings.archive_name, request.archivist, signatures)
    flag = policies.checks.flag_for_review
    records = TransferRecords(transfer_id, aip_id, given.name, settings.replication, agents, transfer.kind, flag)
    title = request.title or _default_title(given)
    package = Package(aip_id, title, started, settings.archive_name, staging, journal, [], records)
    return Underway(
        settings=settings,
        database=database,
        request=request,
        progress=progress,
        policies=policies,
        given=given,
        transfer_id=transfer_id,
        aip_id=aip_id,
        started=started,
        staging=staging,
        lock=lock,
        journal=journal,
        transfer=transfer,
        resuming=resuming,
        records=records,
        package=package,
        signatures=signatures,
    )


# The steps, in order. Each reads what the steps before it left in the journal or in ``Underway``.


def scan(run: Underway) -> None:
    """Every file and folder of the transfer into the journal (refusing the whole transfer on bad input)."""
    run.progress.stage("Checking the transfer")
    run.journal.clear()
    run.files, run.size = journal_transfer(run.journal, run.transfer, run.aip_id)
    run.journal.set_meta(scanned="1")


def _scanned(run: Underway, _: str) -> None:
    run.progress.stage("Checking the transfer")
    run.files, run.size = run.journal.totals()


def describe(run: Underway) -> None:
    """The depositor's checksum lists, descriptions, rights and identifiers read and checked against the files."""
    run.assertions = read_assertions(run.transfer)
    run_records.record_totals(run.database, run.transfer_id, run.files, run.size)
    request, transfer, package = run.request, run.transfer, run.package
    run.extra_digests = extra_algorithms(transfer.checksums)
    files, folders = _paths(run.journal)
    described = read_transfer_metadata(
        request.metadata or transfer.metadata_csv,
        request.rights or transfer.rights_csv,
        files,
        folders,
        run.database,
        run.aip_id,
        metadata_json=transfer.metadata_json,
        identifiers_json=transfer.identifiers_json,
    )
    package.descriptions, package.rights = described.descriptions, described.rights
    package.identifiers = described.identifiers
    if request.under:
        package.descriptions, run.placed_as = place_under(run.database, request.under, package.descriptions, run.aip_id)
    run.warnings = [*_not_applied(transfer, request), *described.warnings]
    if not request.title and package.descriptions.get(""):
        title = next((v for k, v in package.descriptions[""] if k == "title"), "")
        package.title = title or package.title


def check_viruses(run: Underway) -> None:
    """Every file scanned; infected ones quarantined and left out, the outcome kept in the journal."""
    run.progress.stage("Checking for viruses")
    quarantine = run.settings.home / "quarantine" / run.transfer_id
    run.virus, events = check_transfer(run.settings, run.journal, run.records, run.policies.checks, quarantine)
    run.journal.set_meta(virus=_virus_to(run.virus, events, run.records))
    _after_viruses(run, events)


def _viruses_checked(run: Underway, kept: str) -> None:
    run.progress.stage("Checking for viruses")
    run.virus, events = _virus_from(kept, run.records)
    _after_viruses(run, events)


def _after_viruses(run: Underway, events: list[Event]) -> None:
    run.package.aip_events += events
    run.files, run.size = run.journal.totals()
    if run.files == 0:
        raise TransferError(
            f"{run.given}: no file is left to ingest once infected files are left out",
            hint=f"The files are kept in {run.settings.home / 'quarantine' / run.transfer_id}.",
        )


def store_files(run: Underway) -> None:
    """Each file stored in every location while it is digested, identified, validated and read back."""
    settings, aip_id = run.settings, run.aip_id
    for name in settings.replication:
        storage = open_location(settings.location(name))
        ensure_storage_root(storage)
        run.package.objects.append(NewObject(storage, urn(aip_id), resuming=run.resuming))
        if run.resuming:  # what the killed ingest had half-written (temp files, uploads) goes first
            storage.abandoned_writes(0, remove=True, prefix=object_root(urn(aip_id)) + "/")
    run.progress.start(*run.journal.pending_totals())
    _process_files(run)


def verify_checksums(run: Underway) -> None:
    """Every checksum the depositor gave compared with the digests just taken."""
    run.checksums_checked, noted = verify_depositor_checksums(run.journal, run.transfer, run.assertions, run.given)
    run.warnings += noted


def make_derivatives(run: Underway) -> None:
    """The derivatives the format policy asks for, made, then stored like the originals."""
    _apply_invalid_file_policy(run.policies.formats, run.journal)  # a transfer to be refused converts nothing
    if run.policies.formats.preservation_copies == "after":  # registered first; made next, in the background
        run.copies_pending = bool(plan(run.journal, run.policies.formats))
        return
    run.progress.stage("Normalising")
    if normalise(run.journal, run.policies.formats, run.staging, run.aip_id, run.signatures, run.timings)[0]:
        run.progress.stage("Storing derivatives")
        run.progress.start(*run.journal.pending_totals())  # a bar of their own: the originals' is full
        _process_files(run)


def apply_policies(run: Underway) -> None:
    """Invalid files the format policy refuses stop the ingest; duplicates are found; tools become agents."""
    _apply_invalid_file_policy(run.policies.formats, run.journal)
    run.duplicates = _find_duplicates(run.database, run.journal, run.aip_id)
    for tool in run.journal.validation_tools():
        run.records.tool_agent(tool)


def package(run: Underway) -> None:
    """The METS, the bag's tag files and empty folders' placeholders, stored beside the files."""
    run.progress.stage("Writing METS and bag manifests")
    run.package.store_empty_folders()
    mets = run.package.store_mets()
    run.package.store_tag_files(mets, run.transfer_id)
    run.mets_sha512 = mets.sha512


def commit(run: Underway) -> None:
    """The OCFL inventory of every copy written, last: each object is now whole."""
    run.progress.stage("Writing the OCFL inventory")
    run.package.commit(run.records.agents["person"].name)


def register(run: Underway) -> None:
    """Everything about the AIP registered in one catalogue transaction: only now is it visible."""
    run.progress.stage("Registering in the catalogue")
    _register(
        run.settings, run.database, run.package, run.transfer_id, run.mets_sha512, run.duplicates, run.copies_pending
    )


STEPS: tuple[Step, ...] = (
    Step("scan", scan, checkpoint="scanned", restore=_scanned),
    Step("describe", describe),
    Step("virus check", check_viruses, checkpoint="virus", restore=_viruses_checked),
    Step("store", store_files),  # file by file: the journal keeps each file's result
    Step("verify checksums", verify_checksums),
    Step("normalise", make_derivatives),  # derivative by derivative, the same way
    Step("apply policies", apply_policies),
    Step("package", package),
    Step("commit", commit),
    Step("register", register),
)


def _seal(run: Underway) -> None:
    """After registration: the staging area removed, every copy sealed, access worked out, the run recorded."""
    shutil.rmtree(run.staging, ignore_errors=True)
    settings, database = run.settings, run.database
    for name, obj in zip(settings.replication, run.package.objects, strict=True):
        seal_copy(database, obj.storage, name, obj.root, run.aip_id)  # only now: a failed ingest can remove its writes
    closure = run.policies.closure
    refresh_access(database, closure.evaluate, closure.default(), [run.aip_id])
    run_records.record_end(database, run.transfer_id, "stored", files=run.files, size=run.size)
    if run.copies_pending:
        executor_for(settings).make_copies(settings, run.aip_id)


def _report(run: Underway) -> IngestReport:
    """What the ingest did, read from the journal before it closes."""
    journal, package = run.journal, run.package
    assert run.virus is not None
    return IngestReport(
        aip_id=run.aip_id,
        title=package.title,
        bag_name=package.bag_name,
        counts=FileCounts.of_roles(journal.role_totals(), journal.stored_totals()),
        formats=journal.format_counts(),
        locations=list(run.settings.replication),
        seconds=_seconds_since(run.started),
        warnings=[*run.transfer.warnings, *run.warnings, *_renamed_warnings(journal.renamed())],
        duplicates=run.duplicates,
        virus_check=_virus_summary(run.virus),
        quarantined=run.virus.quarantined,
        layout=run.transfer.layout,
        metadata_files=[(relative, logical) for relative, logical, _ in journal.metadata_files()],
        empty_folders=[logical for logical, _ in journal.empty_folders()],
        renamed=journal.renamed(),
        checksums_checked=run.checksums_checked,
        timings=run.timings.to_json(),
        invalid=journal.invalid_files(),
        conversion_failures=journal.conversion_failures(),
        copies_pending=run.copies_pending,
        placed=(run.request.under, run.placed_as) if run.request.under else ("", ""),
    )


def _with_given_documents(transfer: Transfer, request: IngestRequest) -> Transfer:
    """The transfer with the spreadsheets given with the ingest (``--metadata``, ``--rights``) as parts of what
    came with the records: kept under metadata/submission/, identified, described and audited like the rest."""
    given = [
        MetadataSource(
            str(Path(document).resolve()),
            f"data/metadata/submission/{Path(document).name}",
            f"(given with --{option}) {Path(document).name}",
        )
        for option, document in (("metadata", request.metadata), ("rights", request.rights))
        if document
    ]
    return replace(transfer, metadata=(*transfer.metadata, *given)) if given else transfer


def _not_applied(transfer: Transfer, request: IngestRequest) -> list[str]:
    """A warning for each of the transfer's own spreadsheets that one given with the ingest stands in for."""
    pairs = (("--metadata", request.metadata, transfer.metadata_csv), ("--rights", request.rights, transfer.rights_csv))
    return [
        f"{transfer.given_as(Path(own))}: kept, but not applied: the {Path(document).name} given with {option} "
        "is applied instead"
        for option, document, own in pairs
        if document and own
    ]


def _resumed_request(settings: Settings, database: Database, request: IngestRequest) -> IngestRequest:
    """The request an interrupted ingest was started with, to finish it; an error if it cannot be resumed.
    ``request.resume`` may be the start of the transfer id (or of the AIP id), as `ingest status` shows it."""
    transfer_id = request.resume
    safe = transfer_id.strip("./") == transfer_id and "/" not in transfer_id
    if safe and not (settings.staging_dir / transfer_id).exists():
        with database.session() as session, contextlib.suppress(NotFound):
            transfer_id = runs.get_ingest(session, transfer_id).transfer_id
    area = settings.staging_dir / transfer_id
    source = staging_area.source_of(area) if safe else None
    if source is None:
        why = "is still running" if (area / "journal.sqlite").is_file() else "has no staging area left to resume"
        raise NotFound(
            f"transfer {request.resume} {why}",
            hint="`preserve ingest status` lists ingests, and which of them can be resumed.",
        )
    return replace(request, source=source, resume=transfer_id)


def _as_started(request: IngestRequest, meta: dict[str, str]) -> IngestRequest:
    """A resumed ingest keeps the title, archivist and CSVs it was started with, unless given again."""
    asked = json.loads(meta.get("request", "{}"))
    return replace(
        request,
        title=request.title or asked.get("title", ""),
        archivist=request.archivist or asked.get("archivist", ""),
        metadata=request.metadata or (Path(asked["metadata"]) if asked.get("metadata") else None),
        rights=request.rights or (Path(asked["rights"]) if asked.get("rights") else None),
        under=request.under or asked.get("under", ""),
    )


def _virus_summary(virus: VirusOutcome) -> str:
    if not virus.performed:
        return f"not performed: {virus.reason}"
    notes = [f"{len(virus.quarantined)} infected file(s) quarantined"] if virus.quarantined else []
    notes += [f"{virus.not_scanned} file(s) not scanned (recorded)"] if virus.not_scanned else []
    return f"{virus.scanner}" + (f"; {'; '.join(notes)}" if notes else "; every file clean")


def _finish_registered(
    settings: Settings, database: Database, aip: Aip, staging: Path, lock, started: str
) -> IngestReport:
    """An ingest killed between registration and sealing: seal every copy, remove the staging area."""
    with database.session() as session:
        replicas = catalogue.aip_replicas(session, aip.id)
        formats = catalogue.format_counts(session, aip.id)
    for replica in replicas:
        seal_copy(
            database, open_location(settings.location(replica.location)), replica.location, replica.object_root, aip.id
        )
    shutil.rmtree(staging, ignore_errors=True)
    lock.close()
    closure = load_closure_policy(settings.policies_path)
    refresh_access(database, closure.evaluate, closure.default(), [aip.id])
    return IngestReport(
        aip.id,
        aip.title,
        aip.bag_name,
        aip.counts,
        formats,
        [r.location for r in replicas],
        _seconds_since(started),
    )


def _renamed_warnings(renamed: list[tuple[str, str, bool]]) -> list[str]:
    """A warning per name clash, and one for all the names the renaming rule changed (names as given, escaped)."""
    clashes = [
        f"{given}: its name is taken by another file once the renaming rule is applied "
        f"(or ignoring upper/lower case); stored as {stored}"
        for given, stored, taken in renamed
        if taken
    ]
    ruled = [(given, stored) for given, stored, taken in renamed if not taken]
    if not ruled:
        return clashes
    given, stored = ruled[0]
    return [
        *clashes,
        f"{len(ruled)} file name(s) changed by the renaming rule ({RENAMING_RULE}), e.g. "
        f"{given} stored as {stored}; each has a filename change event, and "
        f"`--json` lists them all under 'renamed'",
    ]


def _virus_to(virus: VirusOutcome, events: list[Event], records: TransferRecords) -> str:
    agent = records.agents.get("virus")
    return json.dumps(
        {
            "outcome": dataclasses.asdict(virus),
            "events": [dataclasses.asdict(e) for e in events],
            "agent": dataclasses.asdict(agent) if agent else None,
        }
    )


def _virus_from(text: str, records: TransferRecords) -> tuple[VirusOutcome, list[Event]]:
    data = json.loads(text)
    outcome = data["outcome"]
    virus = VirusOutcome(
        outcome["performed"],
        outcome["scanner"],
        outcome["reason"],
        [tuple(q) for q in outcome["quarantined"]],
        outcome["not_scanned"],
    )
    if data["agent"]:
        records.agents["virus"] = Agent(**data["agent"])
    return virus, [Event(**{**e, "agent_ids": tuple(e["agent_ids"])}) for e in data["events"]]


def _paths(journal: Journal) -> tuple[set[str], set[str]]:
    """The transfer's files and folders, as relative paths."""
    files = set(journal.stored_paths())
    folders = {"/".join(parts[:i]) for parts in (f.split("/") for f in files) for i in range(1, len(parts))}
    return files, folders


def _find_duplicates(database: Database, journal: Journal, aip_id: str) -> list[Duplicate]:
    """Files whose SHA-256 the archive already holds, or that repeat another file of this transfer."""
    first_seen: dict[str, str] = {}
    duplicates: list[Duplicate] = []
    for relative, sha256 in journal.digests():
        if sha256 in first_seen:
            duplicates.append(Duplicate(relative, aip_id, "objects/" + first_seen[sha256]))
        else:
            first_seen[sha256] = relative
    with database.session() as session:
        held = catalogue.held_digests(session, first_seen)
    for sha256, relative in first_seen.items():
        if sha256 in held:
            other_aip, other_path = held[sha256]
            duplicates.append(Duplicate(relative, other_aip, other_path))
    return sorted(duplicates, key=lambda d: d.path)


def _default_title(given: Path) -> str:
    name = given.resolve().name
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip", ".7z"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _process_files(run: Underway) -> None:
    """The journal's pending files through the executor, each result recorded as it comes; IngestIncomplete if some
    could not be processed after every retry."""
    settings, package, checks = run.settings, run.package, run.policies.checks
    count = run.journal.pending_totals()[0]
    setup = WorkerSetup(
        tuple(settings.location(n) for n in settings.replication),
        urn(package.aip_id),
        run.signatures,
        personal_data_kinds=checks.sensitive_kinds if checks.scan_sensitive else (),
        personal_data_max_bytes=checks.sensitive_max_bytes,
        resuming=run.resuming,
        file_time_limit=settings.executor_file_time_limit,
        file_retries=settings.executor_file_retries,
        extra_digests=run.extra_digests,
    )
    journal = package.journal
    executor = executor_for(settings, settings.workers if count >= SMALL_TRANSFER else 1)
    try:
        for done, result in enumerate(executor.run(setup, journal.pending()), start=1):
            journal.record(result)
            if not result.error:
                run.timings.add_file(result.format, result.size, result.seconds)
            run.progress.advance(result.size)
            if done % 500 == 0:
                journal.commit()
            crash_point("recorded", done)
    finally:
        journal.commit()  # what was done stays done, however the run ends
    _stop_if_files_failed(journal, run.given)


def _stop_if_files_failed(journal: Journal, given: Path) -> None:
    """IngestIncomplete, before anything is packaged, if some files could not be processed after every retry."""
    journal.commit()
    failures = journal.failures()
    if failures:
        raise IngestIncomplete(
            f"{given}: {len(failures)} file(s) could not be processed; the other files are stored and kept",
            hint="`preserve ingest status` shows each error and traceback. Run the same ingest again (or "
            "`preserve ingest --resume TRANSFER`) to try those files again and finish the AIP.",
            details=[Problem(f.relative, f.error, found=f"{f.attempts} attempt(s)") for f in failures],
        )


def _apply_invalid_file_policy(policy: FormatPolicy, journal: Journal) -> None:
    """Refuse the transfer if the format policy says an invalid file of its format must not go in."""
    refused = [
        (path, puid, message) for path, puid, message in journal.invalid_files() if policy.on_invalid(puid) == "reject"
    ]
    if refused:
        raise TransferError(
            f"{len(refused)} file(s) failed validation and the format policy refuses invalid files of their format",
            hint="Repair or replace the files, or change `invalid` in the format policy; nothing has been stored.",
            details=[Problem(path, f"invalid {puid or 'file'}", found=message) for path, puid, message in refused],
        )


def _register(
    settings: Settings,
    database: Database,
    package: Package,
    transfer_id: str,
    mets_sha512: str,
    duplicates: list[Duplicate],
    copies_pending: bool = False,
) -> None:
    """Everything about the new AIP, in one transaction: only now does it become visible."""
    journal, records = package.journal, package.records
    count, size = journal.totals()
    registered = timestamp()
    aip = Aip(
        id=package.aip_id,
        title=package.title,
        slug=slugify(package.title),
        transfer_id=transfer_id,
        ocfl_id=urn(package.aip_id),
        head_version="v1",
        file_count=count,
        total_bytes=size,
        mets_path=package.mets_path,
        mets_sha512=mets_sha512,
        created_at=package.created,
        copies=COPIES_PENDING if copies_pending else "",
        counts=FileCounts.of_roles(journal.role_totals(), journal.stored_totals()),
    )

    def events() -> Iterator[Event]:
        yield records.start_event(package.created)
        yield from package.aip_events
        for item in journal.files():
            yield from records.file_events(item)
        yield from copies
        yield end

    files = (records.file_record(item) for item in journal.files())
    replicas = [
        Replica(package.aip_id, name, "v1", object_root(aip.ocfl_id), "ok", registered, registered)
        for name in settings.replication
    ]
    end = records.end_event(registered, aip.ocfl_id, count, size, len(duplicates))
    copies = [
        records.replication_event(registered, name, obj.storage.describe())
        for name, obj in zip(settings.replication, package.objects, strict=True)
    ]
    stores = {name: obj.storage for name, obj in zip(settings.replication, package.objects, strict=True)}
    raise_failed(
        write_event_log_everywhere(
            stores,
            package.aip_id,
            [*copies, end],  # after the METS was
            list(records.agents.values()),
        )
    )  # written: they go to the event log
    with database.session() as session:
        catalogue.sync_locations(session, ((loc.name, loc.backend, loc.purpose) for loc in settings.locations))
        catalogue.register_aip(
            session, aip, files, events(), records.agents.values(), replicas, package.descriptions, package.rights
        )


def _seconds_since(iso: str) -> float:
    return round((utc_now() - datetime.fromisoformat(iso)).total_seconds(), 3)

"""Normalisation at ingest: derivatives made per the format policy, checked, and added to the AIP.

After the originals are stored and identified, each file whose format the policy normalises gets
a preservation copy (and, when the policy makes access copies at ingest, an access copy), made in
staging by the converter for the target. An output must exist, be non-empty, and be identified as
the target format; it then goes through the same per-file work as an original (stored, digested,
identified, validated) under ``data/derivatives/<role>/``, related to its source. A conversion
that fails leaves the original as it is, is recorded on the source file, and stops the transfer
only if the policy says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formats.converters import Job, convert_checked, registry
from formats.identify import Identifier
from ingest.journal import Journal, JournalFile
from ingest.timings import Timings
from policies.formats import KEEP, NONE, ORIGINAL, FormatPolicy
from preservation.errors import Problem, TransferError
from preservation.identifiers import file_uuid, timestamp

DERIVATIVES = "data/derivatives"


@dataclass(frozen=True)
class Planned:
    """One derivative to make."""

    item: JournalFile
    role: str  # preservation or access
    target: str


def plan(journal: Journal, policy: FormatPolicy) -> list[Planned]:
    """The derivatives the policy asks for, for every original of the transfer."""
    wanted = []
    done = journal.derivative_roles()  # made (or failed) before an interruption: never twice
    for item in journal.files():
        if item.role != "original":
            continue
        rule = policy.rule_for(item.format.puid)
        if rule.preservation != KEEP and (item.file_id, "preservation") not in done:
            wanted.append(Planned(item, "preservation", rule.preservation))
        if (
            policy.access_copies == "ingest"
            and rule.access not in (ORIGINAL, NONE)
            and (item.file_id, "access") not in done
        ):
            wanted.append(Planned(item, "access", rule.access))
    return wanted


def normalise(
    journal: Journal,
    policy: FormatPolicy,
    staging: Path,
    aip_id: str,
    signatures: Path | None = None,
    timings: Timings | None = None,
) -> tuple[int, int]:
    """Make the planned derivatives and add them to the journal; return (made, failed)."""
    wanted = plan(journal, policy)
    if not wanted:
        return 0, 0
    converters = registry()
    jobs = {}
    for planned in wanted:
        relative = planned.item.logical.removeprefix("data/objects/")
        extension = converters[planned.target].targets[planned.target]
        output = staging / "derivatives" / planned.role / f"{relative}.{extension}"
        jobs[id(planned)] = Job(Path(planned.item.source), planned.target, output, planned.item.format.mime_type)
    by_job = {id(jobs[id(planned)]): planned for planned in wanted}
    made = failed = 0
    problems = []
    for done in convert_checked(jobs.values(), Identifier(signatures)):
        job, planned, when = done.job, by_job[id(done.job)], timestamp()
        if timings is not None:
            timings.add_conversions(job.target, 1, done.seconds)
        if done.message:
            failed += 1
            journal.add_conversion_problem(planned.item.idx, (planned.role, job.target, done.tool, done.message, when))
            problems.append(
                Problem(planned.item.relative, f"no {planned.role} copy as {job.target}", found=done.message)
            )
            continue
        logical = f"{DERIVATIVES}/{planned.role}/{job.output.relative_to(staging / 'derivatives' / planned.role)}"
        journal.add_derivative(
            planned.item,
            job.output,
            logical,
            file_uuid(aip_id, logical),
            planned.role,
            f"{done.tool}|{job.target}",
            when,
        )
        made += 1
    if problems and policy.on_failure == "stop":
        raise TransferError(
            f"{len(problems)} conversion(s) failed and the format policy stops the transfer",
            hint='Fix or remove the files, or set on_failure = "continue" in the format policy; '
            "nothing has been stored.",
            details=problems,
        )
    return made, failed

"""Checks a transfer passes before anything of it is stored: virus checking (and, per file, personal data)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ingest.journal import Journal
from ingest.premis_records import TransferRecords
from ingest.virus import INFECTED, NOT_SCANNED, ScannerUnavailable, find_scanner
from policies.checks import ChecksPolicy
from preservation.config import Settings
from preservation.errors import Problem, TransferError
from preservation.identifiers import event_uuid, timestamp
from preservation.model import FAILURE, VIRUS_CHECK, WARNING, Event


@dataclass
class VirusOutcome:
    """What the virus check of a transfer found and did."""

    performed: bool
    scanner: str = ""
    reason: str = ""  # why no check was made
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (relative path, signature)
    not_scanned: int = 0


def check_viruses(
    settings: Settings, journal: Journal, records: TransferRecords, policy: ChecksPolicy, quarantine: Path
) -> tuple[VirusOutcome, list[Event]]:
    """Scan every file of the transfer; stop, quarantine or record per policy. Returns AIP-level events."""
    try:
        scanner = find_scanner(settings)
    except ScannerUnavailable as exc:
        if policy.on_no_scanner == "stop":
            raise TransferError(
                f"no virus check can be made: {exc}",
                hint="Install ClamAV and its signatures (freshclam), configure [virus] in "
                'preserve.toml, or set on_no_scanner = "continue" in policies/checks.toml.',
            ) from None
        event = Event(
            event_uuid(records.transfer_id, records.aip_id, VIRUS_CHECK),
            records.aip_id,
            VIRUS_CHECK,
            timestamp(),
            WARNING,
            "program=preserve",
            f"virus check not performed: {exc}",
            "",
            records.ingest_agents(),
        )
        return VirusOutcome(False, reason=str(exc)), [event]
    files = list(journal.sources())
    when = timestamp()
    results = scanner.scan([Path(source) for _, source, _ in files])
    verdicts = [(idx, relative, results[Path(source)]) for idx, source, relative in files]
    records.agents["virus"] = records.tool_agent(scanner.label)
    infected = [(idx, relative, r.detail) for idx, relative, r in verdicts if r.status == INFECTED]
    unscanned = [(relative, r.detail) for _, relative, r in verdicts if r.status == NOT_SCANNED]
    outcome = VirusOutcome(True, scanner.label, not_scanned=len(unscanned))
    if infected and policy.on_infected == "stop":
        raise TransferError(
            f"{len(infected)} infected file(s): the transfer is refused and nothing has been stored",
            hint='Clean or remove the files, then ingest again (or set on_infected = "quarantine").',
            details=[Problem(relative, "infected", found=name) for _, relative, name in infected],
        )
    if unscanned and policy.on_not_scanned == "stop":
        raise TransferError(
            f"{len(unscanned)} file(s) could not be scanned completely; the checks policy stops the transfer",
            hint='Set on_not_scanned = "continue" in policies/checks.toml to ingest them, recorded as not scanned.',
            details=[Problem(relative, "not scanned", found=why) for relative, why in unscanned],
        )
    events = []
    if infected:
        for idx, relative, name in infected:
            source = next(s for i, s, _ in files if i == idx)
            target = quarantine / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            outcome.quarantined.append((relative, name))
        journal.remove([idx for idx, _, _ in infected])
        events.append(
            Event(
                event_uuid(records.transfer_id, records.aip_id, f"{VIRUS_CHECK}:quarantine"),
                records.aip_id,
                VIRUS_CHECK,
                when,
                FAILURE,
                f"program={records.agents['virus'].name}",
                "infected files left out of the AIP and kept in quarantine: "
                + "; ".join(f"{relative} ({name})" for relative, name in outcome.quarantined),
                "",
                (records.agents["virus"].id, *records.ingest_agents()),
            )
        )
    journal.record_virus_checks(((idx, r.status, r.detail) for idx, _, r in verdicts if r.status != INFECTED), when)
    return outcome, events

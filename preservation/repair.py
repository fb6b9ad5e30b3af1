"""Repairing a damaged copy of an AIP from a copy in another location that has just been verified.

Damaged or missing keys are re-written from the good copy (streamed; the object's root inventory,
its commit point, last); keys that do not belong to the object are moved aside into a quarantine
folder of the location, never deleted outright. The caller re-checks the copy afterwards and
only then counts it as repaired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from preservation.audit import WHOLE_COPY, CopyAudit
from preservation.errors import PreservationError
from preservation.identifiers import utc_now
from storage import Storage
from storage.ocfl import copy_keys

QUARANTINE = "extensions/preserve-quarantine"
UNEXPECTED = "unexpected file"


@dataclass
class RepairWork:
    """What a repair re-wrote and moved aside."""

    rewritten: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)


def quarantine_prefix(aip_id: str) -> str:
    """Where keys found inside an AIP's object that do not belong to it are moved (one folder per repair)."""
    return f"{QUARANTINE}/{aip_id}/{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}/"


def repair_copy(damaged: Storage, good: Storage, root: str, aip_id: str, audit: CopyAudit) -> RepairWork:
    """Re-write what ``audit`` found wrong in ``damaged`` from ``good`` (verified in this run)."""
    work = RepairWork()
    stray = sorted({bad.key for bad in audit.bad if bad.key and bad.problem.startswith(UNEXPECTED)})
    if stray:
        folder = quarantine_prefix(aip_id)
        for key in stray:
            stored = damaged.stat(f"{root}/{key}")
            with damaged.open(f"{root}/{key}") as stream:
                damaged.put(f"{folder}{root}/{key}", stream, size=stored.size, overwrite=False)
            damaged.delete(f"{root}/{key}")
            work.quarantined.append(key)
    good_keys = {o.key[len(root) + 1:]: o for o in good.list(root + "/")}
    if audit.missing or any(not bad.key and bad.path != WHOLE_COPY for bad in audit.bad):
        wanted = set(good_keys)  # nothing (or no usable inventory) is left to go by: the whole object
    else:
        wanted = {bad.key for bad in audit.bad if bad.key and not bad.problem.startswith(UNEXPECTED)}
        if "inventory.json" in wanted:
            wanted.add("inventory.json.sha512")
        wanted |= {f"{key}.sha512" for key in wanted if key.endswith("/inventory.json")}
    unknown = wanted - set(good_keys)
    if unknown:
        raise PreservationError(f"{good.describe()}: the verified copy has no {sorted(unknown)[0]} to repair from")
    copy_keys(good, damaged, root, [good_keys[key] for key in sorted(wanted)], overwrite=True)
    work.rewritten = sorted(wanted)
    return work


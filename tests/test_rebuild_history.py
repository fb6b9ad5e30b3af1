"""What a rebuild works out from event log documents and validation events, without storage or a catalogue."""

from __future__ import annotations

from preservation.model import FIXITY_CHECK, RECOVERY, REPLICATION, Event, Replica
from stewardship.rebuild import _validation
from stewardship.rebuild_history import aip_status, copy_state, fixity_checks, stored_dates

FULL = "program=preserve; full re-read; algorithms=SHA-256, SHA-512; location="
METADATA = "program=preserve; metadata only; sizes, presence and store checksums; location="


def _check(event_id: str, when: str, location: str, ok: bool, detail: str = "", metadata: bool = False) -> Event:
    return Event(
        event_id,
        "a",
        FIXITY_CHECK,
        when,
        "success" if ok else "failure",
        (METADATA if metadata else FULL) + location,
        detail or "3 files, 300 bytes match what was recorded",
    )


def _repair(event_id: str, when: str, location: str) -> Event:
    return Event(
        event_id,
        "a",
        RECOVERY,
        when,
        "success",
        f"program=preserve; copy in location {location!r} repaired from the copy in 'primary', verified",
    )


def test_a_repaired_copy_is_one_check_and_its_after_check_sets_the_verified_date():
    document = [
        _check("c1", "T2", "primary", True),
        _check("c2", "T2", "offsite", False, "a.txt: missing; b.txt: size 1, expected 2; and 3 more"),
        _repair("r1", "T2", "offsite"),
        _check("c3", "T2", "offsite", True),
    ]
    checks = fixity_checks([document, list(document)])  # the same document in two locations: counted once
    assert [(c.location, c.outcome, c.problems, c.files, c.bytes) for c in checks] == [
        ("offsite", "repaired", 5, 0, 0),
        ("primary", "ok", 0, 3, 300),
    ]
    counted = fixity_checks([[_check("c4", "T3", "offsite", False, "3 files, 299 bytes read; a.txt: size 0")]])
    assert [(c.problems, c.files, c.bytes) for c in counted] == [(1, 3, 299)]  # if failed checks say their counts
    copy = copy_state(Replica("a", "offsite", "v1", "root"), "T1", checks)
    assert (copy.status, copy.stored_at, copy.verified_at, copy.metadata_checked_at) == ("ok", "T1", "T2", "")


def test_a_copy_left_damaged_by_a_metadata_check_keeps_its_last_full_check():
    checks = fixity_checks(
        [[_check("c1", "T2", "offsite", True)], [_check("c2", "T3", "offsite", False, "a.txt: missing", metadata=True)]]
    )
    copy = copy_state(Replica("a", "offsite", "v1", "root"), "T1", checks)
    assert (copy.status, copy.verified_at, copy.metadata_checked_at) == ("damaged", "T2", "T3")
    assert checks[-1].outcome == "damaged" and aip_status([copy]) == "damaged"


def test_the_stored_date_is_the_first_replication_to_that_location():
    events = [
        Event(
            "e2",
            "a",
            REPLICATION,
            "T5",
            "success",
            "program=preserve; copy of every version from location 'primary' to location \"it's here\"",
        ),
        Event("e1", "a", REPLICATION, "T1", "success", "program=preserve; copy v1 to location 'primary'"),
        Event("e3", "a", REPLICATION, "T9", "success", "program=preserve; copy v2 to location 'primary'"),
    ]
    assert stored_dates(events) == {"primary": "T1", "it's here": "T5"}


def test_validation_messages_and_the_order_of_characteristics_come_back():
    event = Event(
        "v",
        "a",
        "validation",
        "T",
        "warning",
        "program=Pillow 13; ExifTool 12; checks for image",
        "valid with warnings; ExifTool: odd tag; second note; creating application: Scan 2, width: 40",
    )
    found = _validation(event, (("width", "40"), ("creating application", "Scan 2")))
    assert (found.status, found.tool, found.family) == ("valid with warnings", "Pillow 13; ExifTool 12", "image")
    assert found.messages == ("ExifTool: odd tag", "second note")
    assert found.characteristics == (("creating application", "Scan 2"), ("width", "40"))
    bare = _validation(
        Event("v", "a", "validation", "T", "success", "program=preserve; checks for this format", "valid"), ()
    )
    assert (bare.status, bare.tool, bare.family, bare.messages) == ("valid", "", "", ())

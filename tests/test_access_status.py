"""Who may see what: the closure policy, archivists' decisions, and the hierarchy they apply down."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.access_status import Level, effective
from policies.closure import load_closure_policy
from preservation.model import Access, Unit

pytestmark = pytest.mark.both_catalogues

POLICY = load_closure_policy(Path("/nonexistent"))  # the shipped policy: personal data closed 100 years
TODAY = "2026-11-26"
DEFAULT = POLICY.default()


def _unit(target: str, reference: str, date_end: str = "", kind: str = "") -> Unit:
    return Unit(f"id-{reference}", "aip", target, reference, date_end=date_end, closure_kind=kind)


def _effective(*levels: Level) -> Access:
    return effective(list(levels), POLICY.evaluate, DEFAULT, TODAY)


def test_personal_data_is_closed_for_100_years_from_1_january_after_the_last_date():
    item = Level(_unit("a.pdf", "R/1/1", "1995-04-30", "personal-data"), None)
    assert _effective(item) == Access(
        "closed", "2096-01-01", "Personal data about living people: 100 years from 1 January 1996"
    )
    undated = Level(_unit("b.pdf", "R/1/2", kind="personal-data"), None)
    series = Level(_unit("", "R/1", "1999-12-31"), None)
    assert _effective(undated, series).closed_until == "2100-01-01"  # the nearest date above counts
    assert _effective(undated) == Access(
        "closed", "", "Personal data about living people: no date to count 100 years from, so closed until reviewed"
    )


def test_a_closure_whose_date_has_come_is_open():
    old = Level(_unit("a.pdf", "R/1/1", "1900-06-01", "personal-data"), None)
    assert _effective(old).status == "open" and "closure ended 2001-01-01" in _effective(old).reason


def test_the_first_decision_outwards_stands_below_it_except_for_what_is_more_specific():
    item = Level(_unit("s/a.pdf", "R/1/1", "1995", "personal-data"), None)
    plain = Level(None, None)
    opened_series = Level(_unit("s", "R/1"), Access("open", "", "FOI review"))
    restricted_collection = Level(_unit("", "R"), Access("restricted", "", "depositor"))
    assert _effective(item, opened_series, restricted_collection).status == "closed"  # the item's own rule
    assert _effective(plain, opened_series, restricted_collection) == Access("open", "", "FOI review")
    assert _effective(plain, Level(None, None), restricted_collection).status == "restricted"
    reviewed = Level(None, Access("open", "", "reviewed"), ("pending-review",))
    assert _effective(reviewed, restricted_collection).status == "open"  # a decision on the file itself
    flagged = Level(None, None, ("pending-review",))
    assert _effective(flagged) == Access("restricted", "", "Awaiting review for personal data")


def test_the_strictest_wins_when_no_decision_is_met():
    longer = Level(_unit("a", "R/2", "2010", "personal-data"), None)
    shorter = Level(_unit("", "R", "1990", "personal-data"), None)
    assert _effective(longer, shorter).closed_until == "2111-01-01"
    assert _effective(Level(None, None, ("pending-review",)), shorter).status == "closed"


ARCHIVAL = (
    "filename,reference,level,parent,dc.title,dc.date,closure\n"
    "objects,DRO/52,collection,,Parish records,1890/1950,\n"
    "objects/documents/,DRO/52/1,series,DRO/52,Vestry papers,1990/1999,\n"
    "objects/documents/minutes.txt,DRO/52/1/3,item,DRO/52/1,Vestry minutes,1995-04,personal-data\n"
)


def _transfer(tmp_path: Path, name: str, csv_text: str) -> Path:
    transfer = tmp_path / name
    (transfer / "objects" / "documents").mkdir(parents=True)
    (transfer / "metadata").mkdir()
    (transfer / "objects" / "documents" / "minutes.txt").write_text("Vestry minutes")
    (transfer / "objects" / "documents" / "letter.txt").write_text("A letter")
    (transfer / "objects" / "plan.txt").write_text("A plan")
    (transfer / "metadata" / "metadata.csv").write_text(csv_text)
    return transfer


def _files(preserve, reference: str, *path: str) -> dict[str, tuple[str, str]]:
    shown = preserve.json("access", "show", reference, *(("--path", path[0]) if path else ()))
    return {f["path"]: (f["access"]["status"], f["access"]["closed_until"]) for f in shown["files"]}


def test_access_is_worked_out_at_ingest_changed_by_decisions_and_kept_by_a_rebuild(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    assert _files(preserve, "DRO/52") == {
        "objects/documents/letter.txt": ("open", ""),
        "objects/documents/minutes.txt": ("closed", "2096-01-01"),
        "objects/plan.txt": ("open", ""),
    }

    preserve("access", "set", "DRO/52/1/3", "--open", "--reason", "FOI review: released after redaction")
    preserve("access", "set", "DRO/52", "--restricted", "--reason", "The depositor asked")
    preserve(
        "access",
        "set",
        aip_id[:8],
        "--path",
        "objects/plan.txt",
        "--closed-until",
        "2040-01-01",
        "--reason",
        "Conservation",
    )
    expected = {
        "objects/documents/letter.txt": ("restricted", ""),
        "objects/documents/minutes.txt": ("open", ""),
        "objects/plan.txt": ("closed", "2040-01-01"),
    }
    assert _files(preserve, "DRO/52") == expected
    events = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "policy assignment"]
    assert len(events) == 3 and {e["outcome_detail"] for e in events} >= {"The depositor asked"}

    preserve.lose_catalogue()
    preserve("catalogue", "rebuild")
    assert _files(preserve, "DRO/52") == expected  # the decisions came back from the event logs
    shown = preserve.json("access", "show", "DRO/52")
    assert shown["decision"]["status"] == "restricted" and shown["aip_access"]["status"] == "restricted"


def test_a_decision_on_a_collection_reaches_accessions_described_below_it(preserve, tmp_path):
    preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))
    later = "filename,reference,level,parent,dc.title\nobjects,DRO/52/2,series,DRO/52,Churchwardens' accounts\n"
    second = preserve.json("ingest", str(_transfer(tmp_path, "b", later)))["aip_id"]
    assert {status for status, _ in _files(preserve, second).values()} == {"open"}
    preserve("access", "set", "DRO/52", "--closed", "--reason", "Under review after a complaint")
    assert {status for status, _ in _files(preserve, second).values()} == {"closed"}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["DRO/52", "--reason", "x"], 2, "give exactly one of"),
        (["DRO/52", "--open", "--restricted", "--reason", "x"], 2, "give exactly one of"),
        (["DRO/52", "--closed-until", "2001-01-01", "--reason", "x"], 2, "is not in the future"),
        (["DRO/99", "--open", "--reason", "x"], 13, "no unit of description has this reference code"),
        (["DRO/52", "--open"], 2, "Missing option '--reason'"),
    ],
)
def test_bad_access_decisions_are_refused(preserve, tmp_path, args, code, message):
    preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))
    assert message in preserve("access", "set", *args, expect=code).stderr


def test_a_path_must_be_in_the_aip(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    result = preserve("access", "set", aip_id, "--path", "objects/nowhere.txt", "--open", "--reason", "x", expect=13)
    assert "no such file or folder" in result.stderr


def test_a_path_is_taken_in_every_form_aip_show_and_the_docs_use(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    [shown] = [f["path"] for f in preserve.json("aip", "show", aip_id)["files"] if f["role"] == "original"][:1]
    assert shown.startswith("data/objects/")
    for given in (shown, shown.removeprefix("data/"), shown.removeprefix("data/objects/")):
        decided = preserve.json("access", "set", aip_id, "--path", given, "--restricted", "--reason", "x")
        assert decided["target"] == shown.removeprefix("data/objects/"), given


def test_a_short_aip_prefix_is_explained(preserve, tmp_path):
    aip_id = preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))["aip_id"]
    result = preserve("aip", "show", aip_id[:3], expect=13)
    assert "is too short to name an AIP" in result.stderr and "no AIP" not in result.stderr  # it exists
    assert "Give at least 4 characters of the id" in result.stderr
    assert preserve.json("aip", "show", aip_id[:4])["aip"]["id"] == aip_id
    decided = preserve("access", "set", aip_id[:3], "--path", "minutes", "--open", "--reason", "x", expect=13)
    assert "at least its first 4 characters" in decided.stderr


def test_access_refresh_works_everything_out_again(preserve, tmp_path):
    preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))
    from sqlalchemy import text

    from cli.context import AppContext

    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    with database.session() as session:  # as if the index were a day behind
        session.execute(text("UPDATE files SET access = 'open', closed_until = ''"))
    assert set(_files(preserve, "DRO/52").values()) == {("open", "")}
    assert preserve.json("access", "refresh")["files"] == 4  # three records and the transfer's metadata.csv
    assert _files(preserve, "DRO/52")["objects/documents/minutes.txt"] == ("closed", "2096-01-01")


def test_the_scheduler_refreshes_access_daily(preserve, tmp_path):
    from cli.context import AppContext
    from cli.scheduler import make_celery, refresh_access_task

    preserve.json("ingest", str(_transfer(tmp_path, "a", ARCHIVAL)))
    config = preserve.home / "preserve.toml"
    config.write_text(config.read_text().replace("[executor]\n", '[executor]\nbroker = "redis://127.0.0.1:1/0"\n', 1))
    celery = make_celery(AppContext(home=preserve.home, config=config))
    entry = celery.conf.beat_schedule["access refresh"]
    assert entry["task"] == "preserve.refresh_access" and "preserve.refresh_access" in celery.tasks
    assert refresh_access_task(*entry["args"]) == 4  # what the beat runs, run here (3 records, metadata.csv)


def test_a_derivative_is_never_more_open_than_its_source(preserve, tmp_path):
    from PIL import Image

    from tests.test_normalisation import _shipped_policy

    _shipped_policy(preserve)  # bitmaps get a TIFF preservation copy
    transfer = _transfer(tmp_path, "a", ARCHIVAL.replace("objects/documents/minutes.txt", "objects/documents/plan.bmp"))
    (transfer / "objects" / "documents" / "minutes.txt").unlink()
    Image.new("RGB", (40, 30), "olive").save(transfer / "objects" / "documents" / "plan.bmp")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    files = _files(preserve, aip_id)
    derivative = next(path for path in files if path.endswith("plan.bmp.tif"))
    assert files["objects/documents/plan.bmp"] == ("closed", "2096-01-01")
    assert files[derivative] == files["objects/documents/plan.bmp"]
    preserve("access", "set", "DRO/52/1/3", "--open", "--reason", "Reviewed")
    assert _files(preserve, aip_id)[derivative] == ("open", "")


def test_copies_made_later_by_migrate_take_their_sources_access(preserve, tmp_path):
    from PIL import Image

    from tests.test_normalisation import _shipped_policy

    transfer = _transfer(tmp_path, "a", ARCHIVAL.replace("objects/documents/minutes.txt", "objects/documents/plan.bmp"))
    (transfer / "objects" / "documents" / "minutes.txt").unlink()
    Image.new("RGB", (40, 30), "olive").save(transfer / "objects" / "documents" / "plan.bmp")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]  # under a keep-only policy: no copies yet
    _shipped_policy(preserve)
    puid = next(
        f["format"]["puid"] for f in preserve.json("aip", "show", aip_id)["files"] if f["path"].endswith("plan.bmp")
    )
    assert preserve.json("migrate", "--puid", puid)["aips"][0]["outcome"] == "migrated"
    files = _files(preserve, aip_id)
    derivative = next(path for path in files if path.endswith("plan.bmp.tif"))
    assert files[derivative] == files["objects/documents/plan.bmp"] == ("closed", "2096-01-01")

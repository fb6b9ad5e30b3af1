"""The command line: init and upgrade, the embedded default archive, errors, exit codes, --debug."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from catalogue import Database
from cli.main import cli
from preservation.errors import CatalogueError, ConfigError, NotFound
from tests.transfer_fixtures import described_transfer


def test_init_writes_config_policies_catalogue_and_storage(home):
    result = CliRunner().invoke(cli, ["init", str(home), "--name", "Kernow Archives", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["config_written"] is True and report["schema"]["before"] is None
    assert 'name = "Kernow Archives"' in (home / "preserve.toml").read_text()
    assert sorted(p.name for p in (home / "policies").iterdir()) == [
        "checks.toml",
        "closure.toml",
        "fixity.toml",
        "formats.toml",
    ]
    assert (home / "catalogue.db").is_file()
    assert (home / "storage" / "primary" / "0=ocfl_1.1").read_text() == "ocfl_1.1\n"

    (home / "policies" / "formats.toml").write_text("# changed by the archive\nversion = 2\n")
    again = CliRunner().invoke(cli, ["init", str(home), "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["config_written"] is False
    assert "changed by the archive" in (home / "policies" / "formats.toml").read_text(), "init keeps local edits"


def test_embedded_default_archive_is_created_on_first_use(tmp_path, monkeypatch, collection):
    monkeypatch.setenv("PRESERVE_HOME", str(tmp_path / "embedded"))
    monkeypatch.delenv("PRESERVE_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["ingest", str(collection), "--json"])
    assert result.exit_code == 0, result.output
    assert "Creating the archive at" in result.stderr and "(named by PRESERVE_HOME)" in result.stderr
    listed = CliRunner().invoke(cli, ["aip", "list", "--json"])
    assert [a["id"] for a in json.loads(listed.stdout)] == [json.loads(result.stdout)["aip_id"]]


def test_commands_refuse_an_out_of_date_catalogue(preserve):
    database = Database(f"sqlite:///{preserve.home}/catalogue.db")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0000old'")
    database.dispose()
    result = preserve("aip", "list", expect=CatalogueError.exit_code)
    assert "schema is at revision 0000old" in result.stderr
    assert "Hint: Back up the catalogue, then run `preserve upgrade`." in result.stderr


def test_unknown_aip_gives_hint_and_exit_code(preserve):
    result = preserve("aip", "show", "deadbeef", expect=NotFound.exit_code)
    assert result.stderr.startswith("Error: no AIP 'deadbeef' in the catalogue")
    assert "preserve aip list" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(preserve):
    result = preserve("--debug", "aip", "show", "deadbeef", expect=NotFound.exit_code)
    assert "Traceback" in result.stderr


def test_bad_configuration_is_reported(home):
    (home / "preserve.toml").write_text("[archive]\nnmae = 'typo'\n")
    result = CliRunner().invoke(cli, ["--home", str(home), "aip", "list"])
    assert result.exit_code == ConfigError.exit_code
    assert (
        "unknown key 'nmae' in [archive]" in result.stderr
        and "Known keys: contact_email, country_code, name, repository_code" in result.stderr
    )


def test_export_refuses_an_existing_destination(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    target = tmp_path / "taken"
    target.write_text("something else")
    result = preserve("aip", "export", aip_id, str(target), expect=22)
    assert f"{target}: already exists" in result.stderr
    assert target.read_text() == "something else"


def test_a_second_export_to_the_same_path_is_refused_not_put_inside_the_first(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    bag = tmp_path / "bag"
    assert Path(preserve.json("aip", "export", aip_id, str(bag))["bag"]) == bag
    before = sorted(p.relative_to(bag) for p in bag.rglob("*"))
    again = preserve("aip", "export", aip_id, str(bag), expect=22)
    assert f"{bag}: is a folder that is not empty (a bag: an earlier export?)" in again.stderr
    assert "--into" not in again.stderr  # a bag inside a bag would make the first one invalid
    inside_a_bag = preserve("aip", "export", aip_id, str(bag), "--into", expect=22)
    assert "is a bag itself" in inside_a_bag.stderr
    assert sorted(p.relative_to(bag) for p in bag.rglob("*")) == before  # the first bag untouched
    exports = tmp_path / "exports"
    (exports / "earlier").mkdir(parents=True)
    refused = preserve("aip", "export", aip_id, str(exports), expect=22)
    assert "--into" in refused.stderr  # a folder of other things: --into is the way
    inside = Path(preserve.json("aip", "export", aip_id, str(exports), "--into", "--version", "v1")["bag"])
    assert inside.parent == exports  # asked for: inside it
    refused = preserve("aip", "export", aip_id, str(tmp_path / "no-such"), "--into", expect=22)
    assert "no such folder" in refused.stderr
    missing = preserve("aip", "export", aip_id, str(tmp_path / "v9"), "--version", "v9", expect=13)
    assert f"AIP {aip_id} has no version v9" in missing.stderr and "v1 to v1" in missing.stderr
    mismatched = preserve("aip", "export", aip_id, str(tmp_path / "x.zip"), "--as", "tar", expect=22)
    assert "ends in .zip, but the bag is written as tar" in mismatched.stderr


def test_a_packed_export_gets_its_extension_and_bag_validate_takes_it(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    for kind in ("zip", "tar"):
        packed = Path(preserve.json("aip", "export", aip_id, str(tmp_path / f"parish-{kind}"), "--as", kind)["bag"])
        assert packed == tmp_path / f"parish-{kind}.{kind}" and packed.is_file()
        checked = preserve.json("bag", "validate", str(packed))  # as docs/aip.md says anyone can
        assert checked["valid"] is True and checked["bag"] == str(packed)
    kept = Path(preserve.json("aip", "export", aip_id, str(tmp_path / "named.zip"), "--as", "zip")["bag"])
    assert kept.name == "named.zip"  # an extension given is not doubled
    import zipfile

    altered = tmp_path / "altered.zip"  # the same bag with one payload file changed after it was bagged
    with zipfile.ZipFile(kept) as source, zipfile.ZipFile(altered, "w") as out:
        for member in source.infolist():
            data = source.read(member)
            out.writestr(member, b"altered" if member.filename.endswith("vestry-minutes-1923.pdf") else data)
    result = preserve("bag", "validate", str(altered), "--json", expect=1)
    assert any("vestry-minutes-1923.pdf" in error for error in json.loads(result.stdout)["errors"])


def test_export_skips_a_damaged_copy_and_says_why(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    stored = next((preserve.home / "storage").rglob("vestry-minutes-1923.pdf"))
    stored.write_bytes(b"damaged")
    result = preserve("aip", "export", aip_id, str(tmp_path / "bag"), expect=22)
    assert "could not be exported from any location" in result.stderr
    assert "does not match the inventory's SHA-512" in result.stderr
    assert not (tmp_path / "bag").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_help_is_written_for_archivists():
    result = CliRunner().invoke(cli, ["--help"])
    assert "preserve ingest FOLDER" in result.stdout
    for command in ("init", "upgrade", "ingest", "aip", "audit", "search", "demo"):
        assert command in result.stdout
    ingest_help = CliRunner().invoke(cli, ["ingest", "--help"]).stdout
    assert "--title" in ingest_help and "--json" in ingest_help


def test_progress_bar_counts_files_and_bytes():
    from cli.ingest import BarProgress

    with BarProgress() as progress:
        progress.start(files=2, size=10)
        progress.advance(4)
        progress.stage("Writing METS")
        progress.advance(6)
        task = progress.bar.tasks[0]
    assert (task.completed, task.total, task.fields["done"], task.fields["count"]) == (10, 10, 2, 2)


def test_archivist_is_recorded_as_the_person_agent(preserve, collection, monkeypatch):
    monkeypatch.setenv("PRESERVE_ARCHIVIST", "Jane Penrose")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    agents = preserve.json("aip", "show", aip_id)["agents"]
    assert [a["name"] for a in agents if a["type"] == "person"] == ["Jane Penrose"]
    second = preserve.json("ingest", str(collection), "--archivist", "A. N. Other")["aip_id"]
    agents = preserve.json("aip", "show", second)["agents"]
    assert [a["name"] for a in agents if a["type"] == "person"] == ["A. N. Other"]


def test_export_as_tar_and_zip(preserve, collection, tmp_path):
    import tarfile
    import zipfile

    from preservation.bag_validation import validate_bag

    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    out = tmp_path / "out"
    out.mkdir()
    for kind, opener in (("tar", tarfile.open), ("zip", zipfile.ZipFile)):
        packed = Path(preserve.json("aip", "export", aip_id, str(out), "--as", kind, "--into")["bag"])
        assert packed.name.endswith(f"{aip_id}.{kind}")
        unpacked = tmp_path / f"unpacked-{kind}"
        with opener(packed) as archive:
            archive.extractall(unpacked)
        bag = unpacked / packed.name.removesuffix(f".{kind}")
        assert validate_bag(bag).valid
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_every_command_is_registered_by_the_module_main_names_for_it():
    """cli.main loads a command's module only when it runs: each name must lead to its module, and each module
    must register no command main does not know (else --help would not list it)."""
    import importlib

    import click

    from cli.main import COMMANDS

    for name, module in COMMANDS.items():
        group = click.Group()
        importlib.import_module(f"cli.{module}").register(group)
        assert name in group.commands, f"cli.{module} does not register {name!r}"
        assert set(group.commands) <= set(COMMANDS), f"cli.{module} registers commands main does not list"


def test_a_new_default_archive_is_announced_loudly(tmp_path, monkeypatch):
    monkeypatch.delenv("PRESERVE_HOME", raising=False)
    monkeypatch.delenv("PRESERVE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the default place, inside this test's folder
    result = CliRunner().invoke(cli, ["aip", "list"])
    assert result.exit_code == 0, result.output
    assert "Note: no archive was named (--home or PRESERVE_HOME)" in result.stderr
    assert str(tmp_path / "data" / "preserve") in result.stderr and "export PRESERVE_HOME=" in result.stderr
    again = CliRunner().invoke(cli, ["aip", "list"])
    assert "Note:" not in again.stderr  # said once, when it is made
    where = CliRunner().invoke(cli, ["where", "--json"])
    found = json.loads(where.stdout)
    assert found["chosen_by"] == "the default" and found["home"] == str(tmp_path / "data" / "preserve")
    assert "schema" in found["catalogue"] and found["locations"][0]["name"] == "primary"


def test_where_says_which_archive_and_why(tmp_path, monkeypatch):
    monkeypatch.delenv("PRESERVE_CONFIG", raising=False)
    home = tmp_path / "county-archive"
    made = CliRunner().invoke(cli, ["init", str(home)])
    assert f"export PRESERVE_HOME={home}" in made.stdout  # init says how to point the shell at it
    monkeypatch.setenv("PRESERVE_HOME", str(home))
    shown = CliRunner().invoke(cli, ["where"])
    assert shown.exit_code == 0
    assert f"Archive home: {home} (chosen by PRESERVE_HOME)" in shown.stdout
    assert (
        f"Configuration: {home / 'preserve.toml'}" in shown.stdout and "Storage location primary: local" in shown.stdout
    )
    elsewhere = CliRunner().invoke(cli, ["--home", str(tmp_path / "nowhere"), "where"])
    assert "(chosen by --home)" in elsewhere.stdout and "does not exist yet" in elsewhere.stdout
    assert not (tmp_path / "nowhere").exists()  # where creates nothing


def test_aip_show_sums_up_and_lists_files_only_when_asked(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip_id)
    summary = preserve("aip", "show", aip_id[:8]).stdout
    for heading in ("Files", "Formats", "Folders", "Validation", "Events", "Stored copies"):
        assert heading in summary, heading
    assert "--files" in summary  # says how to see the files
    originals = [f for f in shown["files"] if f["role"] == "original"]
    assert not any(f["sha256"] in summary for f in shown["files"])  # no file rows without --files
    [role_row] = [line for line in summary.splitlines() if line.strip("│ ").startswith("original ")]
    assert str(len(originals)) in role_row.split()  # the originals counted in the role table
    listed = preserve("aip", "show", aip_id, "--files").stdout
    assert all(f["sha256"] in listed for f in shown["files"])
    photographs = [f["path"] for f in shown["files"] if f["path"].startswith("data/objects/photographs/")]
    for given in ("objects/photographs", "data/objects/photographs/", "photographs"):  # as access set takes them
        paged = preserve.json("aip", "show", aip_id, "--path", given)["files"]
        assert [f["path"] for f in paged] == photographs, given
    nothing = preserve("aip", "show", aip_id, "--files", "--path", "photgraphs", expect=13)
    assert "no file under data/objects/photgraphs" in nothing.stderr and "Folders" in nothing.stderr
    assert len(preserve.json("aip", "show", aip_id, "--limit", "2")["files"]) == 2
    assert len(preserve.json("aip", "show", aip_id)["files"]) == len(shown["files"])  # JSON: every file by default
    events = preserve("aip", "show", aip_id, "--events").stdout
    assert "ingestion" in events and "message digest calculation" in events


def test_every_option_of_search_is_described():
    shown = CliRunner().invoke(cli, ["search", "--help"]).output
    assert "Which page of results." in shown and "Results on a page (at most 100)." in shown


def test_a_progress_bar_never_goes_past_its_total():
    from rich.progress import Progress

    from cli.output import advance_within

    with Progress(disable=True) as progress:
        task = progress.add_task("Auditing", total=170)
        for _ in range(9):
            advance_within(progress, task, 25)  # 226 read of a foreseen 170, as an audit reads METS and versions
        [shown] = progress.tasks
        assert shown.completed == 225 and shown.total == 225 and shown.percentage == 100


def test_aip_show_files_prints_only_the_descriptions_of_what_was_asked_for(preserve, collection, tmp_path):
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        "filename,dc.title\nobjects,The parish\nobjects/documents/vestry-minutes-1923.pdf,Vestry minutes\n"
        "objects/photographs/harbour-1923.jpg,The harbour\n",
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    photographs = preserve("aip", "show", aip_id, "--path", "photographs").stdout  # --path alone lists files
    assert "harbour-1923.jpg" in photographs and "The harbour" in photographs and "The parish" in photographs
    assert "Vestry minutes" not in photographs and "vestry-minutes-1923.pdf" not in photographs
    everything = preserve("aip", "show", aip_id, "--files").stdout
    assert "The parish" in everything and "The harbour" not in everything  # the AIP's own only: files are many
    limited = preserve("aip", "show", aip_id, "--limit", "2").stdout
    assert "The first 2 files (--limit)" in limited


def test_a_named_archive_that_is_not_there_is_not_made_by_a_command_that_only_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESERVE_HOME", str(tmp_path / "typo"))
    monkeypatch.delenv("PRESERVE_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["aip", "list"])
    assert result.exit_code == 12 and f"no archive at {tmp_path / 'typo'} (named by PRESERVE_HOME)" in result.stderr
    assert "preserve init" in result.stderr and not (tmp_path / "typo").exists()  # nothing made


def test_a_name_with_a_backslash_is_found_as_the_depositor_wrote_it(preserve, tmp_path):
    folder = tmp_path / "transfer" / "odd names"
    folder.mkdir(parents=True)
    (folder / "back\\slash.txt").write_text("made on a Windows share")
    (folder / "plain.txt").write_text("plain")
    aip_id = preserve.json("ingest", str(tmp_path / "transfer"))["aip_id"]
    given = "odd names/back\\slash.txt"
    [found] = preserve.json("aip", "show", aip_id, "--path", given)["files"]
    assert found["path"] == "data/objects/odd names/back%5Cslash.txt"  # the stored form, by the renaming rule
    decided = preserve.json("access", "set", aip_id, "--path", given, "--restricted", "--reason", "Third parties")
    assert decided["target"] == "odd names/back%5Cslash.txt"
    assert len(preserve.json("aip", "show", aip_id, "--path", "odd names\\")["files"]) == 2  # a Windows separator

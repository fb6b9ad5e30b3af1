"""Identification of 38 real formats made by the tests, against the known answers and against FIDO's CLI."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from formats.identify import Identifier
from formats.signatures import from_droid
from tests.corpus import CORPUS, make_corpus
from tests.pronom_files import unpack_signature_files


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    return Identifier(from_droid(*unpack_signature_files(tmp_path_factory.mktemp("pronom"))))


def test_corpus_has_at_least_30_formats():
    assert len({sample.puid for sample in CORPUS}) >= 30


@pytest.mark.parametrize("sample", CORPUS, ids=lambda s: s.name)
def test_each_format_is_identified_as_it_is_known_to_be(current, corpus, sample):
    path = next(p for p, s in corpus.items() if s is sample)
    result = current.identify(path)
    assert (result.puid, result.basis) == (sample.puid, sample.basis)


def _damaged_files(corpus: dict, dest: Path) -> list[Path]:
    """Truncated, corrupted and renamed copies of the corpus, random bytes and empty files."""
    dest.mkdir(exist_ok=True)
    rng = random.Random(7)
    made = []
    for path in corpus:
        data = path.read_bytes()
        for label, damaged in (
            ("truncated", data[: max(1, len(data) // 3)]),
            ("corrupt", bytes(b ^ 0xFF if rng.random() < 0.2 else b for b in data)),
            ("renamed", data),
        ):
            target = dest / f"{label}-{path.stem}{'.bin' if label == 'renamed' else path.suffix}"
            target.write_bytes(damaged)
            made.append(target)
    for size in (0, 1, 7, 512, 70_000, 300_000):
        target = dest / f"random-{size}.dat"
        target.write_bytes(rng.randbytes(size))
        made.append(target)
    (dest / "empty.pdf").write_bytes(b"")
    made.append(dest / "empty.pdf")
    return made


def _fido_cli(paths: list[Path], tmp_path: Path) -> dict[str, tuple[set[str], str]]:
    """Run the `fido` command line over a file list; return filename -> (PUIDs, match type)."""
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    fido = Path(sys.executable).parent / "fido"
    result = subprocess.run(
        [
            str(fido),
            "-q",
            "-input",
            str(listing),
            "-matchprintf",
            "OK\t%(info.puid)s\t%(info.matchtype)s\t%(info.filename)s\n",
            "-nomatchprintf",
            "KO\t\t\t%(info.filename)s\n",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    answers: dict[str, tuple[set[str], str]] = {}
    for line in result.stdout.splitlines():
        status, puid, matchtype, filename = line.split("\t", 3)
        puids, _ = answers.get(filename, (set(), ""))
        if status == "OK":
            puids.add(puid)
        answers[filename] = (puids, matchtype)
    return answers


def test_byte_signature_answers_equal_the_fido_command_line(corpus, tmp_path):
    """With the same signatures (FIDO's), every byte-signature match must equal fido's; containers are
    checked above against what the files are known to be."""
    paths = list(corpus) + _damaged_files(corpus, tmp_path / "damaged")
    expected = _fido_cli(paths, tmp_path)
    ours = Identifier()
    compared = 0
    for path in paths:
        fido_puids, fido_type = expected[str(path)]
        match = ours.matcher.identify_file(str(path))
        if match.basis == "signature" or (fido_type == "signature" and match.basis != "container"):
            compared += 1
            assert ({f.puid for f in match.formats}, match.basis) == (fido_puids, fido_type), path
    assert compared >= 60


def test_damaged_and_hostile_files_never_crash(current, corpus, tmp_path):
    for path in _damaged_files(corpus, tmp_path / "damaged"):
        result = current.identify(path)
        assert result.basis in ("signature", "container", "text", "extension", "none"), path


def test_a_zip_bomb_member_is_read_only_as_far_as_needed(current, tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types>" + b" " * (200 * 1024 * 1024) + b"</Types>")
    assert os.path.getsize(bomb) < 1_000_000
    result = current.identify(bomb)  # must return quickly with bounded memory, whatever it decides
    assert result.basis in ("signature", "container", "extension")

"""Audio and video checked with MediaInfo; images also with ExifTool. Needs ffmpeg to make the files."""

from __future__ import annotations

import subprocess

import pytest

from formats.identify import Identifier
from formats.validation import INVALID, VALID, Validator
from tests.conftest import require_tool

CLIPS = {
    "clip.mp4": [
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=2:size=160x120:rate=10",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ],
    "clip.mkv": ["-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "ffv1"],
    "tone.mp3": ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"],
    "tone.flac": ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"],
    "tone.ogg": ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libvorbis"],
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    ffmpeg = require_tool("ffmpeg", "to make audio and video test files")
    require_tool("mediainfo", "MediaInfo validates audio and video")
    folder = tmp_path_factory.mktemp("av")
    for name, arguments in CLIPS.items():
        subprocess.run([ffmpeg, "-loglevel", "error", "-y", *arguments, str(folder / name)], check=True, timeout=120)
    return folder


@pytest.fixture(scope="module")
def checker():
    validator = Validator(timeout=30)
    yield validator
    validator.close()


def test_audio_and_video_are_valid_with_their_characteristics(clips, checker):
    identifier = Identifier()
    for name in CLIPS:
        path = clips / name
        result = checker.validate(path, identifier.identify(path))
        assert result.status == VALID and result.tool.startswith("MediaInfo"), (name, result)
        traits = dict(result.characteristics)
        assert traits["duration seconds"].startswith(("2.0", "1.9")), (name, traits)
    video = dict(checker.validate(clips / "clip.mp4", identifier.identify(clips / "clip.mp4")).characteristics)
    assert video["video"] == "AVC 160x120" and video["audio"].startswith("AAC")


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mkv", "tone.mp3"])
def test_truncated_media_is_invalid(clips, checker, tmp_path, name):
    original = clips / name
    fmt = Identifier().identify(original)
    cut = tmp_path / name
    cut.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    result = checker.validate(cut, fmt)
    assert result.status == INVALID and "truncated" in result.messages[0]


def test_exiftool_adds_its_opinion_on_images(checker, tmp_path):
    require_tool("exiftool", "ExifTool validates image metadata")
    from PIL import Image

    path = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 30), "white").save(path)
    fmt = Identifier().identify(path)
    result = checker.validate(path, fmt)
    assert result.status == VALID and "ExifTool" in result.tool


def test_aiff_on_a_python_without_aifc_is_not_checked_rather_than_a_failure(tmp_path, monkeypatch):
    """Python 3.13 removed aifc: an AIFF file is then kept with its check said not made, not a crash."""
    import sys

    from formats.validation import NOT_CHECKED, validate_wave
    from tests.corpus import _aiff

    sound = tmp_path / "sound.aiff"
    _aiff(sound)
    assert validate_wave(str(sound)).status == VALID
    monkeypatch.setitem(sys.modules, "aifc", None)  # `import aifc` raises ImportError, as on Python 3.13
    verdict = validate_wave(str(sound))
    assert verdict.status == NOT_CHECKED and "no aifc module" in verdict.messages[0]

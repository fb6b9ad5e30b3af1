"""`preserve policy show | check | explain`, and format policy files with mistakes in them."""

from __future__ import annotations

import pytest

from policies import DEFAULTS


def test_explain_says_what_happens_and_which_rule_says_so(preserve):
    (preserve.home / "policies" / "formats.toml").write_text((DEFAULTS / "formats.toml").read_text())
    result = preserve.json("policy", "explain", "fmt/412")
    assert result["format"] == "Microsoft Word for Windows 2007 onwards"
    assert (result["rule"], result["preservation"], result["access"], result["risk"]) == (
        "Word-processing documents",
        "odt",
        "pdfa",
        "medium",
    )
    line = int(result["where"].rsplit(":", 1)[1])
    assert (preserve.home / "policies" / "formats.toml").read_text().splitlines()[line - 1] == "[[format]]"
    text = preserve("policy", "explain", "fmt/412").stdout
    assert "preservation copy is made as OpenDocument Text with LibreOffice" in text
    unknown = preserve.json("policy", "explain", "fmt/99999")
    assert unknown["known"] is False and unknown["rule"] == "default"


def test_show_lists_every_policy(preserve):
    shown = preserve.json("policy", "show")
    assert set(shown) == {"formats", "fixity", "checks", "closure"}
    assert shown["checks"]["on_infected"] == "stop"
    assert "Format policy" in preserve("policy", "show").stdout


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[format]]\nname = "Word"\npuids = ["fmt/412"]\npreservaton = "odt"\n', ":7: [[format]] 1: unknown key"),
        ('[[format]]\nname = "Word"\npuids = ["fmt/412"]\npreservation = "docx"\n', ":7: format[1].preservation must"),
        ('[[format]]\npuids = ["@nothing"]\n', "no group named 'nothing'"),
        ('[[format]]\npuids = ["fmt412"]\n', "is neither a PRONOM identifier"),
        ('[[format]]\npuids = ["fmt/412"]\n[[format]]\npuids = ["fmt/412"]\n', "fmt/412 is in [[format]] 1 and 2"),
        ('[[format]]\npuids = ["fmt/412"]\nrisk = "extreme"\n', "risk must be one of"),
    ],
)
def test_a_format_policy_with_a_mistake_is_named_with_its_line(preserve, tmp_path, collection, body, message):
    candidate = tmp_path / "formats.toml"
    candidate.write_text('version = 2\n[default]\npreservation = "keep"\n' + body)
    result = preserve("policy", "check", str(candidate), expect=40)
    assert message in result.stderr and str(candidate) in result.stderr
    live = preserve.home / "policies" / "formats.toml"
    live.write_text(candidate.read_text())
    assert message in preserve("ingest", str(collection), expect=40).stderr  # refused before anything starts
    assert preserve.json("aip", "list") == [] and not any((preserve.home / "staging").iterdir())


def test_check_accepts_the_shipped_policies(preserve):
    for name in ("formats.toml", "fixity.toml", "checks.toml", "closure.toml"):
        assert "valid" in preserve("policy", "check", str(DEFAULTS / name)).stdout

"""Each setting is declared once, in the table of preservation.config, and loading follows the table."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from preservation.config import (
    LOCATION_OPTIONS,
    SETTINGS,
    LocationSettings,
    Setting,
    Settings,
    load_settings,
    render_config,
)
from preservation.errors import ConfigError

NOT_SETTINGS = {"home", "config_file", "locations"}  # where the settings come from, and the [[storage]] entries
EXAMPLES = {"executor.broker", "virus.clamd_socket", "virus.database", "access.trusted_proxies"} | {
    "mail.smtp_host",
    "mail.sender",
    "archive.country_code",
    "archive.repository_code",
    "archive.contact_email",
}  # the template shows an example for these, not the default


def _load(home: Path, text: str | None = None, env: dict[str, str] | None = None) -> Settings:
    if text is not None:
        (home / "preserve.toml").write_text(text)
    return load_settings(home, env=env or {})


def _loaded_default(spec: Setting, home: Path):
    """What the table says the setting is when preserve.toml leaves it out (one local location, 'primary')."""
    if spec.default_from:
        return ("primary",)
    return spec.convert(spec.default, _Loading(home)) if spec.convert else spec.default


@dataclasses.dataclass
class _Loading:  # what a conversion reads of the loading: the home
    home: Path


def test_every_field_is_declared_in_the_table_and_only_there():
    assert [spec.attribute for spec in SETTINGS] == [
        item.name for item in dataclasses.fields(Settings) if item.name not in NOT_SETTINGS
    ]
    assert [spec.attribute for spec in LOCATION_OPTIONS] == [item.name for item in dataclasses.fields(LocationSettings)]
    for spec in SETTINGS + LOCATION_OPTIONS:
        assert spec.kind in (str, int, float, list), spec


def test_each_setting_has_one_name_and_one_variable():
    names = [(spec.section, spec.key) for spec in SETTINGS]
    assert len(set(names)) == len(names)
    assert len({spec.key for spec in LOCATION_OPTIONS}) == len(LOCATION_OPTIONS)
    for spec in SETTINGS:
        assert spec.env == f"PRESERVE_{spec.section}_{spec.key}".upper()
        assert spec.name == f"{spec.section}.{spec.key}"
    assert len({spec.env for spec in SETTINGS}) == len(SETTINGS)
    assert all(spec.env == "" and spec.name == spec.key for spec in LOCATION_OPTIONS)  # no variables for entries


def test_the_defaults_in_the_table_are_what_an_empty_file_gives(tmp_path):
    home = tmp_path.resolve()
    settings = _load(home, "")
    for spec in SETTINGS:
        assert getattr(settings, spec.attribute) == _loaded_default(spec, home), spec.name
    [primary] = settings.locations
    for spec in LOCATION_OPTIONS:
        if spec.key not in ("name", "path"):
            assert getattr(primary, spec.key) == spec.default, spec.key


def test_a_settings_object_made_by_hand_has_the_table_defaults(tmp_path):
    settings = Settings(home=tmp_path)
    for spec in SETTINGS:
        assert getattr(settings, spec.attribute) == spec.default, spec.name


def _template_values() -> dict[str, tuple[object, bool]]:
    """``section.key`` -> (value, commented out?) for each key the template for ``preserve init`` writes."""
    values: dict[str, tuple[object, bool]] = {}
    section = ""
    for line in render_config("Unnamed archive").splitlines():
        if heading := re.fullmatch(r"\[\[?(\w+)\]\]?", line):
            section = heading.group(1)
            continue
        commented = line.startswith("# ")
        try:
            [(key, value)] = tomllib.loads(line[2:] if commented else line).items()
        except (tomllib.TOMLDecodeError, ValueError):
            continue  # prose
        values.setdefault(f"{section}.{key}", (value, commented))
    return values


def test_the_template_init_writes_agrees_with_the_table():
    written = _template_values()
    for spec in SETTINGS:
        if spec.name == "mail.password":  # never written in the file: the template names the variable
            assert spec.env in render_config("x")
            continue
        assert spec.name in written, f"{spec.name} is not in the template"
        value, commented = written[spec.name]
        if spec.default_from:
            assert value == ["primary"]
        elif spec.name not in EXAMPLES:
            default = spec.default
            expected = str(default) if isinstance(default, Path) else list(default) if spec.kind is list else default
            assert value == expected, spec.name
        else:
            assert commented, f"{spec.name}: an example must be commented out"
    for spec in LOCATION_OPTIONS:
        assert f"storage.{spec.key}" in written, f"[[storage]] {spec.key} is not in the template"


def _valid(spec: Setting) -> tuple[str, object]:
    """A value other than the default for ``spec``, as a variable gives it, and as the setting then reads."""
    if spec.one_of:
        return spec.one_of[-1], spec.one_of[-1]
    if spec.name in ("replication.locations", "access.location"):
        return "primary", ("primary",) if spec.kind is list else "primary"
    if spec.name == "archive.country_code":
        return "GB", "GB"
    if spec.name == "archive.contact_email":
        return "searchroom@example.org", "searchroom@example.org"
    if spec.kind is int:
        return " 17 ", 17
    if spec.kind is float:
        return "2.5", 2.5
    if spec.kind is list:
        return "10.0.0.1, 10.1.0.0/16", ("10.0.0.1", "10.1.0.0/16")
    return "value/", "value/"


@pytest.mark.parametrize("spec", SETTINGS, ids=lambda spec: spec.env)
def test_every_setting_can_be_overridden_by_its_variable(tmp_path, spec):
    home = tmp_path.resolve()
    raw, expected = _valid(spec)
    env = {spec.env: raw}
    if spec.name == "mail.smtp_host":
        env["PRESERVE_MAIL_SENDER"] = "archives@example.org"
    settings = _load(home, None, env)
    if spec.convert and spec.kind is str:
        expected = spec.convert(expected, _Loading(home))
    assert getattr(settings, spec.attribute) == expected


@pytest.mark.parametrize("spec", [spec for spec in SETTINGS if spec.kind in (int, float)], ids=lambda spec: spec.env)
def test_a_variable_that_is_not_a_number_is_refused_by_name(tmp_path, spec):
    raw, expected = ("1.5", "a whole number") if spec.kind is int else ("1,5", "a number")
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, None, {spec.env: raw})
    assert caught.value.message == f"{spec.env}={raw!r}: expected {expected}"
    assert caught.value.exit_code == 11


@pytest.mark.parametrize(
    "spec", [s for s in SETTINGS + LOCATION_OPTIONS if s.at_least is not None], ids=lambda spec: spec.name
)
def test_each_bound_in_the_table_is_kept(tmp_path, spec):
    entry = '[[storage]]\nname = "a"\nbackend = "s3"\nbucket = "b"\n'
    where = f"{tmp_path.resolve() / 'preserve.toml'}: "
    at = spec.at_least
    if spec.section == "storage":
        _load(tmp_path, f"{entry}{spec.key} = {at}\n")
        text, where = f"{entry}{spec.key} = {at - 1}\n", where + "location 'a': "
    else:
        _load(tmp_path, f"[{spec.section}]\n{spec.key} = {at}\n")
        text = f"[{spec.section}]\n{spec.key} = {at - 1}\n"
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert caught.value.message == f"{where}{spec.name} {spec.too_small.format(at_least=at)}"
    assert caught.value.exit_code == 11


@pytest.mark.parametrize("spec", [s for s in SETTINGS if s.one_of], ids=lambda spec: spec.env)
def test_a_variable_outside_the_choices_is_refused_by_name(tmp_path, spec):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, None, {spec.env: "bogus"})
    assert caught.value.message.startswith(f"{spec.env}: {spec.name} must be one of ")  # the variable, named

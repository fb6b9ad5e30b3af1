"""Settings from preserve.toml, PRESERVE_* variables and the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.config import load_settings, render_config
from preservation.errors import ConfigError


def test_embedded_default_without_any_configuration(tmp_path):
    settings = load_settings(env={"PRESERVE_HOME": str(tmp_path / "h")})
    assert settings.home == (tmp_path / "h").resolve()
    assert settings.config_file is None
    assert settings.catalogue_url == f"sqlite:///{settings.home}/catalogue.db"
    assert [(loc.name, loc.backend, loc.path) for loc in settings.locations] == [
        ("primary", "local", settings.home / "storage" / "primary")
    ]
    assert settings.replication == ("primary",)
    assert settings.executor_kind == "local"


def test_user_data_directory_when_no_home_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    settings = load_settings(env={})
    assert settings.home == (tmp_path / "xdg" / "preserve").resolve()


def test_the_template_written_by_init_loads_and_is_commented(tmp_path):
    (tmp_path / "preserve.toml").write_text(render_config('County "Archive" Service'))
    settings = load_settings(tmp_path, env={})
    assert settings.archive_name == 'County "Archive" Service'
    assert settings.config_file == tmp_path / "preserve.toml"
    assert "# " in (tmp_path / "preserve.toml").read_text()


def test_environment_overrides_file(tmp_path):
    (tmp_path / "preserve.toml").write_text('[archive]\nname = "From file"\n[executor]\nworkers = 2\n')
    settings = load_settings(tmp_path, env={"PRESERVE_ARCHIVE_NAME": "From env", "PRESERVE_EXECUTOR_WORKERS": "3"})
    assert settings.archive_name == "From env"
    assert settings.executor_workers == 3 and settings.workers == 3


def test_config_file_location_sets_the_home(tmp_path):
    config = tmp_path / "elsewhere" / "preserve.toml"
    config.parent.mkdir()
    config.write_text('[[storage]]\nname = "disk"\npath = "aips"\n[replication]\nlocations = ["disk"]\n')
    settings = load_settings(config_file=config, env={})
    assert settings.home == config.parent
    assert settings.location("disk").path == config.parent / "aips"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[archive]\nnmae = 'x'\n", "unknown key 'nmae' in [archive]"),
        ("[archiv]\n", "unknown section [archiv]"),
        ("[executor]\nworkers = 'two'\n", "executor.workers must be int"),
        ("[executor]\nkind = 'threads'\n", "executor.kind must be one of local, celery"),
        ("[replication]\nlocations = ['offsite']\n", "names 'offsite', which is not a [[storage]] location"),
        ("[[storage]]\nname = 'a'\n", "local location 'a' needs a path"),
        ("[[storage]]\nname = 'a'\npath='x'\n[[storage]]\nname = 'a'\npath='y'\n", "names must be unique: a"),
        ("[[storage]]\nname = 'a'\npath='x'\nstorage_class = 'STANDARD_IA'\n", "apply to s3 locations only"),
        ("[archive\n", "not valid TOML"),
    ],
)
def test_invalid_configuration_names_file_and_key(tmp_path, text, message):
    (tmp_path / "preserve.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={})
    assert str(tmp_path / "preserve.toml") in caught.value.message
    assert message in caught.value.message


def test_bad_environment_value(tmp_path):
    with pytest.raises(ConfigError, match="PRESERVE_EXECUTOR_WORKERS='many': expected a whole number"):
        load_settings(tmp_path, env={"PRESERVE_EXECUTOR_WORKERS": "many"})


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load_settings(config_file=Path(tmp_path / "nope.toml"), env={})

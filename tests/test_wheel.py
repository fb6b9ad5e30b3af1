"""What the wheel needs, checked without building one (.ci/wheel-check builds and runs it): every data file of the
packages is named in setup.cfg's package data, and the portal finds GOV.UK Frontend where a wheel carries it."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from preservation.errors import ConfigError

pytest.importorskip("fastapi", reason="the portal needs the web extra")
import access.web.app  # noqa: E402

ROOT = Path(__file__).parents[1]
# alembic's template for writing a new migration: a developer's file, not needed to run migrations
NOT_INSTALLED = {"catalogue/migrations/script.py.mako"}


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_every_data_file_of_the_packages_is_in_the_package_data():
    config = _setup_cfg()
    packages = [name for name in config["options.packages.find"]["include"].split() if not name.endswith("*")]
    named = set()
    for package, patterns in config["options.package_data"].items():
        folder = ROOT / package.replace(".", "/")
        for pattern in patterns.split(","):
            named |= {path for path in folder.glob(pattern.strip()) if path.is_file()}
    data = {
        path
        for package in packages
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and not {"__pycache__", "node_modules"} & set(path.parts)
        and path.relative_to(ROOT).as_posix() not in NOT_INSTALLED
    }
    assert sorted(str(path.relative_to(ROOT)) for path in data - named) == []


def test_axe_core_is_not_in_the_package_data():
    assert "axe" not in _setup_cfg()["options.package_data"]["access.web"]


def _frontend(folder: Path) -> Path:
    (folder / "assets").mkdir(parents=True)
    (folder / "govuk-frontend.min.css").write_text("/* GOV.UK Frontend */")
    return folder


def test_the_portal_uses_node_modules_in_a_source_checkout(tmp_path, monkeypatch):
    npm = _frontend(tmp_path / "node_modules" / "govuk-frontend" / "dist" / "govuk")
    _frontend(tmp_path / "assets" / "govuk-frontend")
    monkeypatch.setattr(access.web.app, "HERE", tmp_path)
    monkeypatch.delenv("PRESERVE_PORTAL_ASSETS", raising=False)
    assert access.web.app.assets_folder() == npm


def test_the_portal_uses_the_copy_an_installed_wheel_carries(tmp_path, monkeypatch):
    wheel = _frontend(tmp_path / "assets" / "govuk-frontend")
    monkeypatch.setattr(access.web.app, "HERE", tmp_path)
    monkeypatch.delenv("PRESERVE_PORTAL_ASSETS", raising=False)
    assert access.web.app.assets_folder() == wheel


def test_without_either_the_portal_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(access.web.app, "HERE", tmp_path)
    monkeypatch.delenv("PRESERVE_PORTAL_ASSETS", raising=False)
    with pytest.raises(ConfigError, match="GOV.UK Frontend is not installed") as raised:
        access.web.app.assets_folder()
    assert "node_modules" in str(raised.value) and "make portal-assets" in raised.value.hint

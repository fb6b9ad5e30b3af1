"""The default policy files ship valid, and a broken policy file is reported with file and line."""

from __future__ import annotations

import pytest

from policies import default_policy_files, install_defaults, load_policy
from preservation.errors import PolicyError


def test_every_shipped_policy_file_loads_and_is_versioned():
    files = default_policy_files()
    assert {f.name for f in files} == {"formats.toml", "fixity.toml"}
    for path in files:
        assert isinstance(load_policy(path)["version"], int)


def test_install_keeps_local_changes(tmp_path):
    assert len(install_defaults(tmp_path)) == 2
    (tmp_path / "fixity.toml").write_text("version = 7\n")
    assert install_defaults(tmp_path) == []
    assert load_policy(tmp_path / "fixity.toml")["version"] == 7


def test_broken_policy_names_file_and_line(tmp_path):
    broken = tmp_path / "formats.toml"
    broken.write_text("version = 1\n[default\n")
    with pytest.raises(PolicyError, match=r"formats.toml: not valid TOML: .*line 2"):
        load_policy(broken)
    with pytest.raises(PolicyError, match="missing.toml: file not found"):
        load_policy(tmp_path / "missing.toml")

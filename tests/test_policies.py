"""The default policy files ship valid, and a broken policy file is reported with file and line."""

from __future__ import annotations

import pytest

from policies import default_policy_files, install_defaults, load_policy
from preservation.errors import PolicyError


def test_every_shipped_policy_file_loads_and_is_versioned():
    files = default_policy_files()
    assert {f.name for f in files} == {"formats.toml", "fixity.toml", "checks.toml", "closure.toml"}
    for path in files:
        assert isinstance(load_policy(path)["version"], int)


def test_install_keeps_local_changes(tmp_path):
    assert len(install_defaults(tmp_path)) == 4
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


@pytest.mark.parametrize(
    "text, message",
    [
        ('version = 1\n[virus]\non_infected = "delete"\n', ":3: virus.on_infected: must be one of stop, quarantine"),
        ('version = 1\n[virus]\non_infectd = "stop"\n', ":3: virus.on_infectd: unknown key"),
        ('version = 1\n[sensitive]\nkinds = ["passport"]\n', ":3: sensitive.kinds: must be a list of"),
        ("version = 1\n[sensitive]\nmax_bytes = 0\n", ":3: sensitive.max_bytes"),
        ("version = 'one'\n", "'version' must be a whole number"),
    ],
)
def test_a_bad_checks_policy_names_file_line_and_key(tmp_path, text, message):
    from policies.checks import load_checks_policy

    (tmp_path / "checks.toml").write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_checks_policy(tmp_path)
    assert message in caught.value.message and "checks.toml" in caught.value.message


def test_closure_counts_from_the_first_of_january_after_the_last_date(tmp_path):
    from datetime import date

    from policies.closure import load_closure_policy

    policy = load_closure_policy(tmp_path)
    personal = policy.rule_for("personal-data")
    assert personal.closed_until(1923) == date(2024, 1, 1)  # 1923 + 1 + 100
    assert policy.rule_for("pending-review").closed_until(1923) is None
    assert policy.default_access == "open"


@pytest.mark.parametrize(
    "text, message",
    [
        ('version = 1\n[[rule]]\napplies_to = "personal-data"\naccess = "closed"\n', "needs closed_years"),
        ('version = 1\n[[rule]]\napplies_to = "everything"\naccess = "open"\n', ":3: [[rule]] 1: applies_to must"),
        ('version = 1\n[default]\naccess = "secret"\n', ":3: default.access must be one of"),
    ],
)
def test_a_bad_closure_policy_names_file_line_and_key(tmp_path, text, message):
    from policies.closure import load_closure_policy

    (tmp_path / "closure.toml").write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_closure_policy(tmp_path)
    assert message in caught.value.message

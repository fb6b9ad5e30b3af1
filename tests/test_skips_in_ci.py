"""PRESERVE_REQUIRE_TOOLS=1 (set by CI) turns every kind of skip into a failure that says why, and leaves xfail
alone: run on small test files of their own, with this suite's conftest as a plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent

PROBES = {
    "test_a_skip.py": 'import pytest\n\ndef test_a_skip():\n    pytest.skip("a tool is missing")\n',
    "test_a_module_skip.py": (
        'import pytest\n\npytest.importorskip("no_such_module_anywhere", reason="an extra is missing")\n\n'
        "def test_never_run():\n    pass\n"
    ),
    "test_an_xfail.py": ('import pytest\n\n@pytest.mark.xfail(reason="known")\ndef test_known():\n    assert False\n'),
}


def _run(folder: Path, name: str, required: bool) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PRESERVE_REQUIRE_TOOLS"}
    if required:
        environment["PRESERVE_REQUIRE_TOOLS"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-c", os.devnull]
    command += ["--rootdir", str(folder), "-p", "no:cacheprovider", str(folder / name)]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY, env=environment, timeout=120)


@pytest.mark.parametrize("name", ["test_a_skip.py", "test_a_module_skip.py"])
def test_a_skip_of_any_kind_fails_under_require_tools_and_names_why(tmp_path, name):
    (tmp_path / name).write_text(PROBES[name])
    relaxed = _run(tmp_path, name, required=False)  # on a developer's machine: a skip (5: no test left to run)
    assert relaxed.returncode in (0, 5) and "1 skipped" in relaxed.stdout, relaxed.stdout
    required = _run(tmp_path, name, required=True)
    assert required.returncode != 0, required.stdout
    assert "PRESERVE_REQUIRE_TOOLS=1 requires it" in required.stdout and "is missing" in required.stdout


def test_an_expected_failure_stays_expected(tmp_path):
    (tmp_path / "test_an_xfail.py").write_text(PROBES["test_an_xfail.py"])
    required = _run(tmp_path, "test_an_xfail.py", required=True)
    assert required.returncode == 0 and "1 xfailed" in required.stdout, required.stdout

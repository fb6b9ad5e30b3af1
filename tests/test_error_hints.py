"""Every error preserve raises tells the person what to do next: each `raise SomeError(...)` of a PreservationError
class in the product's code gives a hint, or its class has a default one (docs/errors.md promises it)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import preservation.errors as errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("access", "catalogue", "cli", "formats", "ingest", "policies", "preservation", "stewardship", "storage")
CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, errors.PreservationError)
}


def _raises() -> list[tuple[str, str, ast.Call]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    func = node.exc.func
                    name = (
                        func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                    )
                    if name in CLASSES:
                        found.append((f"{path.relative_to(ROOT)}:{node.lineno}", name, node.exc))
    return found


def test_every_raised_error_has_a_hint():
    raises = _raises()
    assert len(raises) > 200  # the walk found the code base
    without = [
        f"{where} {name}"
        for where, name, call in raises
        if not CLASSES[name].default_hint
        and not any(
            keyword.arg == "hint" and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
            for keyword in call.keywords
        )
    ]
    assert not without, "errors raised without a hint:\n" + "\n".join(without)

"""Dataclasses to plain JSON-able values and back (for messages between processes and machines)."""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, cast


def to_plain(value: Any) -> Any:
    """Dataclasses become dicts, tuples lists, paths strings; everything else must already be JSON-able."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def from_plain(kind: Any, value: Any) -> Any:
    """The value of type ``kind`` that ``to_plain`` made ``value`` from."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return from_plain(options[0], value)
    if dataclasses.is_dataclass(kind):
        cls = cast(type, kind)  # a type hint: the class itself, never an instance
        hints = _hints(cls)
        return cls(**{name: from_plain(hints[name], item) for name, item in value.items()})
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], item) for item in value)
        return tuple(from_plain(arg, item) for arg, item in zip(args, value, strict=True))
    if origin is list:
        return [from_plain(typing.get_args(kind)[0], item) for item in value]
    if origin is dict:
        return {key: from_plain(typing.get_args(kind)[1], item) for key, item in value.items()}
    if kind is Path:
        return Path(value)
    return value


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)

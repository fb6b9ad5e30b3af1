"""Dataclasses to plain JSON-able values and back (for messages between processes and machines)."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, cast


def to_plain(value: Any) -> Any:
    """Dataclasses become dicts, tuples lists, paths strings; everything else must already be JSON-able."""
    names = _field_names(type(value)) if dataclasses.is_dataclass(value) and not isinstance(value, type) else None
    if names is not None:
        return {name: to_plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def from_plain(kind: Any, value: Any) -> Any:
    """The value of type ``kind`` that ``to_plain`` made ``value`` from."""
    return _reader(kind)(value)


Reader = Callable[[Any], Any]


@cache
def _reader(kind: Any) -> Reader:
    """How to rebuild a value of type ``kind`` from plain data, worked out once per type (messages carry many)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return _reader(options[0])
    if dataclasses.is_dataclass(kind):
        cls = cast(type, kind)  # a type hint: the class itself, never an instance
        readers = {name: _reader(hint) for name, hint in _hints(cls).items()}
        return _none_or(lambda value: cls(**{name: readers[name](item) for name, item in value.items()}))
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            item_reader = _reader(args[0])
            return _none_or(lambda value: tuple(item_reader(item) for item in value))
        item_readers = [_reader(arg) for arg in args]
        return _none_or(lambda value: tuple(r(item) for r, item in zip(item_readers, value, strict=True)))
    if origin is list:
        item_reader = _reader(typing.get_args(kind)[0])
        return _none_or(lambda value: [item_reader(item) for item in value])
    if origin is dict:
        value_reader = _reader(typing.get_args(kind)[1])
        return _none_or(lambda value: {key: value_reader(item) for key, item in value.items()})
    if kind is Path:
        return _none_or(Path)
    return _as_is


def _none_or(read: Reader) -> Reader:
    return lambda value: None if value is None else read(value)


def _as_is(value: Any) -> Any:
    return value


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)

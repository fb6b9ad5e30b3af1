"""OCFL 1.1 objects under an OCFL storage root, written and read through any Storage backend.

Layout: the storage root holds ``0=ocfl_1.1``, ``ocfl_layout.json`` and the config of storage
layout extension 0003 (hash and id n-tuple); each object sits at ``aaa/bbb/ccc/<encoded id>/``
(the tuples from the SHA-256 of its id, e.g. ``…/urn%3auuid%3a1b2c…``) with
``0=ocfl_object_1.1``, ``inventory.json`` (+ ``.sha512``) and ``v1/content/…``.
The root inventory is written last: an object directory without it is an unfinished write.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from preservation.errors import NotFound, PackageError, StorageError
from storage.base import Storage, StoredObject, copy_key
from storage.digests import hash_stream

OCFL_VERSION = "1.1"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
LAYOUT_CONFIG = {"extensionName": LAYOUT, "digestAlgorithm": "sha256", "tupleSize": 3, "numberOfTuples": 3}
_ID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
ROOT_NAMASTE = ("0=ocfl_1.1", "ocfl_1.1\n")
OBJECT_NAMASTE = ("0=ocfl_object_1.1", "ocfl_object_1.1\n")

# An OCFL inventory as parsed from its JSON: id, type, digestAlgorithm, head, manifest (digest ->
# content paths), versions (name -> created, message, user, state: digest -> logical paths), fixity.
Inventory = dict[str, Any]


def object_root(object_id: str) -> str:
    """The key prefix (no trailing slash) of an object: three tuples of its id's SHA-256, then the encoded id."""
    digest = hashlib.sha256(object_id.encode("utf-8")).hexdigest()
    encoded = "".join(c if c in _ID_SAFE else "".join(f"%{b:02x}" for b in c.encode("utf-8")) for c in object_id)
    if len(encoded) > 100:
        encoded = f"{encoded[:100]}-{digest}"
    return "/".join([digest[0:3], digest[3:6], digest[6:9], encoded])


def ensure_storage_root(storage: Storage) -> None:
    """Write the storage root's declaration and layout files if they are not there yet."""
    try:
        storage.stat(ROOT_NAMASTE[0])
        return
    except NotFound:
        pass
    layout = {"extension": LAYOUT, "description": "SHA-256 n-tuple trees (3 tuples of 3), then the encoded object id"}
    _put_bytes(storage, "ocfl_layout.json", _json_bytes(layout))
    _put_bytes(storage, f"extensions/{LAYOUT}/config.json", _json_bytes(LAYOUT_CONFIG))
    _put_bytes(storage, ROOT_NAMASTE[0], ROOT_NAMASTE[1].encode())


@dataclass(frozen=True)
class InventoryEntry:
    """One distinct content digest of a version: where its bytes are and which logical paths hold it."""

    sha512: str
    content_paths: tuple[str, ...]
    logical_paths: tuple[str, ...]


class NewObject:
    """Writes version ``v1`` of a new OCFL object; ``abort`` removes everything it wrote."""

    def __init__(self, storage: Storage, object_id: str, resuming: bool = False) -> None:
        self.storage = storage
        self.object_id = object_id
        self.root = object_root(object_id)
        self.resuming = resuming  # an interrupted write is being finished: its keys may exist already
        try:
            storage.stat(f"{self.root}/inventory.json")
        except NotFound:
            return
        if resuming:  # committed but never registered: take the commit back (the content stays) and redo it
            for key in (f"{self.root}/{name}" for name in (*COMMIT_FILES, OBJECT_NAMASTE[0])):
                storage.delete(key)
            for key in (f"{self.root}/v1/{name}" for name in COMMIT_FILES):
                storage.delete(key)
            return
        raise StorageError(f"{storage.describe()}: OCFL object {object_id} already exists at {self.root}")

    def content_key(self, logical_path: str) -> str:
        """The storage key of a logical path's bytes in v1."""
        return f"{self.root}/v1/content/{logical_path}"

    def put_file(
        self, logical_path: str, stream: BinaryIO, size: int | None = None, algorithms: tuple[str, ...] = ("sha256",)
    ) -> StoredObject:
        """Store one file of the version, returning the digests computed while streaming.

        Content is made durable in one pass by ``commit``, before the inventory is written.
        """
        return self.storage.put(  # content is written once: an existing key is an error, never replaced
            self.content_key(logical_path),
            stream,
            size=size,
            algorithms=algorithms,
            durable=False,
            overwrite=self.resuming,  # … unless an interrupted ingest is being finished
        )

    def commit(self, inventory_file: Path, logical_paths: Iterable[str]) -> str:
        """Publish the version: make its content durable, write v1's inventory and the declaration,
        then the root inventory (the commit point)."""
        self.storage.sync(self.content_key(path) for path in logical_paths)
        digest = _file_sha512(inventory_file)
        sidecar = f"{digest}  inventory.json\n".encode()
        for base in (f"{self.root}/v1", self.root):
            if base == self.root:
                _put_bytes(self.storage, f"{self.root}/{OBJECT_NAMASTE[0]}", OBJECT_NAMASTE[1].encode())
            with inventory_file.open("rb") as handle:
                self.storage.put(f"{base}/inventory.json", handle)
            _put_bytes(self.storage, f"{base}/inventory.json.sha512", sidecar)
        return digest

    def abort(self) -> None:
        """Delete every key written under this object's root."""
        delete_object(self.storage, self.root)


def delete_object(storage: Storage, root: str) -> int:
    """Delete every key under an object root (an unfinished or abandoned write); return how many."""
    keys = [stored.key for stored in storage.list(root + "/")]
    for key in keys:
        storage.delete(key)
    return len(keys)


COMMIT_FILES = ("inventory.json", "inventory.json.sha512")


def copy_keys(
    source: Storage,
    destination: Storage,
    root: str,
    objects: Iterable[StoredObject],
    *,
    overwrite: bool,
    on_copied: Callable[[int], None] | None = None,
) -> None:
    """Stream keys of an object from one location to another; the root inventory (the commit point) goes
    last, once everything else is durable. ``on_copied`` is told the size of each key copied."""
    commit = {f"{root}/{name}" for name in COMMIT_FILES}
    objects = list(objects)
    content = [o for o in objects if o.key not in commit]
    for stored in content:
        copy_key(source, destination, stored.key, size=stored.size, durable=False, overwrite=overwrite)
        if on_copied is not None:
            on_copied(stored.size)
    destination.sync(o.key for o in content)
    for stored in sorted((o for o in objects if o.key in commit), key=lambda o: o.key):
        copy_key(source, destination, stored.key, size=stored.size, overwrite=overwrite)


def write_inventory(
    out: BinaryIO,
    object_id: str,
    entries: Iterable[InventoryEntry],
    *,
    created: str,
    message: str,
    user_name: str,
    user_address: str,
    fixity_sha256: Iterable[tuple[str, tuple[str, ...]]] = (),
) -> None:
    """Stream a v1 inventory as JSON to ``out`` without holding every entry in memory.

    ``entries`` must not repeat a digest; ``fixity_sha256`` yields (sha256, content paths) pairs.
    """
    write = out.write
    write(b"{\n")
    write(b'  "digestAlgorithm": "sha512",\n')
    write(b'  "head": "v1",\n')
    write(b'  "id": ' + _json(object_id) + b",\n")
    write(b'  "type": ' + _json(INVENTORY_TYPE) + b",\n")
    write(b'  "manifest": {')
    first = True
    with tempfile.TemporaryFile() as state_file:  # the state follows the manifest: keep it on disk, not in memory
        for entry in entries:
            sep = b"\n    " if first else b",\n    "
            write(sep + _json(entry.sha512) + b": " + _json(list(entry.content_paths)))
            state_file.write(sep + b"    " + _json(entry.sha512) + b": " + _json(list(entry.logical_paths)))
            first = False
        write(b"\n  },\n" if not first else b"},\n")
        write(b'  "fixity": {"sha256": {')
        fixity_first = True
        for sha256, paths in fixity_sha256:
            write((b"\n    " if fixity_first else b",\n    ") + _json(sha256) + b": " + _json(list(paths)))
            fixity_first = False
        write(b"\n  }},\n" if not fixity_first else b"}},\n")
        write(b'  "versions": {\n    "v1": {\n')
        write(b'      "created": ' + _json(created) + b",\n")
        write(b'      "message": ' + _json(message) + b",\n")
        write(b'      "user": {"address": ' + _json(user_address) + b', "name": ' + _json(user_name) + b"},\n")
        write(b'      "state": {')
        state_file.seek(0)
        shutil.copyfileobj(state_file, out)
        write(b"\n      }\n" if not first else b"}\n")
    write(b"    }\n  }\n}\n")


def read_inventory(storage: Storage, root: str) -> Inventory:
    """The object's root inventory, checked against its SHA-512 sidecar."""
    try:
        with storage.open(f"{root}/inventory.json") as handle:
            data = handle.read()
        with storage.open(f"{root}/inventory.json.sha512") as handle:
            sidecar = handle.read().decode("ascii", "replace").split()
    except NotFound as exc:
        raise PackageError(
            f"{storage.describe()}: OCFL object at {root} is incomplete: {exc.message}",
            hint="`preserve audit` repairs it from a good copy; `preserve doctor` lists objects left half-written.",
        ) from None
    if not sidecar or hashlib.sha512(data).hexdigest() != sidecar[0].lower():
        raise PackageError(
            f"{storage.describe()}: {root}/inventory.json does not match its .sha512 sidecar",
            hint="`preserve audit` repairs the inventory from a good copy.",
        )
    try:
        inventory: Inventory = json.loads(data)
        return inventory
    except ValueError as exc:
        raise PackageError(
            f"{storage.describe()}: {root}/inventory.json is not valid JSON: {exc}",
            hint="`preserve audit` repairs the inventory from a good copy.",
        ) from None


def inventory_digest(storage: Storage, root: str) -> str:
    """The SHA-512 of an object's root inventory as stored now."""
    with storage.open(f"{root}/inventory.json") as handle:
        return hash_stream(handle, ("sha512",))[0]["sha512"]


def stored_totals(storage: Storage, root: str, inventory: Inventory) -> tuple[int, int]:
    """(files, bytes) of every content file the object holds, all versions (what an audit reads; the inventories
    and their sidecars are checked but not counted), sizes as the location lists them."""
    sizes = {o.key[len(root) + 1 :]: o.size for o in storage.list(root + "/")}
    content = [path for paths in inventory["manifest"].values() for path in paths]
    return len(content), sum(sizes.get(path, 0) for path in content)


def version_state(inventory: Inventory, version: str | None = None) -> Iterator[tuple[str, str, str]]:
    """Yield ``(logical_path, content_path, sha512)`` for every file of a version (default: head)."""
    version = version or inventory["head"]
    try:
        state = inventory["versions"][version]["state"]
    except KeyError:
        raise NotFound(
            f"OCFL object {inventory.get('id')} has no version {version}",
            hint="`preserve aip show ID` lists the AIP's versions.",
        ) from None
    manifest = inventory["manifest"]
    for digest, logical_paths in state.items():
        content_path = manifest[digest][0]
        for logical_path in logical_paths:
            yield logical_path, content_path, digest


def _put_bytes(storage: Storage, key: str, data: bytes) -> StoredObject:
    return storage.put(key, io.BytesIO(data), size=len(data))


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _file_sha512(path: Path) -> str:
    with path.open("rb") as handle:
        digests, _ = hash_stream(handle, ("sha512",))
    return digests["sha512"]


class NextVersion:
    """Writes the next version of an existing OCFL object, holding only new content.

    Unchanged files are referenced by digest, never copied again. ``put_file`` stores new content
    under ``vN/content/``; ``commit`` writes the version's inventory, then replaces the root
    inventory (the commit point). Until then the object's head is the previous version.
    """

    def __init__(self, storage: Storage, root: str, inventory: Inventory) -> None:
        self.storage = storage
        self.root = root
        self.previous = inventory
        number = int(inventory["head"].lstrip("v"))
        self.version = f"v{number + 1}"
        self.new_content: dict[str, str] = {}  # logical path -> sha512 of new bytes
        self.written: list[str] = []

    def put_file(self, logical_path: str, stream: BinaryIO, size: int | None = None) -> StoredObject:
        """Store new bytes for a logical path; returns the SHA-256 and SHA-512 computed while streaming."""
        key = f"{self.root}/{self.version}/content/{logical_path}"
        stored = self.storage.put(key, stream, size=size, algorithms=("sha256", "sha512"), overwrite=False)
        self.written.append(key)
        self.new_content[logical_path] = stored.digests["sha512"]
        return stored

    def inventory(
        self, state: dict[str, str], created: str, message: str, user_name: str, user_address: str
    ) -> Inventory:
        """The new inventory: ``state`` maps every logical path of the version to its SHA-512."""
        inventory: Inventory = json.loads(json.dumps(self.previous))
        manifest = inventory["manifest"]
        for logical, digest in self.new_content.items():
            paths = manifest.setdefault(digest, [])
            content = f"{self.version}/content/{logical}"
            if content not in paths:
                paths.append(content)
        version_state_map: dict[str, list[str]] = {}
        for logical, digest in sorted(state.items()):
            if digest not in manifest:
                raise StorageError(f"{self.root}: {logical} has content that neither this nor an earlier version holds")
            version_state_map.setdefault(digest, []).append(logical)
        inventory["head"] = self.version
        inventory["versions"][self.version] = {
            "created": created,
            "message": message,
            "user": {"name": user_name, "address": user_address},
            "state": version_state_map,
        }
        inventory.pop("fixity", None)  # the fixity block described v1's content only; SHA-512 stays the truth
        return inventory

    def commit(self, inventory: Inventory) -> None:
        """Make the new content durable, write the version's inventory, then the root inventory last."""
        self.storage.sync(self.written)
        data = (json.dumps(inventory, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        sidecar = f"{hashlib.sha512(data).hexdigest()}  inventory.json\n".encode()
        for base in (f"{self.root}/{self.version}", self.root):
            _put_bytes(self.storage, f"{base}/inventory.json", data)
            _put_bytes(self.storage, f"{base}/inventory.json.sha512", sidecar)

    def abort(self) -> None:
        """Remove the new version's content (the object stays at its previous head)."""
        for stored in list(self.storage.list(f"{self.root}/{self.version}/")):
            self.storage.delete(stored.key)

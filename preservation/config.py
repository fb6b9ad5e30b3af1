"""Typed settings: ``preserve.toml`` plus ``PRESERVE_*`` environment variables, passed explicitly.

Where the settings come from, in order:
1. the archive home: ``--home``, else ``$PRESERVE_HOME``, else the directory of an explicit config
   file, else the user data directory (the embedded default archive);
2. the config file: ``--config``, else ``$PRESERVE_CONFIG``, else ``<home>/preserve.toml`` if it
   exists; with none, built-in defaults (SQLite catalogue, one local location, in-process executor);
3. ``PRESERVE_<SECTION>_<KEY>`` variables override scalar keys, e.g. ``PRESERVE_CATALOGUE_URL``.
Relative paths are relative to the archive home.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from preservation.errors import ConfigError, PreservationError

CONFIG_NAME = "preserve.toml"
BACKENDS = ("local", "s3")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
ENCRYPTIONS = ("", "AES256", "aws:kms")
PURPOSES = ("aip", "replica", "access")
UNREADABLE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # need a restore before any read: copies could not be verified
EXECUTORS = ("local", "celery")


@dataclass(frozen=True)
class LocationSettings:
    """One named storage location from a ``[[storage]]`` table."""

    name: str
    backend: str = "local"
    path: Path | None = None
    endpoint: str = ""
    bucket: str = ""
    prefix: str = ""
    purpose: str = "aip"
    storage_class: str = ""
    object_lock_days: int = 0
    object_lock_mode: str = "GOVERNANCE"
    server_side_encryption: str = ""


@dataclass(frozen=True)
class Settings:
    """Everything preserve needs to know about one archive's infrastructure."""

    home: Path
    config_file: Path | None = None
    archive_name: str = "Unnamed archive"
    catalogue_url: str = ""
    locations: tuple[LocationSettings, ...] = ()
    replication: tuple[str, ...] = ()
    executor_kind: str = "local"
    executor_workers: int = 0
    executor_broker: str = ""
    executor_results: str = ""  # where task results are kept (default: the broker's Redis)
    executor_visibility_timeout: int = 3600  # seconds before a dead worker's unacknowledged task is handed out again
    executor_file_time_limit: float = 3600  # seconds one attempt at one file may take
    executor_file_retries: int = 2  # further attempts at a file that failed unexpectedly
    executor_broker_wait: float = 300  # seconds an ingest waits for a lost broker to come back
    policies_path: Path = field(default_factory=Path)
    clamd_socket: str = ""  # a clamd socket to scan through; empty: run clamscan
    virus_database: Path | None = None  # ClamAV signatures for clamscan; None: ClamAV's own
    access_location: str = ""  # the storage location DIPs are put in; '' = the local folder <home>/access
    access_link_hours: int = 72  # how long a delivered DIP's download link works
    portal_url: str = "http://127.0.0.1:8000"  # the portal's address, for links in messages
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-For the portal believes
    session_hours: int = 8  # a portal session ends this long after sign-in, however active
    session_idle_minutes: int = 30  # ... or after this long without a request
    max_body_kib: int = 64  # the largest request body the portal reads (forms and JSON)
    preview_max_mib: int = 64  # the largest file the portal shows as a preview (images are scaled down first)
    preview_cache_mib: int = 2048  # the preview cache is trimmed (least recently used first) to this size
    mail_smtp_host: str = ""  # '' = messages stay in the outbox
    mail_smtp_port: int = 587
    mail_security: str = "starttls"  # starttls, tls or none
    mail_sender: str = ""
    mail_username: str = ""
    mail_password: str = ""

    @property
    def secret_file(self) -> Path:
        """The archive's secret key (signs download links and portal sessions), made on first use."""
        return self.home / "secret.key"

    @property
    def staging_dir(self) -> Path:
        """Where transfers are worked on before they become AIPs."""
        return self.home / "staging"

    def location(self, name: str) -> LocationSettings:
        """The location called ``name``; ConfigError if there is none."""
        for location in self.locations:
            if location.name == name:
                return location
        known = ", ".join(loc.name for loc in self.locations) or "none"
        raise ConfigError(f"no storage location named {name!r} (known: {known})")

    @property
    def workers(self) -> int:
        """Parallel worker processes for per-file work (0 in the settings means one per core)."""
        return self.executor_workers or (os.cpu_count() or 1)


# section -> key -> type, for the scalar keys PRESERVE_* variables may override
_SCALARS: dict[str, dict[str, type]] = {
    "archive": {"name": str},
    "catalogue": {"url": str},
    "executor": {
        "kind": str,
        "workers": int,
        "broker": str,
        "results": str,
        "visibility_timeout": int,
        "file_time_limit": float,
        "file_retries": int,
        "broker_wait": float,
    },
    "policies": {"path": str},
    "virus": {"clamd_socket": str, "database": str},
    "replication": {"locations": list},
    "access": {
        "location": str,
        "link_hours": int,
        "portal_url": str,
        "trusted_proxies": list,
        "session_hours": int,
        "session_idle_minutes": int,
        "max_body_kib": int,
        "preview_max_mib": int,
        "preview_cache_mib": int,
    },
    "mail": {"smtp_host": str, "smtp_port": int, "security": str, "sender": str, "username": str, "password": str},
}
MAIL_SECURITY = ("starttls", "tls", "none")
_LOCATION_KEYS: dict[str, type] = {
    "name": str,
    "backend": str,
    "path": str,
    "endpoint": str,
    "bucket": str,
    "prefix": str,
    "purpose": str,
    "storage_class": str,
    "object_lock_days": int,
    "object_lock_mode": str,
    "server_side_encryption": str,
}


def default_home(env: Mapping[str, str] | None = None) -> Path:
    """The embedded default archive home: ``$PRESERVE_HOME``, else the user data directory."""
    env = os.environ if env is None else env
    if env.get("PRESERVE_HOME"):
        return Path(env["PRESERVE_HOME"]).expanduser().resolve()
    return Path(platformdirs.user_data_dir("preserve", appauthor=False)).resolve()


def load_settings(
    home: Path | None = None, config_file: Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings for one invocation (see the module docstring for the order)."""
    env = os.environ if env is None else env
    if config_file is None and env.get("PRESERVE_CONFIG"):
        config_file = Path(env["PRESERVE_CONFIG"])
    if home is not None:
        home = Path(home).expanduser().resolve()
    elif env.get("PRESERVE_HOME"):
        home = default_home(env)
    elif config_file is not None:
        home = Path(config_file).expanduser().resolve().parent
    else:
        home = default_home(env)
    if config_file is None and (home / CONFIG_NAME).is_file():
        config_file = home / CONFIG_NAME
    data: dict = {}
    if config_file is not None:
        config_file = Path(config_file).expanduser().resolve()
        data = read_toml(config_file)
    _apply_env(data, env)
    return _build(home, config_file, data)


def read_toml(path: Path, error: type[PreservationError] = ConfigError) -> dict:
    """Parse a TOML file; ``error`` (naming the file, and the line for syntax errors) if it cannot be."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None


def _apply_env(data: dict, env: Mapping[str, str]) -> None:
    for section, keys in _SCALARS.items():
        for key, kind in keys.items():
            name = f"PRESERVE_{section.upper()}_{key.upper()}"
            if name not in env:
                continue
            raw = env[name]
            table = data.setdefault(section, {})
            if kind is int:
                try:
                    table[key] = int(raw)
                except ValueError:
                    raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
            elif kind is list:
                table[key] = [part.strip() for part in raw.split(",") if part.strip()]
            else:
                table[key] = raw


def _build(home: Path, config_file: Path | None, data: dict) -> Settings:
    where = str(config_file) if config_file else "built-in defaults"
    known_sections = set(_SCALARS) | {"storage"}
    for section in data:
        if section not in known_sections:
            raise ConfigError(f"{where}: unknown section [{section}]", hint=_known("sections", known_sections))
    for section, keys in _SCALARS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{where}: unknown key {key!r} in [{section}]", hint=_known("keys", keys))
            _check_type(where, f"{section}.{key}", value, keys[key])

    locations = tuple(_location(where, home, i, table) for i, table in enumerate(data.get("storage", [])))
    if not locations:
        locations = (LocationSettings(name="primary", backend="local", path=home / "storage" / "primary"),)
    names = [loc.name for loc in locations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: storage location names must be unique: {', '.join(duplicates)}")
    replication = tuple(data.get("replication", {}).get("locations", [names[0]]))
    for name in replication:
        if name not in names:
            raise ConfigError(f"{where}: [replication] names {name!r}, which is not a [[storage]] location")
    if not replication:
        raise ConfigError(f"{where}: [replication] locations must name at least one location")

    executor = data.get("executor", {})
    kind = executor.get("kind", "local")
    if kind not in EXECUTORS:
        raise ConfigError(f"{where}: executor.kind must be one of {', '.join(EXECUTORS)}, not {kind!r}")
    workers = executor.get("workers", 0)
    if workers < 0:
        raise ConfigError(f"{where}: executor.workers must be 0 (one per core) or more")
    for key in ("file_time_limit", "file_retries", "broker_wait"):
        if executor.get(key, 0) < 0:
            raise ConfigError(f"{where}: executor.{key} must be 0 or more")

    access, mail = data.get("access", {}), data.get("mail", {})
    if access.get("location") and access["location"] not in names:
        raise ConfigError(f"{where}: access.location names {access['location']!r}, which is not a [[storage]] location")
    if access.get("link_hours", 72) < 1:
        raise ConfigError(f"{where}: access.link_hours must be 1 or more")
    for key in ("session_hours", "session_idle_minutes", "max_body_kib", "preview_max_mib", "preview_cache_mib"):
        if key in access and access[key] < 1:
            raise ConfigError(f"{where}: access.{key} must be 1 or more")
    proxies = tuple(str(proxy) for proxy in access.get("trusted_proxies", []))
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"{where}: access.trusted_proxies: {proxy!r} is not an IP address or network",
                hint='Write addresses like "10.0.0.5" or networks like "10.0.0.0/24".',
            ) from None
    if mail.get("security", "starttls") not in MAIL_SECURITY:
        raise ConfigError(f"{where}: mail.security must be one of {', '.join(MAIL_SECURITY)}")
    if mail.get("smtp_host") and not mail.get("sender"):
        raise ConfigError(f"{where}: mail.sender is needed with mail.smtp_host (the From address)")

    url = data.get("catalogue", {}).get("url", "sqlite:///catalogue.db")
    return Settings(
        home=home,
        config_file=config_file,
        archive_name=data.get("archive", {}).get("name", "Unnamed archive"),
        catalogue_url=_absolute_sqlite_url(url, home),
        locations=locations,
        replication=replication,
        executor_kind=kind,
        executor_workers=workers,
        executor_broker=executor.get("broker", ""),
        executor_results=executor.get("results", ""),
        executor_visibility_timeout=executor.get("visibility_timeout", 3600),
        executor_file_time_limit=executor.get("file_time_limit", 3600),
        executor_file_retries=executor.get("file_retries", 2),
        executor_broker_wait=executor.get("broker_wait", 300),
        policies_path=home / data.get("policies", {}).get("path", "policies"),
        clamd_socket=data.get("virus", {}).get("clamd_socket", ""),
        virus_database=home / data["virus"]["database"] if data.get("virus", {}).get("database") else None,
        access_location=access.get("location", ""),
        access_link_hours=access.get("link_hours", 72),
        portal_url=access.get("portal_url", "http://127.0.0.1:8000").rstrip("/"),
        trusted_proxies=proxies,
        session_hours=access.get("session_hours", 8),
        session_idle_minutes=access.get("session_idle_minutes", 30),
        max_body_kib=access.get("max_body_kib", 64),
        preview_max_mib=access.get("preview_max_mib", 64),
        preview_cache_mib=access.get("preview_cache_mib", 2048),
        mail_smtp_host=mail.get("smtp_host", ""),
        mail_smtp_port=mail.get("smtp_port", 587),
        mail_security=mail.get("security", "starttls"),
        mail_sender=mail.get("sender", ""),
        mail_username=mail.get("username", ""),
        mail_password=mail.get("password", ""),
    )


def _location(where: str, home: Path, index: int, table: object) -> LocationSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [[storage]] entry {index + 1} must be a table")
    for key, value in table.items():
        if key not in _LOCATION_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r} in [[storage]] entry {index + 1}", hint=_known("keys", _LOCATION_KEYS)
            )
        _check_type(where, f"storage[{index + 1}].{key}", value, _LOCATION_KEYS[key])
    name = table.get("name")
    if not name:
        raise ConfigError(f"{where}: [[storage]] entry {index + 1} has no name")
    backend = table.get("backend", "local")
    if backend not in BACKENDS:
        raise ConfigError(f"{where}: location {name!r}: backend must be one of {', '.join(BACKENDS)}")
    purpose = table.get("purpose", "aip")
    if purpose not in PURPOSES:
        raise ConfigError(f"{where}: location {name!r}: purpose must be one of {', '.join(PURPOSES)}")
    if table.get("object_lock_mode", "GOVERNANCE") not in LOCK_MODES:
        raise ConfigError(f"{where}: location {name!r}: object_lock_mode must be one of {', '.join(LOCK_MODES)}")
    if table.get("object_lock_days", 0) < 0:
        raise ConfigError(f"{where}: location {name!r}: object_lock_days cannot be negative")
    if table.get("server_side_encryption", "") not in ENCRYPTIONS:
        raise ConfigError(
            f"{where}: location {name!r}: server_side_encryption must be one of "
            f"{', '.join(e for e in ENCRYPTIONS if e)} (or left out)"
        )
    storage_class = table.get("storage_class", "")
    if storage_class and not re.fullmatch(r"[A-Z][A-Z0-9_]*", storage_class):
        raise ConfigError(
            f"{where}: location {name!r}: storage_class {storage_class!r} is not a storage class name "
            "(e.g. STANDARD, STANDARD_IA, GLACIER_IR)"
        )
    if storage_class in UNREADABLE_CLASSES:
        raise ConfigError(
            f"{where}: location {name!r}: objects in storage class {storage_class} cannot be read "
            "without a restore, so preserve could not verify or audit them",
            hint="Use GLACIER_IR (instant retrieval), or a bucket lifecycle rule that moves objects "
            "to colder storage after ingest has verified them.",
        )
    if backend == "local" and (table.get("object_lock_days") or table.get("server_side_encryption") or storage_class):
        raise ConfigError(
            f"{where}: location {name!r}: object_lock_days, server_side_encryption and storage_class "
            "apply to s3 locations only"
        )
    fields = {k: v for k, v in table.items() if k != "path"}
    location = LocationSettings(**fields)
    if backend == "local":
        if not table.get("path"):
            raise ConfigError(f"{where}: local location {name!r} needs a path")
        location = replace(location, path=(home / table["path"]).resolve())
    elif not table.get("bucket"):
        raise ConfigError(f"{where}: s3 location {name!r} needs a bucket")
    return location


def _check_type(where: str, key: str, value: object, kind: type) -> None:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:  # a number: 30 or 30.5
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not ok:
        names = {list: "a list of strings", float: "a number"}
        raise ConfigError(f"{where}: {key} must be {names.get(kind, kind.__name__)}")


def _known(what: str, names) -> str:
    return f"Known {what}: {', '.join(sorted(names))}."


def _absolute_sqlite_url(url: str, home: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(home / url[len(prefix) :])
    return url


CONFIG_TEMPLATE = """\
# preserve.toml — the infrastructure of one archive.
# Preservation decisions (format actions, fixity schedule, closure) live in the policy files
# under [policies] path. Paths below are relative to this file's directory (the archive home).
# Any scalar key can be overridden by an environment variable PRESERVE_<SECTION>_<KEY>,
# e.g. PRESERVE_CATALOGUE_URL.

[archive]
# The organisation recorded as a PREMIS agent on every event.
name = "{archive_name}"

[catalogue]
# SQLite (embedded, the default) or PostgreSQL: "postgresql+psycopg://user@host/db".
url = "sqlite:///catalogue.db"

# Storage locations. Every AIP is written to each location named in [replication] and read back.
[[storage]]
name = "primary"
backend = "local"                 # "local" or "s3"
path = "storage/primary"
purpose = "aip"                   # "aip", "replica" or "access"

# An S3-compatible location (credentials come from the standard AWS chain, never from here):
# [[storage]]
# name = "offsite"
# backend = "s3"
# endpoint = "https://s3.example.org"   # omit for AWS itself
# bucket = "preserve-aips"
# prefix = ""
# purpose = "replica"
# object_lock_days = 0                  # > 0: retention on every AIP object version
# object_lock_mode = "GOVERNANCE"       # or "COMPLIANCE" (irreversible)
# server_side_encryption = ""           # "AES256" or "aws:kms": the server encrypts what it stores
# storage_class = ""                    # e.g. "STANDARD_IA" or "GLACIER_IR" (not GLACIER: it cannot be audited)

[replication]
locations = ["primary"]

[executor]
kind = "local"                    # "local" (a process pool on this machine) or "celery"
workers = 0                       # worker processes for per-file work; 0 = one per CPU core
# broker = "redis://127.0.0.1:6379/0"
# results = ""                    # where task results are kept (default: the broker's Redis)
# visibility_timeout = 3600       # seconds before a dead worker's task goes to another (keep above the longest task)
# broker_wait = 300               # seconds an ingest waits for a lost broker to come back before it stops (resumable)
file_time_limit = 3600            # seconds one attempt at one file may take (0: no limit)
file_retries = 2                  # further attempts at a file that failed unexpectedly; then it is reported, and
                                  # the other files go on (the ingest stops before packaging and can be resumed)

[policies]
path = "policies"

# Virus checking with ClamAV (what happens to infected files is in policies/checks.toml):
[virus]
# clamd_socket = "/run/clamav/clamd.ctl"   # scan through clamd; without it each ingest runs clamscan
# database = "/var/lib/clamav"             # signature folder for clamscan (default: ClamAV's own)

# Delivery of approved requests and the researcher portal (`preserve serve`):
[access]
# location = ""                   # a [[storage]] location (purpose "access") for DIPs; default: the folder access/
link_hours = 72                   # how long a DIP's download link works
portal_url = "http://127.0.0.1:8000"   # the portal's address as people reach it (used in messages)
# trusted_proxies = ["127.0.0.1"]  # reverse proxies whose X-Forwarded-For is believed (docs/security.md)
# session_hours = 8               # a portal session ends this long after sign-in ...
# session_idle_minutes = 30       # ... or after this long without a request
# max_body_kib = 64               # the largest form or JSON body the portal reads
# preview_max_mib = 64            # the largest file shown as a preview (images are scaled down first)
# preview_cache_mib = 2048        # previews are kept in cache/previews, trimmed to this size

# Messages to people (requests submitted and decided) are kept in the outbox; with an SMTP server
# `preserve outbox send` (and the scheduler, every few minutes) sends them.
[mail]
# smtp_host = "smtp.example.org"
# smtp_port = 587
# security = "starttls"           # "starttls", "tls" or "none"
# sender = "archives@example.org"
# username = ""                   # the password comes from PRESERVE_MAIL_PASSWORD, never from this file
"""


def render_config(archive_name: str) -> str:
    """The commented ``preserve.toml`` that ``preserve init`` writes."""
    escaped = archive_name.replace("\\", "\\\\").replace('"', '\\"')
    return CONFIG_TEMPLATE.format(archive_name=escaped)

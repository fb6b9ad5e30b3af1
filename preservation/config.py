"""Typed settings: ``preserve.toml`` plus ``PRESERVE_*`` environment variables, passed explicitly.

Where the settings come from, in order:
1. the archive home: ``--home``, else ``$PRESERVE_HOME``, else the directory of an explicit config
   file, else the user data directory (the embedded default archive);
2. the config file: ``--config``, else ``$PRESERVE_CONFIG``, else ``<home>/preserve.toml`` if it
   exists; with none, built-in defaults (SQLite catalogue, one local location, in-process executor);
3. ``PRESERVE_<SECTION>_<KEY>`` variables override scalar keys, e.g. ``PRESERVE_CATALOGUE_URL``.
Relative paths are relative to the archive home.

Each setting is declared once, as a field of ``Settings`` (or of ``LocationSettings``, for a key of
a ``[[storage]]`` entry): the annotation is its type, the field's default its default, and
``setting()`` (``option()``) records its table and key in ``preserve.toml`` (and so its
``PRESERVE_*`` variable), its bounds and checks, and a line of help. Reading the file and the
environment is driven by that table (``SETTINGS``, ``LOCATION_OPTIONS``); only the rules that relate
settings to one another (to the ``[[storage]]`` names, or local against S3) are code of their own.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from preservation.errors import ConfigError, PreservationError

CONFIG_NAME = "preserve.toml"
BACKENDS = ("local", "s3")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
ENCRYPTIONS = ("", "AES256", "aws:kms")
PURPOSES = ("aip", "replica", "access")
UNREADABLE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # need a restore before any read: copies could not be verified
EXECUTORS = ("local", "celery")
MAIL_SECURITY = ("starttls", "tls", "none")

_T = TypeVar("_T")
_DECLARATION = "preserve.setting"  # the key of a field's metadata that holds its Setting


@dataclass
class _Loading:
    """What a check or conversion needs besides the value."""

    where: str  # the config file, or "built-in defaults"
    home: Path
    owner: str = ""  # "location 'a': " while a [[storage]] entry is read
    names: tuple[str, ...] = ()  # the [[storage]] location names
    values: dict[str, Any] = field(default_factory=dict)  # the settings read so far, by attribute

    def refuse(self, text: str, hint: str = "") -> ConfigError:
        return ConfigError(f"{self.where}: {self.owner}{text}", hint=hint)


@dataclass(frozen=True)
class Setting:
    """The one declaration of a setting. ``attribute``, ``kind`` and ``default`` come from its field."""

    section: str  # its table in preserve.toml; "storage" for a key of a [[storage]] entry
    key: str  # its key there ('' in option(): the field's name)
    help: str = ""
    at_least: int | None = None  # the smallest value allowed, and how a refusal says so
    too_small: str = "must be {at_least} or more"
    one_of: tuple[str, ...] = ()  # the values allowed ('' among them: it may be left out), and the refusal
    not_one_of: str = "must be one of {choices}"
    check: Callable[[Any, str, _Loading], None] | None = None  # (value, name, loading): raise to refuse
    convert: Callable[[Any, _Loading], Any] | None = None  # from the value as written to the attribute
    default_from: Callable[[_Loading], Any] | None = None  # for a default that depends on other settings
    attribute: str = ""
    kind: type = str  # how it is written: str, int, float (any number) or list (of strings)
    default: Any = None

    @property
    def name(self) -> str:
        """The setting as refusals name it: ``section.key``, or the key within a [[storage]] entry."""
        return self.key if self.section == "storage" else f"{self.section}.{self.key}"

    @property
    def env(self) -> str:
        """The variable that overrides it (none for the keys of [[storage]] entries)."""
        return "" if self.section == "storage" else f"PRESERVE_{self.section.upper()}_{self.key.upper()}"


def setting(name: str, default: _T, help: str = "", **rules: Any) -> _T:
    """Declare a field as the setting ``name`` ("section.key"); ``rules`` are further fields of Setting."""
    section, key = name.split(".")
    return field(default=default, metadata={_DECLARATION: Setting(section, key, help, **rules)})


def option(default: _T, help: str = "", **rules: Any) -> _T:
    """Declare a field as the key of a ``[[storage]]`` entry with the field's name."""
    return setting("storage.", default, help, **rules)


def _networks(value: list[str], name: str, loading: _Loading) -> None:
    for proxy in value:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise loading.refuse(
                f"{name}: {proxy!r} is not an IP address or network",
                hint='Write addresses like "10.0.0.5" or networks like "10.0.0.0/24".',
            ) from None


def _country(value: str, name: str, loading: _Loading) -> None:
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise loading.refuse(f"{name}: {value!r} is not a country code", hint='Write two capital letters, as "GB".')


def _email(value: str, name: str, loading: _Loading) -> None:
    if value and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise loading.refuse(f"{name}: {value!r} is not an e-mail address", hint='Write it as "archives@example.org".')


def _a_location(value: str, name: str, loading: _Loading) -> None:
    if value and value not in loading.names:
        raise loading.refuse(f"{name} names {value!r}, which is not a [[storage]] location")


def _replication(value: list[str], name: str, loading: _Loading) -> None:
    for location in value:
        if location not in loading.names:
            raise loading.refuse(f"[replication] names {location!r}, which is not a [[storage]] location")
    if not value:
        raise loading.refuse("[replication] locations must name at least one location")


def _sender(value: str, name: str, loading: _Loading) -> None:
    if loading.values["mail_smtp_host"] and not value:
        raise loading.refuse(f"{name} is needed with mail.smtp_host (the From address)")


def _storage_class(value: str, name: str, loading: _Loading) -> None:
    if value and not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        raise loading.refuse(f"{name} {value!r} is not a storage class name (e.g. STANDARD, STANDARD_IA, GLACIER_IR)")
    if value in UNREADABLE_CLASSES:
        raise loading.refuse(
            f"objects in storage class {value} cannot be read without a restore, so preserve could not verify or "
            "audit them",
            hint="Use GLACIER_IR (instant retrieval), or a bucket lifecycle rule that moves objects "
            "to colder storage after ingest has verified them.",
        )


@dataclass(frozen=True)
class LocationSettings:
    """One named storage location from a ``[[storage]]`` table."""

    name: str = field(metadata={_DECLARATION: Setting("storage", "", "what [replication] and access.location call it")})
    backend: str = option("local", '"local" or "s3"', one_of=BACKENDS)
    path: Path | None = option(None, "a local location's folder (relative to the archive home)")
    endpoint: str = option("", "an S3 service other than AWS")
    bucket: str = option("", "an s3 location's bucket")
    prefix: str = option("", "the start of every key in the bucket")
    purpose: str = option("aip", "what is kept there", one_of=PURPOSES)
    storage_class: str = option("", "e.g. STANDARD_IA or GLACIER_IR", check=_storage_class)
    object_lock_days: int = option(
        0, "> 0: retention on every AIP object version", at_least=0, too_small="cannot be negative"
    )
    object_lock_mode: str = option("GOVERNANCE", 'or "COMPLIANCE" (irreversible)', one_of=LOCK_MODES)
    server_side_encryption: str = option("", "the server encrypts what it stores", one_of=ENCRYPTIONS)


@dataclass(frozen=True)
class Settings:
    """Everything preserve needs to know about one archive's infrastructure."""

    home: Path
    config_file: Path | None = None
    archive_name: str = setting("archive.name", "Unnamed archive", "the organisation recorded as a PREMIS agent")
    country_code: str = setting(
        "archive.country_code", "", "the archive's country, ISO 3166 (GB): in exported EAD", check=_country
    )
    repository_code: str = setting(
        "archive.repository_code", "", "the archive's repository code (TNA's, e.g. 0123, or an ISIL): in exported EAD"
    )
    contact_email: str = setting(
        "archive.contact_email", "", "the archive's enquiries address (OAI-PMH's adminEmail)", check=_email
    )
    catalogue_url: str = setting(
        "catalogue.url",
        "sqlite:///catalogue.db",
        "SQLite or PostgreSQL",
        convert=lambda url, loading: _absolute_sqlite_url(url, loading.home),
    )
    locations: tuple[LocationSettings, ...] = ()
    replication: tuple[str, ...] = setting(
        "replication.locations",
        (),
        "where every AIP is written; by default the first [[storage]] location",
        default_from=lambda loading: loading.names[:1],
        check=_replication,
        convert=lambda names, _: tuple(names),
    )
    executor_kind: str = setting(
        "executor.kind",
        "local",
        "local or celery",
        one_of=EXECUTORS,
        not_one_of="must be one of {choices}, not {value!r}",
    )
    executor_workers: int = setting(
        "executor.workers",
        0,
        "worker processes for per-file work",
        at_least=0,
        too_small="must be 0 (one per core) or more",
    )
    executor_broker: str = setting("executor.broker", "", "the Celery broker")
    executor_results: str = setting("executor.results", "", "where task results are kept ('': the broker's Redis)")
    executor_visibility_timeout: int = setting(
        "executor.visibility_timeout", 3600, "seconds before a dead worker's task is handed out again"
    )
    executor_file_time_limit: float = setting(
        "executor.file_time_limit", 3600, "seconds one attempt at one file may take", at_least=0
    )
    executor_file_retries: int = setting(
        "executor.file_retries", 2, "further attempts at a file that failed unexpectedly", at_least=0
    )
    executor_broker_wait: float = setting(
        "executor.broker_wait", 300, "seconds an ingest waits for a lost broker", at_least=0
    )
    policies_path: Path = setting(
        "policies.path", Path("policies"), "the policy files", convert=lambda path, loading: loading.home / path
    )
    clamd_socket: str = setting("virus.clamd_socket", "", "a clamd socket to scan through ('': run clamscan)")
    virus_database: Path | None = setting(
        "virus.database",
        None,
        "signatures for clamscan ('': ClamAV's own)",
        convert=lambda path, loading: loading.home / path if path else None,
    )
    access_location: str = setting(
        "access.location", "", "the location DIPs are put in ('': <home>/access)", check=_a_location
    )
    access_link_hours: int = setting("access.link_hours", 72, "how long a delivered DIP's link works", at_least=1)
    portal_url: str = setting(
        "access.portal_url", "http://127.0.0.1:8000", "the portal's address", convert=lambda url, _: url.rstrip("/")
    )
    trusted_proxies: tuple[str, ...] = setting(
        "access.trusted_proxies",
        (),
        "proxies whose X-Forwarded-For is believed",
        check=_networks,
        convert=lambda proxies, _: tuple(proxies),
    )
    session_hours: int = setting("access.session_hours", 8, "a session ends this long after sign-in", at_least=1)
    session_idle_minutes: int = setting(
        "access.session_idle_minutes", 30, "... or this long after its last request", at_least=1
    )
    max_body_kib: int = setting("access.max_body_kib", 64, "the largest request body the portal reads", at_least=1)
    preview_max_mib: int = setting("access.preview_max_mib", 64, "the largest file shown as a preview", at_least=1)
    preview_cache_mib: int = setting(
        "access.preview_cache_mib", 2048, "the size the preview cache is trimmed to", at_least=1
    )
    iiif_max_mib: int = setting("access.iiif_max_mib", 4096, "the largest image file served over IIIF", at_least=1)
    iiif_max_megapixels: int = setting(
        "access.iiif_max_megapixels", 1000, "the largest image (in megapixels) served over IIIF", at_least=1
    )
    iiif_cache_mib: int = setting(
        "access.iiif_cache_mib", 20480, "the size the IIIF image cache is trimmed to", at_least=1
    )
    mail_smtp_host: str = setting("mail.smtp_host", "", "'': messages stay in the outbox")
    mail_smtp_port: int = setting("mail.smtp_port", 587)
    mail_security: str = setting("mail.security", "starttls", one_of=MAIL_SECURITY)
    mail_sender: str = setting("mail.sender", "", "the From address", check=_sender)
    mail_username: str = setting("mail.username", "")
    mail_password: str = setting("mail.password", "", "better given as PRESERVE_MAIL_PASSWORD than in the file")

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
        raise ConfigError(
            f"no storage location named {name!r} (known: {known})",
            hint="`preserve storage list` shows the locations; `preserve storage add NAME …` adds one.",
        )

    @property
    def workers(self) -> int:
        """Parallel worker processes for per-file work (0 in the settings means one per core)."""
        return self.executor_workers or (os.cpu_count() or 1)


_KINDS: dict[str, type] = {
    "str": str,
    "int": int,
    "float": float,
    "Path": str,
    "Path | None": str,
    "tuple[str, ...]": list,
}


def _table(cls: type[Any]) -> tuple[Setting, ...]:
    """The declarations of ``cls``'s fields, completed from the fields."""
    return tuple(
        replace(
            spec,
            key=spec.key or item.name,
            attribute=item.name,
            kind=_KINDS[str(item.type)],
            default=item.default,
        )
        for item in fields(cls)
        if (spec := item.metadata.get(_DECLARATION))
    )


SETTINGS = _table(Settings)  # the settings of preserve.toml's tables, in the order they are checked
LOCATION_OPTIONS = _table(LocationSettings)  # the keys of a [[storage]] entry
_SECTIONS = {
    section: {s.key: s for s in SETTINGS if s.section == section}
    for section in dict.fromkeys(s.section for s in SETTINGS)
}
_OPTIONS = {spec.key: spec for spec in LOCATION_OPTIONS}


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
    data: dict[str, Any] = {}
    if config_file is not None:
        config_file = Path(config_file).expanduser().resolve()
        data = read_toml(config_file)
    from_env = _apply_env(data, env)
    return _build(home, config_file, data, from_env)


def read_toml(path: Path, error: type[PreservationError] = ConfigError) -> dict[str, Any]:
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


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """The PRESERVE_* variables set, over what the file says; returns which (section, key) each one set."""
    from_env: dict[tuple[str, str], str] = {}
    for spec in SETTINGS:
        if spec.env not in env:
            continue
        from_env[(spec.section, spec.key)] = spec.env
        raw = env[spec.env]
        table = data.setdefault(spec.section, {})
        if spec.kind is int:
            try:
                table[spec.key] = int(raw)
            except ValueError:
                raise ConfigError(f"{spec.env}={raw!r}: expected a whole number") from None
        elif spec.kind is float:
            try:
                table[spec.key] = float(raw)
            except ValueError:
                raise ConfigError(f"{spec.env}={raw!r}: expected a number") from None
        elif spec.kind is list:
            table[spec.key] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            table[spec.key] = raw
    return from_env


def _build(
    home: Path, config_file: Path | None, data: dict[str, Any], from_env: dict[tuple[str, str], str] | None = None
) -> Settings:
    """Settings from the file's tables and the variables over them; a refusal names the file, or the variable
    that gave the value."""
    from_env = from_env or {}
    where = str(config_file) if config_file else "built-in defaults"
    known_sections = set(_SECTIONS) | {"storage"}
    for section in data:
        if section not in known_sections:
            raise ConfigError(f"{where}: unknown section [{section}]", hint=_known("sections", known_sections))
    for section, keys in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{where}: unknown key {key!r} in [{section}]", hint=_known("keys", keys))
            _check_type(from_env.get((section, key), where), f"{section}.{key}", value, keys[key].kind)

    locations = tuple(_location(where, home, i, table) for i, table in enumerate(data.get("storage", [])))
    if not locations:
        locations = (LocationSettings(name="primary", backend="local", path=home / "storage" / "primary"),)
    names = [loc.name for loc in locations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: storage location names must be unique: {', '.join(duplicates)}")

    loading = _Loading(where, home, names=tuple(names))
    for spec in SETTINGS:
        given = data.get(spec.section, {})
        if spec.key in given:
            value = given[spec.key]
        else:
            value = spec.default_from(loading) if spec.default_from else spec.default
        variable = from_env.get((spec.section, spec.key)) if spec.key in given else None
        checking = replace(loading, where=variable) if variable else loading  # the same values, another name
        loading.values[spec.attribute] = _checked(spec, value, checking)
    return Settings(home=home, config_file=config_file, locations=locations, **loading.values)


def _location(where: str, home: Path, index: int, table: object) -> LocationSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [[storage]] entry {index + 1} must be a table")
    for key, value in table.items():
        if key not in _OPTIONS:
            raise ConfigError(
                f"{where}: unknown key {key!r} in [[storage]] entry {index + 1}", hint=_known("keys", _OPTIONS)
            )
        _check_type(where, f"storage[{index + 1}].{key}", value, _OPTIONS[key].kind)
    name = table.get("name")
    if not name:
        raise ConfigError(f"{where}: [[storage]] entry {index + 1} has no name")
    loading = _Loading(where, home, owner=f"location {name!r}: ")
    values = {spec.attribute: _checked(spec, table.get(spec.key, spec.default), loading) for spec in LOCATION_OPTIONS}
    if values["backend"] == "local" and (
        values["object_lock_days"] or values["server_side_encryption"] or values["storage_class"]
    ):
        raise loading.refuse("object_lock_days, server_side_encryption and storage_class apply to s3 locations only")
    if values["backend"] == "local":
        if not values["path"]:
            raise ConfigError(f"{where}: local location {name!r} needs a path")
        values["path"] = (home / values["path"]).resolve()
    else:
        values["path"] = None  # a path means nothing to an s3 location
        if not values["bucket"]:
            raise ConfigError(f"{where}: s3 location {name!r} needs a bucket")
    return LocationSettings(**values)


def _checked(spec: Setting, value: Any, loading: _Loading) -> Any:
    """``value`` (as written, or the default) checked against its declaration, and converted."""
    if spec.one_of and value not in spec.one_of:
        choices = ", ".join(choice for choice in spec.one_of if choice)
        if "" in spec.one_of:
            choices += " (or left out)"
        raise loading.refuse(f"{spec.name} " + spec.not_one_of.format(choices=choices, value=value))
    if spec.at_least is not None and value < spec.at_least:
        raise loading.refuse(f"{spec.name} " + spec.too_small.format(at_least=spec.at_least))
    if spec.check:
        spec.check(value, spec.name, loading)
    return spec.convert(value, loading) if spec.convert else value


def _check_type(where: str, key: str, value: object, kind: type) -> None:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:  # a number: 30 or 30.5
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not ok:
        names = {list: "a list of strings", float: "a number"}
        raise ConfigError(f"{where}: {key} must be {names.get(kind, kind.__name__)}")


def _known(what: str, names: Iterable[str]) -> str:
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
# For exported EAD (Discovery, Archives Hub): your country and repository code, e.g.
# country_code = "GB"
# repository_code = "0123"
# The address harvesters and aggregators write to (OAI-PMH's adminEmail; else [mail] sender):
# contact_email = "archives@example.org"

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
# iiif_max_mib = 4096             # the largest image file served over IIIF (deep zoom in the record page)
# iiif_max_megapixels = 1000      # ... and the most pixels it may hold
# iiif_cache_mib = 20480          # image pyramids are kept in cache/iiif, trimmed to this size

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

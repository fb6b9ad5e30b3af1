"""What loading preserve.toml and PRESERVE_* variables gives and refuses, word for word.

These pin the behaviour the settings table (issue 18, item 5) must keep: every value a setting
takes when it is left out or given, and the exact text and exit code of every refusal.
"""

from __future__ import annotations

import pytest

from preservation.config import load_settings
from preservation.errors import ConfigError

FULL = """\
[archive]
name = "County Archive"
[catalogue]
url = "postgresql+psycopg://archive@db/preserve"
[[storage]]
name = "disk"
backend = "local"
path = "aips"
purpose = "aip"
[[storage]]
name = "offsite"
backend = "s3"
endpoint = "https://s3.example.org"
bucket = "aips"
prefix = "county/"
purpose = "replica"
storage_class = "STANDARD_IA"
object_lock_days = 30
object_lock_mode = "COMPLIANCE"
server_side_encryption = "aws:kms"
[[storage]]
name = "dips"
path = "dips"
purpose = "access"
[replication]
locations = ["disk", "offsite"]
[executor]
kind = "celery"
workers = 3
broker = "redis://127.0.0.1:6379/0"
results = "redis://127.0.0.1:6379/1"
visibility_timeout = 7200
file_time_limit = 60.5
file_retries = 0
broker_wait = 10
[policies]
path = "rules"
[virus]
clamd_socket = "/run/clamav/clamd.ctl"
database = "clamav"
[access]
location = "dips"
link_hours = 24
portal_url = "https://records.example.org/"
trusted_proxies = ["10.0.0.0/24", "127.0.0.1"]
session_hours = 4
session_idle_minutes = 15
max_body_kib = 128
preview_max_mib = 32
preview_cache_mib = 512
[mail]
smtp_host = "smtp.example.org"
smtp_port = 465
security = "tls"
sender = "archives@example.org"
username = "archives"
password = "secret"
"""


def _load(tmp_path, text: str | None = None, env: dict[str, str] | None = None):
    if text is not None:
        (tmp_path / "preserve.toml").write_text(text)
    return load_settings(tmp_path, env=env or {})


def test_what_an_empty_file_gives(tmp_path):
    home = tmp_path.resolve()
    settings = _load(tmp_path, "")
    assert settings.config_file == home / "preserve.toml"
    assert settings.archive_name == "Unnamed archive"
    assert settings.catalogue_url == f"sqlite:///{home}/catalogue.db"
    assert [(loc.name, loc.backend, loc.path, loc.purpose) for loc in settings.locations] == [
        ("primary", "local", home / "storage" / "primary", "aip")
    ]
    assert settings.replication == ("primary",)
    assert (settings.executor_kind, settings.executor_workers, settings.executor_broker) == ("local", 0, "")
    assert settings.executor_results == ""
    assert settings.executor_visibility_timeout == 3600 and type(settings.executor_visibility_timeout) is int
    assert settings.executor_file_time_limit == 3600 and settings.executor_file_retries == 2
    assert settings.executor_broker_wait == 300
    assert settings.policies_path == home / "policies"
    assert (settings.clamd_socket, settings.virus_database) == ("", None)
    assert (settings.access_location, settings.access_link_hours) == ("", 72)
    assert settings.portal_url == "http://127.0.0.1:8000"
    assert settings.trusted_proxies == ()
    assert (settings.session_hours, settings.session_idle_minutes, settings.max_body_kib) == (8, 30, 64)
    assert (settings.preview_max_mib, settings.preview_cache_mib) == (64, 2048)
    assert (settings.mail_smtp_host, settings.mail_smtp_port, settings.mail_security) == ("", 587, "starttls")
    assert (settings.mail_sender, settings.mail_username, settings.mail_password) == ("", "", "")


def test_what_a_file_setting_every_key_gives(tmp_path):
    home = tmp_path.resolve()
    settings = _load(tmp_path, FULL)
    assert settings.archive_name == "County Archive"
    assert settings.catalogue_url == "postgresql+psycopg://archive@db/preserve"
    disk, offsite, dips = settings.locations
    assert disk.path == home / "aips" and dips.path == home / "dips" and dips.backend == "local"
    assert (offsite.path, offsite.endpoint, offsite.bucket, offsite.prefix) == (
        None,
        "https://s3.example.org",
        "aips",
        "county/",
    )
    assert (offsite.purpose, offsite.storage_class, offsite.object_lock_days) == ("replica", "STANDARD_IA", 30)
    assert (offsite.object_lock_mode, offsite.server_side_encryption) == ("COMPLIANCE", "aws:kms")
    assert settings.replication == ("disk", "offsite")
    assert (settings.executor_kind, settings.executor_workers, settings.workers) == ("celery", 3, 3)
    assert (settings.executor_broker, settings.executor_results) == (
        "redis://127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/1",
    )
    assert (settings.executor_visibility_timeout, settings.executor_file_time_limit) == (7200, 60.5)
    assert (settings.executor_file_retries, settings.executor_broker_wait) == (0, 10)
    assert settings.policies_path == home / "rules"
    assert (settings.clamd_socket, settings.virus_database) == ("/run/clamav/clamd.ctl", home / "clamav")
    assert (settings.access_location, settings.access_link_hours) == ("dips", 24)
    assert settings.portal_url == "https://records.example.org"  # the trailing slash goes
    assert settings.trusted_proxies == ("10.0.0.0/24", "127.0.0.1")
    assert (settings.session_hours, settings.session_idle_minutes, settings.max_body_kib) == (4, 15, 128)
    assert (settings.preview_max_mib, settings.preview_cache_mib) == (32, 512)
    assert (settings.mail_smtp_host, settings.mail_smtp_port, settings.mail_security) == (
        "smtp.example.org",
        465,
        "tls",
    )
    assert (settings.mail_sender, settings.mail_username, settings.mail_password) == (
        "archives@example.org",
        "archives",
        "secret",
    )


def test_relative_sqlite_urls_are_made_absolute_and_others_kept(tmp_path):
    home = tmp_path.resolve()
    assert _load(tmp_path, '[catalogue]\nurl = "sqlite:///db/c.db"\n').catalogue_url == f"sqlite:///{home}/db/c.db"
    assert _load(tmp_path, '[catalogue]\nurl = "sqlite:////srv/c.db"\n').catalogue_url == "sqlite:////srv/c.db"
    assert _load(tmp_path, '[catalogue]\nurl = "sqlite:///:memory:"\n').catalogue_url == "sqlite:///:memory:"


def test_environment_overrides_of_each_kind(tmp_path):
    home = tmp_path.resolve()
    env = {
        "PRESERVE_ARCHIVE_NAME": "From env",
        "PRESERVE_CATALOGUE_URL": "sqlite:///other.db",
        "PRESERVE_EXECUTOR_WORKERS": " 5 ",
        "PRESERVE_ACCESS_TRUSTED_PROXIES": " 10.0.0.1 , ,192.168.0.0/16 ",
        "PRESERVE_POLICIES_PATH": "elsewhere",
        "PRESERVE_VIRUS_DATABASE": "sigs",
        "PRESERVE_MAIL_SMTP_PORT": "25",
        "PRESERVE_MAIL_SECURITY": "none",
    }
    settings = _load(tmp_path, FULL, env)
    assert settings.archive_name == "From env"
    assert settings.catalogue_url == f"sqlite:///{home}/other.db"
    assert settings.executor_workers == 5
    assert settings.trusted_proxies == ("10.0.0.1", "192.168.0.0/16")
    assert settings.policies_path == home / "elsewhere"
    assert settings.virus_database == home / "sigs"
    assert (settings.mail_smtp_port, settings.mail_security) == (25, "none")


def test_environment_list_may_empty_the_replication(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, None, {"PRESERVE_REPLICATION_LOCATIONS": " , "})
    assert (
        caught.value.message
        == "PRESERVE_REPLICATION_LOCATIONS: [replication] locations must name at least one location"
    )


def test_an_empty_environment_value_clears_a_path(tmp_path):
    settings = _load(tmp_path, FULL, {"PRESERVE_VIRUS_DATABASE": ""})
    assert settings.virus_database is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("PRESERVE_EXECUTOR_WORKERS", "a whole number"),
        ("PRESERVE_EXECUTOR_VISIBILITY_TIMEOUT", "a whole number"),
        ("PRESERVE_EXECUTOR_FILE_RETRIES", "a whole number"),
        ("PRESERVE_ACCESS_LINK_HOURS", "a whole number"),
        ("PRESERVE_ACCESS_SESSION_HOURS", "a whole number"),
        ("PRESERVE_ACCESS_SESSION_IDLE_MINUTES", "a whole number"),
        ("PRESERVE_ACCESS_MAX_BODY_KIB", "a whole number"),
        ("PRESERVE_ACCESS_PREVIEW_MAX_MIB", "a whole number"),
        ("PRESERVE_ACCESS_PREVIEW_CACHE_MIB", "a whole number"),
        ("PRESERVE_MAIL_SMTP_PORT", "a whole number"),
    ],
)
def test_a_bad_environment_number_names_the_variable(tmp_path, name, kind):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, None, {name: "many"})
    assert caught.value.message == f"{name}='many': expected {kind}"
    assert caught.value.exit_code == 11


def test_environment_values_are_checked_like_the_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, None, {"PRESERVE_EXECUTOR_KIND": "threads"})
    assert caught.value.message == "PRESERVE_EXECUTOR_KIND: executor.kind must be one of local, celery, not 'threads'"


SECTIONS_HINT = "Known sections: access, archive, catalogue, executor, mail, policies, replication, storage, virus."
S3 = '[[storage]]\nname = "a"\nbackend = "s3"\nbucket = "b"\n'
LOCAL = '[[storage]]\nname = "a"\npath = "x"\n'


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("[archiv]\n", "unknown section [archiv]", SECTIONS_HINT),
        ("archive = 1\n", "[archive] must be a table", None),
        (
            "[archive]\nnmae = 'x'\n",
            "unknown key 'nmae' in [archive]",
            "Known keys: contact_email, country_code, name, repository_code.",
        ),
        (
            "[mail]\nport = 1\n",
            "unknown key 'port' in [mail]",
            "Known keys: password, security, sender, smtp_host, smtp_port, username.",
        ),
        ("[archive]\nname = 1\n", "archive.name must be str", None),
        ("[executor]\nworkers = 'two'\n", "executor.workers must be int", None),
        ("[executor]\nworkers = true\n", "executor.workers must be int", None),
        ("[executor]\nworkers = 2.5\n", "executor.workers must be int", None),
        ("[executor]\nfile_time_limit = '1'\n", "executor.file_time_limit must be a number", None),
        ("[executor]\nbroker_wait = false\n", "executor.broker_wait must be a number", None),
        ("[access]\ntrusted_proxies = '10.0.0.1'\n", "access.trusted_proxies must be a list of strings", None),
        ("[replication]\nlocations = [1]\n", "replication.locations must be a list of strings", None),
        ("[virus]\ndatabase = 1\n", "virus.database must be str", None),
        ("[executor]\nkind = 'threads'\n", "executor.kind must be one of local, celery, not 'threads'", None),
        ("[executor]\nworkers = -1\n", "executor.workers must be 0 (one per core) or more", None),
        ("[executor]\nfile_time_limit = -0.5\n", "executor.file_time_limit must be 0 or more", None),
        ("[executor]\nfile_retries = -1\n", "executor.file_retries must be 0 or more", None),
        ("[executor]\nbroker_wait = -1\n", "executor.broker_wait must be 0 or more", None),
        ("[access]\nlink_hours = 0\n", "access.link_hours must be 1 or more", None),
        ("[access]\nsession_hours = 0\n", "access.session_hours must be 1 or more", None),
        ("[access]\nsession_idle_minutes = 0\n", "access.session_idle_minutes must be 1 or more", None),
        ("[access]\nmax_body_kib = 0\n", "access.max_body_kib must be 1 or more", None),
        ("[access]\npreview_max_mib = 0\n", "access.preview_max_mib must be 1 or more", None),
        ("[access]\npreview_cache_mib = -3\n", "access.preview_cache_mib must be 1 or more", None),
        (
            "[access]\nlocation = 'dips'\n",
            "access.location names 'dips', which is not a [[storage]] location",
            None,
        ),
        (
            "[access]\ntrusted_proxies = ['10.0.0.1', 'proxy.local']\n",
            "access.trusted_proxies: 'proxy.local' is not an IP address or network",
            'Write addresses like "10.0.0.5" or networks like "10.0.0.0/24".',
        ),
        ("[mail]\nsecurity = 'ssl'\n", "mail.security must be one of starttls, tls, none", None),
        (
            "[mail]\nsmtp_host = 'smtp.example.org'\n",
            "mail.sender is needed with mail.smtp_host (the From address)",
            None,
        ),
        ("[replication]\nlocations = []\n", "[replication] locations must name at least one location", None),
        (
            "[replication]\nlocations = ['primary', 'x']\n",
            "[replication] names 'x', which is not a [[storage]] location",
            None,
        ),
        ("storage = [1]\n", "[[storage]] entry 1 must be a table", None),
        (
            LOCAL + "[[storage]]\nname = 'b'\npath = 'y'\nsize = 1\n",
            "unknown key 'size' in [[storage]] entry 2",
            "Known keys: backend, bucket, endpoint, name, object_lock_days, object_lock_mode, path, prefix, "
            "purpose, server_side_encryption, storage_class.",
        ),
        (S3 + "object_lock_days = '30'\n", "storage[1].object_lock_days must be int", None),
        ("[[storage]]\npath = 'x'\n", "[[storage]] entry 1 has no name", None),
        ("[[storage]]\nname = ''\npath = 'x'\n", "[[storage]] entry 1 has no name", None),
        (LOCAL + "backend = 'ftp'\n", "location 'a': backend must be one of local, s3", None),
        (LOCAL + "purpose = 'dip'\n", "location 'a': purpose must be one of aip, replica, access", None),
        (
            S3 + "object_lock_mode = 'strict'\n",
            "location 'a': object_lock_mode must be one of GOVERNANCE, COMPLIANCE",
            None,
        ),
        (S3 + "object_lock_days = -1\n", "location 'a': object_lock_days cannot be negative", None),
        (
            S3 + "server_side_encryption = 'rot13'\n",
            "location 'a': server_side_encryption must be one of AES256, aws:kms (or left out)",
            None,
        ),
        (
            S3 + "storage_class = 'standard'\n",
            "location 'a': storage_class 'standard' is not a storage class name "
            "(e.g. STANDARD, STANDARD_IA, GLACIER_IR)",
            None,
        ),
        (
            S3 + "storage_class = 'DEEP_ARCHIVE'\n",
            "location 'a': objects in storage class DEEP_ARCHIVE cannot be read without a restore, "
            "so preserve could not verify or audit them",
            "Use GLACIER_IR (instant retrieval), or a bucket lifecycle rule that moves objects "
            "to colder storage after ingest has verified them.",
        ),
        (
            LOCAL + "object_lock_days = 1\n",
            "location 'a': object_lock_days, server_side_encryption and storage_class apply to s3 locations only",
            None,
        ),
        (
            LOCAL + "server_side_encryption = 'AES256'\n",
            "location 'a': object_lock_days, server_side_encryption and storage_class apply to s3 locations only",
            None,
        ),
        ("[[storage]]\nname = 'a'\n", "local location 'a' needs a path", None),
        ("[[storage]]\nname = 'a'\nbackend = 's3'\n", "s3 location 'a' needs a bucket", None),
        (LOCAL + LOCAL, "storage location names must be unique: a", None),
    ],
)
def test_each_refusal_word_for_word(tmp_path, text, message, hint):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert caught.value.message == f"{tmp_path.resolve() / 'preserve.toml'}: {message}"
    assert caught.value.hint == (hint or ConfigError.default_hint)
    assert caught.value.exit_code == 11

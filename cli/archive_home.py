"""An archive home made ready: policies, catalogue schema, local storage roots, staging — what `preserve init`
does, and what the embedded default archive gets on first use."""

from __future__ import annotations

from catalogue import Database
from catalogue import queries as catalogue
from policies import install_defaults
from preservation.config import Settings
from storage import open_location
from storage.ocfl import ensure_storage_root


def initialise_home(settings: Settings, database: Database) -> dict:
    """Create or bring up to date everything an archive home needs; return what was done."""
    settings.home.mkdir(parents=True, exist_ok=True)
    policies = install_defaults(settings.policies_path)
    before, after = database.upgrade()
    for location in settings.locations:
        if location.backend == "local":
            ensure_storage_root(open_location(location))
    with database.session() as session:
        catalogue.sync_locations(session, ((loc.name, loc.backend, loc.purpose) for loc in settings.locations))
    settings.staging_dir.mkdir(parents=True, exist_ok=True)
    return {
        "home": str(settings.home),
        "config": str(settings.config_file) if settings.config_file else None,
        "catalogue": settings.catalogue_url,
        "schema": {"before": before or None, "after": after},
        "policies_written": [str(p) for p in policies],
        "locations": [loc.name for loc in settings.locations],
    }

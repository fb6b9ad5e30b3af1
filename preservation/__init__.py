"""The information model: errors, identifiers, settings, the domain model, PREMIS and METS, the bag's tag files."""

from importlib import metadata as _metadata

SOFTWARE_NAME = "preserve"


def software_version() -> str:
    """The installed version of preserve."""
    try:
        return _metadata.version("preserve")
    except _metadata.PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+unknown"

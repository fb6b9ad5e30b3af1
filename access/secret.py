"""The archive's secret key: signs download links and portal sessions. Made once, readable only by its owner."""

from __future__ import annotations

import os
import secrets
import tempfile

from preservation.config import Settings
from preservation.errors import ConfigError

KEY_BYTES = 32


def archive_secret(settings: Settings) -> bytes:
    """The secret key in ``<home>/secret.key``, made (mode 0600) the first time it is needed."""
    path = settings.secret_file
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
            os.link(temporary, path)  # whole or not at all; the first of two racing processes wins
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ConfigError(
            f"{path}: the secret key is too short ({len(key)} bytes)",
            hint="Delete it to make a new one (links and sessions signed with it stop working).",
        )
    return key

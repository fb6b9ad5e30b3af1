"""Object-store versions of some keys of a copy, recorded after a repair re-wrote them."""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from catalogue.models import StoredVersionRow


def update_versions(session: Session, aip_id: str, location: str, versions: dict[str, str]) -> None:
    """Record the VersionIds of these keys of one copy, leaving the rest of the copy's record as it is."""
    if not versions:
        return
    session.execute(
        delete(StoredVersionRow).where(
            StoredVersionRow.aip_id == aip_id,
            StoredVersionRow.location == location,
            StoredVersionRow.key.in_(list(versions)),
        )
    )
    session.execute(
        insert(StoredVersionRow.__table__),
        [
            {"aip_id": aip_id, "location": location, "key": key, "version_id": version}
            for key, version in sorted(versions.items())
        ],
    )

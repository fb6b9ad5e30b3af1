"""The catalogue: an index of the AIPs in storage (SQLAlchemy is imported only in this package)."""

from preservation.catalogue.database import Database, head_revision
from preservation.catalogue.queries import SearchHit

__all__ = ["Database", "SearchHit", "head_revision"]

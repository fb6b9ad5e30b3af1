"""The catalogue: an index of the AIPs in storage (SQLAlchemy is imported only in this package)."""

from catalogue.database import Database, head_revision

__all__ = ["Database", "head_revision"]

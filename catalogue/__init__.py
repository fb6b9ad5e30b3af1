"""The catalogue: an index of the AIPs in storage (SQLAlchemy is imported only in this package)."""

from catalogue.database import Database, Session, head_revision

__all__ = ["Database", "Session", "head_revision"]  # Session: for annotations outside the catalogue

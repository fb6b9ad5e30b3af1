"""Archival storage of AIPs: audits and repair, replication and sealing, legal holds, the event log,
catalogue rebuild, orphans and the fixity schedule."""

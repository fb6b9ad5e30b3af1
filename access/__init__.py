"""Access: search, export of AIPs, access decisions, accounts, requests and their delivery, and the portal."""

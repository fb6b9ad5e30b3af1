"""Access: search, export of AIPs, and (later) access rules, requests and the portal."""

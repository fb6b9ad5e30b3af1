"""The ``preserve`` command: one click group, one module per command group."""

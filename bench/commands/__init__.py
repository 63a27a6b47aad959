"""Subcommands of the ``bench`` CLI, one module each (see :mod:`bench.cli`)."""

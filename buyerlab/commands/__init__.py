"""Subcommands of the ``buyerlab`` command line; each module has ``register(subparsers)``."""

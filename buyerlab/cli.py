"""The ``buyerlab`` command line: one subcommand per module in buyerlab.commands."""

from __future__ import annotations

import argparse
import os
import importlib
import pkgutil
import sys

import buyerlab.commands
from buyerlab import __version__
from buyerlab.errors import BuyerlabError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="buyerlab",
        description="Turn transcribed buyer interviews into evidence about how customers buy.",
    )
    parser.add_argument("--version", action="version", version=f"buyerlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(buyerlab.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"buyerlab.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; user errors print one line and return 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except BuyerlabError as exc:
        print(f"buyerlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("buyerlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `buyerlab ... | head`: the reader left; stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())

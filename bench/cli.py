"""The ``bench`` command.

Each subcommand lives in its own module of :mod:`bench.commands` with a ``register(subparsers)``
function that adds its parser and sets ``func``; a function returns the process exit code.
Errors of the bench (:class:`bench.errors.BenchError`) become one clear line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import signal
import sys
import threading

import bench
import bench.commands
from bench.errors import BenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench", description="Test-bench controller for servo motors and precision reducers."
    )
    parser.add_argument("--version", action="version", version=f"bench {bench.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(bench.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bench.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="bench: %(levelname)s: %(name)s: %(message)s")
    # Ctrl-C must reach the safe state even when the shell started us with SIGINT ignored (a background
    # job of a non-interactive shell, as in CI): Python then installs no KeyboardInterrupt of its own.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``bench runs | head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's exit flush does not fail again
        return 1


if __name__ == "__main__":
    sys.exit(main())

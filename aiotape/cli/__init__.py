"""The ``aiotape`` command (also ``python -m aiotape``): the demo and the cassette tools.

``main(argv)`` parses the arguments and returns the exit status: 0 success, 1 a problem found
(replay differs from live, cassettes differ, ``check`` failed), 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from .verify_cmd import add_verify_parser, run_verify

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``aiotape``."""
    parser = argparse.ArgumentParser(
        prog="aiotape",
        description="Record and replay aiohttp-style HTTP + websocket traffic.",
    )
    parser.add_argument("--version", action="version", version=f"aiotape {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="record a session against a built-in local server, then replay it offline",
        description="Start a server on 127.0.0.1, record a small session (JSON, gzip, "
        "websocket, a timeout) to a cassette, stop the server, replay the session offline "
        "and compare the results. No network beyond 127.0.0.1.",
    )
    demo.add_argument(
        "--cassette", type=Path, metavar="PATH", help="keep the recording in this new file"
    )

    cassette = commands.add_parser(
        "cassette", help="inspect cassette files", description="Inspect cassette files."
    )
    actions = cassette.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("ls", help="list cassettes with interaction counts, size and date")
    ls.add_argument("root", nargs="?", type=Path, default=None, metavar="DIR")
    show = actions.add_parser("show", help="print a cassette's interactions, bodies decoded")
    show.add_argument("path", type=Path, metavar="PATH")
    show.add_argument("-i", "--interaction", type=int, metavar="N", help="only interaction #N")
    show.add_argument("--full", action="store_true", help="do not shorten long bodies")
    diff = actions.add_parser("diff", help="what changed between two recordings")
    diff.add_argument("old", type=Path, metavar="A")
    diff.add_argument("new", type=Path, metavar="B")
    diff.add_argument(
        "--ignore-header",
        action="append",
        default=[],
        metavar="NAME",
        help="also ignore this header (repeatable)",
    )
    check = actions.add_parser(
        "check", help="every cassette loads, has no unredacted credentials and no duplicates"
    )
    check.add_argument("root", nargs="?", type=Path, default=None, metavar="DIR")
    prune = actions.add_parser(
        "prune",
        help="drop interactions the last `pytest --cassette-usage=USAGE` run did not play",
    )
    prune.add_argument("usage", type=Path, metavar="USAGE")
    prune.add_argument("--dry-run", action="store_true", help="report, change nothing")
    add_verify_parser(actions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aiotape`` with ``argv`` (default: the process's arguments); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.command == "demo":
        from .demo import run_demo

        if args.cassette is not None and args.cassette.exists():
            parser.error(f"{args.cassette} already exists; give a new path")
        return run_demo(out, args.cassette)

    from . import cassette_cmds

    if args.action == "ls":
        return cassette_cmds.ls(args.root, out, err)
    if args.action == "show":
        return cassette_cmds.show(args.path, out, err, index=args.interaction, full=args.full)
    if args.action == "diff":
        return cassette_cmds.diff(args.old, args.new, out, err, ignore=args.ignore_header)
    if args.action == "verify":
        return run_verify(args, out, err)
    if args.action == "prune":
        return cassette_cmds.prune_unused(args.usage, out, err, dry_run=args.dry_run)
    return cassette_cmds.check(args.root, out, err)

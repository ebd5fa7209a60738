"""Drop the interactions a test run never played, from the usage file the plugin wrote.

``pytest --cassette-usage=usage.json`` notes, per cassette, which interactions were played;
``prune("usage.json")`` rewrites each cassette keeping only those. A cassette is left alone
when it was written during that run, when a test using it did not pass (its usage is
partial), or when the file changed since the run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import CassetteFormatError
from .format import dumps, loads
from .storage import locked, write_atomic

__all__ = ["USAGE_VERSION", "SkipCallback", "prune", "read_usage"]

SkipCallback = Callable[[Path, str], None]
"""Told each cassette ``prune`` leaves alone, and why."""

USAGE_VERSION = 1
"""Version of the usage file format (``{"version": 1, "cassettes": {path: {...}}}``)."""


def read_usage(usage_path: str | os.PathLike[str]) -> dict[Path, Mapping[str, Any]]:
    """The cassettes of a ``--cassette-usage`` file, by path (relative ones: to the file)."""
    where = os.fspath(usage_path)
    try:
        document = json.loads(Path(usage_path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CassetteFormatError(f"{where}: not a cassette usage file: {exc}") from exc
    if (
        not isinstance(document, dict)
        or document.get("version") != USAGE_VERSION
        or not isinstance(document.get("cassettes"), dict)
    ):
        raise CassetteFormatError(
            f"{where}: not a version {USAGE_VERSION} cassette usage file "
            "(written by pytest --cassette-usage=PATH)"
        )
    base = Path(usage_path).parent
    return {base / path: entry for path, entry in document["cassettes"].items()}


class _Skip(Exception):
    """Why a cassette is left alone."""


def prune(
    usage_path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    on_skip: SkipCallback | None = None,
) -> list[tuple[Path, int]]:
    """Rewrite each cassette of the usage file keeping only the interactions played.

    Returns ``(cassette path, interactions removed)`` for every cassette pruned (or, with
    ``dry_run``, that would be), including those with nothing to remove. Files are replaced
    atomically under the cassette lock; ``on_skip(path, reason)`` hears about the others.
    """
    pruned = []
    for path, entry in read_usage(usage_path).items():
        try:
            pruned.append((path, _prune_file(path, entry, dry_run=dry_run)))
        except _Skip as skip:
            if on_skip is not None:
                on_skip(path, str(skip))
    return pruned


def _prune_file(path: Path, entry: Mapping[str, Any], *, dry_run: bool) -> int:
    """How many interactions were (or would be) removed from ``path``; raises _Skip."""
    if entry.get("written"):
        raise _Skip("recorded during that run")
    if not entry.get("complete", False):
        raise _Skip("a test using it did not pass, so its usage is partial")
    if not entry.get("sha256"):
        raise _Skip("its content during the run is unknown")
    if not path.is_file():
        raise _Skip("the file no longer exists")
    with locked(path):
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise _Skip("the file changed since that run")
        interactions = loads(data.decode("utf-8"), source=os.fspath(path))
        played = set(entry.get("played", ()))
        kept = [i for position, i in enumerate(interactions) if position in played]
        removed = len(interactions) - len(kept)
        if removed and not dry_run:
            write_atomic(path, dumps(kept))
    return removed

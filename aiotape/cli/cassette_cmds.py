"""``aiotape cassette ls|show|diff|check``: look at cassette files without writing a test.

Each command takes its arguments, an ``out`` and an ``err`` stream, and returns the exit
status: 0 fine, 1 something found (differences, problems), 2 unreadable input.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from yarl import URL

from ..cassettes import DEFAULT_REDACTED_HEADERS, REDACTED, CassetteError, load_cassette
from ..cassettes.filters import DEFAULT_REDACTED_QUERY
from ..cassettes.filters import redact_query as _redact_query
from ..cassettes.model import Interaction
from ..cassettes.prune import prune
from .compare import VOLATILE_HEADERS, authority, differences, fingerprint, pair_key
from .render import (
    body_lines,
    describe_error,
    human_duration,
    human_size,
    outcome,
    table,
    ws_dialogue,
)

__all__ = ["CASSETTE_SUFFIXES", "check", "diff", "find_cassettes", "ls", "problems", "show"]

CASSETTE_SUFFIXES = frozenset({".yaml", ".yml"})
"""File name endings taken for cassettes."""

_CREDENTIAL_HEADERS = frozenset(name.lower() for name in DEFAULT_REDACTED_HEADERS)
_INDENT = "    "
_BODY_INDENT = "      "


_SKIPPED_FOLDERS = frozenset({"node_modules", "site-packages", "__pycache__"})
_SNIFF_BYTES = 4096


def looks_like_cassette(path: Path) -> bool:
    """Whether the file starts like a cassette: an ``interactions`` key near its top."""
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return False
    return b"interactions" in head


def find_cassettes(root: Path, *, in_cassette_dirs: bool = False) -> list[Path]:
    """``root`` itself if it is a file, else the YAML files under it that look like cassettes.

    Hidden folders, ``node_modules`` and ``site-packages`` are skipped; ``in_cassette_dirs``
    keeps only files below a folder named ``cassettes`` (the default without a DIR).
    """
    if root.is_file():
        return [root]
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            d for d in subfolders if not d.startswith(".") and d not in _SKIPPED_FOLDERS
        )
        if in_cassette_dirs and "cassettes" not in Path(folder).relative_to(root).parts:
            continue
        found += (
            path
            for name in sorted(files)
            if Path(name).suffix.lower() in CASSETTE_SUFFIXES
            and not name.startswith(".")
            and looks_like_cassette(path := Path(folder, name))
        )
    return found


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _where(root: Path | None) -> tuple[Path, list[Path]]:
    """The folder searched and the cassettes found (no DIR: the ``cassettes`` folders here)."""
    if root is None:
        return Path("."), find_cassettes(Path("."), in_cassette_dirs=True)
    return root, find_cassettes(root)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A cassette file read from disk, or why it could not be."""

    path: Path
    interactions: list[Interaction]
    problem: str | None = None


def _load(path: Path) -> _Loaded:
    try:
        return _Loaded(path, load_cassette(path))
    except CassetteError as exc:
        return _Loaded(path, [], str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _Loaded(path, [], f"{path}: cannot be read ({exc})")


def _missing(command: str, paths: Iterable[Path], err: TextIO) -> bool:
    """Report the paths that do not exist; True if any."""
    missing = [path for path in paths if not path.exists()]
    for path in missing:
        err.write(f"aiotape cassette {command}: {path}: no such file or directory\n")
    return bool(missing)


def _name(path: Path, root: Path) -> str:
    return str(path if path == root else path.relative_to(root))


def _request_line(interaction: Interaction) -> str:
    return f"{interaction.request.method} {interaction.request.uri}"


# -- ls --------------------------------------------------------------------------------------


def ls(root: Path | None, out: TextIO, err: TextIO) -> int:
    """List the cassettes under ``root``: interactions (websockets), size, last recorded."""
    if root is not None and _missing("ls", [root], err):
        return 2
    root, paths = _where(root)
    if not paths:
        out.write(f"no cassettes under {root}\n")
        return 0
    rows = [["cassette", "interactions", "size", "recorded"]]
    total_interactions = total_size = unreadable = 0
    for path in paths:
        loaded = _load(path)
        stat = path.stat()
        total_size += stat.st_size
        if loaded.problem is not None:
            unreadable += 1
            count = "unreadable"
        else:
            total_interactions += len(loaded.interactions)
            sockets = sum(i.websocket is not None for i in loaded.interactions)
            count = str(len(loaded.interactions)) + (f" ({sockets} ws)" if sockets else "")
        recorded = datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M")
        rows.append([_name(path, root), count, human_size(stat.st_size), recorded])
    out.write("".join(f"{line}\n" for line in table(rows, right=(1, 2))))
    summary = (
        f"{_count(len(paths), 'cassette')}, {_count(total_interactions, 'interaction')}, "
        f"{human_size(total_size)}"
    )
    if unreadable:
        summary += f"; {unreadable} unreadable (see: aiotape cassette check)"
    out.write(f"\n{summary}\n")
    return 0


# -- show ------------------------------------------------------------------------------------


def _interaction_lines(position: int, interaction: Interaction, limit: int) -> list[str]:
    request = interaction.request
    lines = [f"#{position}  {_request_line(interaction)}"]
    lines += [f"{_INDENT}> {name}: {value}" for name, value in request.headers]
    lines += [f"{_BODY_INDENT}{line}" for line in body_lines(request.headers, request.body)]
    response = interaction.response
    if response is not None:
        facts = [f"{human_duration(interaction.elapsed)} to the head"]
        if response.chunks:
            facts.append(_count(len(response.chunks), "chunk"))
        if not response.complete:
            facts.append("body not read to the end")
        major, minor = response.version
        lines.append(
            f"{_INDENT}< HTTP/{major}.{minor} {response.status} {response.reason}"
            f"  ({', '.join(facts)})"
        )
        lines += [f"{_INDENT}< {name}: {value}" for name, value in response.headers]
        body = body_lines(response.headers, response.body, limit=limit)
        lines += [f"{_BODY_INDENT}{line}" for line in body]
    error = interaction.error
    if error is not None:
        lines.append(f"{_INDENT}! {describe_error(error)}: {error.message}")
    websocket = interaction.websocket
    if websocket is not None:
        protocol = f" (protocol {websocket.protocol})" if websocket.protocol else ""
        lines.append(f"{_INDENT}websocket{protocol}, {_count(len(websocket.frames), 'message')}:")
        lines += [f"{_BODY_INDENT}{line}" for line in ws_dialogue(websocket)]
    return lines


def show(
    path: Path, out: TextIO, err: TextIO, *, index: int | None = None, full: bool = False
) -> int:
    """Print the interactions of one cassette (or only #``index``), bodies decoded."""
    if _missing("show", [path], err):
        return 2
    loaded = _load(path)
    if loaded.problem is not None:
        err.write(f"aiotape cassette show: {loaded.problem}\n")
        return 2
    interactions = loaded.interactions
    selected = list(enumerate(interactions))
    if index is not None:
        if not 0 <= index < len(interactions):
            err.write(
                f"aiotape cassette show: no interaction #{index} "
                f"({path} holds {len(interactions)})\n"
            )
            return 2
        selected = [selected[index]]
    out.write(
        f"{path}: {_count(len(interactions), 'interaction')}, {human_size(path.stat().st_size)}\n"
    )
    limit = 0 if full else 4000
    for position, interaction in selected:
        out.write(
            "\n" + "".join(f"{line}\n" for line in _interaction_lines(position, interaction, limit))
        )
    return 0


# -- diff ------------------------------------------------------------------------------------


def diff(old: Path, new: Path, out: TextIO, err: TextIO, *, ignore: Iterable[str] = ()) -> int:
    """What changed from recording ``old`` to ``new``; 1 if anything did.

    Interactions pair up by method, path and query, in order; volatile headers (and
    ``ignore``), timings, chunk boundaries and content encodings are not compared. When every
    request of ``new`` went to one other host and port (a test server on another port), that
    is noted once and not counted as a change.
    """
    if _missing("diff", [old, new], err):
        return 2
    before, after = _load(old), _load(new)
    for loaded in (before, after):
        if loaded.problem is not None:
            err.write(f"aiotape cassette diff: {loaded.problem}\n")
            return 2
    out.write(f"--- A {old} ({_count(len(before.interactions), 'interaction')})\n")
    out.write(f"+++ B {new} ({_count(len(after.interactions), 'interaction')})\n")
    pairs, removed, added = _pairs(before.interactions, after.interactions)
    moves = {
        (authority(before.interactions[a]), authority(after.interactions[b])) for a, b in pairs
    }
    moved = len(moves) == 1 and len({*next(iter(moves))}) == 2
    if moved:
        was, now = next(iter(moves))
        out.write(f"note: every request went to {now} instead of {was} (not compared)\n")
    ignored = VOLATILE_HEADERS | {name.lower() for name in ignore}
    changed = 0
    for a, b in pairs:
        changes = differences(
            before.interactions[a], after.interactions[b], ignored, compare_authority=not moved
        )
        if changes:
            changed += 1
            out.write(f"~ A#{a} B#{b} {_request_line(before.interactions[a])}\n")
            for change in changes:
                out.write(f"{_INDENT}{change.what}\n")
                out.write("".join(f"{_BODY_INDENT}{line}\n" for line in change.lines))
    for side, positions, interactions in (
        ("- A", removed, before.interactions),
        ("+ B", added, after.interactions),
    ):
        for position in positions:
            interaction = interactions[position]
            out.write(f"{side}#{position} {_request_line(interaction)}: {outcome(interaction)}\n")
    if changed or removed or added:
        out.write(f"{changed} changed, {len(removed)} only in A, {len(added)} only in B\n")
        return 1
    names = ", ".join(sorted(ignored))
    out.write(f"no differences (ignoring timings and the headers {names})\n")
    return 0


def _pairs(
    old: list[Interaction], new: list[Interaction]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Positions paired by ``pair_key`` in order, then those only in ``old``, only in ``new``."""
    waiting: dict[object, deque[int]] = {}
    for position, interaction in enumerate(new):
        waiting.setdefault(pair_key(interaction), deque()).append(position)
    pairs: list[tuple[int, int]] = []
    removed: list[int] = []
    for position, interaction in enumerate(old):
        candidates = waiting.get(pair_key(interaction))
        if candidates:
            pairs.append((position, candidates.popleft()))
        else:
            removed.append(position)
    added = sorted(p for positions in waiting.values() for p in positions)
    return pairs, removed, added


# -- check -----------------------------------------------------------------------------------


def _secrets(interaction: Interaction) -> list[str]:
    """What in ``interaction`` is a credential in clear, by name only (never the value)."""
    request = interaction.request
    found = [
        f"{name} header is not redacted"
        for name, value in request.headers
        if name.lower() in _CREDENTIAL_HEADERS and value != REDACTED
    ]
    found += (
        f"query parameter {name!r} is not redacted"
        for name, value in URL(request.uri, encoded=True).query.items()
        if name.lower() in DEFAULT_REDACTED_QUERY and value != REDACTED
    )
    response = interaction.response
    for name, value in response.headers if response is not None else ():
        cookie, _, rest = value.partition("=")
        if name.lower() == "set-cookie" and rest.split(";")[0].strip() not in ("", REDACTED):
            found.append(f"Set-Cookie {cookie.strip()!r} stores its value in clear")
    return found


def _shown_request(interaction: Interaction) -> str:
    """The request line with query-string credentials masked."""
    uri = _redact_query(interaction.request.uri, DEFAULT_REDACTED_QUERY)
    return f"{interaction.request.method} {uri}"


def problems(interactions: Iterable[Interaction]) -> list[str]:
    """Credentials in clear (by name only) and duplicate interactions (same request, answer)."""
    found: list[str] = []
    seen: dict[object, int] = {}
    for position, interaction in enumerate(interactions):
        where = f"#{position} {_shown_request(interaction)}"
        found += (f"{where}: {secret}" for secret in _secrets(interaction))
        key = fingerprint(interaction)
        first = seen.setdefault(key, position)
        if first != position:
            found.append(f"{where}: duplicate of #{first} (same request, same answer)")
    return found


def check(root: Path | None, out: TextIO, err: TextIO) -> int:
    """Every cassette under ``root`` loads, redacts credentials, holds no duplicates; else 1."""
    if root is not None and _missing("check", [root], err):
        return 2
    root, paths = _where(root)
    if not paths:
        out.write(f"no cassettes under {root}\n")
        return 0
    failed = 0
    for path in paths:
        loaded = _load(path)
        found = [loaded.problem] if loaded.problem is not None else problems(loaded.interactions)
        name = _name(path, root)
        if not found:
            out.write(f"ok    {name} ({_count(len(loaded.interactions), 'interaction')})\n")
            continue
        failed += 1
        out.write(f"FAIL  {name}\n")
        out.write("".join(f"{_BODY_INDENT}{problem}\n" for problem in found))
    out.write(
        f"\n{_count(len(paths), 'cassette')} checked: {len(paths) - failed} ok, "
        f"{failed} with problems\n"
    )
    return 1 if failed else 0


def prune_unused(usage: Path, out: TextIO, err: TextIO, *, dry_run: bool = False) -> int:
    """Drop interactions the run that wrote ``usage`` did not play; 2 if ``usage`` is unusable."""
    if _missing("prune", [usage], err):
        return 2

    def skipped(path: Path, why: str) -> None:
        out.write(f"skipped {path}: {why}\n")

    try:
        pruned = prune(usage, dry_run=dry_run, on_skip=skipped)
    except CassetteError as exc:
        err.write(f"aiotape cassette prune: {exc}\n")
        return 2
    verb = "would remove" if dry_run else "removed"
    for path, removed in pruned:
        out.write(f"{path}: {verb} {_count(removed, 'interaction')}\n")
    return 0

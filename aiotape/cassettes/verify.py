"""Verification: pair a test's live interactions with its cassette's, and report the drift.

``verify(recorded, live, test=..., cassette=...)`` pairs them with the cassette's ``match_on``
(identical requests pair in order) and compares each pair (:func:`drift.compare`); recorded
interactions never made live are ``missing``, live ones without a recorded match ``extra``.
Live interactions come from a recording cassette with the test's options and no file
(``Cassette(None, record_mode="all", **options).new_interactions``), so they are filtered and
redacted as the recorded ones were.
The report helpers write the ``--drift-report`` JSON list atomically; under xdist each worker
writes a part file next to the report and the controller merges them with ``merge_parts``.
Nothing here writes a cassette.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cassette import load_cassette
from .drift import FAILING_KINDS, KINDS, Change, Drift, VerifyIgnore, compare
from .matching import DEFAULT_MATCH_ON, MatchOn, MatchRule
from .model import Interaction
from .player import Playback
from .storage import write_atomic

__all__ = [
    "Pair",
    "discard_parts",
    "format_drift",
    "format_failure",
    "merge",
    "merge_parts",
    "pair",
    "part_path",
    "read_report",
    "summary_line",
    "verify",
    "verify_files",
    "write_part",
    "write_report",
]

_SHOWN_VALUE = 200
_PART_SUFFIX = ".part.json"


@dataclass(frozen=True, slots=True)
class Pair:
    """A recorded interaction (``position`` in the cassette) and the live one it matched;
    one side is None for a missing or an extra interaction."""

    position: int | None
    recorded: Interaction | None
    live: Interaction | None


def pair(
    recorded: Sequence[Interaction],
    live: Sequence[Interaction],
    match_on: MatchOn = DEFAULT_MATCH_ON,
    *,
    allow_playback_repeats: bool = False,
) -> list[Pair]:
    """Pairs in live order (extra ones included), then the missing ones in recorded order.

    Live requests must already be filtered as the recorded ones were (the cassette's
    redaction and ``before_record_request`` hooks), as a recording Cassette does.
    """
    playback = Playback(
        recorded, MatchRule.compile(match_on), allow_playback_repeats=allow_playback_repeats
    )
    pairs: list[Pair] = []
    for interaction in live:
        match = playback.take(interaction.request)
        if match is None:
            pairs.append(Pair(None, None, interaction))
        else:
            pairs.append(Pair(match, recorded[match], interaction))
    played = set(playback.played_positions)
    pairs.extend(Pair(p, recorded[p], None) for p in range(len(recorded)) if p not in played)
    return pairs


def _request_line(interaction: Interaction) -> str:
    return f"{interaction.request.method} {interaction.request.uri}"


def verify(
    recorded: Sequence[Interaction],
    live: Sequence[Interaction],
    *,
    test: str,
    cassette: str | os.PathLike[str],
    match_on: MatchOn = DEFAULT_MATCH_ON,
    ignore: VerifyIgnore | None = None,
    allow_playback_repeats: bool = False,
) -> list[Drift]:
    """The drifted interactions of one cassette in one test (``[]``: it still holds)."""
    return _verify(
        [(os.fspath(cassette), recorded)],
        live,
        test,
        match_on,
        ignore,
        allow_playback_repeats=allow_playback_repeats,
    )


def verify_files(
    paths: Sequence[str | os.PathLike[str]],
    live: Sequence[Interaction],
    *,
    test: str,
    match_on: MatchOn = DEFAULT_MATCH_ON,
    ignore: VerifyIgnore | None = None,
    allow_playback_repeats: bool = False,
) -> list[Drift]:
    """Like ``verify`` for a test's cassette file and its extra ones (``@pytest.mark.vcr``),
    read from disk: each drift names the file and position it concerns; ``extra`` live
    interactions are charged to the first file."""
    sources = [(os.fspath(path), load_cassette(path)) for path in paths]
    return _verify(
        sources, live, test, match_on, ignore, allow_playback_repeats=allow_playback_repeats
    )


def _locate(
    sources: Sequence[tuple[str, Sequence[Interaction]]], position: int | None
) -> tuple[str, int | None]:
    """The file and the position in it of a position in the files' concatenation."""
    if position is None:
        return sources[0][0], None
    for path, interactions in sources:
        if position < len(interactions):
            return path, position
        position -= len(interactions)
    raise IndexError(position)


def _changes(p: Pair, ignore: VerifyIgnore | None) -> tuple[str, tuple[Change, ...]]:
    """The request line and the changes of one pair."""
    if p.recorded is None:
        assert p.live is not None
        line = _request_line(p.live)
        return line, (Change("extra", "interaction", None, line),)
    line = _request_line(p.recorded)
    if p.live is None:
        return line, (Change("missing", "interaction", line, None),)
    return line, compare(p.recorded, p.live, ignore)


def _verify(
    sources: Sequence[tuple[str, Sequence[Interaction]]],
    live: Sequence[Interaction],
    test: str,
    match_on: MatchOn,
    ignore: VerifyIgnore | None,
    *,
    allow_playback_repeats: bool,
) -> list[Drift]:
    recorded = [interaction for _, interactions in sources for interaction in interactions]
    drifts: list[Drift] = []
    for p in pair(recorded, live, match_on, allow_playback_repeats=allow_playback_repeats):
        line, changes = _changes(p, ignore)
        if changes:
            drifts.append(Drift(test, *_locate(sources, p.position), line, changes))
    return drifts


# -- the JSON report -------------------------------------------------------------------------
def merge(*parts: Iterable[Drift]) -> list[Drift]:
    """One list from several (xdist workers'), ordered by test; each test keeps its order."""
    return sorted((d for part in parts for d in part), key=lambda drift: drift.test)


def _dump(drifts: Iterable[Drift]) -> str:
    return json.dumps([d.to_json() for d in drifts], indent=1, ensure_ascii=False) + "\n"


def write_report(path: str | os.PathLike[str], drifts: Iterable[Drift]) -> None:
    """Write the ``--drift-report`` JSON list (atomically; parent folders are created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, _dump(drifts))


def read_report(path: str | os.PathLike[str]) -> list[Drift]:
    """The drifts of a report or part file written by ``write_report`` / ``write_part``."""
    document: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, list):
        raise ValueError(f"{os.fspath(path)}: a drift report is a JSON list")
    return [Drift.from_json(entry) for entry in document]


def part_path(report: str | os.PathLike[str], worker_id: str) -> Path:
    """Where xdist worker ``worker_id`` writes its part of ``report`` (a hidden sibling)."""
    target = Path(report)
    return target.with_name(f".{target.name}.{worker_id}{_PART_SUFFIX}")


def _parts(report: str | os.PathLike[str]) -> list[Path]:
    target = Path(report)
    prefix = f".{target.name}."
    if not target.parent.is_dir():
        return []
    return sorted(
        entry
        for entry in target.parent.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(_PART_SUFFIX)
    )


def write_part(report: str | os.PathLike[str], worker_id: str, drifts: Iterable[Drift]) -> Path:
    """A worker's share of ``report``, for the controller's ``merge_parts`` (always written,
    even empty, so the controller knows the worker finished)."""
    path = part_path(report, worker_id)
    write_report(path, drifts)
    return path


def discard_parts(report: str | os.PathLike[str]) -> None:
    """Remove part files left by an earlier run (call before the workers start)."""
    for path in _parts(report):
        path.unlink(missing_ok=True)


def merge_parts(report: str | os.PathLike[str], own: Iterable[Drift] = ()) -> list[Drift]:
    """Merge the workers' parts (and the controller's ``own`` drifts) into ``report``,
    remove the parts, and return the merged list."""
    parts = _parts(report)
    merged = merge(own, *(read_report(path) for path in parts))
    write_report(report, merged)
    for path in parts:
        path.unlink(missing_ok=True)
    return merged


# -- rendering -------------------------------------------------------------------------------
def _value(change: Change, value: Any) -> str:
    if value is None:
        return "null" if change.kind == "body-value" else "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _SHOWN_VALUE:
        return f"{text[:_SHOWN_VALUE]}... ({len(text) - _SHOWN_VALUE} more characters)"
    return text


def format_drift(drift: Drift, *, strict: bool = False) -> str:
    """A drift as an assertion diff: test, cassette, interaction, then each change with its
    path and the recorded vs live value (changes that pass are marked so)."""
    where = "not recorded" if drift.interaction is None else f"#{drift.interaction}"
    lines = [
        f"cassette drift in {drift.test}",
        f"  cassette:    {drift.cassette}",
        f"  interaction: {where} {drift.request}",
    ]
    for change in drift.changes:
        passes = not strict and change.kind not in FAILING_KINDS
        lines.append(f"  {change.kind} at {change.path}" + (" (passes)" if passes else ""))
        lines.append(f"    - recorded: {_value(change, change.recorded)}")
        lines.append(f"    + live:     {_value(change, change.live)}")
    return "\n".join(lines)


def format_failure(drifts: Iterable[Drift], *, strict: bool = False) -> str:
    """The failure text of a test: every drift with a failing change ("" if none fails)."""
    return "\n\n".join(format_drift(d, strict=strict) for d in drifts if d.failing(strict=strict))


def _shown_path(path: str, root: Path | None) -> str:
    if root is None:
        return path
    try:
        return os.fspath(Path(path).relative_to(root))
    except ValueError:
        return path


def summary_line(drifts: Iterable[Drift], *, root: str | os.PathLike[str] | None = None) -> str:
    """``"2 cassettes drifted: a.yaml (2 body-schema, 1 status), b.yaml (1 missing)"``
    (paths shown relative to ``root`` when under it)."""
    counts: dict[str, Counter[str]] = {}
    for drift in drifts:
        counts.setdefault(drift.cassette, Counter()).update(c.kind for c in drift.changes)
    if not counts:
        return "no cassette drifted"
    base = None if root is None else Path(root)
    listed = []
    for cassette in sorted(counts):
        kinds = ", ".join(f"{counts[cassette][k]} {k}" for k in KINDS if counts[cassette][k])
        listed.append(f"{_shown_path(cassette, base)} ({kinds})")
    noun = "cassette" if len(counts) == 1 else "cassettes"
    return f"{len(counts)} {noun} drifted: {', '.join(listed)}"

"""Record modes, and what a mode means for a cassette file that exists or not."""

from __future__ import annotations

import enum
import functools

from ..client.records import Frozen

__all__ = ["Plan", "RecordMode", "keeps_recorded", "mode_of", "plan"]


class RecordMode(str, enum.Enum):
    """vcrpy / pytest-recording record modes."""

    NONE = "none"
    """Replay only; an unmatched request fails."""
    ONCE = "once"
    """Record if the cassette file does not exist yet, else replay only."""
    NEW_EPISODES = "new_episodes"
    """Replay what matches, record the rest."""
    ALL = "all"
    """Record everything, never replay (new interactions are appended)."""
    REWRITE = "rewrite"
    """Record everything into a fresh cassette."""


_MODES = {mode.value: mode for mode in RecordMode}


def mode_of(value: RecordMode | str) -> RecordMode:
    """``RecordMode(value)``, without the enum's lookup machinery for a mode or its name."""
    try:
        return _MODES[value]
    except (KeyError, TypeError):  # not a mode (TypeError: not even hashable)
        return RecordMode(value)


class Plan(Frozen):
    """What a cassette does: replay recorded interactions, record new ones, keep the file's."""

    __slots__ = ("keep_recorded", "record", "replay")
    __match_args__ = ("replay", "record", "keep_recorded")
    replay: bool
    record: bool
    keep_recorded: bool

    def __init__(self, replay: bool, record: bool, keep_recorded: bool) -> None:
        _set = object.__setattr__
        _set(self, "replay", replay)
        _set(self, "record", record)
        _set(self, "keep_recorded", keep_recorded)


def keeps_recorded(mode: RecordMode) -> bool:
    """Whether ``mode`` keeps (and may replay) what the cassette file already holds."""
    return mode is not RecordMode.REWRITE


@functools.cache
def plan(mode: RecordMode, exists: bool) -> Plan:
    """The plan for record ``mode`` when the cassette file ``exists`` (or not)."""
    records_only = mode in (RecordMode.ALL, RecordMode.REWRITE) or (
        mode is RecordMode.ONCE and not exists
    )
    return Plan(
        replay=not records_only,
        record=records_only or mode is RecordMode.NEW_EPISODES,
        keep_recorded=keeps_recorded(mode),
    )

"""Record modes, and what a mode means for a cassette file that exists or not.

A mode is handled as its value (``"once"``...), which a :class:`RecordMode` equals: the enum
(see :mod:`.record_mode`) is built by its first use, not by every replay.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..client.records import Frozen

if TYPE_CHECKING:
    from .record_mode import RecordMode

__all__ = ["Plan", "RecordMode", "keeps_recorded", "mode_of", "plan"]

_MODES = {mode: mode for mode in ("none", "once", "new_episodes", "all", "rewrite")}


def __getattr__(name: str) -> Any:
    """``RecordMode``, built on first use."""
    if name == "RecordMode":
        from .record_mode import RecordMode

        return RecordMode
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def mode_of(value: RecordMode | str) -> str:
    """The value of record mode ``value`` (a mode or its value); anything else raises
    ``RecordMode(value)``'s ValueError."""
    try:
        return _MODES[value]
    except (KeyError, TypeError):  # not a mode (TypeError: not even hashable)
        from .record_mode import RecordMode

        return RecordMode(value).value


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


def keeps_recorded(mode: str) -> bool:
    """Whether record ``mode`` (a mode or its value) keeps (and may replay) what the cassette
    file already holds."""
    return mode != "rewrite"


@functools.cache
def plan(mode: str, exists: bool) -> Plan:
    """The plan for record ``mode`` (a mode or its value) when the cassette file ``exists``."""
    records_only = mode in ("all", "rewrite") or (mode == "once" and not exists)
    return Plan(
        replay=not records_only,
        record=records_only or mode == "new_episodes",
        keep_recorded=keeps_recorded(mode),
    )

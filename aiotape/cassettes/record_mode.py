"""vcrpy's record modes as an enum. A cassette holds its mode as the mode's value (see
:func:`.plan.mode_of`), so a run that never asks for ``RecordMode`` never builds it."""

from __future__ import annotations

import enum

__all__ = ["RecordMode"]


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

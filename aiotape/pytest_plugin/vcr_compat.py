"""pytest-recording's surface when aiotape runs alone (see :mod:`.vcr_beside` for a run
beside it).

- :class:`RecordingHookspecs`: the ``pytest_recording_configure(config, vcr)`` hook, declared
  when pytest-recording is absent (a conftest implementing it then still loads).
- :class:`VcrFixture`: the ``vcr`` fixture, the aiotape Cassette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..cassettes import Cassette

__all__ = ["RecordingHookspecs", "VcrFixture"]


class RecordingHookspecs:
    """pytest-recording's hook, for conftest files written for it."""

    @staticmethod
    @pytest.hookspec
    def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
        """Register custom matchers/serializers on ``vcr`` (called for each cassette)."""


class VcrFixture:
    """``vcr`` when pytest-recording is absent: the active aiotape Cassette."""

    @pytest.fixture
    def vcr(self, aiotape_cassette: Cassette | None) -> Cassette | None:
        """The cassette of a ``@pytest.mark.vcr`` test (None for unmarked tests)."""
        return aiotape_cassette

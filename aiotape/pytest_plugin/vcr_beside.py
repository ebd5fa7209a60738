"""pytest-recording's surface when aiotape runs beside it (loaded only then; alone, the
``vcr`` fixture and ``pytest_recording_configure`` are :mod:`.recording`'s).

- :class:`Unusable`: a cassette aiotape cannot open (a matcher or serializer only vcrpy knows,
  a file only vcrpy reads) fails aiotape's requests only, so tests still on aiohttp are left
  alone.
- :class:`VcrFixtureBeside`: the ``vcr`` fixture, which wraps both cassettes in
  :class:`EitherCassette`; it answers with the one that saw the test's traffic (vcrpy's for a
  suite still on aiohttp, aiotape's for one switched to aiotape).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..cassettes import Cassette
    from ..client.transport import Request, Response, WebSocketChannel, WSOptions

__all__ = ["EitherCassette", "Unusable", "VcrFixtureBeside"]


class Unusable:
    """A transport raising, for every request, why the test's cassette could not be opened."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def handle(self, request: Request) -> Response:
        """Raise the cassette's error."""
        raise self.error

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Raise the cassette's error."""
        raise self.error

    async def aclose(self) -> None:
        """Nothing to release."""


class EitherCassette:
    """vcrpy's Cassette API over pytest-recording's cassette and aiotape's, for one test."""

    def __init__(self, vcrpy: Any, aiotape: Cassette | None) -> None:
        self.vcrpy = vcrpy
        self.aiotape = aiotape

    @property
    def active(self) -> Any:
        """aiotape's cassette if it saw traffic (or vcrpy's is absent), else vcrpy's."""
        if self.aiotape is not None and (self.aiotape.saw_traffic or self.vcrpy is None):
            return self.aiotape
        return self.vcrpy if self.vcrpy is not None else self.aiotape

    @property
    def play_count(self) -> int:
        """Interactions replayed."""
        return int(self.active.play_count)

    @property
    def all_played(self) -> bool:
        """Whether every recorded interaction was replayed."""
        return bool(self.active.all_played)

    @property
    def requests(self) -> list[Any]:
        """Every interaction's request."""
        return list(self.active.requests)

    @property
    def responses(self) -> list[Any]:
        """Every interaction's response dict."""
        return list(self.active.responses)

    @property
    def data(self) -> list[tuple[Any, Any]]:
        """(request, response) per interaction."""
        return list(self.active.data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.active, name)


class VcrFixtureBeside:
    """``vcr`` beside pytest-recording: overrides its fixture, which it wraps."""

    @pytest.fixture
    def vcr(self, vcr: Any, aiotape_cassette: Cassette | None) -> EitherCassette | None:
        """Whichever of the two cassettes saw this test's traffic (None for unmarked tests)."""
        if vcr is None and aiotape_cassette is None:
            return None
        return EitherCassette(vcr, aiotape_cassette)
